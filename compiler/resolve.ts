/**
 * Stage 3, resolve: each CTID's effective configuration = its own keys over what its clone
 * chain carries, with the origin of every top-level value recorded for `explain`.
 *
 * What a clone carries is what `pct clone` copies: the container's settings (memory, cores,
 * swap, disk and storage, GPU passthrough, features, LXC lines: the source's configuration at the
 * snapshot, pve-container src/PVE/API2/LXC.pm:1888-2304) and its disk, so the software the
 * template's features installed, which `vllm_install` describes. Never inherited (NOT_INHERITED):
 *  - what identifies one container (name, node, MAC and IP address, where it comes from, its snapshot);
 *  - per-container declarations (dependencies, ports, firewall, checks, Traefik);
 *  - application config: the application script and every vLLM setting of the server
 *    (vllm_engine_config, the legacy vllm_* keys, vllm_parameters, vllm_args, vllm_service,
 *    vllm_benchmark). The user's application script reads `.lxc_configs[CTID]` for that CTID only,
 *    so a clone's server is configured by the clone alone; a clone that declares none still boots
 *    its template's enabled unit from the disk it copied (check/vllm.ts warns, PHX033).
 *
 * Rules: objects merge key by key (own wins), lists replace, except `features`, which accumulate
 * along the chain (ancestors first). The input is assumed schema-valid; clone-chain defects
 * (missing source, cycles) are reported by the fleet checks, and resolution stops the chain there.
 */
import type { Container, PhoenixLxcConfigs } from './generated/config-types';
import { isPlainObject } from './util/canonical';

export type Origin = { kind: 'own' } | { kind: 'inherited'; from: string } | { kind: 'default' };

/** Why a key is not inherited: it belongs to one container, or it is its application's config. */
export type NotInherited = 'per container' | 'application config';

export interface ResolvedContainer {
  ctid: string;
  /** This CTID, then its clone source, then that one's source, ... (existing CTIDs only). */
  chain: string[];
  /** The CTID's own keys, as written. */
  own: Container;
  /** The effective configuration. */
  effective: Container;
  /** Origin of each top-level key of `effective` (and of `network_config.*` as "network_config.ip" etc). */
  origin: Record<string, Origin>;
  /** Which layer of the chain brought each feature. */
  featureOrigin: Record<string, Origin>;
  /** Keys an ancestor has that this CTID does not take from it (for explain): the nearest such ancestor, and why. */
  notInherited: Record<string, { from: string; why: NotInherited }>;
}

/** Keys (dotted for nested ones) a clone never takes from its template, and why (see the file comment). */
export const NOT_INHERITED: ReadonlyMap<string, NotInherited> = new Map<string, NotInherited>([
  ...[
    'name',
    'node',
    'mac_address',
    'network_config.ip',
    'clone_from_ctid',
    'template',
    'template_snapshot_name',
    'dependencies',
    'ports',
    'firewall',
    'health_check',
    'tests',
    'vllm',
    'integration_tests',
    'run_integration_tests',
    'traefik_service',
  ].map((k): [string, NotInherited] => [k, 'per container']),
  ...[
    'application_script',
    'vllm_engine_config',
    'vllm_model',
    'vllm_served_model_name',
    'vllm_model_type',
    'vllm_port',
    'vllm_tensor_parallel_size',
    'vllm_gpu_memory_utilization',
    'vllm_max_model_len',
    'vllm_quantization',
    'vllm_trust_remote_code',
    'vllm_parameters',
    'vllm_args',
    'vllm_service',
    'vllm_benchmark',
    // Which secrets a server needs is the CTID's own (issue 16: a clone declares its own).
    'secrets',
  ].map((k): [string, NotInherited] => [k, 'application config']),
]);

export function cloneChain(configs: Record<string, Container>, ctid: string): string[] {
  const chain = [ctid];
  const seen = new Set(chain);
  let cur = configs[ctid];
  while (cur?.clone_from_ctid !== undefined) {
    const next = cur.clone_from_ctid;
    if (seen.has(next) || !configs[next]) break;
    chain.push(next);
    seen.add(next);
    cur = configs[next];
  }
  return chain;
}

export function resolveFleet(doc: PhoenixLxcConfigs, only?: ReadonlySet<string>): Map<string, ResolvedContainer> {
  const configs = doc.lxc_configs;
  const out = new Map<string, ResolvedContainer>();
  for (const ctid of sortCtids(Object.keys(configs))) {
    if (only && !only.has(ctid)) continue;
    out.set(ctid, resolveOne(configs, ctid));
  }
  return out;
}

function resolveOne(configs: Record<string, Container>, ctid: string): ResolvedContainer {
  const chain = cloneChain(configs, ctid);
  const effective: Record<string, unknown> = {};
  const origin: Record<string, Origin> = {};
  const featureOrigin: Record<string, Origin> = {};
  const notInherited: Record<string, { from: string; why: NotInherited }> = {};
  // Walk from the root ancestor down to this CTID, later (nearer) layers winning.
  for (let i = chain.length - 1; i >= 0; i--) {
    const layerId = chain[i];
    const own = i === 0;
    const layer = configs[layerId] as unknown as Record<string, unknown>;
    const from: Origin = own ? { kind: 'own' } : { kind: 'inherited', from: layerId };
    for (const key of Object.keys(layer)) {
      if (!own && NOT_INHERITED.has(key)) {
        notInherited[key] = { from: layerId, why: NOT_INHERITED.get(key)! };
        continue;
      }
      const value = layer[key];
      if (key === 'features') {
        const prev = (effective.features as string[] | undefined) ?? [];
        const added = (value as string[]).filter((f) => !prev.includes(f));
        // The nearest layer that declares a feature is its origin (950 gets nvidia through 920).
        for (const f of value as string[]) featureOrigin[f] = from;
        effective.features = [...prev, ...added];
        origin.features = from;
        continue;
      }
      if (isPlainObject(value)) {
        const prev = isPlainObject(effective[key]) ? (effective[key] as Record<string, unknown>) : {};
        const merged: Record<string, unknown> = { ...prev };
        for (const [k, v] of Object.entries(value)) {
          if (!own && NOT_INHERITED.has(`${key}.${k}`)) continue;
          merged[k] = isPlainObject(v) && isPlainObject(prev[k]) ? { ...(prev[k] as object), ...v } : v;
          origin[`${key}.${k}`] = from;
        }
        effective[key] = merged;
        origin[key] = from;
        continue;
      }
      effective[key] = value;
      origin[key] = from;
    }
  }
  return { ctid, chain, own: configs[ctid], effective: effective as unknown as Container, origin, featureOrigin, notInherited };
}

/** CTIDs in numeric order (they are decimal strings without leading zeros). */
export function sortCtids(ids: Iterable<string>): string[] {
  return [...ids].sort(compareCtids);
}

/** The numeric order of two CTIDs (decimal strings without leading zeros): negative, 0 or positive. */
export function compareCtids(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
