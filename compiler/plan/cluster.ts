/**
 * The Proxmox VE cluster as the config describes it (top-level `nodes`, per-CTID `node`), shared
 * by the checks (check/cluster.ts) and the planners: which node each CTID lives on, each node's
 * GPUs, and how a clone whose source lives on another node is made. Without `nodes` every function
 * here answers "one host" (undefined / empty), so a config without it plans exactly as before.
 *
 * Facts from Proxmox (github:proxmox/pve-container 94f5585, pve-cluster 7091d92, pve-common
 * f665029, pve-manager 14a22df, pve-docs e5010dc):
 * - A guest belongs to the node whose folder holds its config: /etc/pve/nodes/<node>/lxc/<CTID>.conf
 *   (pve-container src/PVE/LXC/Config.pm:59-64; pve-docs pmxcfs.adoc:205-209), and /etc/pve/lxc is
 *   the local node's folder (pve-cluster src/pmxcfs/pmxcfs.c:683-686). `pct` passes the local node
 *   name to every API call (pve-container src/PVE/CLI/pct.pm:34, 1061-1154), so it acts on the
 *   local node's guests only.
 * - `pct clone` runs on the node that owns the source (clone_vm loads the source's config on the
 *   local node: src/PVE/API2/LXC.pm:2035). `--target NODE` moves the new config to another node at
 *   the end (move_config_to_node, 2294), and only when every volume of the clone is on a shared
 *   storage: `can't clone to non-shared storage '<storage>'` (2003-2010, with --storage) and
 *   `can't clone CT to node '<target>' (CT uses local storage)` (2063-2081, 2124-2125).
 * - Otherwise the clone is made on the source's node and moved with `pct migrate CTID NODE`
 *   (pve-docs pct.adoc:1129-1141): offline for a stopped container (src/PVE/API2/LXC.pm:1679-1698,
 *   src/PVE/LXC/Migrate.pm:50-54); local volumes are copied when the same storage exists on
 *   the target (Migrate.pm:97-107); a bind or device mount point refuses (`cannot migrate local
 *   <type> mount point`, 64-72); volumes referenced by snapshots on local storage refuse unless the
 *   storage is zfspool or btrfs (`non-migratable snapshot exists`, 250-258) and a linked clone on
 *   local storage refuses (`clone of '<base>'`, 325-328). A fresh clone has none of these: clone_vm
 *   drops snapshots (API2/LXC.pm:2130), refuses bind/device mount points (2107-2110) and makes a
 *   full clone from a source that is not a Proxmox template (2048-2051).
 * - Boot order is per node: each node starts its own guests (`pvesh create /nodes/localhost/startall`,
 *   pve-manager services/pve-guests.service:21; get_filtered_vmlist skips other nodes' guests,
 *   PVE/API2/Nodes.pm:2040), so `startup: order=` never orders guests of different nodes.
 */
import type { Container, PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { HostGpu, hostGpus } from './gpus';

/**
 * Proxmox's node name rule: pve-common src/PVE/JSONSchema.pm:347-355 (pve_verify_node_name,
 * format 'pve-node'): letters, digits and '-', not starting or ending with '-'.
 */
export const NODE_NAME_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

export interface ClusterNodeInfo {
  name: string;
  /** The address ssh connects to, when the config names one (else the cluster's own, at run time). */
  address?: string;
  /** The node's GPUs (its `gpus`, else `host_gpus` or the schema's default), sorted by index. */
  gpus: HostGpu[];
  /** Shared storages this node can use (`shared_storages`). */
  sharedStorages: string[];
}

/** Is the fleet a cluster (a top-level `nodes`)? */
export function isCluster(doc: PhoenixLxcConfigs): boolean {
  return doc.nodes !== undefined;
}

/** The cluster's nodes in name order, or [] without `nodes`. */
export function clusterNodes(doc: PhoenixLxcConfigs): ClusterNodeInfo[] {
  const nodes = doc.nodes ?? {};
  return Object.keys(nodes)
    .sort()
    .map((name) => ({
      name,
      ...(nodes[name].address !== undefined ? { address: nodes[name].address } : {}),
      gpus: hostGpus(doc, name),
      sharedStorages: [...(nodes[name].shared_storages ?? [])],
    }));
}

/** The node a CTID lives on (its own `node`, never inherited), when the fleet is a cluster. */
export function nodeOf(doc: PhoenixLxcConfigs, ctid: string): string | undefined {
  return isCluster(doc) ? doc.lxc_configs[ctid]?.node : undefined;
}

/**
 * Are CTIDs a and b on different nodes? False on one host, and when either is unknown (not in
 * lxc_configs: an external guest) or has no node.
 */
export function onOtherNodes(doc: PhoenixLxcConfigs, a: string, b: string): boolean {
  const na = nodeOf(doc, a);
  const nb = nodeOf(doc, b);
  return na !== undefined && nb !== undefined && na !== nb;
}

/** How a clone whose source lives on another node is made (see the file comment). */
export interface CrossNodeClonePlan {
  /** The node that owns the clone source: `pct clone` runs there. */
  sourceNode: string;
  /** The node the clone lives on. */
  node: string;
  /** 'target': pct clone --target NODE (every volume on a storage both nodes share); 'migrate': clone there, then pct migrate. */
  via: 'target' | 'migrate';
  /** The storages the clone's volumes land on (its --storage, else its source's volumes' storages). */
  storages: string[];
}

/**
 * The cross-node clone plan of a CTID, or undefined (not a clone, one host, or source and clone
 * on the same node). `storages`: with --storage every copied volume goes to that storage
 * (API2/LXC.pm:2076); without it each stays on its source's storage.
 */
export function crossNodeClone(doc: PhoenixLxcConfigs, all: ReadonlyMap<string, ResolvedContainer>, rc: ResolvedContainer): CrossNodeClonePlan | undefined {
  const src = rc.own.clone_from_ctid;
  if (src === undefined || !onOtherNodes(doc, rc.ctid, src)) return undefined;
  const node = nodeOf(doc, rc.ctid)!;
  const sourceNode = nodeOf(doc, src)!;
  const storages = rc.effective.storage_pool !== undefined ? [rc.effective.storage_pool] : sourceStorages(all.get(src)?.effective);
  const shared = (n: string) => new Set(doc.nodes?.[n]?.shared_storages ?? []);
  const a = shared(node);
  const b = shared(sourceNode);
  const via = storages.length > 0 && storages.every((s) => a.has(s) && b.has(s)) ? 'target' : 'migrate';
  return { sourceNode, node, via, storages };
}

/** Storages of the volumes a container's own create.sh makes: its root file system and its volumes. */
function sourceStorages(eff: Container | undefined): string[] {
  if (!eff) return [];
  const s = [eff.storage_pool, ...[...(eff.volumes ?? []), ...(eff.zfs_volumes ?? [])].map((v) => v.pool)].filter((x): x is string => x !== undefined);
  return [...new Set(s)];
}
