/**
 * Stage 4, plan: a typed per-CTID model of everything that will be emitted. Emitters read only
 * this model (never files, never the raw config).
 */
import type { Container } from './generated/config-types';
import type { Origin, ResolvedContainer } from './resolve';
import type { VllmPlan } from './vllm-plan';
import type { HostPlan } from './host-plan';

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

export interface FleetPlan {
  compiler: { name: string; version: string };
  source: SourceInfo;
  containers: ContainerPlan[];
}

export function planFleet(
  resolved: Map<string, ResolvedContainer>,
  selected: ReadonlySet<string>,
  vllm: ReadonlyMap<string, VllmPlan>,
  host: ReadonlyMap<string, HostPlan>,
  source: SourceInfo,
  compiler: FleetPlan['compiler'],
): FleetPlan {
  const containers: ContainerPlan[] = [];
  for (const [ctid, r] of resolved) {
    if (!selected.has(ctid)) continue;
    const v = vllm.get(ctid);
    containers.push({ ctid, name: r.effective.name, effective: canonical(r.effective) as Container, chain: r.chain, host: host.get(ctid)!, origin: r.origin, featureOrigin: r.featureOrigin, ...(v ? { vllm: v } : {}) });
  }
  return { compiler, source, containers };
}

/** Deep copy with object keys sorted, so the file's key order never shows in the output. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}
