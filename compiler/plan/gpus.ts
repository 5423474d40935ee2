/**
 * The host's GPUs and what the containers claim of them, computed once: the fleet checks warn
 * from this budget (PHX113) and FLEET.md draws it (through the plan).
 */
import { DEFAULTS } from '../generated/defaults';
import type { PhoenixLxcConfigs } from '../generated/config-types';

export interface HostGpu {
  index: number;
  model: string;
  /** CUDA compute capability as MAJOR.MINOR, e.g. "12.0". */
  capability: string;
}

/**
 * The GPUs of a host sorted by index: `host_gpus`, or the schema's default (the plan's two RTX 5060
 * Ti). With `node` (a cluster node of the top-level `nodes`), that node's own `gpus` when it lists
 * them: GPUs belong to one node.
 */
export function hostGpus(doc: PhoenixLxcConfigs, node?: string): HostGpu[] {
  const own = node !== undefined ? doc.nodes?.[node]?.gpus : undefined;
  const src: Record<string, { model: string; compute_capability: string }> = own ?? doc.host_gpus ?? DEFAULTS.root.host_gpus;
  return Object.keys(src)
    .map((k) => ({ index: Number(k), model: src[k].model, capability: src[k].compute_capability }))
    .sort((a, b) => a.index - b.index);
}

/** "0, 1" / "0,1" / "none" -> [0, 1] / [0, 1] / []. The schema has checked the syntax. */
export function parseGpuAssignment(s: string | undefined): number[] {
  if (s === undefined || s.trim() === 'none') return [];
  return s.split(',').map((x) => Number(x.trim()));
}

/** "12.0" -> 120, the form vLLM compares (`has_device_capability(89)`). */
export function capabilityNumber(c: string): number {
  const [maj, min] = c.split('.').map(Number);
  return maj * 10 + min;
}

/** 120 -> "12.0". */
export function capabilityText(n: number): string {
  return `${Math.floor(n / 10)}.${n % 10}`;
}

/** Above this sum of gpu_memory_utilization, containers that start at boot cannot all get their memory. */
export const GPU_BUDGET = 1;

/** One CTID's claim on the GPUs, as the budget needs it. */
export interface GpuClaim {
  ctid: string;
  /** The cluster node the CTID lives on (only in a cluster). */
  node?: string;
  name: string;
  gpus: number[];
  /** gpu_memory_utilization of its vLLM server, when it runs one. */
  util?: number;
  startAtBoot: boolean;
}

export interface GpuUse {
  /** The cluster node the GPU is in (only in a cluster: each node's GPUs have their own budget). */
  node?: string;
  index: number;
  /** Model and compute capability, from the host's GPU list. */
  model?: string;
  capability?: string;
  rows: { ctid: string; name: string; util?: number; atBoot: boolean }[];
  /** Sum of gpu_memory_utilization over the vLLM CTIDs that start at boot (4 decimals). */
  bootSum: number;
  /** How many vLLM CTIDs that start at boot share the GPU. */
  bootServers: number;
  /** The sum above which the servers cannot all get their memory (GPU_BUDGET), and whether bootSum is above it. */
  limit: number;
  over: boolean;
}

/**
 * The budget per node and GPU in a cluster (nodes in name order, then GPUs in index order; `gpus`
 * gives each node's GPUs), or per GPU on one host (claims without a node).
 */
export function clusterGpuBudget(claims: readonly GpuClaim[], gpus: (node: string) => readonly HostGpu[]): GpuUse[] {
  const nodes = [...new Set(claims.map((c) => c.node).filter((n): n is string => n !== undefined))].sort();
  return nodes.flatMap((node) =>
    gpuBudget(
      claims.filter((c) => c.node === node),
      gpus(node),
    ).map((u) => ({ node, ...u })),
  );
}

/** The per-GPU budget of one host, GPUs in index order and CTIDs in numeric order. */
export function gpuBudget(claims: readonly GpuClaim[], host: readonly HostGpu[]): GpuUse[] {
  const by = new Map<number, GpuUse>();
  const sorted = [...claims].sort((a, b) => Number(a.ctid) - Number(b.ctid) || (a.ctid < b.ctid ? -1 : a.ctid > b.ctid ? 1 : 0));
  for (const c of sorted) {
    for (const g of c.gpus) {
      const u = by.get(g) ?? { index: g, rows: [], bootSum: 0, bootServers: 0, limit: GPU_BUDGET, over: false };
      by.set(g, u);
      const hg = host.find((x) => x.index === g);
      if (hg && u.model === undefined) {
        u.model = hg.model;
        u.capability = hg.capability;
      }
      u.rows.push({ ctid: c.ctid, name: c.name, ...(c.util !== undefined ? { util: c.util } : {}), atBoot: c.startAtBoot });
      if (c.startAtBoot && c.util !== undefined) {
        u.bootSum += c.util;
        u.bootServers++;
      }
    }
  }
  const list = [...by.values()].sort((a, b) => a.index - b.index);
  for (const u of list) {
    u.bootSum = +u.bootSum.toFixed(4);
    u.over = u.bootSum > GPU_BUDGET + 1e-9;
  }
  return list;
}
