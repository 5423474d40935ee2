/**
 * The legacy `vllm_args` list, read the way vLLM's parser reads a command line.
 */
import type { Reporter } from '../diagnostics';
import type { PathSeg } from '../util/jsonpath';
import type { CatalogIndex } from './catalog';
import { unknownArgMessage } from './catalog';

/** Reads a legacy raw argument list the way vLLM's parser would (full names only). */
export function parseVllmArgs(
  idx: CatalogIndex,
  args: string[],
  path: PathSeg[],
  r: Pick<Reporter, 'report'>,
): { dest: string; value: unknown; path: PathSeg[] }[] {
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
