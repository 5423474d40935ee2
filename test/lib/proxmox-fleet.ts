/**
 * A small fleet for running create.sh against the stand-in Proxmox host (test/harness/bin/pct,
 * qm, pvesm): containers created from a template tarball on storage "tank", without features or an
 * application step, so that create.sh does only host work. Each test takes the CTIDs it needs and
 * may change them before compiling.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as assert from 'uvu/assert';
import { runCli } from './cli';
import { tmpDir } from './paths';

export const TARBALL = '/var/lib/vz/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst';
export const STORAGE = 'tank';

/** A container created from the tarball, with an address derived from its CTID. */
export function ct(ctid: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const n = Number(ctid) % 250;
  return {
    name: `ct-${ctid}`,
    template: TARBALL,
    storage_pool: STORAGE,
    storage_size_gb: 8,
    memory_mb: 1024,
    cores: 1,
    unprivileged: true,
    network_config: { name: 'eth0', bridge: 'vmbr0', ip: `10.0.1.${n}/24`, gw: '10.0.1.254' },
    ...extra,
  };
}

export interface Compiled {
  dir: string;
  /** out/<ctid>/create.sh */
  createSh(ctid: string): string;
  stderr: string;
}

/** Compiles `lxc_configs` (and top-level `extra`) into a fresh folder; fails the test on a compile error. */
export function compileFleet(name: string, lxcConfigs: Record<string, unknown>, extra: Record<string, unknown> = {}): Compiled {
  const work = tmpDir(name);
  fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({ ...extra, lxc_configs: lxcConfigs }, null, 2));
  const r = runCli(['--config', 'config.json', '--out', 'out'], work);
  assert.is(r.code, 0, r.stderr);
  const dir = path.join(work, 'out');
  return { dir, createSh: (ctid) => path.join(dir, ctid, 'create.sh'), stderr: r.stderr };
}
