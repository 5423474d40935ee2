/**
 * Issue 16 acceptance against the real systemd of the test harness (systemd 252, one
 * systemd-nspawn container) and the stand-in Proxmox host (test/lib/fake-host.ts):
 *
 *  - What the secrets file format rests on, measured: systemd's EnvironmentFile= reads a plain value
 *    (compiler/vllm/secrets.ts plainSecretValue) byte for byte, for values fast-check makes; it
 *    changes the values the format refuses (backslash, leading quote, white space at the ends);
 *    and it writes an `export NAME=value` line, value included, to the journal.
 *  - create.sh of a server with secrets stops in its prerequisites when a secret is missing (deploy.sh
 *    --check-secrets), before it defines or changes anything.
 *  - deploy.sh of a server declaring HF_TOKEN and VLLM_API_KEY: with a secret missing on the host it
 *    fails before any pct call, naming the secret and both files it looked in; it refuses an export
 *    line, a file others can read and a value systemd would change, never printing the value; with
 *    the files in place the service has both secrets in its environment, the container's file is
 *    0600 root with exactly the declared names, and no value is in deploy.sh's output, any command
 *    line it ran, the unit or `systemctl show`; the file is pushed again (and the unit restarted
 *    once) only when its bytes, mode or owner change; verify.sh and benchmark.sh read the API key in
 *    the container and pass (the stand-in server answers 401 without it), never putting it on a
 *    command line; a wrong key in the container fails verify.sh's API checks.
 *  - deploy.sh of a server without secrets removes a secrets file left in the container.
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { Container } from './harness/container';
import { realSystemdAvailable, splitNul } from './lib/real-systemd';
import { describe, FakeHost, installStandins, ScriptRun, setInstalled } from './lib/fake-host';
import { runCli } from './lib/cli';
import { readTree, repoRoot, tmpDir } from './lib/paths';
import { plainSecretValue } from '../compiler/vllm/secrets';

const SUITE = 'real-systemd secrets suite';
const UNIT = 'vllm_model_server.service';
const CT_FILE = '/etc/vllm/secrets.env';
const HF = 'hf_CanaryDeployHfToken0000000000001';
const KEY = 'CanaryDeployApiKey-2/+=';

if (realSystemdAvailable(SUITE)) {
  let ct: Container;
  let host: FakeHost;
  let out = '';
  let plainOut = '';
  const work = tmpDir('secrets-run');

  const envRecorded = (): Map<string, string> =>
    new Map(splitNul(ct.readFile('/run/vllm-record.env')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
  const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const deploy = (dir = out, ...args: string[]): ScriptRun => host.run([path.join(dir, '921', 'deploy.sh'), ...args]);
  const cmds = (r: ScriptRun): string[] => r.calls.map((c) => c.join(' '));
  const starts = (): number =>
    ct
      .exec(['cat', '/var/lib/phx-standin/starts'])
      .stdout.split('\n')
      .filter((l) => l !== '').length;
  /** No canary in what a run printed or in any command line it ran (host and container stand-ins). */
  const noLeak = (r: ScriptRun, values: string[] = [HF, KEY]): void => {
    const seen = [r.stdout, r.stderr, JSON.stringify(r.calls), JSON.stringify(r.ctCalls)].join('\n');
    for (const v of values) assert.not.ok(seen.includes(v), `${v} leaked:\n${describe(r)}\n${JSON.stringify(r.calls)}`);
  };

  /** Compiles the example with `secrets` for 921 into work/<name>/out. */
  const compileWith = (name: string, secrets: string[] | undefined): string => {
    const cfg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'));
    if (secrets) cfg.lxc_configs['921'].secrets = secrets;
    else delete cfg.lxc_configs['921'].secrets;
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg, null, 2));
    const r = runCli(['--config', 'config.json', '--out', 'out', '--only', '921'], dir);
    assert.is(r.code, 0, r.stderr);
    return path.join(dir, 'out');
  };

  test.before(async () => {
    ct = await Container.boot();
    installStandins(ct);
    setInstalled(ct);
    host = new FakeHost(ct, { storages: ['quickOS-lxc-disks'] });
    host.define('921', 'net0: name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=52:54:00:AA:BB:D2,ip=10.0.0.221/24,type=veth\n');
    host.setRunning('921', true);
    out = compileWith('both', ['VLLM_API_KEY', 'HF_TOKEN']);
    plainOut = compileWith('none', undefined);
  });
  test.after(async () => {
    host?.dispose();
    await ct?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  // ------------------------------------------------------------------------------------------
  // What the format rests on (systemd 252, measured)

  /** Starts a oneshot unit reading `file` with EnvironmentFile= and returns the environment it got. */
  const environmentFrom = (text: string | Buffer): Map<string, string> => {
    ct.writeFile('/etc/phx-test/env', text, 0o600);
    ct.writeFile(
      '/etc/systemd/system/phx-env.service',
      '[Service]\nType=oneshot\nEnvironmentFile=/etc/phx-test/env\nExecStart=/bin/sh -c "env -0 >/run/phx-env"\n',
    );
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    ct.exec(['systemctl', 'start', 'phx-env.service'], { check: true });
    return new Map(splitNul(ct.readFile('/run/phx-env')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
  };

  test('EnvironmentFile= reads every plain value literally (fast-check, seeded: 600 values)', () => {
    const printable = fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n));
    const values = fc
      .sample(
        fc.array(printable, { minLength: 1, maxLength: 24 }).map((a) => a.join('')),
        { seed: 1616, numRuns: 3000 },
      )
      .filter(plainSecretValue)
      .slice(0, 600);
    assert.is(values.length, 600);
    const got = environmentFrom(values.map((v, i) => `V${i}=${v}\n`).join(''));
    const differ = values.filter((v, i) => got.get(`V${i}`) !== v);
    assert.equal(differ, []);
  });

  test('EnvironmentFile= changes the values the format refuses, and journals an export line with its value', () => {
    const got = environmentFrom('A=back\\slash\nB="quoted"\nC=\'single\'\nD=trail  \nE=  lead\nexport F=CanaryExportedValue\n');
    assert.equal(
      ['A', 'B', 'C', 'D', 'E', 'F'].map((n) => got.get(n)),
      ['backslash', 'quoted', 'single', 'trail', 'lead', undefined],
    );
    for (const v of ['A=back\\slash', 'B="quoted"', "C='single'", 'D=trail  ', 'E=  lead']) assert.not.ok(plainSecretValue(v.slice(2)), v);
    const journal = ct.exec(['journalctl', '--no-pager', '-u', 'phx-env.service']).stdout;
    assert.match(journal, /Ignoring invalid environment assignment 'export F=CanaryExportedValue': \/etc\/phx-test\/env/);
  });

  // ------------------------------------------------------------------------------------------
  // deploy.sh

  test('create.sh stops in its prerequisites when a secret is missing, before it defines or changes anything', () => {
    const r = host.run([path.join(out, '921', 'create.sh')]);
    assert.is(r.status, 1, describe(r));
    assert.match(r.stderr, /ERROR: missing secret HF_TOKEN VLLM_API_KEY: set in neither /);
    assert.equal(cmds(r), ['pvesm status --storage quickOS-lxc-disks']);
  });

  test('a declared secret missing on the host: exit 1 before any pct call, naming it and both files', () => {
    const r = deploy();
    assert.is(r.status, 1, describe(r));
    assert.equal(r.calls, [], 'no pct call at all');
    const dir = re(host.secrets);
    assert.match(
      r.stderr,
      new RegExp(
        `ERROR: missing secret HF_TOKEN VLLM_API_KEY: set in neither ${dir}/921\\.env \\(absent\\) nor ${dir}/shared\\.env \\(absent\\); add a line NAME=value`,
      ),
    );
    host.writeSecrets('921.env', `# the token of the gated model\nHF_TOKEN=${HF}\n`);
    const r2 = deploy();
    assert.is(r2.status, 1);
    assert.equal(r2.calls, []);
    assert.match(r2.stderr, new RegExp(`ERROR: missing secret VLLM_API_KEY: set in neither ${dir}/921\\.env nor ${dir}/shared\\.env \\(absent\\)`));
    noLeak(r2);
    assert.is(ct.exec(['test', '-e', `/etc/systemd/system/${UNIT}`]).status, 1, 'no unit installed');
  });

  test('an export line, a file others can read, a value systemd would change: refused, the value never shown', () => {
    const cases: [string, number, RegExp][] = [
      [`export VLLM_API_KEY=${KEY}\n`, 0o600, /shared\.env:1: an 'export' line; systemd ignores it and writes the whole line, value included, to the journal/],
      [`VLLM_API_KEY=${KEY}\n`, 0o644, /shared\.env is mode 644, readable by others: chmod 600 /],
      [`VLLM_API_KEY=${KEY}\\x\n`, 0o600, /shared\.env:1: the value of VLLM_API_KEY must be printable ASCII without a backslash/],
      [`VLLM_API_KEY= ${KEY}\n`, 0o600, /shared\.env:1: the value of VLLM_API_KEY must be printable ASCII/],
      [`VLLM_API_KEY=\n`, 0o600, /shared\.env:1: VLLM_API_KEY is empty \(an empty VLLM_API_KEY turns vLLM's authentication off/],
      [`VLLM_API_KEY=${KEY}\nVLLM_API_KEY=${KEY}\n`, 0o600, /shared\.env:2: VLLM_API_KEY is set again \(first on line 1\)/],
      [`${KEY}\n`, 0o600, /shared\.env:1: not a NAME=value line \(the line is not shown\)/],
    ];
    for (const [text, mode, message] of cases) {
      host.writeSecrets('shared.env', text, mode);
      const r = deploy();
      assert.is(r.status, 1, describe(r));
      assert.match(r.stderr, message);
      assert.equal(r.calls, []);
      noLeak(r);
    }
  });

  test('the files in place: the service has both secrets; 0600 root file with exactly the declared names; no value printed or on a command line', () => {
    host.writeSecrets('shared.env', `UNRELATED=x\nVLLM_API_KEY=${KEY}\nHF_TOKEN=hf_SharedIsOnlyAFallback\n`);
    const r = deploy();
    assert.is(r.status, 0, describe(r));
    assert.match(r.stderr, new RegExp(`secret HF_TOKEN from ${re(host.secrets)}/921\\.env:2\\n`));
    assert.match(r.stderr, new RegExp(`secret VLLM_API_KEY from ${re(host.secrets)}/shared\\.env:2\\n`));
    const env = envRecorded();
    assert.is(env.get('HF_TOKEN'), HF);
    assert.is(env.get('VLLM_API_KEY'), KEY);
    assert.is(env.has('UNRELATED'), false, 'only the declared names');
    assert.is(ct.readFile(CT_FILE).toString('utf8'), `HF_TOKEN=${HF}\nVLLM_API_KEY=${KEY}\n`);
    assert.is(ct.exec(['stat', '-c', '%a %u %g', CT_FILE]).stdout.trim(), '600 0 0');
    assert.equal(
      cmds(r).filter((c) => c.includes('secrets.env') && c.startsWith('pct push')),
      [`pct push 921 ${r.calls.find((c) => c[1] === 'push' && c[4] === CT_FILE)![3]} ${CT_FILE} --perms 0600 --user 0 --group 0`],
    );
    noLeak(r);
    const show = ct.exec(['systemctl', 'show', UNIT]).stdout + ct.exec(['systemctl', 'status', '--no-pager', UNIT]).stdout;
    assert.not.ok(show.includes(HF) || show.includes(KEY), 'systemctl show/status');
    for (const [f, { data }] of readTree(out)) assert.not.ok(data.includes(HF) || data.includes(KEY), f);
    // the temporary file is gone
    const pushed = r.calls.find((c) => c[1] === 'push' && c[4] === CT_FILE)![3];
    assert.not.ok(fs.existsSync(pushed), `${pushed} left behind`);
  });

  test('the same bytes again: no push, no restart; --dry-run after a change says so and changes nothing', () => {
    const before = starts();
    const r = deploy();
    assert.is(r.status, 0, describe(r));
    assert.is(cmds(r).filter((c) => /^pct push|systemctl restart/.test(c)).length, 0, cmds(r).join('\n'));
    assert.match(r.stderr, /unit unchanged; not restarting/);
    assert.is(starts(), before);

    host.writeSecrets('921.env', `HF_TOKEN=${HF}x\n`);
    const dry = deploy(out, '--dry-run');
    assert.is(dry.status, 0, describe(dry));
    assert.match(dry.stderr, /would replace \/etc\/vllm\/secrets\.env \(its bytes, mode or owner differ; values are not shown\) and restart/);
    assert.is(cmds(dry).filter((c) => /^pct push|systemctl (restart|start|daemon-reload)|mkdir/.test(c)).length, 0);
    noLeak(dry, [HF, KEY, `${HF}x`]);
    assert.is(envRecorded().get('HF_TOKEN'), HF);
  });

  test('a changed value: pushed once, the unit restarted once, the service has the new value', () => {
    const before = starts();
    const r = deploy();
    assert.is(r.status, 0, describe(r));
    assert.is(cmds(r).filter((c) => c.startsWith('pct push')).length, 1, cmds(r).join('\n'));
    assert.is(cmds(r).filter((c) => c.endsWith(`systemctl restart --no-block ${UNIT}`)).length, 1);
    assert.is(starts(), before + 1);
    assert.is(envRecorded().get('HF_TOKEN'), `${HF}x`);
    noLeak(r, [`${HF}x`, KEY]);
    host.writeSecrets('921.env', `HF_TOKEN=${HF}\n`);
    assert.is(deploy().status, 0);
  });

  test("the container's file loosened (0644, another owner): pushed again as 0600 root", () => {
    ct.exec(['chmod', '644', CT_FILE], { check: true });
    ct.exec(['chown', '65534:65534', CT_FILE], { check: true });
    const r = deploy();
    assert.is(r.status, 0, describe(r));
    assert.is(cmds(r).filter((c) => c.startsWith(`pct push 921`) && c.includes(CT_FILE)).length, 1);
    assert.is(ct.exec(['stat', '-c', '%a %u %g', CT_FILE]).stdout.trim(), '600 0 0');
  });

  test('verify.sh and benchmark.sh read the API key in the container and send it on stdin; a wrong key fails the API checks', () => {
    const v = host.run([path.join(out, '921', 'verify.sh'), '--json']);
    assert.is(v.status, 0, describe(v));
    const summary = JSON.parse(v.stdout) as { failed: number; checks: { name: string; status: string; detail: string }[] };
    assert.is(summary.failed, 0, v.stdout);
    assert.equal(
      summary.checks.find((c) => c.name === 'secrets file'),
      { name: 'secrets file', status: 'PASS', detail: '600:0:0 HF_TOKEN,VLLM_API_KEY' },
    );
    const curls = v.calls.filter((c) => c[0] === 'curl');
    assert.ok(curls.length === 2 && curls.every((c) => c.includes('@-')), JSON.stringify(curls));
    noLeak(v);

    const b = host.run([path.join(out, '921', 'benchmark.sh'), '--rounds', '1', '--num-prompts', '2', '--warmup-prompts', '1'], { timeoutMs: 300000 });
    assert.is(b.status, 0, describe(b));
    assert.match(b.stdout, /^ratio on\/off: /m);
    noLeak(b);

    ct.writeFile(CT_FILE, `HF_TOKEN=${HF}\nVLLM_API_KEY=wrong\n`, 0o600);
    const bad = host.run([path.join(out, '921', 'verify.sh'), '--json']);
    assert.is(bad.status, 1);
    const failed = (JSON.parse(bad.stdout) as typeof summary).checks.filter((c) => c.status !== 'PASS');
    assert.equal(
      failed.map((c) => c.name),
      ['GET /v1/models', 'completion'],
    );
    assert.match(failed[0].detail, /401/);
    assert.is(deploy().status, 0, 'deploy.sh puts the right file back');
  });

  test("a server without secrets: deploy.sh removes a secrets file left in the container (a clone carries its template's)", () => {
    assert.is(ct.exec(['test', '-f', CT_FILE]).status, 0);
    const dry = deploy(plainOut, '--dry-run');
    assert.match(dry.stderr, /would remove \/etc\/vllm\/secrets\.env \(no secrets declared\)/);
    assert.is(ct.exec(['test', '-f', CT_FILE]).status, 0, 'a dry run keeps it');
    const r = deploy(plainOut);
    assert.is(r.status, 0, describe(r));
    assert.match(r.stderr, /no secrets declared: removing \/etc\/vllm\/secrets\.env/);
    assert.is(ct.exec(['test', '-e', CT_FILE]).status, 1);
    const env = envRecorded();
    assert.is(env.has('HF_TOKEN') || env.has('VLLM_API_KEY'), false);
    const again = deploy(plainOut);
    assert.is(cmds(again).filter((c) => c.includes('rm -f /etc/vllm')).length, 0);
  });

  test.run();
}
