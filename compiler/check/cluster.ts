/**
 * Stage 4, check the Proxmox VE cluster (top-level `nodes`, per-CTID `node`): every rule a named
 * function citing its source. A config without `nodes` and without any `node` passes all of them
 * silently. The cluster-wide uniqueness of CTIDs, IPs, MACs and hostnames needs nothing here: the
 * fleet checks already compare every CTID of the file, whatever its node. GPU assignment and the
 * GPU budget per node live with the other GPU rules (check/fleet.ts, plan/gpus.ts).
 */
import { Diagnostic, PositionIndex, Reporter } from '../diagnostics';
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { sortCtids } from '../resolve';
import { nearest } from '../util/suggest';
import { crossNodeClone, isCluster, NODE_NAME_RE, nodeOf, onOtherNodes } from '../plan/cluster';

type Rule = (r: Reporter, doc: PhoenixLxcConfigs, resolved: ReadonlyMap<string, ResolvedContainer>, ids: string[]) => void;

const RULES: Rule[] = [nodeNames, nodeAddressesUnique, containerNodes, crossNodeClones, crossNodeDependencies];

/** `scope`: the CTIDs to check (all, or the --only selection); node-level rules always run. */
export function checkCluster(
  config: PositionIndex,
  doc: PhoenixLxcConfigs,
  resolved: ReadonlyMap<string, ResolvedContainer>,
  scope: ReadonlySet<string>,
): Diagnostic[] {
  const r = new Reporter(config);
  const ids = sortCtids(Object.keys(doc.lxc_configs)).filter((id) => scope.has(id));
  for (const rule of RULES) rule(r, doc, resolved, ids);
  return r.diagnostics;
}

/**
 * Node names follow Proxmox's rule for the 'pve-node' format (pve-common src/PVE/JSONSchema.pm:
 * 347-355, pve_verify_node_name): letters, digits and '-', not starting or ending with '-'. The
 * node name is the host name up to its first dot (pve-common src/PVE/INotify.pm:523-534; pmxcfs
 * the same, pve-cluster src/pmxcfs/pmxcfs.c:821-826), so a dotted name never names a node.
 */
function nodeNames(r: Reporter, doc: PhoenixLxcConfigs): void {
  for (const name of Object.keys(doc.nodes ?? {})) {
    if (NODE_NAME_RE.test(name)) continue;
    const hint = name.includes('.') ? ` (the node name is the host name up to its first dot: ${JSON.stringify(name.split('.')[0])})` : '';
    r.report(
      'error',
      'PHX130',
      ['nodes', name],
      `${JSON.stringify(name)} is not a Proxmox node name: letters, digits and '-', not starting or ending with '-'${hint}`,
      { key: true },
    );
  }
}

/** Two nodes cannot be one address: out/phoenix would run one node's scripts on the other. */
function nodeAddressesUnique(r: Reporter, doc: PhoenixLxcConfigs): void {
  const first = new Map<string, string>();
  for (const name of Object.keys(doc.nodes ?? {}).sort()) {
    const a = doc.nodes![name].address?.toLowerCase();
    if (a === undefined) continue;
    const prev = first.get(a);
    if (prev === undefined) first.set(a, name);
    else
      r.report(
        'error',
        'PHX130',
        ['nodes', name, 'address'],
        `address ${JSON.stringify(doc.nodes![name].address)} is also node ${prev}'s (at ${r.where(['nodes', prev, 'address'])})`,
      );
  }
}

/**
 * With `nodes`, every container names the node it lives on: a guest belongs to exactly one node
 * (/etc/pve/nodes/<node>/lxc/<CTID>.conf: pve-container src/PVE/LXC/Config.pm:59-64) and `pct`
 * only reaches the local node's guests (src/PVE/CLI/pct.pm:34, 1061-1154). Without `nodes`, a
 * `node` has nothing to name.
 */
function containerNodes(r: Reporter, doc: PhoenixLxcConfigs, _resolved: ReadonlyMap<string, ResolvedContainer>, ids: string[]): void {
  const names = Object.keys(doc.nodes ?? {}).sort();
  for (const id of ids) {
    const node = doc.lxc_configs[id].node;
    if (!isCluster(doc)) {
      if (node !== undefined)
        r.report(
          'error',
          'PHX131',
          ['lxc_configs', id, 'node'],
          `names node ${JSON.stringify(node)}, but the file has no top-level "nodes" (add "nodes": {${JSON.stringify(node)}: {}} to describe the cluster)`,
        );
      continue;
    }
    if (node === undefined) {
      r.report(
        'error',
        'PHX131',
        ['lxc_configs', id],
        `has no "node": with a top-level "nodes", every container names the node it lives on (${names.join(', ') || 'no node is declared'})`,
        { key: true },
      );
    } else if (!doc.nodes![node]) {
      const guess = nearest(node, names);
      r.report(
        'error',
        'PHX131',
        ['lxc_configs', id, 'node'],
        `node ${JSON.stringify(node)} is not in "nodes" (${names.join(', ') || 'none'})` + (guess ? `; did you mean ${JSON.stringify(guess)}?` : ''),
      );
    }
  }
}

/**
 * A clone whose source lives on another node: Proxmox clones on the node that owns the source,
 * and `--target` only when every volume lands on a shared storage (pve-container
 * src/PVE/API2/LXC.pm:2003-2010, 2063-2081, 2124-2125). Otherwise create.sh clones it there and
 * migrates the stopped clone (plan/cluster.ts has the migration rules): say so.
 */
function crossNodeClones(r: Reporter, doc: PhoenixLxcConfigs, resolved: ReadonlyMap<string, ResolvedContainer>, ids: string[]): void {
  for (const id of ids) {
    const rc = resolved.get(id);
    if (!rc || !knownNodes(doc, id, rc.own.clone_from_ctid)) continue;
    const x = crossNodeClone(doc, resolved, rc);
    if (!x || x.via !== 'migrate') continue;
    const storage =
      x.storages.length === 0
        ? 'no storage is named for it'
        : `${x.storages.length === 1 ? 'storage' : 'storages'} ${x.storages.join(', ')} ${x.storages.length === 1 ? 'is' : 'are'} not in the shared_storages of both ${x.sourceNode} and ${x.node}`;
    r.report(
      'note',
      'PHX132',
      ['lxc_configs', id, 'clone_from_ctid'],
      `clones from CTID ${rc.own.clone_from_ctid} on node ${x.sourceNode}, and ${storage}: create.sh clones it on ${x.sourceNode} and then migrates it to ${x.node} ` +
        `(pct migrate, offline, before its first start; the storage must exist on ${x.node} too)`,
    );
  }
}

/**
 * Dependencies across nodes are allowed, but at boot each node starts only its own guests in its
 * own `startup: order=` (pve-manager services/pve-guests.service:21, PVE/API2/Nodes.pm:2040), so
 * the order cannot make a guest on another node start first: say so.
 */
function crossNodeDependencies(r: Reporter, doc: PhoenixLxcConfigs, _resolved: ReadonlyMap<string, ResolvedContainer>, ids: string[]): void {
  for (const id of ids) {
    (doc.lxc_configs[id].dependencies ?? []).forEach((dep, i) => {
      if (!knownNodes(doc, id, dep) || !onOtherNodes(doc, id, dep)) return;
      r.report(
        'note',
        'PHX133',
        ['lxc_configs', id, 'dependencies', i],
        `depends on CTID ${dep} on node ${nodeOf(doc, dep)}, while CTID ${id} is on ${nodeOf(doc, id)}: each node starts its own guests at boot, so boot_order cannot start ${dep} first`,
      );
    });
  }
}

/** Both CTIDs exist and name declared nodes (otherwise PHX131 or PHX101/PHX104 speak). */
function knownNodes(doc: PhoenixLxcConfigs, a: string, b: string | undefined): boolean {
  if (b === undefined || !doc.lxc_configs[b]) return false;
  const na = nodeOf(doc, a);
  const nb = nodeOf(doc, b);
  return na !== undefined && nb !== undefined && doc.nodes?.[na] !== undefined && doc.nodes?.[nb] !== undefined;
}
