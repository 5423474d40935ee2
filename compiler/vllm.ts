/**
 * vLLM settings: gathers a CTID's vLLM arguments from `vllm_engine_config` and the legacy flat
 * keys (`vllm_model`, ..., `vllm_parameters`, `vllm_args`), checks them against the pinned
 * vLLM's flag catalog, merges them along the clone chain, and maps them to the exact argv.
 *
 * Mapping, one rule per kind: true -> --x; false -> --no-x where vLLM has the pair (false on a
 * store-true flag is its default: omitted); lists -> the flag then each item; objects -> one
 * argument of compact JSON with sorted keys; numbers in canonical form. Each value is one argv
 * item. Order: --model first, then vLLM's own --help order. Full dashed names only.
 */
import type { Container } from './generated/config-types';
import type { PathSeg } from './jsonpath';
import { displayPath } from './jsonpath';
import { canonical } from './plan';
import { Reporter } from './fleet-checks';
import { nearest } from './suggest';
import { CatalogIndex, negativeOption, userGroup } from './vllm-catalog';
import type { VllmFlag } from './vllm-catalog-types';
import { bashRefusal } from '../emit/encode/bash';
import { systemdRefusal } from '../emit/encode/systemd';

export const VLLM_APP_SCRIPT = 'phoenix_hypervisor_lxc_vllm.sh';
export const VLLM_MODULE = 'vllm.entrypoints.openai.api_server';

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

export function hasVllmSettings(c: Container): boolean {
  return c.vllm_engine_config !== undefined || c.vllm_parameters !== undefined || c.vllm_args !== undefined || Object.keys(LEGACY_KEYS).some((k) => (c as unknown as Record<string, unknown>)[k] !== undefined);
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
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${flag.flag} takes an object (passed as one JSON argument), not ${JSON.stringify(value)}`;
      break;
    case 'json_or_string':
      if (typeof value !== 'string' && (value === null || typeof value !== 'object' || Array.isArray(value))) return `${flag.flag} takes an object (passed as one JSON argument) or a string, not ${JSON.stringify(value)}`;
      break;
    case 'append':
    case 'list':
      if (flag.nargs === '+' && items.length === 0) return `${flag.flag} takes at least one value`;
      for (const it of items) {
        if (flag.item_kind === 'int' ? !Number.isSafeInteger(it) : typeof it !== 'string') return `${flag.flag} takes ${flag.item_kind === 'int' ? 'integers' : 'strings'}, not ${JSON.stringify(it)}`;
        if (typeof it === 'string' && it.startsWith('-') && items.length > 1 && flag.kind === 'list') return `${flag.flag}: a list item cannot start with '-' (${JSON.stringify(it)}); vLLM would read it as an option`;
      }
      break;
    default:
      if (typeof value !== 'string') return `${flag.flag} takes a string, not ${JSON.stringify(value)}`;
  }
  if (flag.choices && flag.kind !== 'bool_pair' && flag.kind !== 'store_true') {
    for (const it of items) {
      if (!flag.choices.includes(it as string | number)) {
        const guess = typeof it === 'string' ? nearest(it, flag.choices.map(String)) : undefined;
        return `${JSON.stringify(it)} is not a choice of ${flag.flag} (${flag.choices.map((c) => JSON.stringify(c)).join(', ')})` + (guess ? `; did you mean ${JSON.stringify(guess)}?` : '');
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
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) return `${flag.flag}: an integer beyond 2^53 (read as ${v}) cannot be passed exactly; write it as a string`;
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
  return `${JSON.stringify(value)} is not a quantization method of vLLM ${idx.catalog.vllm_version}` + (guess ? `; did you mean ${JSON.stringify(guess)}?` : ` (known: ${[...idx.quantMethods.keys()].join(', ')})`);
}

/** Unknown-argument message: the nearest real argument and where vLLM files it. */
export function unknownArgMessage(idx: CatalogIndex, name: string): string {
  const guess = nearest(name, idx.byDest.keys());
  const f = guess ? idx.byDest.get(guess) : undefined;
  return `unknown vLLM ${idx.catalog.vllm_version} argument ${JSON.stringify(name)}` + (f ? `; did you mean ${JSON.stringify(f.dest)} (${f.flag}, vLLM group ${f.group})?` : '');
}

/** The settings one CTID writes itself, each checked; contradictions inside the CTID reported. */
export function collectLayer(idx: CatalogIndex, ctid: string, c: Container, r: Reporter): VllmSetting[] {
  const out: VllmSetting[] = [];
  const base: PathSeg[] = ['lxc_configs', ctid];
  const add = (dest: string, value: unknown, path: PathSeg[], source: SettingSource) => {
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
      r.report('warning', 'PHX023', path, `${flag.flag} is deprecated in vLLM ${idx.catalog.vllm_version}` + (typeof flag.deprecated === 'string' ? `: ${flag.deprecated}` : ''), { key: true });
    }
    const prev = out.find((s) => s.dest === dest);
    if (prev) {
      if (!sameValue(flag, prev.value, value)) {
        r.report('error', 'PHX024', path, `${dest} is ${JSON.stringify(value)} here (${source}) but ${JSON.stringify(prev.value)} at ${r.where(prev.path)} (${displayPath(prev.path)}, ${prev.source}); write it once`);
      }
      return;
    }
    out.push({ dest, value, path, layer: ctid, source });
  };
  const ec = c.vllm_engine_config as Record<string, Record<string, unknown>> | undefined;
  if (ec) {
    for (const group of Object.keys(ec)) for (const key of Object.keys(ec[group])) add(key, ec[group][key], [...base, 'vllm_engine_config', group, key], 'vllm_engine_config');
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

/** Reads a legacy raw argument list the way vLLM's parser would (full names only). */
export function parseVllmArgs(idx: CatalogIndex, args: string[], path: PathSeg[], r: Reporter): { dest: string; value: unknown; path: PathSeg[] }[] {
  const out: { dest: string; value: unknown; path: PathSeg[] }[] = [];
  for (let i = 0; i < args.length; i++) {
    const at = [...path, i];
    const tok = args[i];
    const eq = tok.startsWith('--') ? tok.indexOf('=') : -1;
    const opt = eq > 0 ? tok.slice(0, eq) : tok;
    const hit = idx.byOption.get(opt) ?? idx.byOption.get(opt.replace(/_/g, '-'));
    if (!hit) {
      const msg = tok.startsWith('-')
        ? unknownArgMessage(idx, opt.replace(/^-+/, '').replace(/-/g, '_'))
        : `unexpected value ${JSON.stringify(tok)}: every value must follow its --option`;
      r.report('error', tok.startsWith('-') ? 'PHX020' : 'PHX027', at, msg);
      continue;
    }
    const { flag, negative } = hit;
    if (flag.kind === 'bool_pair' || flag.kind === 'store_true') {
      if (eq > 0) r.report('error', 'PHX027', at, `${opt} takes no value`);
      else out.push({ dest: flag.dest, value: !negative, path: at });
      continue;
    }
    const values: string[] = [];
    if (eq > 0) values.push(tok.slice(eq + 1));
    else if (flag.kind === 'list') while (i + 1 < args.length && !args[i + 1].startsWith('--')) values.push(args[++i]);
    else if (i + 1 < args.length && !args[i + 1].startsWith('--')) values.push(args[++i]);
    if (values.length === 0) {
      r.report('error', 'PHX027', at, `${opt} needs a value`);
      continue;
    }
    const conv = (s: string): unknown => {
      const k = flag.kind === 'list' || flag.kind === 'append' ? flag.item_kind : flag.kind;
      if (k === 'int') return /^-?[0-9]+$/.test(s) ? Number(s) : s;
      if (k === 'float') return /^-?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(s) ? Number(s) : s;
      if (k === 'json' || (k === 'json_or_string' && s.trim().startsWith('{'))) {
        try {
          return JSON.parse(s);
        } catch {
          return s;
        }
      }
      return s;
    };
    if (flag.kind === 'append') {
      const prev = out.find((o) => o.dest === flag.dest);
      if (prev) (prev.value as unknown[]).push(conv(values[0]));
      else out.push({ dest: flag.dest, value: [conv(values[0])], path: at });
      continue;
    }
    out.push({ dest: flag.dest, value: flag.kind === 'list' ? values.map(conv) : conv(values[0]), path: at });
  }
  return out;
}

/** Numbers as vLLM's parser reads them back exactly: 0.90 -> "0.9", 8192 -> "8192". */
export function canonicalNumber(n: number): string {
  return String(n);
}

/** The vLLM part of the argv, in canonical order. */
export function flagArgs(idx: CatalogIndex, settings: VllmSetting[]): string[] {
  const ordered = [...settings].sort((a, b) => order(idx, a.dest) - order(idx, b.dest) || (a.dest < b.dest ? -1 : 1));
  const out: string[] = [];
  for (const s of ordered) out.push(...argsFor(idx.byDest.get(s.dest)!, s.value));
  return out;
}

function order(idx: CatalogIndex, dest: string): number {
  return dest === 'model' ? -1 : (idx.byDest.get(dest)?.help_order ?? 1e9);
}

/** One setting as argv items. A single value that starts with '-' uses --flag=value. */
export function argsFor(flag: VllmFlag, value: unknown): string[] {
  const one = (v: string) => (v.startsWith('-') && !/^-[0-9.]/.test(v) ? [`${flag.flag}=${v}`] : [flag.flag, v]);
  switch (flag.kind) {
    case 'bool_pair':
      return [value ? flag.flag : negativeOption(flag)];
    case 'store_true':
      return value ? [flag.flag] : [];
    case 'list': {
      const items = (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'number' ? canonicalNumber(v) : String(v)));
      return items.length === 1 ? one(items[0]) : [flag.flag, ...items];
    }
    case 'append':
      return (Array.isArray(value) ? value : [value]).flatMap((v) => one(String(v)));
    case 'json':
    case 'json_or_string':
      return one(typeof value === 'string' ? value : JSON.stringify(canonical(value)));
    case 'int':
    case 'float':
      return one(canonicalNumber(value as number));
    default:
      return one(String(value));
  }
}

export { userGroup };
