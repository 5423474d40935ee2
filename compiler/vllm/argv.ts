/**
 * The vLLM part of the argv, one rule per flag kind: true -> --x; false -> --no-x where vLLM has
 * the pair (false on a store-true flag is its default: omitted); lists -> the flag then each
 * item; objects -> one argument of compact JSON with sorted keys; numbers in canonical form. Each
 * value is one argv item. Order: --model first, then vLLM's own --help order. Full dashed names
 * only (argparse's prefix matching and underscores are never relied on).
 */
import { canonical } from '../util/canonical';
import type { CatalogIndex } from './catalog';
import { negativeOption } from './catalog';
import type { VllmFlag } from './catalog-types';
import type { VllmSetting } from './settings';

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
