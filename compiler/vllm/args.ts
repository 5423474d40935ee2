/**
 * The legacy `vllm_args` list, read by the model of vLLM's own parser (compiler/vllm/cmdline.ts):
 * underscores, prefixes, `--flag=value`, `-O3`, dotted `--flag.key value` and the rest mean what
 * they mean to vLLM 0.10.2. On top of vLLM's verdict the compiler refuses what vLLM accepts but
 * would not do what the list says: a positional argument (the server module never reads it),
 * `--config` (a file inside the container), and one argument given twice with different values
 * (vLLM silently keeps the last).
 */
import type { Reporter } from '../diagnostics';
import type { PathSeg } from '../util/jsonpath';
import type { CatalogIndex } from './catalog';
import { unknownArgMessage } from './catalog';
import type { ParseResult } from './cmdline';

/** One argument of the list: its argument strings per occurrence (or its polarity), where it is. */
export interface ListedArg {
  dest: string;
  occurrences: string[][];
  on?: boolean;
  path: PathSeg[];
  warnings: string[];
}

export const CONFIG_REFUSAL =
  '--config makes vLLM read a YAML file from its working directory inside the container (vllm/utils/__init__.py:1941-2069), which the compiler cannot see or check; write those settings in vllm_engine_config instead';

/**
 * Reads a legacy raw argument list the way vLLM's parser does; problems go to `r`. vLLM stops at
 * its first refusal; to report every problem at once, the compiler then skips the refused option
 * (up to the next option) and reads the rest the same way.
 */
export function parseVllmArgs(idx: CatalogIndex, args: string[], path: PathSeg[], r: Pick<Reporter, 'report'>): ListedArg[] {
  let offset = 0;
  let rest = args;
  for (let round = 0; round < args.length + 1; round++) {
    const res = idx.parser.parse(rest);
    if (res.ok) {
      const listed = listedArgs(idx, rest, res, path, offset, r);
      return round === 0 ? listed : [];
    }
    refusal(idx, args, res, path, offset, r);
    if (res.at === undefined) return [];
    const next = rest.findIndex((t, i) => i > res.at! && t.startsWith('-') && !/^-[0-9]/.test(t));
    if (next < 0) return [];
    offset += next;
    rest = rest.slice(next);
  }
  return [];
}

function refusal(
  idx: CatalogIndex,
  args: string[],
  res: Extract<ParseResult, { ok: false }>,
  path: PathSeg[],
  offset: number,
  r: Pick<Reporter, 'report'>,
): void {
  const version = idx.catalog.vllm_version;
  const at = [...path, offset + (res.at ?? 0)];
  if (res.unsupported === 'config') {
    r.report('error', 'PHX027', [...path, Math.max(0, args.indexOf('--config'))], CONFIG_REFUSAL);
    return;
  }
  const unknown = /^unrecognized arguments: (\S+)/.exec(res.message);
  if (unknown && unknown[1].startsWith('-')) {
    const name = unknown[1].split('=')[0];
    r.report(
      'error',
      'PHX020',
      at,
      `vLLM ${version} refuses these arguments: ${oneLine(res.message)}; ${unknownArgMessage(idx, name.replace(/^-+/, '').replace(/-/g, '_'))}`,
    );
  } else if (res.by === 'argparse') {
    r.report('error', 'PHX027', at, `vLLM ${version} refuses these arguments: ${oneLine(res.message)}` + compilationLevelHint(res.message));
  } else {
    r.report('error', 'PHX027', at, `vLLM ${version} crashes on these arguments while reading them (${res.exception}: ${oneLine(res.message)})`);
  }
}

function listedArgs(
  idx: CatalogIndex,
  args: string[],
  res: Extract<ParseResult, { ok: true }>,
  path: PathSeg[],
  offset: number,
  r: Pick<Reporter, 'report'>,
): ListedArg[] {
  const at = (i: number) => [...path, offset + i];
  const out: ListedArg[] = [];
  for (const g of res.given) {
    if (g.dest === 'model_tag') {
      if (g.strings.length === 0) continue;
      const prev = args[g.at - 1];
      const flag = prev !== undefined ? idx.byOption.get(prev)?.flag : undefined;
      const why =
        flag && (flag.kind === 'bool_pair' || flag.kind === 'store_true')
          ? `${prev} takes no value, so vLLM reads ${JSON.stringify(args[g.at])} as a positional model name` +
            (flag.kind === 'bool_pair' ? ` (to turn it off write ${flag.negative_flag ?? `--no-${flag.flag.slice(2)}`})` : '')
          : `${JSON.stringify(args[g.at])} is a positional argument`;
      r.report(
        'error',
        'PHX027',
        at(g.at),
        `${why}; the server module python -m vllm.entrypoints.openai.api_server never reads a positional model (vllm/entrypoints/openai/api_server.py:2000-2011; only vllm serve does, vllm/entrypoints/cli/serve.py:40-41)`,
      );
      continue;
    }
    const flag = idx.byDest.get(g.dest);
    if (!flag) continue;
    let a = out.find((x) => x.dest === g.dest);
    if (!a) {
      a = { dest: g.dest, occurrences: [], path: at(g.at), warnings: [] };
      out.push(a);
    }
    if (flag.kind === 'bool_pair' || flag.kind === 'store_true') {
      a.on = flag.kind === 'store_true' ? true : !g.option.startsWith('--no-');
      a.occurrences = [[]];
      a.path = at(g.at);
    } else if (flag.kind === 'append') {
      a.occurrences.push(g.strings);
    } else {
      if (a.occurrences.length && a.occurrences[0].join('\u0000') !== g.strings.join('\u0000'))
        r.report(
          'error',
          'PHX024',
          at(g.at),
          `${flag.flag} is given twice in vllm_args (${a.occurrences[0].map((s) => JSON.stringify(s)).join(' ')} and ${g.strings.map((s) => JSON.stringify(s)).join(' ')}); vLLM would silently keep the last; write it once`,
        );
      a.occurrences = [g.strings];
      a.path = at(g.at);
    }
  }
  for (const w of res.warnings) if (out[0]) out[0].warnings.push(w);
  return out;
}

/**
 * `-O 4` or `--compilation-config 3` (a bare level): vLLM rewrites -O3, -O=3 and -O followed by
 * 0-3 into {"level": N} (vllm/utils/__init__.py:1837-1848); anything else after -O is read as the
 * whole CompilationConfig JSON, where a bare number is refused.
 */
export function compilationLevelHint(message: string): string {
  return /^argument --compilation-config\/-O: 1 validation error for CompilationConfig\n {2}Input should be an object/.test(message)
    ? '. -O3 means --compilation-config \'{"level": 3}\' (vLLM rewrites -O<n>, -O=<n> and -O 0..3 into it); write the level as {"level": N}'
    : '';
}

/** A message of vLLM's on one line (pydantic's take several, with a [type=...] detail each). */
export function oneLine(message: string): string {
  return message
    .replace(/ \[type=[^\]\n]*\]/g, '')
    .replace(/\n {4}For further information[^\n]*/g, '')
    .replace(/\n\s*/g, ': ');
}
