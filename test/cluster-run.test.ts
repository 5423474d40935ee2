/**
 * Issue 20 acceptance with a real systemd: the scripts compiled from test/cluster/two-nodes.json run
 * to the end on a two-node fake cluster (test/lib/fake-cluster.ts), the guests of pve2 being one
 * booted container (pct exec on pve2 reaches it):
 *   - `phoenix create 943` run on pve1 creates 943 on pve2: the script ran there (every pct call in
 *     pve2's log, none in pve1's), its output streamed back, its exit status passed on;
 *   - `phoenix create 942` (storage local-zfs, not shared) clones 900 on pve1, then migrates the clone
 *     to pve2; `phoenix create 941` (storage ceph-ct, shared) clones 900 on pve1 straight to pve2
 *     with pct clone --target; a second create defines nothing again.
 * test/cluster-routing.test.ts holds the refusals (moved by hand, wrong node, unreachable node).
 */
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { runCli } from './lib/cli';
import type { FakeCluster } from './lib/fake-cluster';
import { CONF_900, TWO_NODES_CONFIG, twoNodeCluster } from './lib/two-nodes';
import { describe, ScriptRun } from './lib/fake-host';
import { tmpDir } from './lib/paths';
import { realSystemdAvailable } from './lib/real-systemd';

const SUITE = 'real-systemd cluster-run suite';
const CONFIG = TWO_NODES_CONFIG;

const pct = (r: ScriptRun): string[] => r.calls.filter((c) => c[0] === 'pct').map((c) => c.join(' '));

if (realSystemdAvailable(SUITE)) {
  let ct: Container;
  let cl: FakeCluster;
  let out: string;

  test.before(async () => {
    ct = await Container.boot();
    const work = tmpDir('cluster-run');
    const r = runCli(['--config', CONFIG, '--out', 'out'], work);
    if (r.code !== 0) throw new Error(`compile failed:\n${r.stderr}`);
    out = path.join(work, 'out');
    cl = twoNodeCluster(ct);
    cl.host('pve1').define('900', CONF_900);
    // 942 depends on 900: its create.sh refuses to run while 900 is not running (pvesh, any node)
    cl.host('pve1').setRunning('900', true);
  });
  test.after(async () => {
    cl?.dispose();
    await ct?.stop();
  });

  /** Runs out/phoenix on a node; returns that run and the calls the other node made meanwhile. */
  const phoenix = (node: string, ...args: string[]) => {
    const other = node === 'pve1' ? 'pve2' : 'pve1';
    const before = cl.host(other).calls().length;
    const r = cl.run(node, [path.join(out, 'phoenix'), ...args]);
    const otherCalls = cl
      .host(other)
      .calls()
      .slice(before)
      .filter((c) => c[0] === 'pct')
      .map((c) => c.join(' '));
    return { r, otherCalls };
  };

  test('phoenix create 943 on pve1: created on pve2 by the script run there, output streamed', () => {
    const { r, otherCalls } = phoenix('pve1', 'create', '943');
    assert.is(r.status, 0, describe(r));
    assert.is(cl.nodeOf('943'), 'pve2');
    assert.equal(pct(r), [], 'pve1 ran no pct');
    assert.equal(otherCalls.slice(0, 2), [
      'pct status 943',
      'pct create 943 /var/lib/vz/template/cache/debian-12-standard_12.7-1_amd64.tar.zst --hostname plain --storage local-zfs --rootfs local-zfs:8 --memory 512 --cores 1 --unprivileged 1',
    ]);
    assert.ok(otherCalls.includes('pct start 943'), otherCalls.join('\n'));
    assert.match(r.stderr, 'running create for CTID 943 on node pve2');
    assert.match(r.stderr, '[CTID 943] done', 'create.sh output streamed back');
    assert.ok(cl.host('pve2').isRunning('943'));
  });

  test('phoenix create 942 (storage not shared): cloned on pve1, migrated to pve2', () => {
    const { r, otherCalls } = phoenix('pve1', 'create', '942');
    assert.is(r.status, 0, describe(r));
    assert.is(cl.nodeOf('942'), 'pve2');
    // The clone and the migration ran on pve1 (reached from pve2's create.sh over ssh).
    const onPve1 = cl
      .host('pve1')
      .calls()
      .filter((c) => c[0] === 'pct' && c[2] !== undefined && ['clone', 'migrate'].includes(c[1]))
      .map((c) => c.join(' '));
    assert.equal(onPve1, ['pct clone 900 942 --snapname base-ready --hostname local-clone --storage local-zfs', 'pct migrate 942 pve2']);
    assert.ok(otherCalls.includes('pct start 942'));
    const conf = cl.host('pve2').conf('942');
    assert.equal([Object.keys(conf.snapshots), conf.current.hostname, conf.current.rootfs], [[], 'local-clone', 'local-zfs:subvol-942-disk-0,size=8G']);
  });

  test('phoenix create 941 on pve2 (shared storage): pct clone --target from pve1, no migration', () => {
    const before = cl.host('pve1').calls().length;
    const r = cl.run('pve2', [path.join(out, 'phoenix'), 'create', '941']);
    assert.is(r.status, 0, describe(r));
    assert.is(cl.nodeOf('941'), 'pve2');
    const onPve1 = cl
      .host('pve1')
      .calls()
      .slice(before)
      .filter((c) => c[0] === 'pct')
      .map((c) => c.join(' '));
    assert.equal(onPve1, ['pct clone 900 941 --snapname base-ready --hostname shared-clone --storage ceph-ct --target pve2']);
    assert.not.match(r.stderr, 'running create for CTID 941 on node', 'ran here, not over ssh');
    assert.is(cl.host('pve2').conf('941').current.rootfs, 'ceph-ct:subvol-941-disk-0,size=8G');
  });

  test('create again: nothing is defined again, the routed run still succeeds', () => {
    const { r, otherCalls } = phoenix('pve1', 'create', '942');
    assert.is(r.status, 0, describe(r));
    assert.not.ok(
      otherCalls.some((c) => /^pct (clone|create|migrate) /.test(c)),
      otherCalls.join('\n'),
    );
    assert.match(r.stderr, 'container exists; not defining it again');
  });

  test('moved by hand after creation: refused from pve2, nothing run', () => {
    cl.moveByHand('942', 'pve1');
    const { r, otherCalls } = phoenix('pve2', 'create', '942');
    assert.is(r.status, 3, describe(r));
    assert.match(r.stderr, 'CTID 942 lives on node pve1, but the config says node pve2 (moved by hand?)');
    assert.equal([pct(r), otherCalls], [[], []]);
  });

  test.run();
}
