/**
 * vLLM settings: gathers a CTID's vLLM arguments from `vllm_engine_config` and the legacy flat
 * keys (`vllm_model`, ..., `vllm_parameters`, `vllm_args`) and checks each against the pinned
 * vLLM's flag catalog. A sink receives the problems (the check stage passes its Reporter; the
 * planner, which runs on checked input, passes none).
 */
import type { Container } from '../generated/config-types';
import { DEFAULTS } from '../generated/defaults';
import type { ResolvedContainer } from '../resolve';
import type { Reporter } from '../diagnostics';
import type { PathSeg } from '../util/jsonpath';
import { displayPath } from '../util/jsonpath';
import { canonical } from '../util/canonical';
import { nearest } from '../util/suggest';
import type { CatalogIndex } from './catalog';
import { unknownArgMessage, VLLM_APP_SCRIPT } from './catalog';
import type { VllmFlag } from './catalog-types';
import { parseVllmArgs } from './args';
import { SECRET_SETTINGS } from './secrets';
import { bashRefusal } from '../../encode/bash';
import { systemdRefusal } from '../../encode/systemd';

/** Where problems found while collecting settings go. */
export type SettingSink = Pick<Reporter, 'report' | 'where'>;

/** A sink that drops everything: for planners, which run on checked input. */
export const DISCARD: SettingSink = { report: () => undefined, where: () => '' };

export type SettingSource = 'vllm_engine_config' | 'legacy key' | 'vllm_parameters' | 'vllm_args';

export interface VllmSetting {
  dest: string;
  value: unknown;
  /** Where it is written (for positions in messages and `explain`). */
  path: PathSeg[];
  /** The CTID whose config holds it (this CTID or a clone ancestor). */
  layer: string;
  source: SettingSource;
}

/** Flat legacy keys of the 08cb921 file and the vLLM argument each one is. */
export const LEGACY_KEYS: Readonly<Record<string, string>> = {
  vllm_model: 'model',
  vllm_served_model_name: 'served_model_name',
  vllm_port: 'port',
  vllm_tensor_parallel_size: 'tensor_parallel_size',
  vllm_gpu_memory_utilization: 'gpu_memory_utilization',
  vllm_max_model_len: 'max_model_len',
  vllm_quantization: 'quantization',
  vllm_trust_remote_code: 'trust_remote_code',
};

/** True when the CTID's application_script is the vLLM one (it runs a vLLM server). */
export function runsVllm(c: Container): boolean {
  return c.application_script === VLLM_APP_SCRIPT;
}

export function hasVllmSettings(c: Container): boolean {
  return (
    c.vllm_engine_config !== undefined ||
    c.vllm_parameters !== undefined ||
    c.vllm_args !== undefined ||
    Object.keys(LEGACY_KEYS).some((k) => (c as unknown as Record<string, unknown>)[k] !== undefined)
  );
}

/** Canonical text of a value, for comparing two writings of the same argument. */
function sameValue(flag: VllmFlag | undefined, a: unknown, b: unknown): boolean {
  const norm = (v: unknown) => ((flag?.kind === 'list' || flag?.kind === 'append') && !Array.isArray(v) ? [v] : v);
  return JSON.stringify(canonical(norm(a))) === JSON.stringify(canonical(norm(b)));
}

/** Checks one value against its flag; returns the problem or undefined. */
export function valueProblem(idx: CatalogIndex, flag: VllmFlag, value: unknown): string | undefined {
  const isList = flag.kind === 'list' || flag.kind === 'append';
  const items = isList ? (Array.isArray(value) ? value : [value]) : [value];
  switch (flag.kind) {
    case 'bool_pair':
    case 'store_true':
      if (typeof value !== 'boolean') return `${flag.flag} takes true or false, not ${JSON.stringify(value)}`;
      break;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return `${flag.flag} takes an integer, not ${JSON.stringify(value)}`;
      break;
    case 'float':
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${flag.flag} takes a number, not ${JSON.stringify(value)}`;
      break;
    case 'json':
      if (value === null || typeof value !== 'object' || Array.isArray(value))
        return `${flag.flag} takes an object (passed as one JSON argument), not ${JSON.stringify(value)}`;
      break;
    case 'json_or_string':
      if (typeof value !== 'string' && (value === null || typeof value !== 'object' || Array.isArray(value)))
        return `${flag.flag} takes an object (passed as one JSON argument) or a string, not ${JSON.stringify(value)}`;
      break;
    case 'append':
    case 'list':
      if (flag.nargs === '+' && items.length === 0) return `${flag.flag} takes at least one value`;
      for (const it of items) {
        if (flag.item_kind === 'int' ? !Number.isSafeInteger(it) : typeof it !== 'string')
          return `${flag.flag} takes ${flag.item_kind === 'int' ? 'integers' : 'strings'}, not ${JSON.stringify(it)}`;
        if (typeof it === 'string' && it.startsWith('-') && items.length > 1 && flag.kind === 'list')
          return `${flag.flag}: a list item cannot start with '-' (${JSON.stringify(it)}); vLLM would read it as an option`;
      }
      break;
    default:
      if (typeof value !== 'string') return `${flag.flag} takes a string, not ${JSON.stringify(value)}`;
  }
  if (flag.choices && flag.kind !== 'bool_pair' && flag.kind !== 'store_true') {
    for (const it of items) {
      if (!flag.choices.includes(it as string | number)) {
        const guess = typeof it === 'string' ? nearest(it, flag.choices.map(String)) : undefined;
        return (
          `${JSON.stringify(it)} is not a choice of ${flag.flag} (${flag.choices.map((c) => JSON.stringify(c)).join(', ')})` +
          (guess ? `; did you mean ${JSON.stringify(guess)}?` : '')
        );
      }
    }
  }
  if (flag.dest === 'quantization' && typeof value === 'string' && !idx.quantMethods.has(value)) return quantizationMessage(idx, value);
  for (const s of stringsIn(value)) {
    const why = systemdRefusal(s) ?? bashRefusal(s);
    if (why) return `${JSON.stringify(s)} ${why}`;
  }
  if (flag.kind === 'json' || flag.kind === 'json_or_string') return jsonArgProblem(flag, value);
  return undefined;
}

/**
 * An object passed as one JSON argument must come out as the same JSON: a "__proto__" key would be
 * dropped when the object is rebuilt, a number beyond double range becomes null, and an integer
 * beyond 2^53 loses digits (12345678901234567890 -> 12345678901234567000).
 */
function jsonArgProblem(flag: VllmFlag, v: unknown): string | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${flag.flag}: a number beyond the double range cannot be passed as JSON (it would become null)`;
    if (Number.isInteger(v) && !Number.isSafeInteger(v))
      return `${flag.flag}: an integer beyond 2^53 (read as ${v}) cannot be passed exactly; write it as a string`;
    return undefined;
  }
  if (Array.isArray(v)) {
    for (const x of v) {
      const p = jsonArgProblem(flag, x);
      if (p) return p;
    }
    return undefined;
  }
  if (v !== null && typeof v === 'object') {
    for (const k of Object.keys(v)) {
      if (k === '__proto__') return `${flag.flag}: the key "__proto__" is not supported in a JSON argument (it would be dropped)`;
      const p = jsonArgProblem(flag, (v as Record<string, unknown>)[k]);
      if (p) return p;
    }
  }
  return undefined;
}

function stringsIn(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(stringsIn);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...stringsIn(x)]);
  return [];
}

export function quantizationMessage(idx: CatalogIndex, value: string): string {
  const guess = nearest(value, idx.quantMethods.keys());
  return (
    `${JSON.stringify(value)} is not a quantization method of vLLM ${idx.catalog.vllm_version}` +
    (guess ? `; did you mean ${JSON.stringify(guess)}?` : ` (known: ${[...idx.quantMethods.keys()].join(', ')})`)
  );
}

/** The settings one CTID writes itself, each checked; contradictions inside the CTID reported. */
export function collectLayer(idx: CatalogIndex, ctid: string, c: Container, r: SettingSink = DISCARD): VllmSetting[] {
  const out: VllmSetting[] = [];
  const base: PathSeg[] = ['lxc_configs', ctid];
  const add = (dest: string, value: unknown, path: PathSeg[], source: SettingSource) => {
    // api_key and hf_token are never settings: check/secrets.ts refuses them (PHX040, without
    // quoting the value) and `migrate` moves them into the host's secrets file.
    if (dest in SECRET_SETTINGS) return;
    const flag = idx.byDest.get(dest);
    if (!flag) {
      r.report('error', 'PHX020', path, unknownArgMessage(idx, dest), { key: true });
      return;
    }
    const problem = valueProblem(idx, flag, value);
    if (problem) {
      r.report('error', dest === 'quantization' && problem.includes('quantization method') ? 'PHX022' : 'PHX021', path, problem);
      return;
    }
    if (flag.deprecated) {
      r.report(
        'warning',
        'PHX023',
        path,
        `${flag.flag} is deprecated in vLLM ${idx.catalog.vllm_version}` + (typeof flag.deprecated === 'string' ? `: ${flag.deprecated}` : ''),
        { key: true },
      );
    }
    const prev = out.find((s) => s.dest === dest);
    if (prev) {
      if (!sameValue(flag, prev.value, value)) {
        r.report(
          'error',
          'PHX024',
          path,
          `${dest} is ${JSON.stringify(value)} here (${source}) but ${JSON.stringify(prev.value)} at ${r.where(prev.path)} (${displayPath(prev.path)}, ${prev.source}); write it once`,
        );
      }
      return;
    }
    out.push({ dest, value, path, layer: ctid, source });
  };
  const ec = c.vllm_engine_config as Record<string, Record<string, unknown>> | undefined;
  if (ec) {
    for (const group of Object.keys(ec))
      for (const key of Object.keys(ec[group])) add(key, ec[group][key], [...base, 'vllm_engine_config', group, key], 'vllm_engine_config');
  }
  for (const [legacy, dest] of Object.entries(LEGACY_KEYS)) {
    const v = (c as unknown as Record<string, unknown>)[legacy];
    if (v !== undefined) add(dest, v, [...base, legacy], 'legacy key');
  }
  const params = c.vllm_parameters as Record<string, unknown> | undefined;
  if (params) for (const key of Object.keys(params)) add(key, params[key], [...base, 'vllm_parameters', key], 'vllm_parameters');
  if (c.vllm_args) {
    for (const a of parseVllmArgs(idx, c.vllm_args, [...base, 'vllm_args'], r)) add(a.dest, a.value, a.path, 'vllm_args');
  }
  return out;
}

/**
 * The settings a vLLM CTID runs with: each layer of its clone chain collected (problems go to
 * `sink`), nearer layers winning argument by argument. Keyed by vLLM's dest.
 */
export function mergeSettings(
  idx: CatalogIndex,
  rc: ResolvedContainer,
  all: ReadonlyMap<string, ResolvedContainer>,
  sink: SettingSink = DISCARD,
): Map<string, VllmSetting> {
  const merged = new Map<string, VllmSetting>();
  for (const layer of [...rc.chain].reverse()) {
    const c = all.get(layer)?.own;
    if (!c) continue;
    for (const s of collectLayer(idx, layer, c, sink)) merged.set(s.dest, s);
  }
  return merged;
}

/** `vllm_install` with the schema's defaults filled in. */
export function installOf(eff: Container): Required<NonNullable<Container['vllm_install']>> {
  return { ...DEFAULTS.VllmInstall, ...(eff.vllm_install ?? {}) } as Required<NonNullable<Container['vllm_install']>>;
}

/** `vllm_service` with the schema's defaults filled in. */
export function serviceOf(eff: Container): NonNullable<Container['vllm_service']> & typeof DEFAULTS.VllmService {
  return { ...DEFAULTS.VllmService, ...(eff.vllm_service ?? {}) } as NonNullable<Container['vllm_service']> & typeof DEFAULTS.VllmService;
}

/** Variables the unit always sets from dedicated keys (never from vllm_service.environment). */
export const MANAGED_ENV: readonly string[] = ['CUDA_HOME', 'LD_LIBRARY_PATH', 'PATH', 'VLLM_USE_FLASHINFER_SAMPLER'];
