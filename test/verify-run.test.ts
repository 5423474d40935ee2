/**
 * out/921/verify.sh and benchmark.sh against a real systemd (one systemd-nspawn container) whose
 * vllm_model_server.service, installed by out/921/deploy.sh, runs the stand-in OpenAI-compatible
 * server of test/harness/standins/ct-standin.py instead of vLLM (see there: vLLM 0.10.2's own log
 * lines for the engine, the attention backend, the sampler, the FP8 KV cache and quantization; the
 * V0 fallback of vLLM's oracle; a port that listens only after loading; the sampling path each
 * request takes, and its cost), and whose venv has the stand-in `vllm bench serve` client.
 *
 * The host's curl: the container has a private network (--private-network), so the host cannot
 * reach 10.0.0.221 the way a Proxmox host reaches its bridge. test/harness/net/curl, first on the
 * scripts' PATH, finds the CTID that owns the address (its pct config), gives the container that
 * address and runs the real curl inside it through `pct exec`, URL unchanged: a server bound to
 * 0.0.0.0 answers there, one bound to 127.0.0.1 refuses, as from a real host.
 *
 * Asserted: the all-PASS run (text and --json); exactly the expected FAIL lines for a wrong vLLM
 * version, no nvcc, a missing sampler line, a V0 fallback, a wrong served model name, the service
 * stopped, a server still loading, and a stopped container; a loopback host is probed from inside
 * the container (and the host-side probe really fails against it); benchmark.sh: every timed
 * request samples with temperature, top_p and top_k on the FlashInfer path (on) or PyTorch's
 * (off), warm-up requests are never timed, the rounds alternate on and off each on a fresh start,
 * the figures are vLLM bench serve's own, and the unit is restored as found (sampler on, or off).
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { realSystemdAvailable, splitNul } from './lib/real-systemd';
import { describe, FakeHost, INSTALLED_VENV, installStandins, ScriptRun, setInstalled } from './lib/fake-host';
import { repoRoot, tmpDir } from './lib/paths';
import { runCli } from './lib/cli';

const SUITE = 'real-systemd verify-run suite';
const UNIT = 'vllm_model_server.service';
const TEST_DROPIN = '/etc/systemd/system/vllm_model_server.service.d/90-test.conf';
const SAMPLER_DROPIN = '/etc/systemd/system/vllm_model_server.service.d/50-sampler-off.conf';
const CHECKS = [
  'vllm version',
  'torch CUDA',
  'flashinfer version',
  'nvcc for FlashInfer',
  'service active',
  'service enabled',
  'unit file bytes',
  'secrets file',
  'V1 engine',
  'attention backend',
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

/** One request as the stand-in server logged it. */
interface Served {
  invocation: string;
  seq: number;
  request_id: string | null;
  temperature: number | null;
  top_p: number | null;
  top_k: number | null;
  seed: unknown;
  max_tokens: number;
  ignore_eos: boolean | null;
  stream: boolean;
  path: string;
  sampler: string;
  time: number;
}

if (realSystemdAvailable(SUITE)) {
  const DIR = path.join(repoRoot(), 'out', '921');
  let ct: Container;
  let host: FakeHost;

  const verify = (...args: string[]): ScriptRun => host.run([path.join(DIR, 'verify.sh'), ...args]);
  const verifyJson = (dir = DIR): { run: ScriptRun; summary: Summary } => {
    const run = host.run([path.join(dir, 'verify.sh'), '--json']);
    return { run, summary: JSON.parse(run.stdout) as Summary };
  };
  const failedChecks = (s: Summary): string[] => s.checks.filter((c) => c.status !== 'PASS').map((c) => c.name);
  const detail = (s: Summary, name: string): string => s.checks.find((c) => c.name === name)?.detail ?? '';

  /** Restarts the unit without waiting for its readiness check, then until the stand-in is up (active) or said it will not listen. */
  const restartAndWait = (): void => {
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    const before = host.unitProp(UNIT, 'InvocationID');
    ct.exec(['systemctl', 'restart', '--no-block', UNIT], { check: true });
    for (let i = 0; i < 300; i++) {
      const id = host.unitProp(UNIT, 'InvocationID');
      if (id !== before && id !== '') {
        if (host.unitProp(UNIT, 'ActiveState') === 'active') return;
        const j = ct.exec(['journalctl', '--no-pager', '-o', 'cat', `_SYSTEMD_INVOCATION_ID=${id}`]).stdout;
        if (/not listening/.test(j)) return;
      }
      ct.exec(['sleep', '0.1']);
    }
    throw new Error(`the stand-in server did not start:\n${ct.exec(['journalctl', '-u', UNIT, '-n', '30', '--no-pager']).stdout}`);
  };
  /** Runs fn with a test drop-in (extra environment, or raw [Service] lines), then removes it and restarts. */
  const withService = (env: Record<string, string>, fn: () => void, lines: string[] = []): void => {
    ct.writeFile(
      TEST_DROPIN,
      `[Service]\n${Object.entries(env)
        .map(([k, v]) => `Environment="${k}=${v}"\n`)
        .join('')}${lines.map((l) => l + '\n').join('')}`,
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
  const served = (): Served[] =>
    ct
      .exec(['sh', '-c', 'cat /var/log/phx-standin/requests.jsonl 2>/dev/null || true'])
      .stdout.split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Served);

  test.before(async () => {
    ct = await Container.boot();
    installStandins(ct);
    setInstalled(ct);
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
    assert.match(r.stdout, /^PASS nvcc for FlashInfer: \/usr\/local\/cuda-12\.8\/bin\/nvcc \(CUDA 12\.8\)$/m);
    assert.match(r.stdout, /^PASS V1 engine: Initializing a V1 LLM engine$/m);
    assert.match(r.stdout, /^PASS attention backend: Using FlashInfer backend on V1 engine\.$/m);
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
    // the requests really went to the server the unit started, from the host, through the curl stand-in
    assert.ok(run.calls.some((c) => c[0] === 'curl' && c[c.length - 1] === 'http://10.0.0.221:8000/v1/completions'));
  });

  test('one FAIL: the venv reports vllm 0.10.1', () => {
    setInstalled(ct, { ...INSTALLED_VENV, vllm: '0.10.1' });
    try {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(failedChecks(summary), ['vllm version']);
      assert.is(detail(summary, 'vllm version'), 'expected 0.10.2, got 0.10.1');
    } finally {
      setInstalled(ct);
    }
  });

  test('one FAIL: no nvcc in the container (FlashInfer could not compile its kernels)', () => {
    ct.exec(['rm', '/usr/local/cuda-12.8/bin/nvcc'], { check: true });
    try {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(failedChecks(summary), ['nvcc for FlashInfer']);
      assert.is(
        detail(summary, 'nvcc for FlashInfer'),
        "/usr/local/cuda-12.8/bin/nvcc does not run: FlashInfer compiles its kernels just in time at vLLM's first start and needs it (the nvidia feature installs the CUDA toolkit)",
      );
    } finally {
      setInstalled(ct);
    }
  });

  test('one FAIL: vLLM did not log the sampler line', () => {
    withService({ PHX_STANDIN_NO_SAMPLER_LINE: '1' }, () => {
      const r = verify();
      assert.is(r.status, 1);
      assert.match(r.stdout, /^FAIL sampler log line: sampler on but the journal lacks: Using FlashInfer for top-p & top-k sampling\.$/m);
      assert.equal(r.stdout.split('\n').filter((l) => l.startsWith('FAIL ')).length, 1, r.stdout);
    });
  });

  test('FAIL: a V0 fallback (the FP8 KV cache without VLLM_ATTENTION_BACKEND on 12.0): the engine, the backend and the sampler line', () => {
    withService(
      {},
      () => {
        const { run, summary } = verifyJson();
        assert.is(run.status, 1);
        assert.equal(failedChecks(summary), ['V1 engine', 'attention backend', 'sampler log line']);
        assert.match(
          detail(summary, 'V1 engine'),
          /^vLLM fell back to the V0 engine: --kv-cache-dtype is not supported by the V1 Engine\. Falling back to V0\.\s*$/,
        );
        assert.is(detail(summary, 'attention backend'), 'VLLM_ATTENTION_BACKEND=FLASHINFER but the journal lacks: Using FlashInfer backend on V1 engine.');
        // quantization=fp8 is in V0's config line too: that check alone could not tell
        assert.match(detail(summary, 'fp8 quantization'), /^quantization=fp8$/);
      },
      ['UnsetEnvironment=VLLM_ATTENTION_BACKEND'],
    );
  });

  test('FAIL: the server serves another model name (/v1/models, and the completion for ours is a 404)', () => {
    withService({ PHX_STANDIN_SERVED_NAME: 'some-other-model' }, () => {
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

  test('FAIL: vLLM never answers on /health: the unit stays activating, and the API does not answer', () => {
    withService({ PHX_STANDIN_NO_LISTEN: '1' }, () => {
      const { run, summary } = verifyJson();
      assert.is(run.status, 1);
      assert.equal(failedChecks(summary), ['service active', 'GET /v1/models', 'completion']);
      assert.is(detail(summary, 'service active'), 'activating: vLLM has not answered on /health yet (still loading the model?)');
      assert.match(
        detail(summary, 'GET /v1/models'),
        /^no answer from http:\/\/10\.0\.0\.221:8000\/v1\/models: curl: \(7\) Failed to connect to 10\.0\.0\.221 port 8000/,
      );
      // --wait waits by the clock for a unit that is still starting, then reports the same: 3 s
      // at least, whatever the phase of the wall clock's second (bash's SECONDS, which counts whole
      // wall-clock seconds, made this 2.1 s once)
      const t0 = Date.now();
      const w = verify('--wait', '3');
      const waited = Date.now() - t0;
      assert.ok(waited >= 3000, `waited ${waited} ms`);
      assert.match(w.stdout, /^FAIL service active: activating: /m);
      // deploy.sh --timeout 3 waits for this start (the unit's bytes are unchanged: no restart)
      // for 3 s at least, then fails with the journal
      const t1 = Date.now();
      const d = host.run([path.join(DIR, 'deploy.sh'), '--timeout', '3']);
      const took = Date.now() - t1;
      assert.is(d.status, 1, describe(d));
      assert.ok(took >= 3000, `deploy.sh gave up after ${took} ms`);
      assert.match(d.stderr, /unit unchanged; not restarting/);
      assert.match(d.stderr, /vllm_model_server\.service is still not ready after 3 seconds \(activating\/start-post\)/);
      assert.match(d.stderr, /ERROR: vllm_model_server\.service is not active/);
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

  test('host 127.0.0.1: deploy.sh and verify.sh ask from inside the container; from the host it would be refused', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'));
    cfg.lxc_configs['921'].vllm_engine_config.ServerConfig.host = '127.0.0.1';
    const work = tmpDir('loopback');
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify(cfg, null, 2));
    const c = runCli(['--config', 'config.json', '--out', 'out', '--only', '921'], work);
    assert.is(c.code, 0, c.stderr);
    const dir = path.join(work, 'out', '921');
    try {
      const d = host.run([path.join(dir, 'deploy.sh')]);
      assert.is(d.status, 0, describe(d));
      assert.match(d.stderr, /is active: vLLM answers on http:\/\/127\.0\.0\.1:8000\/health inside the container/);
      assert.is(d.calls.filter((x) => x[0] === 'curl').length, 0, 'no curl from the host');
      const { run, summary } = verifyJson(dir);
      assert.is(run.status, 0, describe(run));
      assert.is(summary.failed, 0, run.stdout);
      assert.is(run.calls.filter((x) => x[0] === 'curl').length, 0, 'no curl from the host');
      assert.ok(run.calls.some((x) => x.join(' ').startsWith('pct exec 921 -- curl') && x[x.length - 1] === 'http://127.0.0.1:8000/v1/completions'));
      // the example's verify.sh asks from the host, at 10.0.0.221: refused by a server on 127.0.0.1
      const { summary: fromHost } = verifyJson();
      assert.match(
        detail(fromHost, 'GET /v1/models'),
        /^no answer from http:\/\/10\.0\.0\.221:8000\/v1\/models: curl: \(7\) Failed to connect to 10\.0\.0\.221 port 8000/,
      );
    } finally {
      const back = host.run([path.join(DIR, 'deploy.sh')]);
      assert.is(back.status, 0, describe(back));
    }
  });

  /** Rounds as benchmark.sh printed them: [round, state, tokens/s]. */
  const printedRounds = (stdout: string): [number, string, number][] =>
    [...stdout.matchAll(/^round (\d+) (on|off): ([0-9.]+) tokens\/s$/gm)].map((m) => [Number(m[1]), m[2], Number(m[3])]);

  test('benchmark.sh: sampler-exercising timed requests, untimed warm-ups, alternating rounds on fresh starts, the unit restored', () => {
    const before = unitState();
    assert.is(before.dropins, '');
    assert.is(before.active, 'active');
    assert.is(before.sampler, '1');
    ct.exec(['rm', '-f', '/var/log/phx-standin/requests.jsonl'], { check: true });
    const results = tmpDir('bench-results');
    const r = host.run(
      [path.join(DIR, 'benchmark.sh'), '--rounds', '2', '--num-prompts', '6', '--max-concurrency', '3', '--warmup-prompts', '3', '--result-dir', results],
      {
        timeoutMs: 300000,
      },
    );
    assert.is(r.status, 0, describe(r));

    // The rounds alternate on, off, on, off; the figures are vLLM bench serve's own output_throughput.
    const rounds = printedRounds(r.stdout);
    assert.equal(
      rounds.map(([n, s]) => `${n} ${s}`),
      ['1 on', '1 off', '2 on', '2 off'],
    );
    for (const [n, state, tps] of rounds) {
      const file = JSON.parse(fs.readFileSync(path.join(results, `round-${n}-${state}.json`), 'utf8'));
      // vllm bench serve's result keys, in its order (vllm/benchmarks/serve.py:1172-1203, 630-647, 662-699)
      assert.equal(Object.keys(file).slice(0, 18), [
        'date',
        'endpoint_type',
        'label',
        'model_id',
        'tokenizer_id',
        'num_prompts',
        'request_rate',
        'burstiness',
        'max_concurrency',
        'duration',
        'completed',
        'total_input_tokens',
        'total_output_tokens',
        'request_throughput',
        'request_goodput',
        'output_throughput',
        'total_token_throughput',
        'input_lens',
      ]);
      assert.is(file.completed, 6);
      assert.is(file.num_prompts, 6);
      assert.is(file.max_concurrency, 3);
      assert.is(file.request_rate, 'inf');
      assert.is(file.total_output_tokens, 6 * 256);
      assert.is(Math.abs(file.output_throughput - tps) < 0.0001, true, `${tps} vs ${file.output_throughput}`);
    }
    const json = JSON.parse(r.stdout.trim().split('\n').pop() ?? '');
    assert.is(json.ctid, '921');
    assert.is(json.rounds, 2);
    assert.equal(
      json.rounds_on,
      rounds.filter((x) => x[1] === 'on').map((x) => x[2]),
    );
    assert.ok(json.tokens_per_second_on > json.tokens_per_second_off, r.stdout);
    assert.ok(json.ratio > 1.2 && json.met === true && json.separated === true, r.stdout);
    assert.match(r.stdout, /^FlashInfer sampler on:  median [0-9.]+ tokens\/s over 2 rounds \(min [0-9.]+, max [0-9.]+, spread [0-9.]+% of the median\)$/m);
    assert.match(r.stdout, /^ratio on\/off: [0-9.]+ \(the plan expects 1\.20, \+20%\): met$/m);

    // What the server received.
    const reqs = served();
    const timed = reqs.filter((q) => q.request_id?.startsWith('phx-bench-'));
    const warm = reqs.filter((q) => !q.request_id?.startsWith('phx-bench-'));
    assert.is(timed.length, 4 * 6);
    for (const q of timed) {
      const state = /^phx-bench-r\d+-(on|off)-\d+$/.exec(q.request_id ?? '')?.[1];
      assert.ok(state, q.request_id ?? '');
      // vLLM's top-p/top-k sampler runs: temperature >= 1e-5, top_p < 1, top_k > 0, no per-request seed
      assert.ok(q.temperature !== null && q.temperature >= 1e-5, JSON.stringify(q));
      assert.ok(q.top_p !== null && q.top_p < 1, JSON.stringify(q));
      assert.ok(q.top_k !== null && q.top_k > 0, JSON.stringify(q));
      assert.is(q.seed, null);
      assert.is(q.stream, true);
      assert.is(q.ignore_eos, true);
      assert.is(q.max_tokens, 256);
      assert.is(q.sampler, state);
      assert.is(q.path, state === 'on' ? 'flashinfer' : 'native');
      // never one of the first requests a fresh server is slow with: the warm-up took those
      assert.ok(q.seq > 3, `timed request ${q.request_id} was request ${q.seq} of its server`);
    }
    // Warm-ups: the client's readiness request (no id) and the warm-up run, before the timed ones of the same server.
    assert.ok(warm.length >= 4 * 4, `${warm.length} warm-up requests`);
    assert.ok(warm.every((q) => q.request_id === null || /^phx-warmup-r\d+-(on|off)-\d+$/.test(q.request_id)));
    // Each round on its own start of the service, in the order on, off, on, off.
    const invocations: string[] = [];
    for (const q of [...timed].sort((a, b) => a.time - b.time)) if (!invocations.includes(q.invocation)) invocations.push(q.invocation);
    assert.is(invocations.length, 4);
    assert.equal(
      invocations.map((id) => timed.find((q) => q.invocation === id)!.sampler),
      ['on', 'off', 'on', 'off'],
    );
    for (const id of invocations) {
      const first = Math.min(...timed.filter((q) => q.invocation === id).map((q) => q.time));
      assert.ok(
        warm.filter((q) => q.invocation === id && q.request_id?.startsWith('phx-warmup-')).every((q) => q.time < first),
        'warm-up before timing',
      );
    }
    // The client ran inside the container, from the venv, with the sampling flags.
    const bench = r.ctCalls.filter((c) => c[0] === 'vllm');
    assert.is(bench.length, 8);
    for (const c of bench) {
      const s = c.join(' ');
      assert.match(s, /^vllm bench serve --endpoint-type openai --base-url http:\/\/127\.0\.0\.1:8000 --endpoint \/v1\/completions /);
      assert.match(s, / --temperature 0\.8 --top-p 0\.95 --top-k 50 /);
      assert.match(s, / --max-concurrency 3 /);
    }
    assert.ok(
      r.calls.some((c) => c[0] === 'pct' && c[1] === 'push' && c[4] === SAMPLER_DROPIN),
      'the sampler-off drop-in was pushed',
    );
    assert.equal(unitState(), before);
  });

  test('benchmark.sh started with the sampler off: restores it off', () => {
    const off = host.run([path.join(DIR, 'deploy.sh'), '--sampler-off']);
    assert.is(off.status, 0, describe(off));
    const before = unitState();
    assert.is(before.sampler, '0');
    assert.is(before.dropins, '50-sampler-off.conf\n');
    const r = host.run([path.join(DIR, 'benchmark.sh'), '--rounds', '1', '--num-prompts', '3', '--max-concurrency', '3', '--warmup-prompts', '3'], {
      timeoutMs: 300000,
    });
    assert.is(r.status, 0, describe(r));
    assert.equal(
      printedRounds(r.stdout).map(([n, s]) => `${n} ${s}`),
      ['1 on', '1 off'],
    );
    assert.equal(unitState().dropins, before.dropins);
    assert.is(unitState().sampler, '0');
    const on = host.run([path.join(DIR, 'deploy.sh'), '--sampler-on']);
    assert.is(on.status, 0, describe(on));
  });

  test("benchmark.sh: a client without the server's Hugging Face cache fails the round; the state is restored", () => {
    withService({ HF_HOME: '/srv/hf' }, () => {
      // the server now caches under /srv/hf; what earlier starts put in root's default cache goes
      ct.exec(['rm', '-rf', '/root/.cache/huggingface'], { check: true });
      const before = unitState();
      const r = host.run([path.join(DIR, 'benchmark.sh'), '--rounds', '1', '--num-prompts', '3', '--warmup-prompts', '3'], { timeoutMs: 300000 });
      assert.is(r.status, 1);
      assert.match(r.stderr, /OSError: We couldn't connect to 'https:\/\/huggingface\.co' to load the files/);
      assert.match(r.stderr, /ERROR: the warm-up run failed \(round 1, sampler on\)/);
      assert.equal(unitState().dropins, before.dropins);
    });
  });

  test('the stand-in models the greedy short-circuit: without --temperature vllm bench serve sends temperature 0, and no sampler runs', () => {
    ct.exec(['rm', '-f', '/var/log/phx-standin/requests.jsonl'], { check: true });
    const r = ct.exec(
      [
        'env',
        '-i',
        'HOME=/root',
        'HF_HUB_OFFLINE=1',
        '/opt/vllm/bin/vllm',
        'bench',
        'serve',
        '--base-url',
        'http://127.0.0.1:8000',
        '--model',
        'meta-llama/Llama-3.2-3B-Instruct',
        '--served-model-name',
        'llama-3.2-3b-fp8',
        '--num-prompts',
        '3',
        '--random-input-len',
        '8',
        '--random-output-len',
        '4',
        '--top-p',
        '0.9',
      ],
      { timeoutMs: 60000 },
    );
    assert.is(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Successful requests: +3 *$/m);
    const reqs = served();
    assert.is(reqs.length, 4, 'the readiness request and 3 timed');
    for (const q of reqs) {
      assert.is(q.temperature, 0);
      assert.is(q.path, 'greedy');
    }
  });

  test.run();
}
