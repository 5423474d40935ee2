/**
 * Issue 5 acceptance: the generated scripts of the example's CTID 921 run on a fake Proxmox host
 * (test/harness/bin/pct and pvesm) against one real systemd (a systemd-nspawn container), with
 * stand-ins inside for the venv's python and pip, git, apt-get, dpkg, wget and nvidia-smi
 * (test/harness/standins/ct-standin.py) and for the host's curl (test/harness/net/curl: the
 * container's network is private, see there). See test/lib/fake-host.ts.
 *
 *   - `out/phoenix create 921` from nothing (its clone source 901 holds the snapshot pre-configured,
 *     TEMPLATE_901): the exact host calls and stand-in calls (test/scripts-run/921-create.calls.json),
 *     the service active with vllm.argv.json's argv, the LXC line in 921's current configuration once
 *     (carried by the clone from the snapshot, as Proxmox's clone does);
 *   - create again: no clone, no conf append, no restart, the calls an idempotent subset
 *     (test/scripts-run/921-create-again.calls.json);
 *   - a config that only turns the sampler off: deploy.sh --dry-run prints the diff and changes
 *     nothing; deploy.sh restarts exactly once and the service sees VLLM_USE_FLASHINFER_SAMPLER=0;
 *     deploy.sh with the same bytes restarts nothing;
 *   - the hostile golden case: deploy.sh starts a service whose argv is byte-exact vllm.argv.json.
 *
 * Update the call fixtures (then review `git diff test/scripts-run`):
 *   PHX_UPDATE_CALLS=1 npx uvu dist/test scripts-run
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { realSystemdAvailable, splitNul } from './lib/real-systemd';
import { describe, FakeHost, installStandins, ScriptRun, setInstalled } from './lib/fake-host';
import { expectCallsFixture, isSubsequence, normalizeCalls } from './lib/calls';
import { copyTree, repoRoot, tmpDir } from './lib/paths';
import { runCli } from './lib/cli';

const SUITE = 'real-systemd scripts-run suite';
const UNIT = 'vllm_model_server.service';
const FIXTURES = path.join(repoRoot(), 'test', 'scripts-run');
const HF_TOKEN = 'hf_scriptsRunTokenNotARealOne00000';

/**
 * CTID 901 as its own create.sh leaves it on a Proxmox host: the settings, GPU passthrough and LXC
 * line of the example's 901, then `pct snapshot 901 pre-configured` (the snapshot section is a copy
 * of the current one with snaptime, and the current one names it as parent). Written in the order
 * write_pct_config writes (keys sorted, raw lxc lines last, snapshot sections after a blank line).
 */
const TEMPLATE_901_SETTINGS = [
  'arch: amd64',
  'cores: 2',
  'dev0: /dev/nvidia0',
  'dev1: /dev/nvidia1',
  'dev2: /dev/nvidiactl',
  'dev3: /dev/nvidia-uvm',
  'dev4: /dev/nvidia-uvm-tools',
  'hostname: Template-GPU',
  'memory: 2048',
  'net0: name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=52:54:00:AA:BB:CD,ip=10.0.0.201/24,type=veth',
  'onboot: 0',
  'ostype: ubuntu',
];
const TEMPLATE_901_REST = ['rootfs: quickOS-lxc-disks:subvol-901-disk-0,size=32G', 'startup: order=0,up=0', 'swap: 512'];
const TEMPLATE_901 =
  [...TEMPLATE_901_SETTINGS, 'parent: pre-configured', ...TEMPLATE_901_REST, 'unprivileged: 1', 'lxc.apparmor.profile: unconfined', '', '[pre-configured]']
    .concat([...TEMPLATE_901_SETTINGS, ...TEMPLATE_901_REST, 'snaptime: 1735689600', 'unprivileged: 1', 'lxc.apparmor.profile: unconfined'])
    .join('\n') + '\n';

if (realSystemdAvailable(SUITE)) {
  const OUT = path.join(repoRoot(), 'out');
  let ct: Container;
  let host: FakeHost;
  let firstCalls: string[][] = [];

  const argvRecorded = (): string[] => splitNul(ct.readFile('/run/vllm-record.argv'));
  const envRecorded = (): Map<string, string> =>
    new Map(splitNul(ct.readFile('/run/vllm-record.env')).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]));
  const starts = (): string[] =>
    ct
      .exec(['cat', '/var/lib/phx-standin/starts'])
      .stdout.split('\n')
      .filter((l) => l !== '');
  const serviceState = () => ({
    active: host.unitProp(UNIT, 'ActiveState'),
    invocation: host.unitProp(UNIT, 'InvocationID'),
    mainPid: host.unitProp(UNIT, 'MainPID'),
    nRestarts: host.unitProp(UNIT, 'NRestarts'),
    starts: starts().length,
  });
  const cmds = (r: ScriptRun): string[] => r.calls.map((c) => c.join(' '));
  const count = (r: ScriptRun, re: RegExp): number => cmds(r).filter((c) => re.test(c)).length;
  const unitInCt = (): Buffer => ct.readFile('/etc/systemd/system/vllm_model_server.service');
  /** What the pip stand-in downloaded, built and uninstalled so far. */
  const pipEvents = (): Record<string, string>[] =>
    ct
      .exec(['sh', '-c', 'cat /var/log/phx-standin/pip.jsonl 2>/dev/null || true'])
      .stdout.split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, string>);

  test.before(async () => {
    ct = await Container.boot();
    installStandins(ct);
    host = new FakeHost(ct, { storages: ['quickOS-lxc-disks'] });
    host.define('901', TEMPLATE_901);
    // The example declares HF_TOKEN (its gated model): the host's secrets file deploy.sh reads.
    host.writeSecrets('921.env', `HF_TOKEN=${HF_TOKEN}\n`);
  });
  test.after(async () => {
    host?.dispose();
    await ct?.stop();
  });

  test('phoenix create 921 from nothing: exact calls, service active with the argv, LXC line once', () => {
    const r = host.run([path.join(OUT, 'phoenix'), 'create', '921']);
    assert.is(r.status, 0, describe(r));
    firstCalls = normalizeCalls(r.calls, OUT);
    expectCallsFixture(path.join(FIXTURES, '921-create.calls.json'), { host: firstCalls, container: normalizeCalls(r.ctCalls, OUT) });
    assert.is(host.unitProp(UNIT, 'ActiveState'), 'active');
    assert.is(host.unitProp(UNIT, 'UnitFileState'), 'enabled');
    assert.equal(argvRecorded(), JSON.parse(fs.readFileSync(path.join(OUT, '921', 'vllm.argv.json'), 'utf8')));
    assert.is(envRecorded().get('VLLM_USE_FLASHINFER_SAMPLER'), '1');
    assert.is(envRecorded().get('HF_TOKEN'), HF_TOKEN, 'the server has the token from the host secrets file');
    assert.not.ok(
      r.stdout.includes(HF_TOKEN) || r.stderr.includes(HF_TOKEN) || JSON.stringify(r.calls).includes(HF_TOKEN),
      'the token is never printed nor on a command line',
    );
    assert.ok(ct.readFile('/etc/systemd/system/vllm_model_server.service').equals(fs.readFileSync(path.join(OUT, '921', UNIT))));
    const conf = host.conf('921');
    assert.equal(conf.current.lxc, [['lxc.apparmor.profile', 'unconfined']], 'the LXC line once, in the current configuration');
    assert.equal([Object.keys(conf.snapshots), conf.pending, conf.warnings], [[], {}, []]);
    // verify.sh ran last and passed every check.
    const verdicts = r.stdout.split('\n').filter((l) => /^(PASS|FAIL) /.test(l));
    assert.ok(verdicts.length >= 8 && verdicts.every((l) => l.startsWith('PASS ')), r.stdout);
    assert.is(conf.current.net0, 'name=eth0,bridge=vmbr0,gw=10.0.0.1,hwaddr=52:54:00:AA:BB:D2,ip=10.0.0.221/24,type=veth');
    assert.is(conf.current.rootfs, 'quickOS-lxc-disks:subvol-921-disk-0,size=32G', 'a full clone on the storage');
    assert.is(starts().length, 1, 'the service started once');
    // deploy.sh waited (by the clock, reading the unit's state) while the stand-in "loaded the
    // model" and the unit was activating, so verify.sh found vLLM's start-up lines and the API.
    const raw = r.calls.map((c) => c.join(' '));
    const restartAt = raw.findIndex((c) => /systemctl restart --no-block vllm_model_server\.service$/.test(c));
    assert.ok(restartAt > 0, raw.join('\n'));
    assert.ok(raw.slice(restartAt).filter((c) => /systemctl show -p ActiveState/.test(c)).length >= 2, raw.join('\n'));
    assert.is(count(r, /^curl .*\/health$/), 1, 'one check from the host once the unit is active');
    // the vllm feature built FlashInfer once, and vllm==0.10.2 kept the pinned torch it found
    const pipLog = pipEvents();
    assert.equal(
      pipLog.filter((e) => e.name === 'torch'),
      [{ event: 'download', name: 'torch', version: '2.8.0+cu128', index: 'https://download.pytorch.org/whl/cu128' }],
    );
    assert.equal(
      pipLog.filter((e) => e.event === 'build'),
      [{ event: 'build', name: 'flashinfer-python', version: '0.3.1', path: '/opt/flashinfer' }],
    );
    assert.is(pipLog.filter((e) => e.event === 'uninstall').length, 0, JSON.stringify(pipLog));
  });

  test('the vllm feature run again downloads, builds and replaces nothing', () => {
    const before = pipEvents().length;
    const r = host.run([path.join(OUT, '921', 'features', '02-vllm.sh')]);
    assert.is(r.status, 0, describe(r));
    assert.equal(pipEvents().slice(before), []);
    assert.match(r.stderr, /flashinfer 0\.3\.1 already installed; not rebuilding/);
    assert.match(r.stderr, /vllm 0\.10\.2 with torch 2\.8\.0\+cu128 \(CUDA 12\.8\) installed in \/opt\/vllm/);
    assert.is(r.ctCalls.filter((c) => c[0] === 'git' || c[0] === 'apt-get').length, 0, JSON.stringify(r.ctCalls));
  });

  test('create 921 again: no clone, no conf append, no restart; the calls are the idempotent subset', () => {
    const conf = fs.readFileSync(path.join(host.lxcDir, '921.conf'));
    const before = serviceState();
    const r = host.run([path.join(OUT, 'phoenix'), 'create', '921']);
    assert.is(r.status, 0, describe(r));
    const again = normalizeCalls(r.calls, OUT);
    expectCallsFixture(path.join(FIXTURES, '921-create-again.calls.json'), { host: again, container: normalizeCalls(r.ctCalls, OUT) });
    assert.equal(serviceState(), before);
    assert.ok(fs.readFileSync(path.join(host.lxcDir, '921.conf')).equals(conf), 'conf file unchanged');
    for (const re of [/^pct clone /, /^pct start /, /^pct push /, /systemctl restart /, /^pct status 901$/, /git clone /, /NVIDIA-Linux/, /cuda-keyring/]) {
      assert.is(count(r, re), 0, `${re} in a second run:\n${cmds(r).join('\n')}`);
    }
    // The same calls as the first run, in the same order, with steps left out; the one call the
    // first run lacks is `systemctl start` where it had `systemctl restart` (start is a no-op on an active unit).
    const isStart = (c: string[]) => c.join(' ') === 'pct exec 921 -- systemctl start --no-block vllm_model_server.service';
    assert.is(again.filter(isStart).length, 1);
    assert.ok(
      isSubsequence(
        again.filter((c) => !isStart(c)),
        firstCalls,
      ),
      "the second run makes a subset of the first run's calls, in the same order",
    );
  });

  test("torch_channel nightly: vllm==0.10.2 replaces the nightly with 2.8.0 (PHX032's claim); a re-run downloads nothing", () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'));
    cfg.lxc_configs['921'].vllm_install = { torch_channel: 'nightly' };
    const work = tmpDir('nightly');
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify(cfg, null, 2));
    const c = runCli(['--config', 'config.json', '--out', 'out', '--only', '921'], work);
    assert.is(c.code, 0, c.stderr);
    assert.match(c.stderr, /warning: CTID 921: .*torch_channel nightly installs the newest nightly torch first.*replaces the nightly with 2\.8\.0/);
    const script = path.join(work, 'out', '921', 'features', '02-vllm.sh');
    // a fresh venv (Python 3.12's has pip only) and no FlashInfer checkout
    setInstalled(ct, { pip: '24.0' });
    ct.exec(['rm', '-rf', '/opt/flashinfer'], { check: true });
    const before = pipEvents().length;
    const r = host.run([script]);
    assert.is(r.status, 0, describe(r));
    const torch = pipEvents()
      .slice(before)
      .filter((e) => e.name === 'torch');
    assert.equal(torch, [
      { event: 'download', name: 'torch', version: '2.10.0.dev20251001+cu128', index: 'https://download.pytorch.org/whl/nightly/cu128' },
      { event: 'download', name: 'torch', version: '2.8.0', index: 'https://pypi.org/simple' },
      { event: 'uninstall', name: 'torch', version: '2.10.0.dev20251001+cu128' },
    ]);
    assert.match(r.stderr, /vllm 0\.10\.2 with torch 2\.8\.0 \(CUDA 12\.8\) installed in \/opt\/vllm/);
    const again = pipEvents().length;
    const r2 = host.run([script]);
    assert.is(r2.status, 0, describe(r2));
    assert.equal(pipEvents().slice(again), []);
  });

  test("the old order fails: torch from the PyTorch index brings setuptools 70.2.0, and FlashInfer's build without isolation refuses it", () => {
    setInstalled(ct, { pip: '24.0' });
    const t = ct.exec(['/opt/vllm/bin/pip', 'install', 'torch==2.8.0', '--index-url', 'https://download.pytorch.org/whl/cu128']);
    assert.is(t.status, 0, t.stderr);
    const b = ct.exec(['/opt/vllm/bin/pip', 'install', '--no-build-isolation', '/opt/flashinfer']);
    assert.is(b.status, 1);
    assert.match(b.stderr, /configuration error: `project\.license` must be valid exactly by one definition \(2 matches found\)/);
    assert.match(b.stderr, /metadata-generation-failed \(setuptools 70\.2\.0\)/);
    setInstalled(ct);
  });

  // A config that differs from the example only in vllm_service.flashinfer_sampler=false.
  let samplerOut = '';
  test('sampler off in the config: deploy.sh --dry-run prints the diff and changes nothing', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'));
    const ct921 = cfg.lxc_configs['921'];
    ct921.vllm_service = { ...(ct921.vllm_service ?? {}), flashinfer_sampler: false };
    const work = tmpDir('sampler-off');
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify(cfg, null, 2));
    const c = runCli(['--config', 'config.json', '--out', 'out', '--only', '921'], work);
    assert.is(c.code, 0, c.stderr);
    samplerOut = path.join(work, 'scripts');
    copyTree(path.join(work, 'out'), samplerOut);
    const unitDiff = runCli(['diff', path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), path.join(work, 'config.json')], work);
    assert.match(unitDiff.stdout, /-Environment="VLLM_USE_FLASHINFER_SAMPLER=1"\n\+Environment="VLLM_USE_FLASHINFER_SAMPLER=0"/);

    const unitBefore = unitInCt();
    const before = serviceState();
    const r = host.run([path.join(samplerOut, '921', 'deploy.sh'), '--dry-run']);
    assert.is(r.status, 0, describe(r));
    const printed = r.stdout + r.stderr;
    assert.match(printed, /^-Environment="VLLM_USE_FLASHINFER_SAMPLER=1"$/m);
    assert.match(printed, /^\+Environment="VLLM_USE_FLASHINFER_SAMPLER=0"$/m);
    assert.match(printed, /would install \/etc\/systemd\/system\/vllm_model_server\.service and restart/);
    assert.is(count(r, /^pct push |systemctl (daemon-reload|enable|restart|start)|mkdir|rm /), 0, cmds(r).join('\n'));
    assert.ok(unitInCt().equals(unitBefore));
    assert.equal(serviceState(), before);
  });

  test('sampler off in the config: deploy.sh restarts exactly once; the service sees VLLM_USE_FLASHINFER_SAMPLER=0', () => {
    const before = serviceState();
    const r = host.run([path.join(samplerOut, '921', 'deploy.sh')]);
    assert.is(r.status, 0, describe(r));
    const after = serviceState();
    assert.is(count(r, /systemctl restart --no-block vllm_model_server\.service$/), 1);
    assert.is(count(r, /^pct push 921 \S+\/921\/vllm_model_server\.service \/etc\/systemd\/system\/vllm_model_server\.service --perms 0644$/), 1);
    assert.is.not(after.invocation, before.invocation);
    assert.is(after.starts, before.starts + 1, 'one new process start');
    assert.is(after.nRestarts, before.nRestarts, 'no automatic restart (crash)');
    assert.is(after.active, 'active');
    assert.ok(unitInCt().equals(fs.readFileSync(path.join(samplerOut, '921', UNIT))));
    assert.is(envRecorded().get('VLLM_USE_FLASHINFER_SAMPLER'), '0');
    // and its verify.sh expects (and finds) vLLM's sampler-off line
    const v = host.run([path.join(samplerOut, '921', 'verify.sh')]);
    assert.is(v.status, 0, describe(v));
    assert.match(v.stdout, /^PASS sampler log line: sampler off and vLLM says: FlashInfer is available, but it is not enabled\.$/m);
  });

  test('deploy.sh with the same bytes restarts nothing', () => {
    const before = serviceState();
    const r = host.run([path.join(samplerOut, '921', 'deploy.sh')]);
    assert.is(r.status, 0, describe(r));
    assert.is(count(r, /systemctl restart|^pct push /), 0, cmds(r).join('\n'));
    assert.match(r.stderr, /unit unchanged; not restarting/);
    assert.equal(serviceState(), before);
  });

  test('the hostile golden case: deploy.sh starts the service with exactly its vllm.argv.json', () => {
    const dir = path.join(tmpDir('hostile'), 'out');
    copyTree(path.join(repoRoot(), 'test', 'golden', 'vllm-hostile-values', 'expected'), dir);
    host.writeSecrets('921.env', `HF_TOKEN=${HF_TOKEN}\nVLLM_API_KEY=;\n`);
    const before = serviceState();
    const r = host.run([path.join(dir, '921', 'deploy.sh')]);
    assert.is(r.status, 0, describe(r));
    assert.is(serviceState().starts, before.starts + 1);
    const want: string[] = JSON.parse(fs.readFileSync(path.join(dir, '921', 'vllm.argv.json'), 'utf8'));
    const got = ct.readFile('/run/vllm-record.argv');
    assert.ok(
      got.equals(Buffer.from(want.map((a) => a + '\0').join(''), 'utf8')),
      `argv differs:\n got  ${JSON.stringify(splitNul(got))}\n want ${JSON.stringify(want)}`,
    );
    assert.is(ct.exec(['test', '-e', '/tmp/pwned']).status, 1, 'nothing in the argv was run by a shell');
    // its verify.sh passes too: the served name "100%", and the API key ";" from the container's
    // secrets file, sent as a bearer token on curl's stdin (the stand-in server answers 401 without it)
    assert.is(envRecorded().get('VLLM_API_KEY'), ';');
    const v = host.run([path.join(dir, '921', 'verify.sh'), '--json']);
    assert.is(v.status, 0, describe(v));
    assert.is(JSON.parse(v.stdout).failed, 0, v.stdout);
    const curls = v.calls.filter((c) => c[0] === 'curl');
    assert.ok(curls.length >= 2 && curls.every((c) => c.includes('@-') && !c.some((a) => a.includes('Bearer'))), JSON.stringify(curls));
    // and its benchmark.sh: the client gets the key (OPENAI_API_KEY, on stdin, never on a command
    // line: the server answers 401 without it), the hostile --model and --tokenizer, and the
    // server's Hugging Face cache (HF_HOME with $, % and spaces)
    const b = host.run([path.join(dir, '921', 'benchmark.sh'), '--rounds', '1', '--num-prompts', '2', '--warmup-prompts', '1'], { timeoutMs: 300000 });
    assert.is(b.status, 0, describe(b));
    assert.match(b.stdout, /^ratio on\/off: /m);
    const client = b.ctCalls.filter((c) => c[0] === 'vllm');
    assert.is(client.length, 4);
    assert.ok(client.every((c) => c.includes('hostile/model name \'single\' "double"') && c.includes('$(touch /tmp/pwned)')));
    assert.ok(
      [...b.calls, ...b.ctCalls].every((c) => !c.some((a) => a.includes('OPENAI_API_KEY=;') || a.includes('Bearer ;'))),
      'the key is on no command line',
    );
    assert.is(ct.exec(['test', '-e', '/tmp/pwned']).status, 1, 'nothing was run by a shell');
  });

  test.run();
}
