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
import { nearest } from '../util/suggest';
import type { CatalogIndex } from './catalog';
import { unknownArgMessage, VLLM_APP_SCRIPT } from './catalog';
import type { VllmFlag } from './catalog-types';
import { compilationLevelHint, CONFIG_REFUSAL, oneLine, parseVllmArgs } from './args';
import { stringsFor, tokensFor } from './argv';
import { pyEquals, PyValue } from './py';
import { SECRET_SETTINGS } from './secrets';
import { bashRefusal } from '../../encode/bash';
import { execArgRefusal, systemdRefusal } from '../../encode/systemd';

/** Where problems found while collecting settings go. */
export type SettingSink = Pick<Reporter, 'report' | 'where'>;

/** A sink that drops everything: for planners, which run on checked input. */
export const DISCARD: SettingSink = { report: () => undefined, where: () => '' };

export type SettingSource = 'vllm_engine_config' | 'legacy key' | 'vllm_parameters' | 'vllm_args';

export interface VllmSetting {
  dest: string;
  /** The value as the config writes it (for vllm_args: the plainest JSON giving the same argv items). */
  value: unknown;
  /** What vLLM's parser makes of it. */
  parsed: PyValue;
  /** The argv items it becomes. */
  tokens: string[];
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

/**
 * The flags whose values also reach the generated bash scripts (verify.sh, benchmark.sh: the
 * served model name, the API key; benchmark.sh's client also gets the model, the tokenizer and
 * its mode), the unit's Description= (the served model name) and FLEET.md: they may carry only
 * what a bash word and a unit line can (encode/bash.ts, encode/systemd.ts). Every other value
 * reaches only ExecStart= and vllm.argv.json.
 */
const SCRIPT_DESTS: ReadonlySet<string> = new Set(['model', 'served_model_name', 'api_key', 'tokenizer', 'tokenizer_mode']);

/** Argv items as a reader would type them. */
export function shownTokens(tokens: readonly string[]): string {
  return tokens.map((t) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(t) ? t : JSON.stringify(t))).join(' ');
}

/** vLLM's message without argparse's "argument --flag: " prefix when it names the flag itself. */
function vllmMessage(flag: VllmFlag, message: string): string {
  const m = /^argument ([^:]+): ([\s\S]*)$/.exec(message);
  return oneLine(m && m[1].split('/').includes(flag.flag) ? m[2] : message) + compilationLevelHint(message);
}

export type Judged = { ok: true; parsed: PyValue; tokens: string[]; warnings: string[] } | { ok: false; code: 'PHX021' | 'PHX027'; why: string };

/**
 * Judges a configured value the way vLLM would: the argument strings it becomes and the argv
 * items the compiler emits for them (compiler/vllm/argv.ts), read by the model of vLLM's parser
 * (compiler/vllm/cmdline.ts); then what those items can carry (ExecStart=, and for the flags in
 * SCRIPT_DESTS the scripts too).
 */
export function judgeValue(idx: CatalogIndex, flag: VllmFlag, value: unknown): Judged {
  if (flag.dest === 'config') return { ok: false, code: 'PHX021', why: CONFIG_REFUSAL };
  const m = stringsFor(flag, value);
  if (!m.ok) return { ok: false, code: 'PHX021', why: m.why };
  return judgeStrings(idx, flag, m);
}

/** judgeValue for argument strings already known (from vllm_args). */
export function judgeStrings(idx: CatalogIndex, flag: VllmFlag, m: { occurrences: string[][]; on?: boolean }): Judged {
  if (flag.dest === 'config') return { ok: false, code: 'PHX021', why: CONFIG_REFUSAL };
  const t = tokensFor(idx.parser, flag, m);
  if (!t.ok) return { ok: false, code: 'PHX021', why: t.why };
  const version = idx.catalog.vllm_version;
  const r = idx.parser.parse(t.tokens);
  if (!r.ok) {
    const why =
      r.by === 'argparse'
        ? `vLLM ${version} refuses ${shownTokens(t.tokens)}: ${vllmMessage(flag, r.message)}`
        : `vLLM ${version} crashes on ${shownTokens(t.tokens)} while reading its arguments (${r.exception}: ${oneLine(r.message)})`;
    return { ok: false, code: 'PHX021', why: why + choiceHint(flag, m.occurrences.flat()) };
  }
  for (const tok of t.tokens) {
    const why = execArgRefusal(tok);
    if (why) return { ok: false, code: 'PHX021', why: `${flag.flag}: the argument ${JSON.stringify(tok)} ${why}` };
  }
  if (SCRIPT_DESTS.has(flag.dest)) {
    for (const s of m.occurrences.flat()) {
      const why = systemdRefusal(s) ?? bashRefusal(s);
      if (why) return { ok: false, code: 'PHX021', why: `${flag.flag}: ${JSON.stringify(s)} ${why} (this value also goes into the generated scripts)` };
    }
  }
  const parsed = r.values.get(flag.dest) ?? (flag.kind === 'store_true' ? false : null);
  return { ok: true, parsed, tokens: t.tokens, warnings: r.warnings };
}

/** A did-you-mean for a value that is not among a flag's choices. */
function choiceHint(flag: VllmFlag, strings: string[]): string {
  if (!flag.choices) return '';
  const choices = flag.choices.map(String);
  for (const s of strings) {
    if (choices.includes(s)) continue;
    const guess = nearest(s, choices);
    if (guess) return `; did you mean ${JSON.stringify(guess)}?`;
  }
  return '';
}

export function quantizationMessage(idx: CatalogIndex, value: string): string {
  const guess = nearest(value, idx.quantMethods.keys());
  return (
    `${JSON.stringify(value)} is not a quantization method of vLLM ${idx.catalog.vllm_version}` +
    (guess ? `; did you mean ${JSON.stringify(guess)}?` : ` (known: ${[...idx.quantMethods.keys()].join(', ')})`)
  );
}

/**
 * The plainest JSON value that gives the same argv items as these argument strings: the config
 * value `migrate` writes and `explain` shows for a setting read from vllm_args.
 */
function plainValue(idx: CatalogIndex, flag: VllmFlag, m: { occurrences: string[][]; on?: boolean }, tokens: string[]): unknown {
  if (flag.kind === 'bool_pair' || flag.kind === 'store_true') return m.on;
  const strings = m.occurrences.flat();
  if (flag.nargs === '?' && strings.length === 0) return true;
  const nicer = (s: string): unknown => {
    const candidates: unknown[] = [];
    if (/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(s)) candidates.push(Number(s));
    try {
      candidates.push(JSON.parse(s));
    } catch {
      // not JSON: the string it is
    }
    for (const c of candidates) {
      if (typeof c === 'string' || c === null) continue;
      const back = stringsFor(flag, c);
      if (back.ok && back.occurrences.flat().length === 1 && back.occurrences.flat()[0] === s) return c;
    }
    return s;
  };
  const items = strings.map(nicer);
  const value = flag.nargs === '+' || flag.kind === 'append' ? (items.length === 1 ? items[0] : items) : items[0];
  const again = stringsFor(flag, value);
  const t = again.ok ? tokensFor(idx.parser, flag, again) : undefined;
  return t?.ok && t.tokens.join('\u0000') === tokens.join('\u0000') ? value : flag.nargs === '+' || flag.kind === 'append' ? strings : strings[0];
}

/** The settings one CTID writes itself, each judged; contradictions inside the CTID reported. */
export function collectLayer(idx: CatalogIndex, ctid: string, c: Container, r: SettingSink = DISCARD): VllmSetting[] {
  const out: VllmSetting[] = [];
  const base: PathSeg[] = ['lxc_configs', ctid];
  const version = idx.catalog.vllm_version;
  const keep = (flag: VllmFlag, s: Omit<VllmSetting, 'layer'>, warnings: string[]) => {
    const { dest, path, source } = s;
    if (flag.deprecated) {
      r.report(
        'warning',
        'PHX023',
        path,
        `${flag.flag} is deprecated in vLLM ${version}` + (typeof flag.deprecated === 'string' ? `: ${flag.deprecated}` : ''),
        {
          key: source !== 'vllm_args',
        },
      );
    }
    for (const w of warnings) r.report('warning', 'PHX029', path, `vLLM ${version} warns while reading ${flag.flag}: ${w}`);
    if (dest === 'quantization' && typeof s.parsed === 'string' && !idx.quantMethods.has(s.parsed)) {
      r.report('error', 'PHX022', path, quantizationMessage(idx, s.parsed));
      return;
    }
    const prev = out.find((o) => o.dest === dest);
    if (prev) {
      if (!pyEquals(prev.parsed, s.parsed)) {
        r.report(
          'error',
          'PHX024',
          path,
          `${dest} is ${JSON.stringify(s.value)} here (${source}) but ${JSON.stringify(prev.value)} at ${r.where(prev.path)} (${displayPath(prev.path)}, ${prev.source}); write it once`,
        );
      }
      return;
    }
    out.push({ ...s, layer: ctid });
  };
  const add = (dest: string, value: unknown, path: PathSeg[], source: SettingSource) => {
    // api_key and hf_token are never settings: check/secrets.ts refuses them (PHX040, without
    // quoting the value) and `migrate` moves them into the host's secrets file.
    if (dest in SECRET_SETTINGS) return;
    const flag = idx.byDest.get(dest);
    if (!flag) {
      r.report('error', 'PHX020', path, unknownArgMessage(idx, dest), { key: true });
      return;
    }
    const j = judgeValue(idx, flag, value);
    if (!j.ok) {
      r.report('error', j.code, path, j.why);
      return;
    }
    keep(flag, { dest, value, parsed: j.parsed, tokens: j.tokens, path, source }, j.warnings);
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
    for (const a of parseVllmArgs(idx, c.vllm_args, [...base, 'vllm_args'], r)) {
      if (a.dest in SECRET_SETTINGS) continue; // as in add(): check/secrets.ts refuses them
      const flag = idx.byDest.get(a.dest)!;
      const j = judgeStrings(idx, flag, a);
      if (!j.ok) {
        r.report('error', j.code, a.path, j.why);
        continue;
      }
      keep(
        flag,
        { dest: a.dest, value: plainValue(idx, flag, a, j.tokens), parsed: j.parsed, tokens: j.tokens, path: a.path, source: 'vllm_args' },
        a.warnings,
      );
    }
  }
  return out;
}

/**
 * The settings a vLLM CTID runs with: its own, and only its own. The user's application script
 * reads `.lxc_configs[CTID]` for that CTID alone, so a clone never takes its template's vLLM
 * arguments (compiler/resolve.ts, APPLICATION_CONFIG). Keyed by vLLM's dest.
 */
export function ownSettings(idx: CatalogIndex, rc: ResolvedContainer, sink: SettingSink = DISCARD): Map<string, VllmSetting> {
  // The check stage reads them with its Reporter, the planner again without one: the second read
  // of the same container object (and catalog) reuses the first.
  const cached = sink === DISCARD ? judged.get(rc.own)?.get(idx) : undefined;
  if (cached) return cached;
  const settings = new Map(collectLayer(idx, rc.ctid, rc.own, sink).map((s) => [s.dest, s]));
  let byIdx = judged.get(rc.own);
  if (!byIdx) judged.set(rc.own, (byIdx = new Map()));
  byIdx.set(idx, settings);
  return settings;
}

/** ownSettings's results by container object and catalog (both immutable once loaded). */
const judged = new WeakMap<object, Map<CatalogIndex, Map<string, VllmSetting>>>();

/**
 * Lets ownSettings's kept results for `rc` go (the streaming compile, once the container is
 * planned: its plan holds what it needs, and is itself let go after its files are emitted).
 */
export function forgetSettings(rc: ResolvedContainer): void {
  judged.delete(rc.own);
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
