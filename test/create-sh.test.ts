/**
 * The generated create.sh against the stand-in Proxmox host (test/harness/bin/pct, qm, pvesm),
 * where no command has to run inside a container: --help, --dry-run (prints every command that
 * would change the host and runs none), the refusal when a dependency does not run (also through
 * `phoenix create`), and the checks before a shared volume is mounted. The runs that go through
 * start and the features are in create-run.test.ts (real systemd).
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Call, describe, FakeHost, ScriptRun } from './lib/fake-host';
import { ct, compileFleet, Compiled, STORAGE } from './lib/proxmox-fleet';

let host: FakeHost;
test.before.each(() => {
  host = new FakeHost(undefined, { storages: [STORAGE] });
});
test.after.each(() => host.dispose());

/** The calls that only read the host. */
const READ_ONLY = (c: Call): boolean =>
  (c[0] === 'pct' && ['status', 'config', 'listsnapshot'].includes(c[1]!)) || (c[0] === 'qm' && c[1] === 'status') || (c[0] === 'pvesm' && c[1] === 'status');
const changing = (r: ScriptRun): string[] => r.calls.filter((c) => !READ_ONLY(c)).map((c) => c.join(' '));
const confFiles = (): string[] => fs.readdirSync(host.lxcDir).sort();

const SNAPSHOTTED = [
  'arch: amd64',
  'cores: 1',
  'hostname: ct-905',
  'lxc.apparmor.profile=unconfined',
  'memory: 1024',
  'ostype: ubuntu',
  'parent: gpu',
  `rootfs: ${STORAGE}:subvol-905-disk-0,size=8G`,
  'swap: 512',
  'unprivileged: 1',
  '',
  '[gpu]',
  'arch: amd64',
  'cores: 1',
  'hostname: ct-905',
  'memory: 1024',
  'ostype: ubuntu',
  `rootfs: ${STORAGE}:subvol-905-disk-0,size=8G`,
  'snaptime: 1735689600',
  'swap: 512',
  'unprivileged: 1',
  'lxc.apparmor.profile: unconfined',
  'lxc.cgroup2.devices.allow: c 195:* rwm',
  '',
].join('\n');

function fleet(): Compiled {
  return compileFleet(
    'create-sh',
    {
      '801': ct('801', { zfs_volumes: [{ name: 'vllm_models', pool: STORAGE, size_gb: 50, mount_point: '/vllm_models' }] }),
      '802': ct('802', { zfs_volumes: [{ name: 'vllm_models', pool: STORAGE, size_gb: 50, mount_point: '/models' }] }),
      '903': ct('903'),
      '905': ct('905', { lxc_options: ['lxc.apparmor.profile=unconfined', 'lxc.cgroup2.devices.allow: c 195:* rwm'] }),
      '950': ct('950', { dependencies: ['1002', '903'] }),
    },
    { external_guests: ['1002'] },
  );
}

test('--help prints what create.sh does and its usage; an unknown argument is exit 2', () => {
  const out = fleet();
  const h = host.run([out.createSh('905'), '--help']);
  assert.is(h.status, 0, describe(h));
  assert.match(h.stdout, /^# create\.sh: creates CTID 905 \(ct-905\) on the Proxmox host; safe to run again\.$/m);
  assert.match(h.stdout, /^# Usage: create\.sh \[--dry-run\] \[--help\]$/m);
  assert.match(h.stdout, /--dry-run reads the host/);
  assert.equal(h.calls, []);
  const bad = host.run([out.createSh('905'), '--dryrun']);
  assert.is(bad.status, 2);
  assert.is(bad.stderr, 'unknown argument: --dryrun\n');
  assert.equal(bad.calls, []);
});

test('--dry-run on a host without the container: every changing command printed, none run', () => {
  const out = fleet();
  const r = host.run([out.createSh('905'), '--dry-run']);
  assert.is(r.status, 0, describe(r));
  assert.equal(changing(r), [], 'only read-only calls');
  assert.equal(confFiles(), [], 'no configuration written');
  const would = r.stdout.split('\n').filter((l) => l.startsWith('would '));
  assert.equal(would, [
    `would run: pct create 905 ${'/var/lib/vz/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst'} --hostname ct-905 --storage tank --rootfs tank:8 --memory 1024 --cores 1 --unprivileged 1`,
    'would run: pct set 905 --memory 1024 --cores 1 --onboot 0 --net0 name=eth0,bridge=vmbr0,ip=10.0.1.155/24,gw=10.0.1.254',
    `would add to the current configuration of ${host.lxcDir}/905.conf (when the new container lacks them):`,
    'would run: pct start 905',
  ]);
  assert.match(r.stdout, /^ {2}lxc\.apparmor\.profile: unconfined\n {2}lxc\.cgroup2\.devices\.allow: c 195:\* rwm$/m);
  assert.match(r.stderr, /dry run: nothing was changed/);
});

test('--dry-run on an existing container: a line only its snapshot holds would be added; key=value in the current section counts', () => {
  const out = fleet();
  host.define('905', SNAPSHOTTED);
  const before = fs.readFileSync(host.confPath('905'));
  const r = host.run([out.createSh('905'), '--dry-run']);
  assert.is(r.status, 0, describe(r));
  assert.equal(changing(r), []);
  assert.ok(fs.readFileSync(host.confPath('905')).equals(before), 'the file is untouched');
  assert.match(
    r.stdout,
    new RegExp(`^would add to the current configuration of ${host.lxcDir}/905\\.conf:\\n {2}lxc\\.cgroup2\\.devices\\.allow: c 195:\\* rwm\\n(?! )`, 'm'),
  );
  assert.not.match(r.stdout, /^ {2}lxc\.apparmor/m);
  assert.not.match(r.stdout, /pct create/);
});

test('a dependency that does not run stops create.sh before it changes anything (also through phoenix create)', () => {
  const out = fleet();
  const expect = (r: ScriptRun, message: string) => {
    assert.is(r.status, 1, describe(r));
    assert.match(r.stderr, new RegExp(`\\[CTID 950\\] ERROR: ${message.replace(/[()[\]]/g, '\\$&')}\\n$`));
    assert.equal(changing(r), []);
    assert.not.ok(fs.existsSync(host.confPath('950')), 'nothing defined');
  };
  expect(host.run([out.createSh('950')]), 'dependency 1002 is neither a container (pct status) nor a VM (qm status) on this host: create it first');
  host.defineVm('1002');
  expect(host.run([out.createSh('950')]), 'dependency 1002 is not running (status: stopped): start it first (qm start 1002), then run this again');
  host.setRunning('1002', true);
  expect(host.run([path.join(out.dir, 'phoenix'), 'create', '950']), 'dependency CTID 903 does not exist on this host: create it first (phoenix create 903)');
  host.define('903');
  expect(
    host.run([path.join(out.dir, 'phoenix'), 'create', '950']),
    'dependency 903 is not running (status: stopped): start it first (pct start 903), then run this again',
  );
  host.setRunning('903', true);
  const r = host.run([out.createSh('950'), '--dry-run']);
  assert.is(r.status, 0, describe(r));
  assert.match(r.stderr, /dependency 1002 is running\n.*dependency 903 is running\n/);
  assert.match(r.stdout, /^would run: pct create 950 /m);
  // qm was asked about 1002 only; 903 is a CTID of the file, asked with pct only
  assert.equal(
    r.calls.filter((c) => c[0] === 'qm'),
    [['qm', 'status', '1002']],
  );
});

test('a shared volume: mounted by id from the CTID that allocated it, refused while that CTID lacks it, when it is no subvolume, or when mpN holds another volume', () => {
  const out = fleet();
  const refused = (message: string) => {
    const r = host.run([out.createSh('802'), '--dry-run']);
    assert.is(r.status, 1, describe(r));
    assert.ok(r.stderr.endsWith(`[CTID 802] ERROR: ${message}\n`), r.stderr);
    assert.equal(changing(r), []);
  };
  refused('shared volume vllm_models is allocated by CTID 801 as mp0 and CTID 801 has none yet: run phoenix create 801 first');
  // a raw volume (what a non-zfspool storage gives) is never shared: two containers would each mount its file system
  host.define('801', `hostname: ct-801\nmemory: 1024\nmp0: ${STORAGE}:vm-801-disk-1,mp=/vllm_models,size=50G\nrootfs: ${STORAGE}:subvol-801-disk-0,size=8G\n`);
  refused('the shared volume vllm_models is tank:vm-801-disk-1, not a subvolume: two containers would each mount its file system; put it on a zfspool storage');
  // 801 as its create.sh leaves it: mp0 allocated by pct set 801 --mp0 tank:50,mp=/vllm_models
  host.define(
    '801',
    `hostname: ct-801\nmemory: 1024\nmp0: ${STORAGE}:subvol-801-disk-1,mp=/vllm_models,size=50G\nrootfs: ${STORAGE}:subvol-801-disk-0,size=8G\n`,
  );
  let r = host.run([out.createSh('802'), '--dry-run']);
  assert.is(r.status, 0, describe(r));
  assert.match(r.stdout, /^would run: pct create 802 /m);
  assert.match(r.stdout, /^would run: pct set 802 --mp0 tank:subvol-801-disk-1,mp=\/models$/m);
  // an 802 that already has a volume of its own at mp0 (what allocating one per CTID made)
  host.define('802', `hostname: ct-802\nmemory: 1024\nmp0: ${STORAGE}:subvol-802-disk-1,mp=/models,size=50G\nrootfs: ${STORAGE}:subvol-802-disk-0,size=8G\n`);
  refused(
    'mp0 of this container is tank:subvol-802-disk-1, not the shared volume vllm_models (tank:subvol-801-disk-1): detach it with pct set 802 --delete mp0 and run this again',
  );
  host.define('802', `hostname: ct-802\nmemory: 1024\nmp0: ${STORAGE}:subvol-801-disk-1,mp=/models\nrootfs: ${STORAGE}:subvol-802-disk-0,size=8G\n`);
  r = host.run([out.createSh('802'), '--dry-run']);
  assert.is(r.status, 0, describe(r));
  assert.not.match(r.stdout, /--mp0/, 'already mounted: nothing to do');
  // 801 itself allocates it
  r = host.run([out.createSh('801'), '--dry-run']);
  assert.not.match(r.stdout, /--mp0/, '801 has its mp0');
  host.define('801', `hostname: ct-801\nmemory: 1024\nrootfs: ${STORAGE}:subvol-801-disk-0,size=8G\n`);
  r = host.run([out.createSh('801'), '--dry-run']);
  assert.match(r.stdout, /^would run: pct set 801 --mp0 tank:50,mp=\/vllm_models$/m);
});

test.run();
