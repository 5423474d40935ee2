/**
 * Stage 4, check across the fleet: what only shows when CTIDs are read together (clone and
 * dependency graphs, unique addresses, the GPU budget) and what needs the clone chain (GPU and
 * feature rules). Runs on a schema-valid document.
 */
import { Diagnostic, DiagnosticCode, PositionIndex, Reporter } from '../diagnostics';
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { PathSeg } from '../util/jsonpath';
import type { ResolvedContainer } from '../resolve';
import { sortCtids } from '../resolve';
import { isCluster, nodeOf } from '../plan/cluster';
import { GpuUse, hostGpus, parseGpuAssignment } from '../plan/gpus';

const C = (ctid: string, ...rest: PathSeg[]): PathSeg[] => ['lxc_configs', ctid, ...rest];

/** What every fleet rule sees. */
interface FleetCheck {
  r: Reporter;
  doc: PhoenixLxcConfigs;
  configs: PhoenixLxcConfigs['lxc_configs'];
  /** The CTIDs in scope, in numeric order. */
  ids: string[];
  scope: ReadonlySet<string>;
  resolved: Map<string, ResolvedContainer>;
}

const RULES: ((c: FleetCheck) => void)[] = [
  fleetNotEmpty,
  macUnicast,
  gpusAssignedOnce,
  cloneSourcesExist,
  cloneChainsAcyclic,
  dependenciesKnown,
  dependenciesAcyclic,
  identityUnique,
  gpusAndFeaturesAlongChain,
];

/**
 * `scope`: the CTIDs to check (all, or the --only selection when other CTIDs may be invalid);
 * existence checks still see every CTID of the file.
 */
export function checkFleet(config: PositionIndex, doc: PhoenixLxcConfigs, resolved: Map<string, ResolvedContainer>, scope: ReadonlySet<string>): Diagnostic[] {
  const r = new Reporter(config);
  const configs = doc.lxc_configs;
  const c: FleetCheck = { r, doc, configs, ids: sortCtids(Object.keys(configs)).filter((id) => scope.has(id)), scope, resolved };
  for (const rule of RULES) rule(c);
  return r.diagnostics;
}

/** An empty lxc_configs compiles to an empty out/: every generated file would be removed. Probably not meant. */
function fleetNotEmpty({ r, configs }: FleetCheck): void {
  if (Object.keys(configs).length === 0)
    r.report('warning', 'PHX119', ['lxc_configs'], 'has no containers: the compile would remove every generated file of the output folder');
}

/**
 * net0's hwaddr must be a unicast address: Proxmox's mac-addr format refuses one whose I/G bit
 * (the lowest bit of the first octet) is set, "value does not look like a valid unicast MAC
 * address" (pve-common f665029, src/PVE/JSONSchema.pm:456-466).
 */
function macUnicast({ r, configs, ids }: FleetCheck): void {
  for (const id of ids) {
    const mac = configs[id].mac_address;
    if (mac === undefined || (parseInt(mac.slice(0, 2), 16) & 1) === 0) continue;
    r.report(
      'error',
      'PHX117',
      C(id, 'mac_address'),
      `${mac} is a multicast address (the lowest bit of its first octet is set); Proxmox refuses it for net0: "value does not look like a valid unicast MAC address" (pve-common src/PVE/JSONSchema.pm:456-466); locally administered unicast addresses start with x2, x6, xA or xE, such as 02:...`,
    );
  }
}

/** Each GPU once: "1,1" would pass /dev/nvidia1 twice and count as two GPUs for tensor parallelism. */
function gpusAssignedOnce({ r, configs, ids }: FleetCheck): void {
  for (const id of ids) {
    const list = parseGpuAssignment(configs[id].gpu_assignment);
    const twice = list.filter((g, i) => list.indexOf(g) !== i);
    if (twice.length) r.report('error', 'PHX118', C(id, 'gpu_assignment'), `assigns GPU ${[...new Set(twice)].join(', ')} more than once; list each GPU once`);
  }
}

/**
 * `pct clone SRC NEW --snapname S` needs SRC to exist and to have the snapshot S
 * (pve-container src/PVE/API2/LXC.pm, clone_vm: "snapshot 'S' does not exist").
 */
function cloneSourcesExist({ r, configs, ids }: FleetCheck): void {
  for (const id of ids) {
    const src = configs[id].clone_from_ctid;
    if (src === undefined) continue;
    if (!configs[src]) {
      const guess = ids.filter((x) => x !== id && configs[x].template_snapshot_name !== undefined);
      r.report(
        'error',
        'PHX101',
        C(id, 'clone_from_ctid'),
        `clones from CTID ${src}, which is not in lxc_configs` + (guess.length ? ` (templates with a snapshot: ${guess.join(', ')})` : ''),
      );
      continue;
    }
    if (configs[src].template_snapshot_name === undefined) {
      r.report('error', 'PHX103', C(id, 'clone_from_ctid'), `clones from CTID ${src}, which has no "template_snapshot_name" to clone from`);
    }
  }
}

/** A clone chain that returns to itself has no first container to create. */
function cloneChainsAcyclic({ r, configs, ids, scope }: FleetCheck): void {
  for (const cycle of findCycles(ids, (id) => [configs[id].clone_from_ctid ?? ''].filter((s) => scope.has(s)))) {
    r.report('error', 'PHX102', C(cycle[0], 'clone_from_ctid'), `clone chain is a cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  }
}

/** A dependency names a guest of this file or a declared external guest (a VM, a guest managed elsewhere). */
function dependenciesKnown({ r, doc, configs, ids }: FleetCheck): void {
  const external = new Set(doc.external_guests ?? []);
  for (const id of ids) {
    (configs[id].dependencies ?? []).forEach((dep, i) => {
      if (!configs[dep] && !external.has(dep)) {
        // A warning, not an error: the guest may be a VM or live in another file (the real 2b02afc
        // file depends on 1002 this way); --strict makes it fail.
        r.report(
          'warning',
          'PHX104',
          C(id, 'dependencies', i),
          `depends on CTID ${dep}, which is not in lxc_configs; if it is a VM or a guest defined elsewhere, list it in "external_guests"`,
        );
      }
    });
  }
}

/** Dependencies that return to themselves can never all be running first. */
function dependenciesAcyclic({ r, configs, ids, scope }: FleetCheck): void {
  for (const cycle of findCycles(ids, (id) => (configs[id].dependencies ?? []).filter((d) => scope.has(d)))) {
    r.report('error', 'PHX105', C(cycle[0], 'dependencies'), `dependencies form a cycle: ${[...cycle, cycle[0]].join(' -> ')}`);
  }
}

/**
 * Identity: IPs, MACs and hostnames unique across the fleet; hostnames valid (RFC 1123 labels:
 * 1-63 letters, digits or '-', not starting or ending with '-'); the gateway inside net0's subnet.
 */
function identityUnique({ r, configs, ids }: FleetCheck): void {
  const firstIp = new Map<string, string>();
  const firstMac = new Map<string, string>();
  const firstName = new Map<string, string>();
  for (const id of ids) {
    const c = configs[id];
    const ip = c.network_config?.ip?.split('/')[0];
    if (ip !== undefined) uniq(r, firstIp, ip, id, 'PHX106', C(id, 'network_config', 'ip'), `IP address ${ip}`);
    if (c.mac_address !== undefined) uniq(r, firstMac, c.mac_address.toLowerCase(), id, 'PHX107', C(id, 'mac_address'), `MAC address ${c.mac_address}`);
    uniq(r, firstName, c.name.toLowerCase(), id, 'PHX108', C(id, 'name'), `hostname ${JSON.stringify(c.name)}`);
    const bad = c.name.split('.').find((label) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
    if (bad !== undefined)
      r.report(
        'error',
        'PHX109',
        C(id, 'name'),
        `${JSON.stringify(c.name)} is not a valid hostname: the label ${JSON.stringify(bad)} must be 1-63 letters, digits or '-', not starting or ending with '-'`,
      );
    const gw = c.network_config?.gw;
    if (c.network_config?.ip && gw && !sameSubnet(c.network_config.ip, gw)) {
      r.report('warning', 'PHX110', C(id, 'network_config', 'gw'), `gateway ${gw} is outside the subnet of ${c.network_config.ip}`);
    }
  }
}

/**
 * Along the clone chain: every assigned GPU exists on the host (in a cluster: on the CTID's node,
 * whose GPUs are its own); the vllm feature has the nvidia feature below it; the container has
 * something to be created from (pct create needs an OS template, pct clone a source).
 */
function gpusAndFeaturesAlongChain({ r, doc, resolved }: FleetCheck): void {
  for (const [id, rc] of resolved) {
    const eff = rc.effective;
    const node = nodeOf(doc, id);
    if (isCluster(doc) && (node === undefined || !doc.nodes![node])) continue; // PHX131 (check/cluster.ts)
    const gpus = hostGpus(doc, node);
    const gpuIndex = new Set(gpus.map((g) => g.index));
    const assignment = parseGpuAssignment(eff.gpu_assignment);
    const gpuPath = gpuAssignmentPath(rc);
    for (const g of assignment) {
      if (!gpuIndex.has(g)) {
        const where = node === undefined ? 'this host (host_gpus' : `node ${node} (its GPUs`;
        r.report(
          'error',
          'PHX111',
          gpuPath,
          `GPU ${g} is not on ${where}: ${gpus.map((x) => x.index).join(', ') || 'none'})` + inheritedNote(rc, 'gpu_assignment'),
          { ctid: id },
        );
      }
    }
    const features = eff.features ?? [];
    if (features.includes('vllm') && !features.includes('nvidia')) {
      r.report(
        'error',
        'PHX112',
        featurePath(rc, 'vllm'),
        `the vllm feature needs the nvidia feature on this CTID or its clone chain (${rc.chain.join(' -> ')})`,
        { ctid: id },
      );
    }
    if (!rc.own.template && !rc.own.clone_from_ctid) {
      r.report('error', 'PHX114', C(id), 'neither "template" nor "clone_from_ctid": there is nothing to create the container from', { key: true, ctid: id });
    }
  }
}

function gpuAssignmentPath(rc: ResolvedContainer): PathSeg[] {
  const o = rc.origin.gpu_assignment;
  const layer = o?.kind === 'inherited' ? o.from : rc.ctid;
  return C(layer, 'gpu_assignment');
}

function featurePath(rc: ResolvedContainer, feature: string): PathSeg[] {
  const o = rc.featureOrigin[feature];
  const layer = o?.kind === 'inherited' ? o.from : rc.ctid;
  return C(layer, 'features');
}

function inheritedNote(rc: ResolvedContainer, key: string): string {
  const o = rc.origin[key];
  return o?.kind === 'inherited' ? ` (inherited from CTID ${o.from})` : '';
}

function uniq(r: Reporter, first: Map<string, string>, key: string, id: string, code: DiagnosticCode, path: PathSeg[], what: string): void {
  const prev = first.get(key);
  if (prev === undefined) {
    first.set(key, id);
    return;
  }
  const prevPath = path.slice();
  prevPath[1] = prev;
  r.report('error', code, path, `${what} is also used by CTID ${prev} (at ${r.where(prevPath)})`);
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function sameSubnet(cidr: string, gw: string): boolean {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (bits === 0) return true;
  const size = 2 ** (32 - bits);
  return Math.floor(ipToInt(ip) / size) === Math.floor(ipToInt(gw) / size);
}

/** Each elementary cycle reported once, starting from its smallest CTID. */
function findCycles(ids: string[], next: (id: string) => string[]): string[][] {
  const state = new Map<string, 'active' | 'done'>();
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'active');
    stack.push(id);
    for (const n of next(id)) {
      if (state.get(n) === 'active') {
        const cyc = stack.slice(stack.indexOf(n));
        const min = sortCtids(cyc)[0];
        const rot = [...cyc.slice(cyc.indexOf(min)), ...cyc.slice(0, cyc.indexOf(min))];
        const key = rot.join(',');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(rot);
        }
      } else if (!state.has(n)) visit(n);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of ids) if (!state.has(id)) visit(id);
  return cycles;
}

/**
 * Containers that start at boot and share a GPU must not claim more than all of its memory
 * (each vLLM server takes gpu_memory_utilization of the whole GPU: vllm/config/cache.py).
 */
export function checkGpuBudget(r: Reporter, budget: readonly GpuUse[]): void {
  for (const u of budget) {
    if (u.bootServers < 2 || !u.over) continue;
    const users = u.rows.filter((x) => x.atBoot && x.util !== undefined);
    const last = users[users.length - 1];
    r.report(
      'warning',
      'PHX113',
      C(last.ctid, 'gpu_assignment'),
      `GPU ${u.index}${u.node !== undefined ? ` of node ${u.node}` : ''} is shared by containers that start at boot whose gpu_memory_utilization adds up to ${u.bootSum} (> 1): ${users.map((x) => `${x.ctid}: ${x.util}`).join(', ')}`,
    );
  }
}
