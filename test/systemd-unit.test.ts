/**
 * The vLLM unit, proven in a real systemd (PID 1 of an nspawn container): the argv the service
 * receives equals vllm.argv.json item for item, the environment holds the configured values even
 * with a polluted service manager, dropped names are gone, the drop-in flips the sampler, and
 * `systemd-analyze verify` prints nothing for every generated unit.
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { compile } from '../compiler/compile';
import { RECORDING_PYTHON, realSystemdAvailable, splitNul } from './lib/real-systemd';
import { caseInput, listCases } from './golden/cases';
import { repoRoot } from './lib/paths';

const SUITE = 'real-systemd unit suite';

interface UnitCase {
  name: string;
  unit: string;
  dropin: string;
  argv: string[];
  env: { name: string; value: string }[];
  unset: string[];
  /** Declared secrets: their names, and the file the unit reads them from (EnvironmentFile=). */
  secrets: string[];
  secretsFile: string;
}

/**
 * A distinct canary value per secret name: letters and digits only, so that no printer escapes it
 * out of sight (systemctl show quotes values with special characters).
 */
const canary = (name: string): string => `canary${name.replace(/_/g, '')}Zq7x9`;

/** Every vLLM CTID of the example and of the golden cases named vllm-*. */
function unitCases(): UnitCase[] {
  const inputs: [string, string][] = [['example', fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8')]];
  for (const c of listCases()) if (c.name.startsWith('vllm-')) inputs.push([c.name, caseInput(c).toString('utf8')]);
  const out: UnitCase[] = [];
  for (const [name, text] of inputs) {
    const r = compile({ file: 'input.json', text, source: { file: 'input.json', regenerate: 'x' }, compiler: { name: 'phoenix-compile', version: '0' } });
    if (!r.ok) continue;
    for (const c of r.plan!.containers) {
      if (!c.vllm) continue;
      const file = (p: string) => r.files.find((f) => f.path === `${c.ctid}/${p}`)!.content;
      out.push({
        name: `${name}/${c.ctid}`,
        unit: file('vllm_model_server.service'),
        dropin: file('vllm_model_server.service.d/50-sampler-off.conf'),
        argv: JSON.parse(file('vllm.argv.json')),
        env: c.vllm.service.env,
        unset: c.vllm.service.unset,
        secrets: c.vllm.secrets.names,
        secretsFile: c.vllm.secrets.containerFile,
      });
    }
  }
  return out;
}

/**
 * What the service received: argv and environment as the stand-in recorded them. The container's
 * secrets file is written as deploy.sh writes it (NAME=value lines, mode 0600) with a canary per
 * declared name.
 */
function startAndRecord(ct: Container, unit: string, dropin?: string, c?: UnitCase): { argv: string[]; env: Map<string, string> } {
  ct.exec(['rm', '-rf', '/run/vllm-record.argv', '/run/vllm-record.env', '/etc/systemd/system/vllm_model_server.service.d']);
  if (c?.secrets.length) ct.writeFile(c.secretsFile, c.secrets.map((n) => `${n}=${canary(n)}\n`).join(''), 0o600);
  ct.writeFile('/etc/systemd/system/vllm_model_server.service', unit);
  if (dropin) ct.writeFile('/etc/systemd/system/vllm_model_server.service.d/50-sampler-off.conf', dropin);
  ct.exec(['systemctl', 'daemon-reload'], { check: true });
  // --no-block: the unit's readiness check waits for vLLM's /health, which this stand-in never serves.
  ct.exec(['systemctl', 'restart', '--no-block', 'vllm_model_server.service'], { check: true });
  for (let i = 0; i < 200; i++) {
    if (ct.exec(['test', '-f', '/run/vllm-record.env']).status === 0) break;
    ct.exec(['sleep', '0.05']);
  }
  const argv = splitNul(ct.readFile('/run/vllm-record.argv'));
  const env = new Map(
    splitNul(ct.readFile('/run/vllm-record.env')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
  );
  ct.exec(['systemctl', 'stop', 'vllm_model_server.service']);
  return { argv, env };
}

/** The assertions of this suite, as a list of problems (empty when the unit does what it should). */
function problems(c: UnitCase, got: { argv: string[]; env: Map<string, string> }, sampler: string): string[] {
  const out: string[] = [];
  if (JSON.stringify(got.argv) !== JSON.stringify(c.argv)) out.push(`argv differs:\n  got  ${JSON.stringify(got.argv)}\n  want ${JSON.stringify(c.argv)}`);
  for (const e of c.env) {
    const want = e.name === 'VLLM_USE_FLASHINFER_SAMPLER' ? sampler : e.value;
    if (got.env.get(e.name) !== want) out.push(`${e.name} is ${JSON.stringify(got.env.get(e.name))}, want ${JSON.stringify(want)}`);
  }
  for (const n of c.unset) if (got.env.has(n)) out.push(`${n} should be absent but is ${JSON.stringify(got.env.get(n))}`);
  for (const n of c.secrets) if (got.env.get(n) !== canary(n)) out.push(`secret ${n} is ${JSON.stringify(got.env.get(n))}, want its canary`);
  return out;
}

if (realSystemdAvailable(SUITE)) {
  const cases = unitCases();
  let ct: Container;

  test.before(async () => {
    ct = await Container.boot();
    ct.writeFile('/opt/vllm/bin/python', RECORDING_PYTHON, 0o755);
    // Pollute the service manager's environment: the unit must win regardless.
    ct.exec(
      ['systemctl', 'set-environment', 'CUDA_HOME=/wrong', 'LD_LIBRARY_PATH=/wrong', 'VLLM_USE_FLASHINFER_SAMPLER=0', 'PYTHONPATH=/wrong', 'PYTHONHOME=/wrong'],
      { check: true },
    );
  });
  test.after(async () => {
    await ct?.stop();
  });

  test('there are unit cases: the example and the hostile-value golden cases', () => {
    assert.ok(
      cases.some((c) => c.name === 'example/921'),
      cases.map((c) => c.name).join(', '),
    );
    assert.ok(cases.length >= 2, `only ${cases.length}`);
  });

  for (const c of cases) {
    test(`${c.name}: systemd-analyze verify prints nothing`, () => {
      ct.writeFile('/etc/systemd/system/vllm_model_server.service', c.unit);
      ct.writeFile('/etc/systemd/system/vllm_model_server.service.d/50-sampler-off.conf', c.dropin);
      const r = ct.exec(['systemd-analyze', 'verify', '/etc/systemd/system/vllm_model_server.service']);
      assert.is(r.stdout + r.stderr, '', 'verify output');
      assert.is(r.status, 0);
    });

    test(`${c.name}: the service receives exactly the argv and environment`, () => {
      const got = startAndRecord(ct, c.unit, undefined, c);
      assert.equal(problems(c, got, c.env.find((e) => e.name === 'VLLM_USE_FLASHINFER_SAMPLER')!.value), []);
    });

    test(`${c.name}: the drop-in turns the sampler off`, () => {
      const got = startAndRecord(ct, c.unit, c.dropin, c);
      assert.equal(problems(c, got, '0'), []);
      assert.is(got.env.get('VLLM_USE_FLASHINFER_SAMPLER'), '0');
    });
  }

  /**
   * Starts the unit with its secrets file and lists every place a canary shows up besides the
   * service's environment: the unit file, the argv the service got, its /proc cmdline,
   * `systemctl show` (every property), `systemctl status` and the unit's journal.
   */
  const secretLeaks = (c: UnitCase, unit: string): { env: Map<string, string>; leaks: string[] } => {
    ct.exec(['rm', '-rf', '/run/vllm-record.argv', '/run/vllm-record.env', '/etc/systemd/system/vllm_model_server.service.d']);
    ct.writeFile(c.secretsFile, c.secrets.map((n) => `${n}=${canary(n)}\n`).join(''), 0o600);
    ct.writeFile('/etc/systemd/system/vllm_model_server.service', unit);
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    ct.exec(['journalctl', '--rotate', '--vacuum-time=1s'], {});
    // --no-block: the unit's readiness check waits for vLLM's /health, which this stand-in never serves.
    ct.exec(['systemctl', 'restart', '--no-block', 'vllm_model_server.service'], { check: true });
    for (let i = 0; i < 200 && ct.exec(['test', '-f', '/run/vllm-record.env']).status !== 0; i++) ct.exec(['sleep', '0.05']);
    const env = new Map(
      splitNul(ct.readFile('/run/vllm-record.env')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
    );
    const pid = ct.exec(['systemctl', 'show', '-p', 'MainPID', '--value', 'vllm_model_server.service'], { check: true }).stdout.trim();
    const places: [string, string][] = [
      ['unit file', unit],
      ['argv', ct.readFile('/run/vllm-record.argv').toString('utf8')],
      ['/proc cmdline', ct.exec(['cat', `/proc/${pid}/cmdline`]).stdout],
      ['systemctl show', ct.exec(['systemctl', 'show', 'vllm_model_server.service']).stdout],
      ['systemctl status', ct.exec(['systemctl', 'status', '--no-pager', '-l', 'vllm_model_server.service']).stdout],
      ['journal', ct.exec(['journalctl', '--no-pager', '-u', 'vllm_model_server.service']).stdout],
    ];
    ct.exec(['systemctl', 'stop', 'vllm_model_server.service']);
    const leaks = places.filter(([, text]) => c.secrets.some((n) => text.includes(canary(n)))).map(([where]) => where);
    return { env, leaks };
  };

  for (const c of cases.filter((x) => x.secrets.length)) {
    test(`${c.name}: the service gets ${c.secrets.join(', ')} from EnvironmentFile=; the unit, argv, systemctl show/status and journal never hold them`, () => {
      const { env, leaks } = secretLeaks(c, c.unit);
      for (const n of c.secrets) assert.is(env.get(n), canary(n), n);
      assert.equal(leaks, []);
      const show = ct.exec(['systemctl', 'show', '-p', 'EnvironmentFiles', 'vllm_model_server.service'], { check: true }).stdout;
      assert.is(show, `EnvironmentFiles=${c.secretsFile} (ignore_errors=no)\n`, 'systemctl show prints the path only');
    });
  }

  test('the secrets checks can fail: the same secret in Environment= is in the unit and in systemctl show', () => {
    const c = cases.find((x) => x.name === 'example/921')!;
    assert.equal(c.secrets, ['HF_TOKEN']);
    const inline = c.unit.replace(/^EnvironmentFile=.*$/m, `Environment="HF_TOKEN=${canary('HF_TOKEN')}"`);
    assert.is.not(inline, c.unit);
    const { env, leaks } = secretLeaks(c, inline);
    assert.is(env.get('HF_TOKEN'), canary('HF_TOKEN'));
    assert.equal(leaks, ['unit file', 'systemctl show']);
  });

  test('without its secrets file the unit does not start (EnvironmentFile= without "-"): no silent start without the token', () => {
    const c = cases.find((x) => x.name === 'example/921')!;
    ct.exec(['rm', '-f', c.secretsFile], { check: true });
    ct.writeFile('/etc/systemd/system/vllm_model_server.service', c.unit);
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    const r = ct.exec(['systemctl', 'restart', 'vllm_model_server.service']);
    assert.is(r.status, 1);
    assert.match(r.stderr, /failed because of unavailable resources/);
    assert.is(ct.exec(['systemctl', 'show', '-p', 'Result', '--value', 'vllm_model_server.service']).stdout.trim(), 'resources');
    ct.exec(['systemctl', 'reset-failed', 'vllm_model_server.service']);
  });

  test('the suite can fail: a unit with UnsetEnvironment=CUDA_HOME is caught', () => {
    const c = cases.find((x) => x.name === 'example/921')!;
    const broken = c.unit.replace(/^ExecStart=/m, 'UnsetEnvironment=CUDA_HOME\nExecStart=');
    assert.is.not(broken, c.unit);
    const got = startAndRecord(ct, broken, undefined, c);
    const found = problems(c, got, '1');
    assert.equal(found, ['CUDA_HOME is undefined, want "/usr/local/cuda-12.8"']);
  });

  test('the suite can fail: an argument pasted unquoted is caught', () => {
    const c = cases.find((x) => x.name === 'example/921')!;
    const broken = c.unit.replace(/^ExecStart=(.*)$/m, (_l, rest: string) => `ExecStart=${rest.replace(/"/g, '')} extra`);
    const got = startAndRecord(ct, broken, undefined, c);
    assert.ok(problems(c, got, '1').some((p) => p.startsWith('argv differs')));
  });

  test.run();
}
