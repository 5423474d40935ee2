/**
 * Mount points of each CTID and the named volumes CTIDs share, computed from the resolved fleet:
 * the fleet checks report from them (PHX122-PHX124, PHX128) and the host planner emits them.
 *
 * What a CTID has on the host (github:proxmox/pve-container 94f5585):
 *   - carried: a clone gets a copy of every volume mount point of its source's snapshot, under the
 *     same mpN key (clone_vm copies `mpN` key by key and clones or copies each volume,
 *     src/PVE/API2/LXC.pm:2061-2110); bind and device mount points refuse the clone (2107-2110);
 *   - own: the volumes, zfs_volumes and mount_points the CTID itself declares, numbered after the
 *     carried ones (volumes, then zfs_volumes, then mount_points, in file order). Entries a clone
 *     inherits through the config are its carried copies, never a second volume.
 */
import type { Container, ZfsVolume } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';

export type MountList = 'volumes' | 'zfs_volumes' | 'mount_points';
/** One item of mount_points (a bind mount of a host folder). */
export type MountPoint = NonNullable<Container['mount_points']>[number];

export interface MountEntry {
  /** The pct key: mp0, mp1, ... */
  mp: string;
  /** carried: the clone's copy of its source's volume; own: declared by this CTID. */
  source: 'carried' | 'own';
  /** The CTID whose config declares it, the list and the index there (for positions in messages). */
  layer: string;
  list: MountList;
  index: number;
  /**
   * classify_mountpoint (pve-container src/PVE/LXC/Config.pm:1897-1904): a storage volume; a host
   * path under /dev/ (device); another absolute host path (bind).
   */
  kind: 'volume' | 'bind' | 'device';
  /** Mount point inside the container. */
  path: string;
  volume?: ZfsVolume;
  bind?: MountPoint;
}

/** A volume name own-declared by several CTIDs: one volume, allocated by `owner`. */
export interface SharedVolume {
  name: string;
  /** The CTID that allocates it: the first of `users` in create order. */
  owner: string;
  /** Every CTID that declares it (owner first), with its entry. */
  users: { ctid: string; entry: MountEntry }[];
}

/** Every mount point of `ctid` (carried, then own), in mpN order. */
export function mountLayout(all: ReadonlyMap<string, ResolvedContainer>, ctid: string, seen: Set<string> = new Set()): MountEntry[] {
  const rc = all.get(ctid);
  if (!rc || seen.has(ctid)) return [];
  seen.add(ctid);
  const src = rc.own.clone_from_ctid;
  const sourceLayout = src !== undefined ? mountLayout(all, src, seen) : [];
  const carried: MountEntry[] = sourceLayout.filter((e) => e.kind === 'volume').map((e) => ({ ...e, source: 'carried' }));
  const own: MountEntry[] = [];
  let n = sourceLayout.length;
  for (const list of ['volumes', 'zfs_volumes'] as const) {
    (rc.own[list] ?? []).forEach((v: ZfsVolume, index: number) => {
      own.push({ mp: `mp${n++}`, source: 'own', layer: ctid, list, index, kind: 'volume', path: v.mount_point, volume: v });
    });
  }
  (rc.own.mount_points ?? []).forEach((m, index) => {
    own.push({
      mp: `mp${n++}`,
      source: 'own',
      layer: ctid,
      list: 'mount_points',
      index,
      kind: m.host_path.startsWith('/dev/') ? 'device' : 'bind',
      path: m.container_path,
      bind: m,
    });
  });
  return [...carried, ...own];
}

/**
 * Volume names own-declared by more than one CTID of `ids`. `rank` orders CTIDs for create order
 * (lower first): the first user allocates the volume. Names declared by one CTID only are not
 * listed. The entries' pool and size may disagree (a check reports it); the owner's are used.
 */
export function sharedVolumes(all: ReadonlyMap<string, ResolvedContainer>, ids: readonly string[], rank: (ctid: string) => number): SharedVolume[] {
  const byName = new Map<string, { ctid: string; entry: MountEntry }[]>();
  for (const ctid of ids) {
    for (const entry of mountLayout(all, ctid)) {
      if (entry.source !== 'own' || !entry.volume) continue;
      const users = byName.get(entry.volume.name) ?? [];
      users.push({ ctid, entry });
      byName.set(entry.volume.name, users);
    }
  }
  const out: SharedVolume[] = [];
  for (const [name, users] of byName) {
    const ctids = new Set(users.map((u) => u.ctid));
    if (ctids.size < 2) continue;
    const sorted = [...users].sort((a, b) => rank(a.ctid) - rank(b.ctid) || a.entry.index - b.entry.index);
    out.push({ name, owner: sorted[0].ctid, users: sorted });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
