/**
 * The orders of the fleet, computed from the resolved CTIDs: the order to create them in and the
 * order Proxmox starts them at boot. The fleet checks report from them (PHX125-PHX127) and the
 * planners emit them (create.sh, `phoenix list`).
 *
 * Boot (github:proxmox/pve-manager 14a22df3, PVE/API2/Nodes.pm): `startall` starts only guests
 * with onboot set (get_start_stop_list, 2068-2091), in ascending startup order, guests without an
 * order last (LONG_MAX, 2083), the same order by VMID (2229-2232); after launching each start it
 * waits the guest's `up` seconds (2262-2270), and it waits for every start of one order to finish
 * before the next order (2282-2288). So a dependency is up before its dependent starts only when
 * its order is strictly lower, and its services have its `up` delay to come up. VMs and
 * containers share this one sequence. Nothing in Proxmox checks that a dependency runs.
 */
import type { ResolvedContainer } from '../resolve';
import { compareCtids, sortCtids } from '../resolve';
import type { Need } from './model';
import { sharedVolumes, SharedVolume } from './mounts';

export interface BootPlan {
  atBoot: boolean;
  /** The startup order: the effective boot_order, or one derived from the dependencies. */
  order?: number;
  /** order was derived (the CTID has no boot_order of its own or inherited). */
  derived: boolean;
  /** Seconds (boot_delay, pct --startup up=). */
  delay?: number;
}

export interface FleetOrder {
  /** Every CTID of the map, in an order that creates each one after all it needs (then by CTID). */
  createOrder: string[];
  /** What each CTID needs created (or running) first, in that order. */
  needs: Map<string, Need[]>;
  volumes: SharedVolume[];
  boot: Map<string, BootPlan>;
}

/** Kahn's algorithm, smallest CTID first among the ready ones; CTIDs on a cycle come last, by CTID. */
function topological(ids: readonly string[], before: (ctid: string) => string[]): string[] {
  const inMap = new Set(ids);
  const indeg = new Map(ids.map((id) => [id, 0]));
  const after = new Map<string, string[]>();
  for (const id of ids)
    for (const b of new Set(before(id)))
      if (inMap.has(b) && b !== id) {
        indeg.set(id, indeg.get(id)! + 1);
        const list = after.get(b);
        if (list) list.push(id);
        else after.set(b, [id]);
      }
  // The ready CTIDs, largest first: the smallest is popped from the end, a new one is put in its
  // place by binary search (each step O(log n) compares, not a sort of the whole list).
  const ready = sortCtids(ids.filter((id) => indeg.get(id) === 0)).reverse();
  const out: string[] = [];
  while (ready.length) {
    const id = ready.pop()!;
    out.push(id);
    for (const n of after.get(id) ?? []) {
      indeg.set(n, indeg.get(n)! - 1);
      if (indeg.get(n) === 0) {
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (compareCtids(ready[mid], n) > 0) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, n);
      }
    }
  }
  const placed = new Set(out);
  return [...out, ...sortCtids(ids.filter((id) => !placed.has(id)))];
}

/** The create order, what each CTID needs, the shared volumes and the boot orders of every CTID of `all`. */
export function fleetOrder(all: ReadonlyMap<string, ResolvedContainer>): FleetOrder {
  const ids = sortCtids(all.keys());
  const base = (id: string): Need[] => {
    const own = all.get(id)!.own;
    const needs: Need[] = [];
    if (own.clone_from_ctid !== undefined && all.has(own.clone_from_ctid)) needs.push({ ctid: own.clone_from_ctid, why: 'clone source' });
    for (const d of own.dependencies ?? []) if (all.has(d) && d !== id) needs.push({ ctid: d, why: 'dependency' });
    return needs;
  };
  const first = topological(ids, (id) => base(id).map((n) => n.ctid));
  const rank = new Map(first.map((id, i) => [id, i]));
  const volumes = sharedVolumes(all, ids, (id) => rank.get(id) ?? Infinity);
  const needs = new Map(ids.map((id) => [id, base(id)]));
  for (const v of volumes)
    for (const u of v.users)
      if (u.ctid !== v.owner && !needs.get(u.ctid)!.some((n) => n.ctid === v.owner && n.volume === v.name))
        needs.get(u.ctid)!.push({ ctid: v.owner, why: 'shared volume', volume: v.name });
  const createOrder = topological(ids, (id) => needs.get(id)!.map((n) => n.ctid));
  return { createOrder, needs, volumes, boot: bootPlans(all, ids) };
}

/**
 * Boot orders. A CTID that starts at boot and depends on, or is a dependency of, another CTID that
 * starts at boot gets its own boot_order, or else one more than the highest order among its
 * dependencies that start at boot (1 when it has none), so that Proxmox starts it after them (see
 * the module comment); an order inherited from a template does not count there, since create.sh
 * sets --startup itself. Every other CTID keeps its effective boot_order (own or inherited: pct
 * clone copies `startup`, src/PVE/API2/LXC.pm:2119-2122).
 */
function bootPlans(all: ReadonlyMap<string, ResolvedContainer>, ids: readonly string[]): Map<string, BootPlan> {
  const atBoot = (id: string) => all.get(id)?.effective.start_at_boot === true;
  // Each node of a cluster starts only its own guests, in its own order (check/cluster.ts, PHX133):
  // a dependency on another node is not ordered by boot order.
  const sameNode = (a: string, b: string) => all.get(a)!.own.node === all.get(b)!.own.node;
  const deps = (id: string) => (all.get(id)!.own.dependencies ?? []).filter((d) => all.has(d) && d !== id && atBoot(d) && sameNode(id, d));
  const isDependency = new Set<string>();
  for (const id of ids) if (atBoot(id)) for (const d of deps(id)) isDependency.add(d);
  const plans = new Map<string, BootPlan>();
  for (const id of topological(ids, deps)) {
    const { effective: eff, own } = all.get(id)!;
    const plan: BootPlan = { atBoot: atBoot(id), derived: false, ...(eff.boot_delay !== undefined ? { delay: eff.boot_delay } : {}) };
    const related = plan.atBoot && (deps(id).length > 0 || isDependency.has(id));
    if (own.boot_order !== undefined || (!related && eff.boot_order !== undefined)) plan.order = eff.boot_order;
    else if (related) {
      const below = deps(id)
        .map((d) => plans.get(d)?.order)
        .filter((o): o is number => o !== undefined);
      plan.order = below.length ? Math.max(...below) + 1 : 1;
      plan.derived = true;
    }
    plans.set(id, plan);
  }
  return plans;
}
