/**
 * Access to the vLLM flag catalogs (schema/vllm/<version>.json): facts about vLLM's command line,
 * derived from its release source by tools/vllm-catalog/extract.py (see schema/vllm/PROVENANCE.md),
 * and the hand-read facts beside them (schema/vllm/<version>.facts.json, each with its source lines).
 */

/** The application script whose CTIDs run a vLLM server (the user's own script name). */
export const VLLM_APP_SCRIPT = 'phoenix_hypervisor_lxc_vllm.sh';
/** The server module: `python -m vllm.entrypoints.openai.api_server` (vllm/entrypoints/openai/api_server.py). */
export const VLLM_MODULE = 'vllm.entrypoints.openai.api_server';
import type { VllmCatalog, VllmFacts, VllmFlag } from './catalog-types';
import { nearest } from '../util/suggest';
import { VllmParser } from './cmdline';

export const SUPPORTED_VLLM_VERSIONS = ['0.10.2'] as const;

export interface CatalogIndex {
  catalog: VllmCatalog;
  facts: VllmFacts;
  byDest: Map<string, VllmFlag>;
  /** Every option string (--max-model-len, --no-enforce-eager, -tp, ...) -> flag and polarity. */
  byOption: Map<string, { flag: VllmFlag; negative: boolean }>;
  quantMethods: Map<string, number | null>;
  envNames: Set<string>;
  /** vLLM's command-line parser for this catalog (built on first use). */
  readonly parser: VllmParser;
}

const cache = new Map<string, CatalogIndex>();

export function catalogFor(version: string): CatalogIndex | undefined {
  if (!(SUPPORTED_VLLM_VERSIONS as readonly string[]).includes(version)) return undefined;
  let idx = cache.get(version);
  if (!idx) {
    const catalog = require(`../../../schema/vllm/${version}.json`) as VllmCatalog;
    const facts = require(`../../../schema/vllm/${version}.facts.json`) as VllmFacts;
    idx = indexCatalog(catalog, facts);
    cache.set(version, idx);
  }
  return idx;
}

export function indexCatalog(catalog: VllmCatalog, facts: VllmFacts): CatalogIndex {
  const byDest = new Map<string, VllmFlag>();
  const byOption = new Map<string, { flag: VllmFlag; negative: boolean }>();
  for (const f of catalog.flags) {
    if (!byDest.has(f.dest)) byDest.set(f.dest, f);
    byOption.set(f.flag, { flag: f, negative: false });
    for (const a of f.aliases ?? []) byOption.set(a, { flag: f, negative: false });
    if (f.kind === 'bool_pair') byOption.set(negativeOption(f), { flag: f, negative: true });
  }
  let parser: VllmParser | undefined;
  return {
    catalog,
    facts,
    byDest,
    byOption,
    quantMethods: new Map(catalog.quantization_methods.map((q) => [q.name, q.min_capability])),
    envNames: new Set(catalog.env.map((e) => e.name)),
    get parser() {
      return (parser ??= new VllmParser(catalog, facts));
    },
  };
}

/** argparse's BooleanOptionalAction negative form: --x -> --no-x. */
export function negativeOption(f: VllmFlag): string {
  return `--no-${f.flag.slice(2)}`;
}

/** The group name users write for a flag's vLLM group (the frontend group is the plan's ServerConfig). */
export function userGroup(f: VllmFlag): string {
  return /^[A-Z][A-Za-z]*Config$/.test(f.group) ? f.group : 'ServerConfig';
}

/**
 * Unknown-argument message: for a name of newer vLLM (facts.newer_vllm_names), what this version
 * uses instead; otherwise the nearest real argument and where vLLM files it.
 */
export function unknownArgMessage(idx: CatalogIndex, name: string): string {
  const newer = idx.facts.newer_vllm_names.value.engine_args[name];
  if (newer) return `unknown vLLM ${idx.catalog.vllm_version} argument ${JSON.stringify(name)}: ${newer}`;
  const guess = nearest(name, idx.byDest.keys());
  const f = guess ? idx.byDest.get(guess) : undefined;
  return (
    `unknown vLLM ${idx.catalog.vllm_version} argument ${JSON.stringify(name)}` +
    (f ? `; did you mean ${JSON.stringify(f.dest)} (${f.flag}, vLLM group ${f.group})?` : '')
  );
}
