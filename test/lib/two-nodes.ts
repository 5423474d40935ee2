/**
 * The two-node fleet of test/cluster/two-nodes.json on a fake cluster: pve1 (address in the
 * config) and pve2 (address from the cluster), both with storages local-zfs and ceph-ct, ceph-ct
 * shared; 900 on pve1 as its own create.sh leaves it (settings, then `pct snapshot 900 base-ready`).
 */
import * as path from 'path';
import type { Container } from '../harness/container';
import { FakeCluster } from './fake-cluster';
import { repoRoot } from './paths';

export const TWO_NODES_CONFIG = path.join(repoRoot(), 'test', 'cluster', 'two-nodes.json');

const SETTINGS_900 = [
  'arch: amd64',
  'cores: 1',
  'hostname: base',
  'memory: 1024',
  'net0: name=eth0,bridge=vmbr0,gw=10.9.1.1,hwaddr=BC:24:11:00:09:00,ip=10.9.1.100/24,type=veth',
  'ostype: debian',
];
const REST_900 = ['rootfs: local-zfs:subvol-900-disk-0,size=8G', 'swap: 512'];
export const CONF_900 =
  [
    ...SETTINGS_900,
    'parent: base-ready',
    ...REST_900,
    'unprivileged: 1',
    '',
    '[base-ready]',
    ...SETTINGS_900,
    ...REST_900,
    'snaptime: 1735689600',
    'unprivileged: 1',
  ].join('\n') + '\n';

/** The fake cluster; `ct` is the container pve2's guests run in. */
export function twoNodeCluster(ct?: Container): FakeCluster {
  return new FakeCluster(
    [
      { name: 'pve1', ip: '10.9.0.1', storages: ['local-zfs', 'ceph-ct'] },
      { name: 'pve2', ip: '10.9.0.2', storages: ['local-zfs', 'ceph-ct'], ...(ct ? { ct } : {}) },
    ],
    ['ceph-ct'],
  );
}
