/**
 * Stage 4, check what Proxmox VE does with the fleet's containers: raw LXC lines, mount points and
 * the volumes CTIDs share, mount point owners, and the boot order against the dependencies. Every
 * rule a named function citing its source (github:proxmox/pve-container 94f5585 unless named;
 * the facts with their lines are in schema/proxmox/pve-container.json and compiler/plan/order.ts).
 */
import { Diagnostic, PositionIndex, Reporter } from '../diagnostics';
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { sortCtids } from '../resolve';
import type { PathSeg } from '../util/jsonpath';
import { defaultHostId, lxcKeyVerdict, parseRawLxcLine, printRawLxcLine } from '../proxmox/lxc-conf';
import { MountEntry, mountLayout } from '../plan/mounts';
import { FleetOrder, fleetOrder } from '../plan/order';

const C = (ctid: string, ...rest: PathSeg[]): PathSeg[] => ['lxc_configs', ctid, ...rest];

interface Ctx {
  doc: PhoenixLxcConfigs;
  all: ReadonlyMap<string, ResolvedContainer>;
  ids: string[];
  order: FleetOrder;
  r: Reporter;
}

const RULES: ((c: Ctx) => void)[] = [
  rawLxcLines,
  mountPointsOnTemplates,
  mountPathsPerContainer,
  sharedVolumesAgree,
  sharedVolumeNotes,
  mountOwners,
  idMapsNotApplied,
  bootOrderFollowsDependencies,
];

/** Runs every rule over the CTIDs of `scope` (all of `resolved` when every CTID is schema-valid). */
export function checkProxmox(
  config: PositionIndex,
  doc: PhoenixLxcConfigs,
  resolved: ReadonlyMap<string, ResolvedContainer>,
  scope: ReadonlySet<string>,
): Diagnostic[] {
  const r = new Reporter(config);
  const ctx: Ctx = { doc, all: resolved, ids: sortCtids([...resolved.keys()].filter((id) => scope.has(id))), order: fleetOrder(resolved), r };
  for (const rule of RULES) rule(ctx);
  return r.diagnostics;
}

const entryPath = (e: MountEntry): PathSeg[] => C(e.layer, e.list, e.index);

/**
 * Each own lxc_options line is read as parse_pct_config reads the file (Config.pm:1179) and its
 * key judged as is_valid_lxc_conf_key does (Config.pm:830-850): refused or unknown keys, and the
 * LXC 2.x names Proxmox merely warns about but LXC 6.0.5 refuses, are errors; cgroup v1 keys,
 * which do nothing on a pure cgroup2 host, are warnings with their replacement; a line listed
 * twice is added once.
 */
function rawLxcLines({ ids, all, r }: Ctx): void {
  for (const id of ids) {
    const seen = new Map<string, number>();
    (all.get(id)!.own.lxc_options ?? []).forEach((text, i) => {
      const path = C(id, 'lxc_options', i);
      const parsed = parseRawLxcLine(text);
      if (!parsed.ok) {
        r.report('error', 'PHX120', path, `${JSON.stringify(text)} ${parsed.message} (column ${parsed.column}; pve-container src/PVE/LXC/Config.pm:1179)`);
        return;
      }
      const { key } = parsed.line;
      const v = lxcKeyVerdict(key);
      const shown = printRawLxcLine(parsed.line);
      switch (v.kind) {
        case 'refused':
          r.report('error', 'PHX120', path, `Proxmox refuses ${key}: "${v.message}" (pve-container src/PVE/LXC/Config.pm:753-756)`);
          return;
        case 'unknown':
          r.report(
            'error',
            'PHX120',
            path,
            `${key} is not a key Proxmox accepts in a container's configuration: it drops the line with "vm ${id} - unable to parse config: ${shown}" (pve-container src/PVE/LXC/Config.pm:830-850, 1192-1193)` +
              (v.suggestion ? `; did you mean ${v.suggestion}?` : ''),
          );
          return;
        case 'renamed':
          r.report(
            'error',
            'PHX120',
            path,
            `${key} is a name from before LXC 3.0: Proxmox only warns that it ${v.prefix ? 'was renamed to lxc.prlimit.*' : `was renamed to ${v.to}`} (pve-container src/PVE/LXC/Config.pm:797-839), but the LXC of Proxmox VE 9 (6.0.5) refuses it with "Unsupported config key" (lxc src/lxc/confile.c:161-165, 358-373) and the container does not start; write ${v.to}`,
          );
          return;
        case 'cgroup1':
          r.report(
            'warning',
            'PHX121',
            path,
            `${key} is a cgroup v1 setting, which does nothing on Proxmox VE 7 and later (pure cgroup v2; v1 is gone in 9.0, pve-docs pct.adoc:708-712): LXC ignores it ("Ignoring legacy cgroup limits on pure cgroup2 system", lxc v6.0.5 src/lxc/cgroups/cgfsng.c:3421-3442) and Proxmox warns it will become an error (pve-container src/PVE/LXC/Config.pm:842-845); write ${v.replacement}` +
              (/^lxc\.cgroup\.devices\.(allow|deny)$/.test(key)
                ? ', or pass the device itself through with devN (pct set CTID --devN /dev/PATH, Proxmox VE 8.1 and later: pve-container src/PVE/LXC/Config.pm:1080-1124), which also creates the node in the container'
                : ''),
          );
          break;
        case 'cgroup1-dir':
          r.report(
            'warning',
            'PHX121',
            path,
            `Proxmox warns about every lxc.cgroup.* key ("${key} is deprecated, this will be a hard error in the future!", pve-container src/PVE/LXC/Config.pm:842-845), although LXC treats ${key} as independent of the cgroup version (lxc v6.0.5 src/lxc/confile.c:201-206)`,
          );
          break;
        case 'valid':
          break;
      }
      const k = `${key}\0${parsed.line.value}`;
      const first = seen.get(k);
      if (first !== undefined) r.report('warning', 'PHX121', path, `the same LXC line as lxc_options[${first}] (${shown}): create.sh adds it once`);
      else seen.set(k, i);
    });
  }
}

/** A CTID that takes a template snapshot or that another CTID clones from. */
function templateRoles(ctx: Ctx, id: string, clonesOf: ReadonlyMap<string, string[]>): string[] {
  const roles: string[] = [];
  const snap = ctx.all.get(id)!.own.template_snapshot_name;
  if (snap !== undefined) roles.push(`takes the template snapshot ${snap}`);
  const clones = clonesOf.get(id) ?? [];
  if (clones.length) roles.push(`CTID${clones.length > 1 ? 's' : ''} ${clones.join(', ')} clone${clones.length > 1 ? '' : 's'} from it`);
  return roles;
}

/**
 * pct snapshot refuses a container with a bind or device mount point: has_feature asks the storage
 * layer about every mount point (Config.pm:88-111), and a host path is no storage volume
 * (pve-storage 0c56bad src/PVE/Storage.pm:502-516), so "snapshot feature is not available"
 * (pve-guest-common 4a8f6cb src/PVE/AbstractConfig.pm:753-755). pct clone refuses it too: "unable
 * to clone mountpoint 'mpN' (type bind)" (src/PVE/API2/LXC.pm:2107-2110).
 */
function mountPointsOnTemplates(ctx: Ctx): void {
  // The CTIDs cloned from each one, in CTID order (ctx.ids is sorted): one pass, not one per CTID.
  const clonesOf = new Map<string, string[]>();
  for (const x of ctx.ids) {
    const from = ctx.all.get(x)!.own.clone_from_ctid;
    if (from === undefined) continue;
    const list = clonesOf.get(from);
    if (list) list.push(x);
    else clonesOf.set(from, [x]);
  }
  for (const id of ctx.ids) {
    const roles = templateRoles(ctx, id, clonesOf);
    if (!roles.length) continue;
    const rc = ctx.all.get(id)!;
    for (const e of mountLayout(ctx.all, id)) {
      if (e.source !== 'own' || e.kind === 'volume') continue;
      const refusals = [
        ...(rc.own.template_snapshot_name !== undefined
          ? [
              `pct snapshot refuses it ("snapshot feature is not available": a host path has no storage to snapshot, pve-container src/PVE/LXC/Config.pm:88-111, pve-storage src/PVE/Storage.pm:502-516)`,
            ]
          : []),
        `pct clone refuses it ("unable to clone mountpoint '${e.mp}' (type ${e.kind})", pve-container src/PVE/API2/LXC.pm:2107-2110)`,
      ];
      ctx.r.report(
        'error',
        'PHX124',
        entryPath(e),
        `CTID ${id} is a template (it ${roles.join('; ')}), but ${e.bind!.host_path} is a ${e.kind} mount point (${e.mp}): ${refusals.join(', and ')}; mount it in the containers cloned from it instead`,
      );
    }
  }
}

/** One folder in the container takes one mount point; one CTID lists a volume name once. */
function mountPathsPerContainer(ctx: Ctx): void {
  for (const id of ctx.ids) {
    const byPath = new Map<string, MountEntry>();
    const byName = new Map<string, MountEntry>();
    for (const e of mountLayout(ctx.all, id)) {
      const where = (p: MountEntry) =>
        p.source === 'carried'
          ? `${p.mp}, which CTID ${id} carries from its clone source's ${p.list}[${p.index}] of CTID ${p.layer}`
          : `${p.list}[${p.index}] (${p.mp})`;
      const prev = byPath.get(e.path);
      if (prev && e.source === 'own')
        ctx.r.report(
          'error',
          'PHX122',
          entryPath(e),
          `mount point ${e.path} is already taken by ${where(prev)}: one folder in the container holds one mount point`,
        );
      else if (!prev) byPath.set(e.path, e);
      if (e.source !== 'own' || !e.volume) continue;
      const twice = byName.get(e.volume.name);
      if (twice)
        ctx.r.report(
          'error',
          'PHX122',
          entryPath(e),
          `volume ${e.volume.name} is already listed at ${twice.list}[${twice.index}]: a CTID mounts a named volume once`,
        );
      else byName.set(e.volume.name, e);
    }
  }
}

/** One shared volume has one storage and one size: every CTID that names it must agree with the one that allocates it. */
function sharedVolumesAgree(ctx: Ctx): void {
  for (const v of ctx.order.volumes) {
    const owner = v.users[0];
    for (const u of v.users.slice(1)) {
      if (u.ctid === owner.ctid) continue;
      const a = owner.entry.volume!;
      const b = u.entry.volume!;
      const at = `CTID ${owner.ctid} (at ${ctx.r.where(entryPath(owner.entry))})`;
      if (a.pool !== b.pool)
        ctx.r.report(
          'error',
          'PHX122',
          [...entryPath(u.entry), 'pool'],
          `volume ${v.name} is on storage ${a.pool} in ${at} but on ${b.pool} here in CTID ${u.ctid}: one named volume lives on one storage`,
        );
      if (a.size_gb !== b.size_gb)
        ctx.r.report(
          'error',
          'PHX122',
          [...entryPath(u.entry), 'size_gb'],
          `volume ${v.name} is ${a.size_gb} GiB in ${at} but ${b.size_gb} GiB here in CTID ${u.ctid}: one named volume has one size`,
        );
      const [na, nb] = [ctx.all.get(owner.ctid)!.own.node, ctx.all.get(u.ctid)!.own.node];
      if (na !== nb)
        ctx.r.report(
          'error',
          'PHX122',
          entryPath(u.entry),
          `volume ${v.name} belongs to CTID ${owner.ctid} on node ${na} (at ${ctx.r.where(entryPath(owner.entry))}), and CTID ${u.ctid} lives on node ${nb}: a container's volume is mounted by the node the container runs on, so containers sharing one volume must live on one node; for data several nodes use, bind-mount a folder of a storage they share (mount_points)`,
        );
    }
  }
}

/**
 * Says how a shared volume works on Proxmox: the first CTID in create order allocates it
 * (pct set --mpN POOL:SIZE), the others mount that volume by its id (root may reference another
 * guest's volume: check_ct_modify_config_perm returns early for root@pam, src/PVE/LXC.pm:1658;
 * others need VM.Config.Disk on the owner, pve-storage src/PVE/Storage.pm:644-646). The volume
 * belongs to the allocating CTID: pct destroy of it frees the volume while others mount it
 * (delete_mountpoint_volume, src/PVE/LXC.pm:1008-1021, frees only its owner's volumes), and only
 * it can resize it (src/PVE/API2/LXC.pm:2383-2387). The mount point flag `shared` is about
 * migration between nodes, not about sharing between containers (src/PVE/LXC/Config.pm:414-422).
 * Only a subvolume can be mounted by two running containers: Proxmox bind-mounts it (a directory,
 * src/PVE/LXC.pm:2210-2246; what a zfspool storage gives containers, 2602-2605), while a raw volume's
 * file system is mounted by each container, through its own loop device for a file (2247-2285);
 * the mounting create.sh checks the volume id.
 */
function sharedVolumeNotes(ctx: Ctx): void {
  for (const v of ctx.order.volumes) {
    const owner = v.users[0];
    const others = sortCtids([...new Set(v.users.map((u) => u.ctid).filter((c) => c !== owner.ctid))]);
    if (!ctx.ids.includes(owner.ctid)) continue;
    const a = owner.entry.volume!;
    ctx.r.report(
      'note',
      'PHX123',
      entryPath(owner.entry),
      `volume ${v.name} is one volume for CTIDs ${[owner.ctid, ...others].join(', ')}: CTID ${owner.ctid}'s create.sh allocates it (pct set ${owner.ctid} --${owner.entry.mp} ${a.pool}:${a.size_gb}), and the create.sh of ${others.join(', ')} mounts that same volume; it belongs to CTID ${owner.ctid}: pct destroy ${owner.ctid} deletes it even while ${others.join(', ')} ${others.length > 1 ? 'mount' : 'mounts'} it (pve-container src/PVE/LXC.pm:1008-1021), and only ${owner.ctid} can resize it (src/PVE/API2/LXC.pm:2383-2387); it must be a subvolume (what a zfspool storage gives containers), which Proxmox bind-mounts: two containers mounting one raw volume's file system would corrupt it (src/PVE/LXC.pm:2210-2285)`,
    );
  }
}

/** Inside an unprivileged container uid N is host uid 100000 + N under Proxmox's default map. */
function hostIds(ctx: Ctx, id: string, uid: number | undefined, gid: number | undefined): { uid?: number; gid?: number } {
  const unpriv = ctx.all.get(id)!.effective.unprivileged !== false;
  return { ...(uid !== undefined ? { uid: defaultHostId(uid, unpriv) } : {}), ...(gid !== undefined ? { gid: defaultHostId(gid, unpriv) } : {}) };
}

/**
 * Proxmox has no owner option on a mount point (src/PVE/LXC/Config.pm:345-423, 1001-1029): create.sh
 * chowns the folder. Inside an unprivileged container an id must fall in the default map
 * (0-65535 -> 100000-165535, src/PVE/LXC.pm:799-802, 2925-2929); one host folder (or one shared
 * volume) gets one owner.
 */
function mountOwners(ctx: Ctx): void {
  const seenHost = new Map<string, { ctid: string; entry: MountEntry; uid?: number; gid?: number }>();
  for (const id of ctx.ids) {
    for (const e of mountLayout(ctx.all, id)) {
      if (e.source !== 'own') continue;
      const o = e.bind ?? e.volume!;
      const ids = hostIds(ctx, id, o.owner_uid, o.owner_gid);
      for (const [k, v] of [
        ['owner_uid', o.owner_uid],
        ['owner_gid', o.owner_gid],
      ] as const) {
        if (v !== undefined && ids[k === 'owner_uid' ? 'uid' : 'gid'] === undefined)
          ctx.r.report(
            'error',
            'PHX128',
            [...entryPath(e), k],
            `${k === 'owner_uid' ? 'uid' : 'gid'} ${v} is outside the id map of unprivileged CTID ${id}: Proxmox maps ids 0-65535 to host ids 100000-165535 (pve-container src/PVE/LXC.pm:799-802)`,
          );
      }
      if (o.owner_uid === undefined && o.owner_gid === undefined) continue;
      if (e.kind === 'device') {
        ctx.r.report(
          'error',
          'PHX128',
          entryPath(e),
          `${e.bind!.host_path} is a device: create.sh does not chown a host device node; pass it through with devN instead, which takes uid, gid and mode for the node in the container (pct set CTID --devN ${e.bind!.host_path},uid=N,gid=N: pve-container src/PVE/LXC/Config.pm:1080-1124)`,
        );
        continue;
      }
      if (e.kind === 'volume') continue;
      const key = e.bind!.host_path.replace(/\/+$/, '') || '/';
      const prev = seenHost.get(key);
      if (!prev) {
        seenHost.set(key, { ctid: id, entry: e, ...ids });
        continue;
      }
      const clash = (['uid', 'gid'] as const).filter((k) => prev[k] !== undefined && ids[k] !== undefined && prev[k] !== ids[k]);
      if (clash.length)
        ctx.r.report(
          'error',
          'PHX128',
          entryPath(e),
          `host folder ${key} gets owner ${clash.map((k) => `${k} ${ids[k]}`).join(', ')} (host ids) here, but ${clash.map((k) => `${k} ${prev[k]}`).join(', ')} from CTID ${prev.ctid} (at ${ctx.r.where(entryPath(prev.entry))}): one folder has one owner`,
        );
    }
  }
  for (const v of ctx.order.volumes) {
    const withOwner = v.users.filter((u) => u.entry.volume!.owner_uid !== undefined || u.entry.volume!.owner_gid !== undefined);
    if (withOwner.length < 2) continue;
    const [a, ...rest] = withOwner;
    const ha = hostIds(ctx, a.ctid, a.entry.volume!.owner_uid, a.entry.volume!.owner_gid);
    for (const b of rest) {
      const hb = hostIds(ctx, b.ctid, b.entry.volume!.owner_uid, b.entry.volume!.owner_gid);
      const clash = (['uid', 'gid'] as const).filter((k) => ha[k] !== undefined && hb[k] !== undefined && ha[k] !== hb[k]);
      if (clash.length)
        ctx.r.report(
          'error',
          'PHX128',
          entryPath(b.entry),
          `volume ${v.name} gets owner ${clash.map((k) => `${k} ${hb[k]}`).join(', ')} (host ids) in CTID ${b.ctid}, but ${clash.map((k) => `${k} ${ha[k]}`).join(', ')} in CTID ${a.ctid} (at ${ctx.r.where(entryPath(a.entry))}): one volume has one owner`,
        );
    }
  }
}

/**
 * id_maps would need lxc.idmap lines for the whole map (Proxmox drops its default map as soon as
 * one lxc.idmap line is present, src/PVE/LXC.pm:732-733, 799-802) and the host's /etc/subuid and
 * /etc/subgid entries; create.sh writes neither yet, so say so instead of dropping it silently.
 */
function idMapsNotApplied({ ids, all, r }: Ctx): void {
  for (const id of ids) {
    if ((all.get(id)!.own.id_maps ?? []).length)
      r.report(
        'warning',
        'PHX129',
        C(id, 'id_maps'),
        `id_maps is not applied: create.sh writes no lxc.idmap lines, so the container keeps Proxmox's default map (u and g 0 100000 65536, pve-container src/PVE/LXC.pm:799-802), and mount point owners are mapped with it`,
      );
  }
}

/**
 * At boot Proxmox starts a dependency before its dependent only when the dependency's order is
 * strictly lower; it waits the dependency's `up` seconds after starting it (pve-manager 14a22df3
 * PVE/API2/Nodes.pm:2229-2288; see compiler/plan/order.ts). Orders the config leaves out are
 * derived (a note says which).
 */
function bootOrderFollowsDependencies(ctx: Ctx): void {
  const { all, ids, order, r } = ctx;
  const delayWarned = new Set<string>();
  for (const id of ids) {
    const rc = all.get(id)!;
    const me = order.boot.get(id)!;
    if (!me.atBoot) continue;
    const orderPath = (ctid: string) => {
      const o = all.get(ctid)!.origin.boot_order;
      return o?.kind === 'inherited' ? C(o.from, 'boot_order') : C(ctid, 'boot_order');
    };
    const orderText = (ctid: string) => {
      const b = order.boot.get(ctid)!;
      const o = all.get(ctid)!.origin.boot_order;
      return b.derived
        ? `order ${b.order} (derived)`
        : o?.kind === 'inherited'
          ? `boot_order ${b.order} (inherited from CTID ${o.from})`
          : `boot_order ${b.order}`;
    };
    // a dependency on another cluster node is not ordered by boot order (check/cluster.ts says so, PHX133)
    const deps = (rc.own.dependencies ?? []).map((d, i) => ({ d, i })).filter(({ d }) => all.has(d) && d !== id && all.get(d)!.own.node === rc.own.node);
    for (const { d, i } of deps) {
      const dep = order.boot.get(d)!;
      if (!dep.atBoot) {
        r.report(
          'warning',
          'PHX126',
          C(id, 'dependencies', i),
          `CTID ${id} starts at boot but its dependency ${d} does not (start_at_boot is not true): Proxmox starts only guests marked onboot (pve-manager PVE/API2/Nodes.pm:2079), so ${id} starts without it`,
        );
        continue;
      }
      if (dep.order !== undefined && me.order !== undefined && dep.order >= me.order)
        r.report(
          'error',
          'PHX125',
          me.derived ? C(id, 'dependencies', i) : orderPath(id),
          `CTID ${id} (${orderText(id)}) depends on ${d} (${orderText(d)}), but Proxmox starts ${d} first only when its order is lower: it starts guests in ascending order and waits for one order to be up before the next (pve-manager PVE/API2/Nodes.pm:2229-2288); give ${d} a boot_order below ${me.order}, or ${id} one above ${dep.order}`,
        );
      if (!dep.delay && !delayWarned.has(d)) {
        delayWarned.add(d);
        const dependents = ids.filter((x) => order.boot.get(x)!.atBoot && (all.get(x)!.own.dependencies ?? []).includes(d));
        r.report(
          'warning',
          'PHX126',
          C(d, 'boot_delay'),
          `CTID ${d} starts at boot before ${dependents.join(', ')}, which depend${dependents.length > 1 ? '' : 's'} on it, but has no boot_delay: Proxmox goes on to the next order as soon as ${d}'s start task ends (pve-manager PVE/API2/Nodes.pm:2262-2288), before its services answer; set boot_delay to the seconds they need`,
        );
      }
    }
    const bootDeps = deps.map(({ d }) => d).filter((d) => order.boot.get(d)!.atBoot);
    if (me.derived)
      r.report(
        'note',
        'PHX127',
        C(id),
        `starts at boot without a boot_order: create.sh sets --startup order=${me.order}${bootDeps.length ? `, after its dependencies ${bootDeps.map((d) => `${d} (order ${order.boot.get(d)!.order})`).join(', ')}` : ', before the CTIDs that depend on it'}`,
        { key: true },
      );
  }
}
