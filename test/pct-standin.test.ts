/**
 * The stand-in `pct` (test/harness/bin/pct) and its parser (test/harness/pve/pve_lxc_conf.py, read
 * through test/lib/pve-conf.ts) keep Proxmox's own rules for /etc/pve/lxc/<CTID>.conf. Each case
 * names the Proxmox code it checks (github:proxmox/pve-container 94f5585 unless said otherwise;
 * the project's notes proxmox-facts.md have the details). Needs no container: only `pct exec` and
 * `pct push` do.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FakeHost } from './lib/fake-host';
import { parsePctConfig } from './lib/pve-conf';
import { repoRoot } from './lib/paths';

const NOW = { PHX_FAKE_NOW: '1735689600' };
let host: FakeHost;

const ok = (args: string[], env: Record<string, string> = NOW): string => {
  const r = host.pct(args, env);
  assert.is(r.status, 0, `pct ${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
};
/** A refused command: exit 255 (a die in pct) and exactly `message` on stderr. */
const refused = (args: string[], message: string): void => {
  const r = host.pct(args, NOW);
  assert.is(r.status, 255, `pct ${args.join(' ')} should fail; stdout ${r.stdout}`);
  assert.is(r.stderr, `${message}\n`);
};
const file = (ctid: string): string => fs.readFileSync(host.confPath(ctid), 'utf8');
const append = (ctid: string, line: string): void => fs.appendFileSync(host.confPath(ctid), `${line}\n`);
const create900 = (): void => {
  ok([
    'create',
    '900',
    '/var/lib/vz/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst',
    '--hostname',
    'base',
    '--storage',
    'tank',
    '--rootfs',
    'tank:32',
    '--memory',
    '2048',
    '--cores',
    '2',
  ]);
};

test.before.each(() => {
  host = new FakeHost(undefined, { storages: ['tank'] });
});
test.after.each(() => host.dispose());

test('create writes the current section only, keys sorted, defaults of create_vm (API2/LXC.pm:272,527,602-604)', () => {
  create900();
  assert.is(
    file('900'),
    [
      'arch: amd64',
      'cores: 2',
      'hostname: base',
      'memory: 2048',
      'ostype: ubuntu',
      'rootfs: tank:subvol-900-disk-0,size=32G',
      'swap: 512',
      'unprivileged: 1',
      '',
    ].join('\n'),
  );
  refused(['create', '900', 'x.tar.zst'], "CT 900 already exists on node 'fake'");
  refused(['create', '901', 'x.tar.zst', '--rootfs', 'nowhere:8'], "storage 'nowhere' does not exist");
  refused(['clone', '900', '902', '--storage', 'nowhere'], "storage 'nowhere' does not exist");
  refused(['config', '999'], "Configuration file 'nodes/fake/lxc/999.conf' does not exist");
});

test('snapshot copies the current section into [NAME] with snaptime and sets parent (AbstractConfig.pm:691-705,776,807)', () => {
  create900();
  append('900', 'lxc.apparmor.profile: unconfined');
  ok(['snapshot', '900', 'gpu', '--description', 'after the driver']);
  const c = host.conf('900');
  assert.is(c.current.parent, 'gpu');
  const { parent, ...rest } = c.current;
  assert.is(parent, 'gpu');
  // the description comes back from its # line with a newline, as parse_pct_config reads it (Config.pm:1174-1177)
  assert.equal(c.snapshots.gpu, { ...rest, snaptime: '1735689600', description: 'after the driver\n' });
  assert.equal(c.snapshots.gpu!.lxc, [['lxc.apparmor.profile', 'unconfined']]);
  // written as write_pct_config does: a blank line, the header, description as a # line first
  assert.match(file('900'), /\nlxc\.apparmor\.profile: unconfined\n\n\[gpu\]\n#after the driver\narch: amd64\n/);
  refused(['snapshot', '900', 'gpu'], "snapshot name 'gpu' already used");
  refused(['snapshot', '900', 'current'], "unable to use snapshot name 'current' (reserved name)");
  refused(['snapshot', '900', 'a'], "400 Parameter verification failed.\nsnapname: invalid configuration ID 'a'");
});

test('set after a snapshot changes the current section only; config prints the current section only', () => {
  create900();
  ok(['snapshot', '900', 'gpu']);
  const before = host.conf('900').snapshots.gpu;
  ok(['set', '900', '--memory', '4096', '--cores', '4']);
  const c = host.conf('900');
  assert.equal([c.current.memory, c.current.cores], ['4096', '4']);
  assert.equal(c.snapshots.gpu, before, 'the snapshot section is untouched');
  const shown = ok(['config', '900']);
  assert.match(shown, /^memory: 4096$/m);
  assert.not.match(shown, /snaptime|^memory: 2048$|\[gpu\]/m);
  assert.match(shown, /^parent: gpu$/m);
  const snap = ok(['config', '900', '--snapshot', 'gpu']);
  assert.match(snap, /^memory: 2048$/m);
  assert.match(snap, /^snaptime: 1735689600$/m);
  refused(['config', '900', '--snapshot', 'nope'], "snapshot 'nope' does not exist");
});

test('a raw lxc line appended after a [snap] section belongs to that snapshot (parse_pct_config, Config.pm:1160-1171)', () => {
  create900();
  ok(['snapshot', '900', 'gpu']);
  append('900', "lxc.hook.pre-start: sh -c '[ ! -f /dev/nvidia-uvm ] && /usr/bin/nvidia-modprobe -c0 -u'");
  const c = host.conf('900');
  assert.is(c.current.lxc, undefined, 'the current configuration never gets it');
  assert.equal(c.snapshots.gpu!.lxc, [['lxc.hook.pre-start', "sh -c '[ ! -f /dev/nvidia-uvm ] && /usr/bin/nvidia-modprobe -c0 -u'"]]);
  assert.not.match(ok(['config', '900']), /lxc\.hook/);
  // a clone from the snapshot copies the snapshot's keys, raw lines included (API2/LXC.pm:2061,2119-2122)
  ok(['clone', '900', '921', '--snapname', 'gpu', '--hostname', 'vllm']);
  const clone = host.conf('921');
  assert.equal(clone.current.lxc, c.snapshots.gpu!.lxc);
  assert.equal([clone.current.hostname, clone.current.parent, clone.current.snaptime, Object.keys(clone.snapshots)], ['vllm', undefined, undefined, []]);
  assert.is(clone.current.rootfs, 'tank:subvol-921-disk-0,size=32G');
  // a line in [pve:pending] is the pending section's, and pct config does not apply raw lines from it
  append('921', '\n[PVE:pending]\nlxc.mount.auto: sys:rw');
  assert.equal(host.conf('921').pending.lxc, [['lxc.mount.auto', 'sys:rw']]);
  assert.not.match(ok(['config', '921']), /lxc\.mount\.auto/);
});

test('clone copies the current section without --snapname, and refuses a snapshot the source lacks (API2/LXC.pm:2058-2061)', () => {
  create900();
  ok(['set', '900', '--net0', 'name=eth0,bridge=vmbr0,ip=10.0.0.5/24']);
  ok(['snapshot', '900', 'gpu']);
  ok(['set', '900', '--memory', '8192']);
  refused(['clone', '900', '921', '--snapname', 'nope'], "snapshot 'nope' does not exist");
  assert.not.ok(fs.existsSync(host.confPath('921')), 'nothing written for the new CTID');
  ok(['clone', '900', '921']);
  const c = host.conf('921').current;
  assert.is(c.memory, '8192');
  assert.match(String(c.net0), /^name=eth0,bridge=vmbr0,hwaddr=BC:24:11:[0-9A-F:]{8},ip=10\.0\.0\.5\/24,type=veth$/, 'a new MAC');
  refused(['clone', '900', '921'], "CT 921 already exists on node 'fake'");
});

test('a bind or device mount point refuses snapshot and clone (AbstractConfig.pm:753-756, API2/LXC.pm:2107-2110)', () => {
  create900();
  ok(['snapshot', '900', 'clean']);
  ok(['set', '900', '--mp0', '/mnt/shared/models,mp=/models']);
  assert.is(host.conf('900').current.mp0, '/mnt/shared/models,mp=/models');
  refused(['snapshot', '900', 'gpu'], 'snapshot feature is not available');
  refused(['clone', '900', '921'], "unable to clone mountpoint 'mp0' (type bind)");
  // the older snapshot has no bind mount point, so a clone from it works
  ok(['clone', '900', '921', '--snapname', 'clean']);
  ok(['set', '900', '--delete', 'mp0', '--mp1', '/dev/sdb1,mp=/disk']);
  refused(['clone', '900', '922'], "unable to clone mountpoint 'mp1' (type device)");
  // a storage volume mount point is fine: allocated, snapshotted, cloned
  ok(['set', '900', '--delete', 'mp1', '--mp0', 'tank:50,mp=/vllm_models']);
  assert.is(host.conf('900').current.mp0, 'tank:subvol-900-disk-1,mp=/vllm_models,size=50G');
  ok(['snapshot', '900', 'gpu']);
  ok(['clone', '900', '922', '--snapname', 'gpu']);
  assert.is(host.conf('922').current.mp0, 'tank:subvol-922-disk-1,mp=/vllm_models,size=50G');
});

test('template and linked clone (API2/LXC.pm:1860,2048-2056; pve-storage ZFSPoolPlugin.pm:749,764)', () => {
  create900();
  ok(['snapshot', '900', 's1']);
  refused(['template', '900'], 'unable to create template, because CT contains snapshots');
  ok(['delsnapshot', '900', 's1']);
  assert.is(host.conf('900').current.parent, undefined);
  ok(['template', '900']);
  assert.is(host.conf('900').current.rootfs, 'tank:basevol-900-disk-0,size=32G');
  refused(['snapshot', '900', 's2'], "you can't take a snapshot if it's a template");
  refused(['start', '900'], "you can't start a CT if it's a template");
  refused(['clone', '900', '921', '--storage', 'tank'], "parameter 'storage' not allowed for linked clones");
  ok(['clone', '900', '921']);
  const c = host.conf('921').current;
  assert.equal([c.rootfs, c.template], ['tank:basevol-900-disk-0/subvol-921-disk-0,size=32G', undefined]);
  ok(['clone', '900', '922', '--full', '--storage', 'tank']);
  assert.is(host.conf('922').current.rootfs, 'tank:subvol-922-disk-0,size=32G');
});

test('set on a running CT: hot-pluggable keys applied, the rest kept in [pve:pending] until start (Config.pm:1612-1747, LXC.pm:3128-3131)', () => {
  create900();
  ok(['start', '900']);
  refused(['start', '900'], 'CT 900 already running');
  ok(['set', '900', '--memory', '4096', '--onboot', '1', '--ostype', 'debian', '--dev0', '/dev/nvidia0']);
  let c = host.conf('900');
  assert.equal([c.current.memory, c.current.onboot, c.current.dev0, c.current.ostype], ['4096', '1', '/dev/nvidia0', 'ubuntu']);
  assert.equal(c.pending, { ostype: 'debian' });
  assert.match(file('900'), /\n\n\[pve:pending\]\nostype: debian\n$/);
  assert.match(ok(['config', '900']), /^ostype: debian$/m);
  assert.match(ok(['config', '900', '--current', '1']), /^ostype: ubuntu$/m);
  // the same value again changes nothing (cleanup_pending), a different device stays pending
  ok(['set', '900', '--dev0', '/dev/nvidia0', '--dev1', '/dev/nvidia1']);
  ok(['set', '900', '--dev0', '/dev/nvidia2']);
  c = host.conf('900');
  assert.equal([c.current.dev0, c.current.dev1, c.pending.dev0], ['/dev/nvidia0', '/dev/nvidia1', '/dev/nvidia2']);
  ok(['stop', '900']);
  ok(['start', '900']);
  c = host.conf('900');
  assert.equal([c.current.ostype, c.current.dev0, c.pending], ['debian', '/dev/nvidia2', {}]);
});

test('set: --delete, read-only and required options, value checks (Config.pm:1315-1386, JSONSchema.pm:905-927)', () => {
  create900();
  ok(['set', '900', '--startup', 'order=2,up=5,down=5', '--cores', '4']);
  ok(['set', '900', '--delete', 'cores']);
  assert.is(host.conf('900').current.cores, undefined);
  const r = host.pct(['set', '900', '--delete', 'tags']);
  assert.equal([r.status, r.stderr], [0, "cannot delete 'tags' - not set in current configuration!\n"]);
  refused(['set', '900', '--delete', 'memory'], "unable to delete required option 'memory'");
  refused(['set', '900', '--delete', 'nope'], "400 Parameter verification failed.\ndelete: unknown option 'nope'");
  refused(['set', '900', '--unprivileged', '0'], "unable to modify read-only option: 'unprivileged'");
  refused(['set', '900', '--startup', 'first'], '400 Parameter verification failed.\nstartup: unable to parse startup options');
  refused(['set', '900', '--memory', 'lots'], "400 Parameter verification failed.\nmemory: type check ('integer') failed - got 'lots'");
  refused(['set', '900', '--dev0', '/tmp/nvidia0'], '400 Parameter verification failed.\ndev0: /tmp/nvidia0 is not a valid device path');
  refused(['set', '900'], 'no options specified');
  assert.is(host.conf('900').current.startup, 'order=2,up=5,down=5');
});

test('Proxmox rewrites raw lines as "key: value" when it writes the file (write_pct_config, Config.pm:1275-1281)', () => {
  create900();
  append('900', 'lxc.apparmor.profile=unconfined');
  append('900', 'lxc.mount.auto:sys:rw');
  ok(['set', '900', '--cores', '3']);
  assert.match(file('900'), /\nlxc\.apparmor\.profile: unconfined\nlxc\.mount\.auto: sys:rw\n$/);
  assert.not.match(file('900'), /lxc\.apparmor\.profile=unconfined/);
});

test('listsnapshot prints the tree of print_snapshot_tree (pve-guest-common GuestHelpers.pm:137-190)', () => {
  create900();
  ok(['snapshot', '900', 'base'], { PHX_FAKE_NOW: '1735689600' });
  ok(['snapshot', '900', 'gpu', '--description', 'line one\nline two'], { PHX_FAKE_NOW: '1735693200' });
  const out = host.pct(['listsnapshot', '900'], { TZ: 'UTC' }).stdout;
  assert.is(
    out,
    [
      '`-> base                        2025-01-01 00:00:00     no-description',
      ' `-> gpu                        2025-01-01 01:00:00     line one',
      '  `-> current                                           You are here!',
      '',
    ].join('\n'),
  );
  assert.is(host.conf('900').snapshots.gpu!.parent, 'base');
  ok(['delsnapshot', '900', 'base']);
  const c = host.conf('900');
  assert.equal([Object.keys(c.snapshots), c.snapshots.gpu!.parent, c.current.parent], [['gpu'], undefined, 'gpu']);
});

test('parser: section headers, raw key grammar and validity, as parse_pct_config and is_valid_lxc_conf_key (Config.pm:725-850,1156-1217)', () => {
  const c = parsePctConfig(
    [
      '#first line',
      '#100%25 sure',
      'memory: 512',
      'onboot: yes',
      'lxc.apparmor.profile=unconfined',
      'lxc.cap.keep = sys_admin',
      'lxc.hook.pre-start:/bin/true',
      'lxc.cgroup.devices.allow: c 195:* rwm',
      'lxc.cgroup2.devices.allow: c 195:* rwm',
      'lxc.rootfs.path: /x',
      'lxc.Apparmor.profile: x',
      'lxc.mount.entry : /a b none bind 0 0',
      'lxc.environment.runtime: A=1',
      'lxc.environment.runtime: B=2',
      'delete: cores',
      'frobnicate: 1',
      '[a]',
      '',
      '[Snap-1]',
      'memory: 256',
      'lxc.idmap: u 0 100000 65536',
      '[pve:pending]',
      'delete: swap',
    ].join('\n'),
    '901',
  );
  assert.is(c.current.description, 'first line\n100% sure\n');
  assert.equal([c.current.memory, c.current.onboot, c.current.env, c.current.frobnicate], ['512', '1', 'A=1\0B=2', '1']);
  assert.equal(c.current.lxc, [
    ['lxc.apparmor.profile', 'unconfined'],
    ['lxc.cap.keep', 'sys_admin'],
    ['lxc.hook.pre-start', '/bin/true'],
    ['lxc.cgroup.devices.allow', 'c 195:* rwm'],
    ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
  ]);
  assert.equal(Object.keys(c.snapshots), ['Snap-1']);
  assert.equal(c.snapshots['Snap-1'], { memory: '256', lxc: [['lxc.idmap', 'u 0 100000 65536']] });
  assert.equal(c.pending, { delete: 'swap' });
  assert.equal(c.warnings, [
    'vm 901 - lxc.cgroup.devices.allow is deprecated, this will be a hard error in the future!',
    'vm 901 - lxc.rootfs.path: lxc.rootfs.path is auto generated from rootfs',
    'vm 901 - unable to parse config: lxc.Apparmor.profile: x',
    'vm 901 - unable to parse config: lxc.mount.entry : /a b none bind 0 0',
    "vm 901 - property 'delete' is only allowed in [pve:pending]",
    "vm 901 - unable to parse value of 'frobnicate' - unknown setting 'frobnicate'",
    'vm 901 - unable to parse config: [a]',
  ]);
});

test('pct prints what Proxmox warns while reading the file on stderr', () => {
  create900();
  append('900', 'lxc.cgroup.devices.allow: c 195:* rwm');
  const r = host.pct(['status', '900']);
  assert.equal(
    [r.status, r.stdout, r.stderr],
    [0, 'status: stopped\n', 'vm 900 - lxc.cgroup.devices.allow is deprecated, this will be a hard error in the future!\n'],
  );
});

test('VMs and containers share IDs; qm status, start and stop (pve-cluster Cluster.pm:785-797; qemu-server CLI/qm.pm:300-335)', () => {
  host.defineVm('1002');
  refused(['create', '1002', 'x.tar.zst', '--rootfs', 'tank:8'], "VM 1002 already exists on node 'fake'");
  create900();
  refused(['clone', '900', '1002'], "VM 1002 already exists on node 'fake'");
  const qm = (args: string[]) => spawnSync(path.join(repoRoot(), 'test', 'harness', 'bin', 'qm'), args, { env: host.env(), encoding: 'utf8' });
  let r: { status: number | null; stdout: string; stderr: string } = qm(['status', '1002']);
  assert.equal([r.status, r.stdout, r.stderr], [0, 'status: stopped\n', '']);
  assert.equal([qm(['stop', '1002']).status, qm(['stop', '1002']).stderr], [255, 'VM 1002 not running\n']);
  assert.is(qm(['start', '1002']).status, 0);
  assert.equal([qm(['status', '1002']).stdout, host.isRunning('1002')], ['status: running\n', true]);
  assert.equal([qm(['start', '1002']).status, qm(['start', '1002']).stderr], [255, 'VM 1002 already running\n']);
  r = qm(['status', '900']);
  assert.equal([r.status, r.stderr], [255, "Configuration file 'nodes/fake/qemu-server/900.conf' does not exist\n"]);
  r = host.pct(['status', '1002']);
  assert.equal([r.status, r.stderr], [255, "Configuration file 'nodes/fake/lxc/1002.conf' does not exist\n"]);
});

test('a command that changes the configuration waits for the lock another holds (lock_config: flock on /run/lock/lxc/pve-config-<CTID>.lock)', () => {
  create900();
  const lock = path.join(host.fsRoot, 'run', 'lock', 'lxc', 'pve-config-900.lock');
  // hold the lock for 1.5 s in another process, as pct set or create.sh would
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const holder = spawn('flock', ['-x', lock, 'sleep', '1.5'], { stdio: 'ignore' });
  // until the holder has it (a file that exists is not yet a lock that is held)
  while (spawnSync('flock', ['-n', lock, 'true']).status === 0) spawnSync('sleep', ['0.05']);
  const t0 = Date.now();
  const r = host.pct(['set', '900', '--cores', '3']);
  const waited = Date.now() - t0;
  holder.kill();
  assert.equal([r.status, r.stderr], [0, 'trying to acquire lock...\n OK\n']);
  assert.ok(waited >= 1200, `waited ${waited} ms`);
  assert.is(host.conf('900').current.cores, '3');
  // reading needs no lock
  const held = spawn('flock', ['-x', lock, 'sleep', '3'], { stdio: 'ignore' });
  while (spawnSync('flock', ['-n', lock, 'true']).status === 0) spawnSync('sleep', ['0.05']);
  const t1 = Date.now();
  assert.match(ok(['config', '900']), /^cores: 3$/m);
  assert.ok(Date.now() - t1 < 1000);
  held.kill();
});

test.run();
