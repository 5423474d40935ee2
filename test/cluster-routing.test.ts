/**
 * Issue 20 acceptance (without a container; test/cluster-run.test.ts runs the scripts to the end
 * with a real systemd): a two-node Proxmox VE cluster (test/lib/fake-cluster.ts: one stand-in pct
 * per node with its own /etc/pve view of one shared tree, the stand-ins pvesh and ssh) runs the
 * scripts compiled from test/cluster/two-nodes.json:
 *   - the stand-ins answer as Proxmox does (pvesh JSON, pct refusing another node's guest, a
 *     --target clone to local storage refused);
 *   - a CTID moved by hand (its config file moved to the other node's folder, pve-docs
 *     pmxcfs.adoc:224-227) is refused by out/phoenix from either node and by create.sh, and nothing
 *     runs; an unreachable node is refused before anything runs;
 *   - with a real systemd (the guests' container): `phoenix create 943` run on pve1 creates 943 on
 *     pve2 (the script ran there: every pct call in pve2's log, none in pve1's), streaming its output;
 *     `phoenix create 942` clones 900 on pve1 and migrates the clone to pve2 (storage not shared);
 *     `phoenix create 941` clones 900 on pve1 straight to pve2 (pct clone --target, shared storage);
 *     a second create changes nothing.
 */
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './lib/cli';
import { CONF_900, TWO_NODES_CONFIG, twoNodeCluster } from './lib/two-nodes';
import { describe, ScriptRun } from './lib/fake-host';
import { repoRoot, tmpDir } from './lib/paths';

const CONFIG = TWO_NODES_CONFIG;

/** 900 on pve1 as its own create.sh leaves it: settings, then `pct snapshot 900 base-ready`. */

function compileOut(): string {
  const work = tmpDir('cluster-out');
  const r = runCli(['--config', CONFIG, '--out', 'out'], work);
  if (r.code !== 0) throw new Error(`compile failed (exit ${r.code}):\n${r.stderr}`);
  return path.join(work, 'out');
}

const cmds = (r: ScriptRun, tool: string): string[] => r.calls.filter((c) => c[0] === tool).map((c) => c.join(' '));

const OUT = compileOut();
const PHOENIX = path.join(OUT, 'phoenix');

test('the stand-ins answer as Proxmox: pvesh JSON, pct only on its node, --target needs shared storage', () => {
  const cl = twoNodeCluster();
  try {
    cl.host('pve1').define('900', CONF_900);
    const status = cl.run('pve2', ['-c', 'pvesh get /cluster/status --output-format json']);
    assert.is(status.status, 0, describe(status));
    const nodes = JSON.parse(status.stdout).filter((x: { type: string }) => x.type === 'node');
    assert.equal(
      nodes.map((n: { name: string; local: number; ip: string }) => [n.name, n.local, n.ip]),
      [
        ['pve1', 0, '10.9.0.1'],
        ['pve2', 1, '10.9.0.2'],
      ],
    );
    const res = cl.run('pve2', ['-c', 'pvesh get /cluster/resources --type vm --output-format json']);
    assert.is(res.stdout, '[{"id":"lxc/900","name":"base","node":"pve1","status":"stopped","template":0,"type":"lxc","uptime":0,"vmid":900}]\n');
    // pct on pve2 reaches only pve2's guests (pve-container src/PVE/LXC/Config.pm:59-64).
    const st = cl.host('pve2').pct(['status', '900']);
    assert.is(st.status, 255);
    assert.is(st.stderr.trim(), "Configuration file 'nodes/pve2/lxc/900.conf' does not exist");
    // The ID is taken cluster-wide (pve-cluster src/PVE/Cluster.pm:785-797).
    const cr = cl.host('pve2').pct(['create', '900', '/t.tar.zst', '--storage', 'local-zfs']);
    assert.is(cr.stderr.trim(), "CT 900 already exists on node 'pve1'");
    // A --target clone to a storage that is not shared is refused (API2/LXC.pm:2003-2010).
    const tc = cl.host('pve1').pct(['clone', '900', '945', '--snapname', 'base-ready', '--storage', 'local-zfs', '--target', 'pve2']);
    assert.is(tc.status, 255);
    assert.is(tc.stderr.trim(), "can't clone to non-shared storage 'local-zfs'");
    assert.is(cl.nodeOf('945'), undefined);
    // Migration is offline only and refuses the local node (API2/LXC.pm:1681, 1694-1697).
    cl.host('pve1').setRunning('900', true);
    assert.is(cl.host('pve1').pct(['migrate', '900', 'pve2']).stderr.trim(), "can't migrate running container without --online or --restart");
    assert.match(cl.host('pve1').pct(['migrate', '900', 'pve1']).stderr, 'target: target is local node.');
  } finally {
    cl.dispose();
  }
});

test('a CTID moved by hand: phoenix refuses from either node (exit 3), create.sh refuses, nothing runs', () => {
  const cl = twoNodeCluster();
  try {
    cl.host('pve1').define('900', CONF_900);
    cl.moveByHand('900', 'pve2');
    for (const node of ['pve1', 'pve2']) {
      const r = cl.run(node, [PHOENIX, 'create', '900']);
      assert.is(r.status, 3, describe(r));
      assert.match(
        r.stderr,
        'ERROR: CTID 900 lives on node pve2, but the config says node pve1 (moved by hand?); nothing was run. Move it back (on pve2: pct migrate 900 pve1) or set "node": "pve2" for it and recompile.',
      );
      assert.equal(cmds(r, 'pct'), [], 'no pct call');
      assert.equal(cmds(r, 'ssh'), [], 'no ssh call');
    }
    // create.sh run by hand on pve1 (its config node) refuses too.
    const direct = cl.run('pve1', [path.join(OUT, '900', 'create.sh')]);
    assert.is(direct.status, 1, describe(direct));
    assert.match(direct.stderr, 'CTID 900 lives on node pve2, but the config says node pve1 (moved by hand?)');
    assert.equal(cmds(direct, 'pct'), []);
    // ... and run on another node than its own it refuses before pct could create it there.
    const wrong1 = cl.run('pve1', [path.join(OUT, '943', 'create.sh')]);
    assert.is(wrong1.status, 1, describe(wrong1));
    assert.match(wrong1.stderr, 'CTID 943 lives on node pve2 (config), and this is node pve1: run it there, or through out/phoenix, which routes it');
    assert.equal(cmds(wrong1, 'pct'), []);
    assert.is(cl.nodeOf('943'), undefined);
  } finally {
    cl.dispose();
  }
});

test('an unreachable node: phoenix says so (exit 3) and runs nothing', () => {
  const cl = twoNodeCluster();
  try {
    cl.setOnline('pve2', false);
    const r = cl.run('pve1', [PHOENIX, 'create', '943']);
    assert.is(r.status, 3, describe(r));
    assert.match(r.stderr, 'ssh: connect to host 10.9.0.2 port 22: No route to host');
    assert.match(r.stderr, "ERROR: cannot run commands on node pve2 as root over the cluster's ssh trust");
    // ssh as Proxmox's SSHInfo.pm builds it, to the address the cluster knows for pve2 (the config names none).
    const known = path.join(cl.host('pve1').fsRoot, 'etc', 'pve', 'nodes', 'pve2', 'ssh_known_hosts');
    assert.equal(
      r.calls.filter((c) => c[0] === 'ssh'),
      [
        [
          'ssh',
          '-e',
          'none',
          '-o',
          'BatchMode=yes',
          '-o',
          'HostKeyAlias=pve2',
          '-o',
          `UserKnownHostsFile=${known}`,
          '-o',
          'GlobalKnownHostsFile=none',
          'root@10.9.0.2',
          '--',
          "'true'",
        ],
      ],
    );
    assert.equal(cmds(r, 'pct'), []);
    assert.is(cl.nodeOf('943'), undefined);
  } finally {
    cl.dispose();
  }
});

test('explain shows the node, how the clone is made and the node GPU budget (all CTIDs of the node)', () => {
  const r = runCli(['explain', '930', '--config', path.join(repoRoot(), 'test', 'golden', 'cluster-two-nodes', 'input.json')], tmpDir('cluster-explain'));
  assert.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines.slice(2, 6), [
    "node: pve2 (out/phoenix runs its scripts there: ssh root@<the node's address in pvesh get /cluster/status>, when run on another node)",
    'clone: on node pve1 (where CTID 901 lives), then pct migrate to pve2 (storage quickOS-lxc-disks not shared by both)',
    "GPU budget of node pve2 (vLLM CTIDs that start at boot, all of the node's CTIDs):",
    '  GPU 0 NVIDIA GeForce RTX 4090: 1.1 of 1 (over) (930: 0.5, 931: 0.6)',
  ]);
});

test.run();
