/**
 * Stage 3, resolve: each CTID's effective configuration = its own keys over its clone chain
 * (a Proxmox clone starts with its source's settings and software), with the origin of every
 * top-level value recorded for `explain`.
 *
 * Rules: objects merge key by key (own wins), lists replace, except `features`, which accumulate
 * along the chain (ancestors first). Identity keys are never inherited: see NOT_INHERITED.
 * The input is assumed schema-valid; clone-chain defects (missing source, cycles) are reported by
 * the fleet checks, and resolution simply stops the chain there.
 */
import type { Container, PhoenixLxcConfigs } from './generated/config-types';
import { isPlainObject } from './util/canonical';

export type Origin = { kind: 'own' } | { kind: 'inherited'; from: string } | { kind: 'default' };

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
}

/** Keys (dotted for nested ones) that belong to one container only. */
export const NOT_INHERITED: ReadonlySet<string> = new Set([
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
  // Which secrets a server needs is per-CTID application config (a clone declares its own).
  'secrets',
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
  // Walk from the root ancestor down to this CTID, later (nearer) layers winning.
  for (let i = chain.length - 1; i >= 0; i--) {
    const layerId = chain[i];
    const own = i === 0;
    const layer = configs[layerId] as unknown as Record<string, unknown>;
    const from: Origin = own ? { kind: 'own' } : { kind: 'inherited', from: layerId };
    for (const key of Object.keys(layer)) {
      if (!own && NOT_INHERITED.has(key)) continue;
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
  return { ctid, chain, own: configs[ctid], effective: effective as unknown as Container, origin, featureOrigin };
}

/** CTIDs in numeric order (they are decimal strings without leading zeros). */
export function sortCtids(ids: Iterable<string>): string[] {
  return [...ids].sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}
