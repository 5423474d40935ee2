/**
 * Issue 15 acceptance: the generated create.sh runs on the stand-in Proxmox host (test/harness/bin/pct
 * keeps /etc/pve/lxc/<CTID>.conf with Proxmox's section rules) with one real-systemd container
 * behind `pct exec`, and every result is read with the stand-in's Proxmox parser
 * (test/harness/pve/pve_lxc_conf.py = parse_pct_config of pve-container 94f5585):
 *
 *   - the snapshot case: CTID 901 takes its template snapshot gpu (its create.sh does), the user adds
 *     two lxc_options lines (the NVIDIA pre-start hook with '-' in its key, a cgroup2 device rule)
 *     and runs create.sh again: both lines are in the current configuration, the snapshot section
 *     is untouched, and the file is the old one with exactly those lines inserted before "[gpu]";
 *     a third run changes no byte;
 *   - a container whose current section says lxc.apparmor.profile=unconfined (key=value, by hand),
 *     whose snapshot holds a line the current section lacks, and which has pending changes: only the
 *     missing line is added, into the current section, and the pending section stays;
 *   - a shared named volume: 801 allocates it, 802 mounts the same volume id, each volume's owner set
 *     inside the container;
 *   - a bind mount with an owner: the host folder is created (the stand-in's start refuses a missing
 *     one, as Proxmox does) and owned by the mapped host ids.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { realSystemdAvailable } from './lib/real-systemd';
import { describe, FakeHost } from './lib/fake-host';
import { ct, compileFleet, STORAGE } from './lib/proxmox-fleet';

const SUITE = 'real-systemd create-run suite';
const NOW = { PHX_FAKE_NOW: '1735689600' };
const HOOK = "lxc.hook.pre-start: sh -c '[ ! -f /dev/nvidia-uvm ] && /usr/bin/nvidia-modprobe -c0 -u'";
const HOSTILE = 'lxc.environment:A=$(echo PWNED) `echo PWNED` \'q\' "d" ; % %n %% -x \\ ${HOME} $HOME';

if (realSystemdAvailable(SUITE)) {
  let box: Container;
  let host: FakeHost;

  test.before(async () => {
    box = await Container.boot();
    host = new FakeHost(box, { storages: [STORAGE] });
  });
  test.after(async () => {
    host?.dispose();
    await box?.stop();
  });

  const template901 = (lxc: string[]) => ({ '901': ct('901', { lxc_options: lxc, template_snapshot_name: 'gpu' }) });
  const file = (ctid: string): string => fs.readFileSync(host.confPath(ctid), 'utf8');
  const pctConfig = (ctid: string): string => {
    const r = host.pct(['config', ctid]);
    assert.is(r.status, 0, r.stderr);
    return r.stdout;
  };

  test('the snapshot case: lines added after the template snapshot land in the current configuration', () => {
    const v1 = compileFleet('create-run-v1', template901(['lxc.apparmor.profile=unconfined']));
    let r = host.run([v1.createSh('901')], { env: NOW });
    assert.is(r.status, 0, describe(r));
    assert.ok(
      r.calls.some((c) => c.join(' ') === 'pct snapshot 901 gpu'),
      'create.sh took the template snapshot',
    );
    const first = host.conf('901');
    assert.equal(first.current.lxc, [['lxc.apparmor.profile', 'unconfined']]);
    assert.equal(first.snapshots.gpu!.lxc, [['lxc.apparmor.profile', 'unconfined']]);
    assert.is(first.current.parent, 'gpu');
    const before = file('901');

    // The user adds two lines (one with '-' in its key, one hostile value) and runs create.sh again.
    const lines = ['lxc.apparmor.profile=unconfined', HOOK, 'lxc.cgroup2.devices.allow: c 195:* rwm', HOSTILE];
    const v2 = compileFleet('create-run-v2', template901(lines));
    r = host.run([v2.createSh('901')], { env: NOW });
    assert.is(r.status, 0, describe(r));
    assert.match(r.stderr, /added 3 LXC line\(s\) to the current configuration/);
    const after = host.conf('901');
    const added: [string, string][] = [
      ['lxc.hook.pre-start', "sh -c '[ ! -f /dev/nvidia-uvm ] && /usr/bin/nvidia-modprobe -c0 -u'"],
      ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
      ['lxc.environment', 'A=$(echo PWNED) `echo PWNED` \'q\' "d" ; % %n %% -x \\ ${HOME} $HOME'],
    ];
    assert.equal(after.current.lxc, [['lxc.apparmor.profile', 'unconfined'], ...added], 'the new lines are in the current configuration');
    assert.equal(after.snapshots.gpu, first.snapshots.gpu, 'the snapshot section is untouched');
    assert.equal([after.pending, after.warnings], [{}, []]);
    // byte for byte: the old file with the lines inserted after the current section's last line
    const at = before.indexOf('\n\n[gpu]\n') + 1;
    assert.is(file('901'), before.slice(0, at) + added.map(([k, v]) => `${k}: ${v}\n`).join('') + before.slice(at));
    // pct config (the current configuration) shows them, in order
    assert.match(
      pctConfig('901'),
      /^lxc\.apparmor\.profile: unconfined\nlxc\.hook\.pre-start: sh -c '\[ ! -f \/dev\/nvidia-uvm \] && \/usr\/bin\/nvidia-modprobe -c0 -u'\nlxc\.cgroup2\.devices\.allow: c 195:\* rwm\n/m,
    );
    assert.ok(!r.calls.some((c) => c[0] === 'pct' && c[1] === 'snapshot'), 'the snapshot exists: not taken again');

    // A third run changes no byte.
    const bytes = file('901');
    r = host.run([v2.createSh('901')], { env: NOW });
    assert.is(r.status, 0, describe(r));
    assert.match(r.stderr, /the current configuration has every LXC line/);
    assert.is(file('901'), bytes);
  });

  test('key=value by hand, a line only the snapshot has, pending changes: only the missing line is added, into the current section', () => {
    host.define(
      '905',
      [
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
        'hostname: ct-905',
        'memory: 1024',
        `rootfs: ${STORAGE}:subvol-905-disk-0,size=8G`,
        'snaptime: 1735689600',
        'lxc.apparmor.profile: unconfined',
        'lxc.cgroup2.devices.allow: c 195:* rwm',
        '',
      ].join('\n'),
    );
    host.setRunning('905', true);
    // a change Proxmox cannot apply to a running container stays in [pve:pending] (Config.pm:1624-1747)
    assert.is(host.pct(['set', '905', '--ostype', 'debian']).status, 0);
    const pending = host.conf('905').pending;
    assert.is(pending.ostype, 'debian');
    const snapshot = host.conf('905').snapshots.gpu;
    const out = compileFleet('create-run-905', {
      '905': ct('905', { lxc_options: ['lxc.apparmor.profile: unconfined', 'lxc.cgroup2.devices.allow=c 195:* rwm'] }),
    });
    const r = host.run([out.createSh('905')]);
    assert.is(r.status, 0, describe(r));
    const c = host.conf('905');
    assert.equal(c.current.lxc, [
      ['lxc.apparmor.profile', 'unconfined'],
      ['lxc.cgroup2.devices.allow', 'c 195:* rwm'],
    ]);
    assert.equal(c.snapshots.gpu, snapshot);
    assert.equal(c.pending, pending, 'the pending changes stay pending');
    assert.match(r.stderr, /take effect at its next start \(pct reboot 905\)/);
    assert.match(file('905'), /^lxc\.cgroup2\.devices\.allow: c 195:\* rwm\n\n\[pve:pending\]\n/m);
  });

  test('a shared named volume: 801 allocates it, 802 mounts the same volume; owners set inside', () => {
    const vol = { name: 'vllm_models', pool: STORAGE, size_gb: 50, owner_uid: 1000, owner_gid: 1000 };
    const out = compileFleet('create-run-shared', {
      '801': ct('801', { zfs_volumes: [{ ...vol, mount_point: '/vllm_models' }] }),
      '802': ct('802', { zfs_volumes: [{ ...vol, mount_point: '/models' }] }),
    });
    assert.match(out.stderr, /volume vllm_models is one volume for CTIDs 801, 802/);
    let r = host.run([out.createSh('801')]);
    assert.is(r.status, 0, describe(r));
    const mp801 = String(host.conf('801').current.mp0);
    assert.is(mp801, `${STORAGE}:subvol-801-disk-1,mp=/vllm_models,size=50G`);
    r = host.run([out.createSh('802')]);
    assert.is(r.status, 0, describe(r));
    assert.is(host.conf('802').current.mp0, `${STORAGE}:subvol-801-disk-1,mp=/models`, "802 mounts 801's volume");
    assert.ok(r.calls.some((c) => c.join(' ') === `pct set 802 --mp0 ${STORAGE}:subvol-801-disk-1,mp=/models`));
    // the stand-in's start made the mount folders inside; create.sh set their owner there
    for (const p of ['/vllm_models', '/models']) assert.is(box.exec(['stat', '-c', '%u:%g %a', p], { check: true }).stdout.trim(), '1000:1000 755');
    // a second run of 802 changes nothing
    const bytes = file('802');
    r = host.run([out.createSh('802')]);
    assert.is(r.status, 0, describe(r));
    assert.is(file('802'), bytes);
    assert.ok(!r.calls.some((c) => c.join(' ').includes('--mp0') || c.includes('chown')));
  });

  test('a bind mount with an owner: the host folder is created and owned by the mapped host ids', () => {
    const out = compileFleet('create-run-bind', {
      '101': ct('101', {
        mount_points: [
          { host_path: '/srv/phx/101/logs', container_path: '/var/log/nginx', owner_uid: 33, owner_gid: 33 },
          { host_path: '/srv/phx/103/ssl', container_path: '/etc/step-ca/ssl' },
        ],
      }),
    });
    const logs = host.hostPath('/srv/phx/101/logs');
    assert.not.ok(fs.existsSync(logs));
    const r = host.run([out.createSh('101')]);
    assert.is(r.status, 0, describe(r));
    const st = fs.statSync(logs);
    assert.equal([st.isDirectory(), st.uid, st.gid], [true, 100033, 100033], 'uid/gid 33 in an unprivileged container is 100033 on the host');
    assert.ok(fs.statSync(host.hostPath('/srv/phx/103/ssl')).isDirectory());
    assert.equal([host.conf('101').current.mp0, host.conf('101').current.mp1], ['/srv/phx/101/logs,mp=/var/log/nginx', '/srv/phx/103/ssl,mp=/etc/step-ca/ssl']);
    // without the folder, Proxmox (and the stand-in) refuse to start it
    spawnSync('rm', ['-rf', host.hostPath('/srv/phx/103')]);
    host.setRunning('101', false);
    const start = host.pct(['start', '101']);
    assert.equal([start.status, start.stderr], [255, "directory '/srv/phx/103/ssl' does not exist\n"]);
  });

  test.run();
}
