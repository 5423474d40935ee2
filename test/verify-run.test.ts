/**
 * Issue 6: out/921/verify.sh and benchmark.sh against a real systemd (one systemd-nspawn
 * container) whose vllm_model_server.service, installed by out/921/deploy.sh, runs a stand-in
 * OpenAI-compatible server instead of vLLM: /opt/vllm/bin/python -m vllm.entrypoints.openai.api_server
 * (test/harness/standins/ct-standin.py) serves --host/--port from its argv, answers /v1/models with
 * --served-model-name, /v1/completions with text and usage, /v1/embeddings, prints vLLM 0.10.2's
 * own log lines for the sampler (from VLLM_USE_FLASHINFER_SAMPLER), the FP8 KV cache and
 * quantization=fp8 (from its argv), and is slower with the sampler off.
 *
 * The host's curl: the container has a private network (--private-network), so the host cannot
 * reach 10.0.0.221 the way a Proxmox host reaches its bridge. test/harness/net/curl, first on the
 * scripts' PATH, finds the CTID that owns the address (its fake pct config) and runs the real curl
 * inside that container through `pct exec`, against 127.0.0.1 and the same port and path, every
 * other argument unchanged. So verify.sh's requests, bodies and headers are real HTTP to the
 * server the unit started; only the route differs.
 *
 * Asserted: the all-PASS run (text and --json); exactly the expected FAIL lines for a wrong vLLM
 * version, a missing sampler line, a wrong served model name, the service stopped, and an API that
 * does not listen; benchmark.sh reports both runs and a ratio with on > off, and leaves the unit as
 * it found it (no drop-in, active, the same unit bytes, the sampler on).
 */
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { realSystemdAvailable, splitNul } from './lib/real-systemd';
import { describe, FakeHost, installStandins, ScriptRun } from './lib/fake-host';
import { repoRoot } from './lib/paths';

const SUITE = 'real-systemd verify-run suite';
const UNIT = 'vllm_model_server.service';
const TEST_DROPIN = '/etc/systemd/system/vllm_model_server.service.d/90-test.conf';
const SAMPLER_DROPIN = '/etc/systemd/system/vllm_model_server.service.d/50-sampler-off.conf';
const CHECKS = [
  'vllm version',
  'torch CUDA',
  'flashinfer version',
  'service active',
  'service enabled',
  'unit file bytes',
  'secrets file',
  'sampler log line',
  'fp8 KV cache',
  'fp8 quantization',
  'GET /v1/models',
  'completion',
];

interface Summary {
  ctid: string;
  passed: number;
  failed: number;
  checks: { name: string; status: string; detail: string }[];
}

if (realSystemdAvailable(SUITE)) {
  const DIR = path.join(repoRoot(), 'out', '921');
  let ct: Container;
  let host: FakeHost;

  const verify = (...args: string[]): ScriptRun => host.run([path.join(DIR, 'verify.sh'), ...args]);
  const verifyJson = (): { run: ScriptRun; summary: Summary } => {
    const run = verify('--json');
    return { run, summary: JSON.parse(run.stdout) as Summary };
  };
  const failedChecks = (s: Summary): string[] => s.checks.filter((c) => c.status !== 'PASS').map((c) => c.name);
  const detail = (s: Summary, name: string): string => s.checks.find((c) => c.name === name)?.detail ?? '';
  const setVersions = (v: Record<string, string>): void => ct.writeFile('/var/lib/phx-standin/versions.json', JSON.stringify(v));
  const VERSIONS = { vllm: '0.10.2', torch_cuda: '12.8', flashinfer: '0.3.1' };

  /** Restarts the unit and waits until the stand-in is done starting (listening, or said it will not). */
  const restartAndWait = (): void => {
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    ct.exec(['systemctl', 'restart', UNIT], { check: true });
    const id = host.unitProp(UNIT, 'InvocationID');
    for (let i = 0; i < 100; i++) {
      const j = ct.exec(['journalctl', '--no-pager', '-o', 'cat', `_SYSTEMD_INVOCATION_ID=${id}`]).stdout;
      if (/Uvicorn running on|not listening/.test(j)) return;
      ct.exec(['sleep', '0.1']);
    }
    throw new Error(`the stand-in server did not start:\n${ct.exec(['journalctl', '-u', UNIT, '-n', '30', '--no-pager']).stdout}`);
  };
  /** Runs fn with a test drop-in giving the service extra environment, then removes it and restarts. */
  const withServiceEnv = (env: Record<string, string>, fn: () => void): void => {
    ct.writeFile(
      TEST_DROPIN,
      `[Service]\n${Object.entries(env)
        .map(([k, v]) => `Environment="${k}=${v}"\n`)
        .join('')}`,
    );
    try {
      restartAndWait();
      fn();
    } finally {
      ct.exec(['rm', '-f', TEST_DROPIN], { check: true });
      restartAndWait();
    }
  };
  const unitState = () => ({
    active: host.unitProp(UNIT, 'ActiveState'),
    enabled: host.unitProp(UNIT, 'UnitFileState'),
    dropins: ct.exec(['sh', '-c', 'ls -A /etc/systemd/system/vllm_model_server.service.d 2>/dev/null || true']).stdout,
    unit: ct.readFile(`/etc/systemd/system/${UNIT}`).toString('base64'),
    sampler: new Map(splitNul(ct.readFile('/run/vllm-record.env')).map((kv) => kv.split('=', 2) as [string, string])).get('VLLM_USE_FLASHINFER_SAMPLER'),
  });

  test.before(async () => {
    ct = await Container.boot();
    installStandins(ct);
    setVersions(VERSIONS);
    // CTID 921 as create.sh leaves it: defined, running, with its address (the curl stand-in routes by it).
    host = new FakeHost(ct);
    host.define('921', 'net0: name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=52:54:00:AA:BB:D2,ip=10.0.0.221/24,type=veth\n');
    host.setRunning('921', true);
    // The example declares HF_TOKEN (its gated model): the host's secrets file deploy.sh reads.
    host.writeSecrets('921.env', 'HF_TOKEN=hf_verifyRunTokenNotARealOne0000\n');
    const d = host.run([path.join(DIR, 'deploy.sh')]);
    if (d.status !== 0) throw new Error(`deploy.sh failed: ${describe(d)}`);
  });
  test.after(async () => {
    host?.dispose();
    await ct?.stop();
  });

  test('every check passes: exit 0, one PASS line per check; --json parses with failed 0', () => {
    const r = verify();
    assert.is(r.status, 0, describe(r));
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(
      lines.map((l) => l.slice(0, l.indexOf(':'))),
      CHECKS.map((c) => `PASS ${c}`),
      r.stdout,
    );
    assert.match(r.stdout, /^PASS sampler log line: Using FlashInfer for top-p & top-k sampling\.$/m);
    assert.match(r.stdout, /^PASS completion: 8 completion tokens: ' Paris and/m);
    assert.match(r.stderr, /0 check\(s\) failed/);

    const { run, summary } = verifyJson();
    assert.is(run.status, 0, describe(run));
    assert.is(summary.ctid, '921');
    assert.is(summary.failed, 0);
    assert.is(summary.passed, CHECKS.length);
    assert.equal(
      summary.checks.map((c) => c.name),
      CHECKS,
    );
    // the requests really went to the server the unit started, through the curl stand-in
    assert.ok(run.calls.some((c) => c[0] === 'curl' && c[c.length - 1] === 'http://10.0.0.221:8000/v1/completions'));
  });

  test('one FAIL: the venv reports vllm 0.10.1', () => {
    setVersions({ ...VERSIONS, vllm: '0.10.1' });
    try {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(failedChecks(summary), ['vllm version']);
      assert.is(detail(summary, 'vllm version'), 'expected 0.10.2, got 0.10.1');
    } finally {
      setVersions(VERSIONS);
    }
  });

  test('one FAIL: vLLM did not log the sampler line', () => {
    withServiceEnv({ PHX_STANDIN_NO_SAMPLER_LINE: '1' }, () => {
      const r = verify();
      assert.is(r.status, 1);
      assert.match(r.stdout, /^FAIL sampler log line: sampler on but the journal lacks: Using FlashInfer for top-p & top-k sampling\.$/m);
      assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('FAIL ')).length, 1, r.stdout);
    });
  });

  test('FAIL: the server serves another model name (/v1/models, and the completion for ours is a 404)', () => {
    withServiceEnv({ PHX_STANDIN_SERVED_NAME: 'some-other-model' }, () => {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(failedChecks(summary), ['GET /v1/models', 'completion']);
      assert.match(detail(summary, 'GET /v1/models'), /^does not list llama-3\.2-3b-fp8: .*some-other-model/);
      assert.match(detail(summary, 'completion'), /^no text with token usage: curl: \(22\) The requested URL returned error: 404/);
    });
  });

  test('FAIL: the service is stopped (state, and no API)', () => {
    ct.exec(['systemctl', 'stop', UNIT], { check: true });
    try {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      // (vLLM's lines of its last run stay in the journal, so only the state and the API fail)
      assert.equal(failedChecks(summary), ['service active', 'GET /v1/models', 'completion']);
      assert.is(detail(summary, 'service active'), 'expected active, got inactive');
    } finally {
      restartAndWait();
    }
  });

  test('FAIL: the API does not answer (the server never listens)', () => {
    withServiceEnv({ PHX_STANDIN_NO_LISTEN: '1' }, () => {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(failedChecks(summary), ['GET /v1/models', 'completion']);
      assert.match(
        detail(summary, 'GET /v1/models'),
        /^no answer from http:\/\/10\.0\.0\.221:8000\/v1\/models: curl: \(7\) Failed to connect to 127\.0\.0\.1 port 8000/,
      );
    });
  });

  test('FAIL, not a crash: the container itself is stopped (pct exec fails), --json still reports every check', () => {
    host.setRunning('921', false);
    try {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(
        summary.checks.map((c) => c.name),
        CHECKS,
      );
      assert.equal(failedChecks(summary), CHECKS);
    } finally {
      host.setRunning('921', true);
    }
  });

  test('benchmark.sh: both runs and their ratio (on > off), and the unit left as it was', () => {
    const before = unitState();
    assert.is(before.dropins, '');
    assert.is(before.active, 'active');
    assert.is(before.sampler, '1');
    const r = host.run([path.join(DIR, 'benchmark.sh'), '--requests', '4', '--max-tokens', '32', '--timeout', '60']);
    assert.is(r.status, 0, describe(r));
    assert.match(r.stdout, /^FlashInfer sampler on: +[0-9.]+ tokens\/s$/m);
    assert.match(r.stdout, /^FlashInfer sampler off: [0-9.]+ tokens\/s$/m);
    assert.match(r.stdout, /^ratio on\/off: [0-9.]+ \(the plan expects 1\.20, \+20%\): (met|not met)$/m);
    const json = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    assert.is(json.ctid, '921');
    assert.ok(json.tokens_per_second_on > json.tokens_per_second_off, r.stdout);
    assert.ok(json.ratio > 1, r.stdout);
    assert.is(json.expected_ratio, 1.2);
    // both sampler states really ran: the off run's server had VLLM_USE_FLASHINFER_SAMPLER=0
    assert.ok(
      r.calls.some((c) => c[0] === 'pct' && c[1] === 'push' && c[4] === SAMPLER_DROPIN),
      'the sampler-off drop-in was pushed',
    );
    assert.equal(unitState(), before);
  });

  test.run();
}
