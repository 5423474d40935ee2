/**
 * Stage 4, plan: a typed per-CTID model of everything that will be emitted. Emitters read only
 * this model (never files, never the raw config).
 */
import type { Container } from './generated/config-types';
import type { Origin, ResolvedContainer } from './resolve';
import type { VllmPlan } from './vllm-plan';
import type { HostPlan } from './host-plan';
import type { HostGpu } from './fleet-checks';

export interface SourceInfo {
  /** The config file as named in headers and the manifest: relative to the output folder's parent. */
  file: string;
  sha256: string;
  /** The command that regenerates the output, shown in every header. */
  regenerate: string;
}

export interface ContainerPlan {
  ctid: string;
  name: string;
  /** The effective configuration after clone inheritance, keys in canonical order. */
  effective: Container;
  /** This CTID and its clone ancestors. */
  chain: string[];
  /** The vLLM server this CTID runs, if any. */
  vllm?: VllmPlan;
  /** What create.sh does on the host. */
  host: HostPlan;
  /** Where each effective value comes from (for explain). */
  origin: Record<string, Origin>;
  featureOrigin: Record<string, Origin>;
}

/** A warning or note of the compile, without its position (so unrelated edits do not churn out/). */
export interface Notice {
  severity: 'warning' | 'note';
  code: string;
  ctid?: string;
  path: string;
  message: string;
}

export interface FleetPlan {
  compiler: { name: string; version: string };
  source: SourceInfo;
  containers: ContainerPlan[];
  /** The compile's warnings and notes for the selected CTIDs. */
  notices: Notice[];
  /** The host's GPUs (host_gpus, or the plan's default two RTX 5060 Ti). */
  hostGpus: HostGpu[];
}

export function planFleet(
  resolved: Map<string, ResolvedContainer>,
  selected: ReadonlySet<string>,
  vllm: ReadonlyMap<string, VllmPlan>,
  host: ReadonlyMap<string, HostPlan>,
  source: SourceInfo,
  compiler: FleetPlan['compiler'],
  notices: Notice[] = [],
  hostGpus: HostGpu[] = [],
): FleetPlan {
  const containers: ContainerPlan[] = [];
  for (const [ctid, r] of resolved) {
    if (!selected.has(ctid)) continue;
    const v = vllm.get(ctid);
    containers.push({ ctid, name: r.effective.name, effective: canonical(r.effective) as Container, chain: r.chain, host: host.get(ctid)!, origin: r.origin, featureOrigin: r.featureOrigin, ...(v ? { vllm: v } : {}) });
  }
  return { compiler, source, containers, notices, hostGpus };
}

/** Deep copy with object keys sorted, so the file's key order never shows in the output. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty, not assignment: a key named "__proto__" is data here, not the prototype.
    for (const k of Object.keys(v).sort()) Object.defineProperty(out, k, { value: canonical((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return v;
}
