/**
 * The vLLM part of the argv: which argument strings a configured value becomes, and the argv
 * items that hand exactly those strings to vLLM's parser (compiler/vllm/cmdline.ts is the judge
 * of both; test/vllm-oracle.test.ts holds the round trip to vLLM's recorded verdicts).
 *
 * A JSON value becomes argument strings by one rule per JSON type:
 *  - a string is the argument itself, byte for byte ("32K" for --max-model-len, "{...}" for a
 *    JSON flag, "-0.5" for a float flag): vLLM's type function reads it;
 *  - a number is its shortest decimal form (8192, 0.9, 1e+21); a number for a flag that takes a
 *    string is refused (JSON does not keep how it was written: 1.10 would arrive as 1.1); an
 *    integer beyond 2^53 is refused (JSON.parse has already lost its digits: write it as a string);
 *  - true/false is the flag itself or its --no- form (store-true flags have no --no- form: false is
 *    their default and is omitted); for a JSON flag it is the JSON text true/false;
 *  - an object or array is compact JSON with sorted keys, each number as the config writes it
 *    (4.0 stays a float, 12345678901234567890 keeps its digits: compiler/util/json-numbers.ts),
 *    for a flag that reads JSON;
 *  - a list flag (nargs '+') takes an array (each item one argument string) or a single value;
 *  - null is refused: leave the key out for vLLM's default.
 *
 * Argument strings become argv items so that vLLM's rewrites cannot touch them: a string that
 * starts with '-' is attached with '=' (`--swap-space=-0.5`), because vLLM would otherwise take
 * `-0.5` as a dotted `-flag.key` argument (vllm/utils/__init__.py:1882-1898) and argparse would
 * take `-x` as an option (Lib/argparse.py:2276-2285); a plain negative integer stays separate
 * (argparse reads `^-\d+$` as a value); several list items stay separate when each reaches
 * argparse as a value (VllmParser.standsAlone). Order: --model first, then vLLM's own --help order.
 */
import { jsonAsWritten } from '../util/json-numbers';
import type { CatalogIndex } from './catalog';
import { negativeOption } from './catalog';
import type { VllmFlag } from './catalog-types';
import type { VllmParser } from './cmdline';

/** The innermost type function of a flag: int, float, str, human_readable_int, json, ... */
export function innerType(flag: VllmFlag): 'int' | 'float' | 'str' | 'json' {
  let n = flag.parser ?? 'str';
  for (;;) {
    const m = /^(?:optional_type|parse_type)\((.*)\)$/.exec(n);
    if (!m) break;
    n = m[1];
  }
  if (n === 'int' || n === 'human_readable_int') return 'int';
  if (n === 'float') return 'float';
  if (n === 'str') return flag.action === 'LoRAParserAction' ? 'json' : 'str';
  return 'json';
}

/** What a flag takes, in words, for messages. */
export function takesText(flag: VllmFlag): string {
  if (flag.kind === 'bool_pair' || flag.kind === 'store_true') return 'true or false';
  if (flag.nargs === '?') return 'a string, or true for the flag alone';
  const t = innerType(flag);
  const one =
    t === 'int'
      ? flag.human_readable
        ? 'an integer or a string such as "32K" (K = 1024) or "25.6k" (k = 1000)'
        : 'an integer'
      : t === 'float'
        ? 'a number'
        : t === 'json'
          ? 'a JSON value (an object, or its text as a string)'
          : 'a string';
  return flag.nargs === '+' || flag.kind === 'append' ? `${one}, or a list of them` : one;
}

/** Result of mapping a value: the argument strings per occurrence, or why it has none. */
export type Mapped = { ok: true; occurrences: string[][]; on?: boolean } | { ok: false; why: string };

/**
 * The argument strings a JSON value becomes for one flag (see the file comment).
 * @returns occurrences: one list of argument strings per time the flag is given (several only
 *   for an append flag); `on` for a true/false flag.
 */
export function stringsFor(flag: VllmFlag, value: unknown): Mapped {
  const no = (why: string): Mapped => ({ ok: false, why });
  if (value === null) return no(`null is not a value of ${flag.flag}; leave the key out for vLLM's default`);
  if (flag.kind === 'bool_pair' || flag.kind === 'store_true') {
    return typeof value === 'boolean' ? { ok: true, occurrences: [[]], on: value } : no(`${flag.flag} takes true or false, not ${JSON.stringify(value)}`);
  }
  if (flag.nargs === '?') {
    if (value === true) return { ok: true, occurrences: [[]] };
    return typeof value === 'string' ? { ok: true, occurrences: [[value]] } : no(`${flag.flag} takes ${takesText(flag)}, not ${JSON.stringify(value)}`);
  }
  const listy = flag.nargs === '+' || flag.kind === 'append';
  if (Array.isArray(value) && !(listy || innerType(flag) === 'json')) return no(`${flag.flag} takes ${takesText(flag)}, not a list (${JSON.stringify(value)})`);
  const items = listy ? (Array.isArray(value) ? value : [value]) : [value];
  if (listy && items.length === 0) return no(`${flag.flag} takes at least one value`);
  const strings: string[] = [];
  for (const it of items) {
    const s = scalarString(flag, it);
    if (typeof s !== 'string') return no(s.why);
    strings.push(s);
  }
  return flag.kind === 'append' ? { ok: true, occurrences: strings.map((s) => [s]) } : { ok: true, occurrences: [strings] };
}

function scalarString(flag: VllmFlag, v: unknown): string | { why: string } {
  const t = innerType(flag);
  const not = () => ({ why: `${flag.flag} takes ${takesText(flag)}, not ${JSON.stringify(v)}` });
  if (typeof v === 'string') return v;
  if (v === null) return { why: `null is not a value of ${flag.flag}; leave the key out for vLLM's default` };
  if (t === 'json') {
    const j = jsonAsWritten(v);
    return j.ok ? j.text : { why: `${flag.flag}: ${j.why} cannot be passed as JSON; write the argument as a string` };
  }
  if (typeof v === 'number') {
    if (t === 'str')
      return { why: `${flag.flag} takes a string; write ${JSON.stringify(String(v))} in quotes (a JSON number does not keep how it was written)` };
    if (Number.isInteger(v) && !Number.isSafeInteger(v))
      return { why: `${flag.flag}: ${v} is beyond 2^53, where JSON numbers lose digits; write it as a string ("${BigInt(v)}" is what the file now holds)` };
    return String(v);
  }
  return not();
}

/**
 * The argv items that give a flag these argument strings.
 * @returns the items, or why no items can (several list items where one starts with '-').
 */
export function tokensFor(
  parser: Pick<VllmParser, 'standsAlone'>,
  flag: VllmFlag,
  m: { occurrences: string[][]; on?: boolean },
): { ok: true; tokens: string[] } | { ok: false; why: string } {
  const standsAlone = (s: string) => !s.startsWith('-') || (/^-[0-9]+$/.test(s) && parser.standsAlone(s));
  const alone = (s: string) => parser.standsAlone(s);
  if (flag.kind === 'bool_pair') return { ok: true, tokens: [m.on ? flag.flag : negativeOption(flag)] };
  if (flag.kind === 'store_true') return { ok: true, tokens: m.on ? [flag.flag] : [] };
  const out: string[] = [];
  for (const strings of m.occurrences) {
    if (strings.length === 0) out.push(flag.flag);
    else if (strings.length === 1) out.push(...(standsAlone(strings[0]) ? [flag.flag, strings[0]] : [`${flag.flag}=${strings[0]}`]));
    else {
      const bad = strings.find((s) => !alone(s));
      if (bad !== undefined)
        return {
          ok: false,
          why: `${flag.flag}: the list item ${JSON.stringify(bad)} starts with '-', which vLLM would read as an option (only a single item can be attached with '=')`,
        };
      out.push(flag.flag, ...strings);
    }
  }
  return { ok: true, tokens: out };
}

/** The vLLM part of the argv: each setting's items, --model first, then vLLM's --help order. */
export function flagArgs(idx: CatalogIndex, settings: readonly { dest: string; tokens: string[] }[]): string[] {
  const order = (dest: string) => (dest === 'model' ? -1 : (idx.byDest.get(dest)?.help_order ?? 1e9));
  return [...settings].sort((a, b) => order(a.dest) - order(b.dest) || (a.dest < b.dest ? -1 : 1)).flatMap((s) => s.tokens);
}
