/**
 * A fake Proxmox VE cluster for running the generated scripts: one FakeHost per node (each with its
 * own file system root, stand-in pct and call log), sharing one /etc/pve tree as pmxcfs shares it
 * (each node's etc/pve/nodes is the same folder; etc/pve/lxc is the node's own part of it), with
 * the stand-ins test/harness/bin/pvesh (the cluster's API: /cluster/status, /cluster/resources) and
 * test/harness/bin/ssh (the cluster's root ssh trust: runs a command on another node, in that
 * node's environment). $PHX_FAKE_CLUSTER/cluster.json describes the nodes for the stand-ins:
 * address, online, storages, file system root and environment; `shared_storages` the storages with
 * `shared 1`.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Container } from '../harness/container';
import { FakeHost, ScriptRun } from './fake-host';
import { tmpDir } from './paths';

export interface FakeNodeSpec {
  name: string;
  ip: string;
  /** Storages enabled on the node (pvesm status, pct's storage checks). */
  storages: string[];
  /** The container `pct exec`/`pct push` reach on this node (the guests running there). */
  ct?: Container;
}

export class FakeCluster {
  readonly dir: string;
  readonly hosts: Map<string, FakeHost> = new Map();
  private readonly offline = new Set<string>();

  constructor(
    readonly nodes: FakeNodeSpec[],
    readonly sharedStorages: string[] = [],
  ) {
    this.dir = tmpDir('fakecluster');
    for (const n of nodes) {
      const host = new FakeHost(n.ct, { storages: n.storages, cluster: { dir: this.dir, node: n.name } });
      this.hosts.set(n.name, host);
      // pvecm updatecerts writes each node's host key under its name (pve-cluster src/PVE/Cluster/Setup.pm:230-240).
      fs.writeFileSync(path.join(this.dir, 'pmxcfs', 'nodes', n.name, 'ssh_known_hosts'), `${n.name} ssh-rsa AAAAB3NzaC1yc2EAAAADAQABfake${n.name}\n`);
    }
    this.writeDescription();
  }

  host(node: string): FakeHost {
    const h = this.hosts.get(node);
    if (!h) throw new Error(`no node ${node}`);
    return h;
  }

  /** A node that ssh cannot reach (powered off), or back online. */
  setOnline(node: string, online: boolean): void {
    if (online) this.offline.delete(node);
    else this.offline.add(node);
    this.writeDescription();
  }

  /** The node whose folder holds the CTID's config (where Proxmox says it lives), or undefined. */
  nodeOf(ctid: string): string | undefined {
    const tree = path.join(this.dir, 'pmxcfs', 'nodes');
    return fs.readdirSync(tree).find((n) => fs.existsSync(path.join(tree, n, 'lxc', `${ctid}.conf`)));
  }

  /**
   * Moves a container to another node by hand, as pve-docs pmxcfs.adoc:224-227 shows for a failed
   * node (`mv /etc/pve/nodes/node1/qemu-server/100.conf /etc/pve/nodes/node2/`).
   */
  moveByHand(ctid: string, to: string): void {
    const from = this.nodeOf(ctid);
    if (!from) throw new Error(`CTID ${ctid} does not exist`);
    const tree = path.join(this.dir, 'pmxcfs', 'nodes');
    fs.renameSync(path.join(tree, from, 'lxc', `${ctid}.conf`), path.join(tree, to, 'lxc', `${ctid}.conf`));
  }

  /** Runs a script (or command) with bash on a node. */
  run(node: string, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): ScriptRun {
    return this.host(node).run(argv, opts);
  }

  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private writeDescription(): void {
    const nodes: Record<string, unknown> = {};
    for (const n of this.nodes) {
      const h = this.host(n.name);
      nodes[n.name] = { ip: n.ip, online: !this.offline.has(n.name), storages: n.storages, root: h.fsRoot, env: h.env() };
    }
    fs.writeFileSync(path.join(this.dir, 'cluster.json'), JSON.stringify({ name: 'phx', nodes, shared_storages: this.sharedStorages }, null, 2));
  }
}
