/**
 * Access to the vLLM flag catalogs (schema/vllm/<version>.json): facts about vLLM's command line,
 * derived from its release source by tools/vllm-catalog/extract.py (see schema/vllm/PROVENANCE.md).
 */
import type { VllmCatalog, VllmFlag } from './vllm-catalog-types';

export const SUPPORTED_VLLM_VERSIONS = ['0.10.2'] as const;

export interface CatalogIndex {
  catalog: VllmCatalog;
  byDest: Map<string, VllmFlag>;
  /** Every option string (--max-model-len, --no-enforce-eager, -tp, ...) -> flag and polarity. */
  byOption: Map<string, { flag: VllmFlag; negative: boolean }>;
  quantMethods: Map<string, number | null>;
  envNames: Set<string>;
}

const cache = new Map<string, CatalogIndex>();

export function catalogFor(version: string): CatalogIndex | undefined {
  if (!(SUPPORTED_VLLM_VERSIONS as readonly string[]).includes(version)) return undefined;
  let idx = cache.get(version);
  if (!idx) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const catalog = require(`../../schema/vllm/${version}.json`) as VllmCatalog;
    idx = indexCatalog(catalog);
    cache.set(version, idx);
  }
  return idx;
}

export function indexCatalog(catalog: VllmCatalog): CatalogIndex {
  const byDest = new Map<string, VllmFlag>();
  const byOption = new Map<string, { flag: VllmFlag; negative: boolean }>();
  for (const f of catalog.flags) {
    if (!byDest.has(f.dest)) byDest.set(f.dest, f);
    byOption.set(f.flag, { flag: f, negative: false });
    for (const a of f.aliases ?? []) byOption.set(a, { flag: f, negative: false });
    if (f.kind === 'bool_pair') byOption.set(negativeOption(f), { flag: f, negative: true });
  }
  return {
    catalog,
    byDest,
    byOption,
    quantMethods: new Map(catalog.quantization_methods.map((q) => [q.name, q.min_capability])),
    envNames: new Set(catalog.env.map((e) => e.name)),
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
