/**
 * Reads a Proxmox container configuration file (/etc/pve/lxc/<CTID>.conf) the way Proxmox does,
 * with the stand-in's parser test/harness/pve/pve_lxc_conf.py, which follows
 * PVE::LXC::Config::parse_pct_config (github:proxmox/pve-container 94f5585,
 * src/PVE/LXC/Config.pm:1126-1222): a `[pve:pending]` or `[name]` line starts a new section and
 * every line after it belongs to that section; raw `lxc.*` keys are collected per section in order.
 * One parser for the stand-in `pct` and the tests, so they cannot disagree.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { repoRoot } from './paths';

/** One section: option name -> value as Proxmox stores it, plus the raw LXC lines and the description. */
export interface PctSection {
  [option: string]: string | [string, string][] | undefined;
  /** Raw `lxc.*` keys of this section as [key, value], in file order. */
  lxc?: [string, string][];
  description?: string;
}

export interface PctConfig {
  /** sha1 of the file's bytes (Proxmox's `digest`). */
  digest: string;
  /** The current configuration: everything before the first section header. */
  current: PctSection;
  /** The `[pve:pending]` section ({} when absent). */
  pending: PctSection;
  /** The snapshot sections by name. */
  snapshots: Record<string, PctSection>;
  /** What Proxmox would warn about while reading, e.g. "vm 901 - lxc.cgroup.devices.allow is deprecated, ...". */
  warnings: string[];
}

const PARSER = (): string => path.join(repoRoot(), 'test', 'harness', 'pve', 'pve_lxc_conf.py');

function run(args: string[], input?: string): PctConfig {
  const r = spawnSync('python3', [PARSER(), ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`pve_lxc_conf.py ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as PctConfig;
}

/**
 * Parses the file at `file` (its name must end in /lxc/<CTID>.conf, as Proxmox requires).
 * Throws when the file cannot be read or the name does not fit.
 */
export function readPctConfig(file: string): PctConfig {
  return run([file]);
}

/** Parses `text` as the configuration of CTID `ctid`. */
export function parsePctConfig(text: string, ctid: string): PctConfig {
  return run(['-', `/etc/pve/lxc/${ctid}.conf`], text);
}
