/**
 * vLLM 0.10.2's command-line parser, modelled: what `python -m vllm.entrypoints.openai.api_server
 * ARGS` makes of ARGS, or how it refuses them. Held to vLLM's own verdicts on 4326 recorded
 * command lines (schema/vllm/0.10.2.oracle.json) by test/vllm-oracle.test.ts.
 *
 * Two layers, as in vLLM:
 *  1. FlexibleArgumentParser.parse_args (vllm/utils/__init__.py:1798-1927): `vllm serve` with
 *     --model is refused (:1806-1814); `--config FILE` pulls a YAML file in (:1816-1817, not
 *     modelled: the compiler never emits it and refuses it in vllm_args); in every token that
 *     starts with `--`, underscores become dashes from after the `--` to the first `.` (only left
 *     of an `=`) (:1824-1836); `-O<x>` and `-O=<x>` become `-O.level=<x>`, and `-O` followed by
 *     0, 1, 2 or 3 becomes `-O.level` (:1837-1848); every token that starts with `-` and holds a
 *     `.` is a dotted argument `--flag.key[.key...][+][=value]` whose value is the text after `=`
 *     or else the NEXT token, whatever it is (no next token: IndexError), read with json.loads
 *     when it parses, merged per flag into one dict and appended at the end as
 *     `--flag json.dumps(dict)` (:1850-1925).
 *  2. argparse (CPython 3.11.7 Lib/argparse.py; allow_abbrev is on): option recognition with
 *     prefix matching and `--opt=value` (:2229-2330), negative-number-looking and spaced tokens as
 *     values (:1381, :2276-2282), the consume loop alternating options and the positional
 *     `model_tag` (:1912-2117), nargs patterns (:2332-2375), `_get_values` dropping the first `--`
 *     (:2466-2519), type conversion and choices (:2521-2553), actions (store, store_true,
 *     BooleanOptionalAction :885-920, append, and vLLM's LoRAParserAction,
 *     vllm/entrypoints/openai/cli_args.py:33-66), and "unrecognized arguments" for leftovers.
 *
 * The flags, their type functions, nargs, choices and actions come from the flag catalog
 * (schema/vllm/<version>.json), which tools/vllm-catalog/oracle.py checks against the real parser.
 */
import type { VllmCatalog, VllmFlag } from './catalog-types';
import { DataclassModel } from './dataclass';
import type { VllmFacts } from './catalog-types';
import { jsonDumps, jsonLoads, PyError, pyRepr, pyReprValue, PyValue, pyEquals, pyDict } from './py';
import { isValueError, TypeFn, typeFunction, typeRefusal } from './types';

type ActionKind = 'store' | 'store_true' | 'bool_optional' | 'append' | 'lora' | 'help';

export interface Action {
  dest: string;
  optionStrings: string[];
  kind: ActionKind;
  /** argparse nargs: null (one), '?', '+', or 0 (none). */
  nargs: null | '?' | '+' | 0;
  type: TypeFn;
  choices: PyValue[] | null;
  const: PyValue;
  default: PyValue;
  /** The catalog flag (undefined for --help and the positional model_tag). */
  flag?: VllmFlag;
}

/** One argument of the parse: where it came from in the input (index of the token that named it). */
export interface Given {
  dest: string;
  /** Index in the input of the option token (or the first dotted token it was merged from). */
  at: number;
  /** The option string as argparse matched it (for a positional: the dest). */
  option: string;
  /** The argument strings argparse handed to the type function, after vLLM's rewrites. */
  strings: string[];
}

export type ParseResult =
  | {
      ok: true;
      /** Each dest the command line set, with its final value. */
      values: Map<string, PyValue>;
      /** Every occurrence, in order (a store flag given twice appears twice; the last one counts). */
      given: Given[];
      /** vLLM's warnings while parsing (deprecations, pydantic post-init notes). */
      warnings: string[];
    }
  | {
      ok: false;
      /** argparse: parser.error (exit 2); exception: an uncaught Python exception (exit 1, traceback). */
      by: 'argparse' | 'exception';
      message: string;
      exception?: string;
      /** Index in the input of the token the refusal is about, when known. */
      at?: number;
      /** The dest the refusal is about, when known. */
      dest?: string;
      /** `--config FILE`: vLLM would read a YAML file; not modelled. */
      unsupported?: 'config';
    };

class ArgumentError extends Error {
  constructor(
    readonly action: Action | undefined,
    message: string,
    readonly at?: number,
  ) {
    super(action ? `argument ${actionName(action)}: ${message}` : message);
  }
}

class ParserError extends Error {
  constructor(
    message: string,
    readonly at?: number,
    readonly dest?: string,
  ) {
    super(message);
  }
}

function actionName(a: Action): string {
  return a.optionStrings.length ? a.optionStrings.join('/') : a.dest;
}

const NEGATIVE_NUMBER = /^-\d+$|^-\d*\.\d+$/;

/** vLLM's server parser for one flag catalog. */
export class VllmParser {
  readonly actions: Action[] = [];
  readonly optionActions = new Map<string, Action>();
  readonly positional: Action;
  readonly dataclasses: DataclassModel;

  constructor(catalog: VllmCatalog, facts: VllmFacts) {
    this.dataclasses = new DataclassModel(facts);
    const help: Action = {
      dest: 'help',
      optionStrings: ['-h', '--help'],
      kind: 'help',
      nargs: 0,
      type: typeFunction('str', this.dataclasses, true),
      choices: null,
      const: null,
      default: null,
    };
    this.add(help);
    for (const f of catalog.flags) {
      const kind: ActionKind =
        f.kind === 'bool_pair'
          ? 'bool_optional'
          : f.kind === 'store_true'
            ? 'store_true'
            : f.kind === 'append'
              ? 'append'
              : f.action === 'LoRAParserAction'
                ? 'lora'
                : 'store';
      const plainJson = f.source.startsWith('vllm/entrypoints/openai/cli_args.py');
      this.add({
        dest: f.dest,
        optionStrings: [f.flag, ...f.aliases, ...(f.kind === 'bool_pair' ? [f.negative_flag ?? `--no-${f.flag.slice(2)}`] : [])],
        kind,
        nargs: kind === 'bool_optional' || kind === 'store_true' ? 0 : ((f.nargs as '?' | '+' | null) ?? null),
        type: typeFunction(f.parser, this.dataclasses, plainJson),
        choices: kind === 'store' || kind === 'append' ? (f.choices?.map(choiceValue) ?? null) : null,
        const: f.const === undefined ? null : (f.const as PyValue),
        default: null,
        flag: f,
      });
    }
    // The one positional, `model_tag` (nargs '?', vllm/entrypoints/openai/cli_args.py:237-241).
    if (!catalog.parser.positionals.some((p) => p.dest === 'model_tag' && p.nargs === '?')) throw new Error('the catalog lacks the positional model_tag');
    this.positional = {
      dest: 'model_tag',
      optionStrings: [],
      kind: 'store',
      nargs: '?',
      type: typeFunction('str', this.dataclasses, true),
      choices: null,
      const: null,
      default: null,
    };
  }

  private add(a: Action): void {
    this.actions.push(a);
    for (const s of a.optionStrings) this.optionActions.set(s, a);
  }

  /**
   * True when `s`, standing alone after an option, reaches argparse unchanged and is read as a
   * value: vLLM's rewrites leave it alone (it does not start with '--' or '-O', and a token that
   * starts with '-' holds no '.': vllm/utils/__init__.py:1824-1898), and argparse does not take
   * it for an option (Lib/argparse.py:2229-2285: a negative number, or a token with a space that
   * names no option).
   */
  standsAlone(s: string): boolean {
    if (!s.startsWith('-')) return true;
    if (s.startsWith('--') || s.startsWith('-O') || s.includes('.')) return false;
    try {
      return this.parseOptional(s, undefined) === undefined;
    } catch {
      return false;
    }
  }

  /** The action of a catalog dest. */
  actionOf(dest: string): Action | undefined {
    return this.actions.find((a) => a.dest === dest);
  }

  /** parse_args(args) of `python -m vllm.entrypoints.openai.api_server`. */
  parse(args: readonly string[]): ParseResult {
    try {
      return this.parseOrThrow(args);
    } catch (e) {
      if (e instanceof ArgumentError)
        return { ok: false, by: 'argparse', message: e.message, ...(e.at !== undefined ? { at: e.at } : {}), ...(e.action ? { dest: e.action.dest } : {}) };
      if (e instanceof ParserError)
        return { ok: false, by: 'argparse', message: e.message, ...(e.at !== undefined ? { at: e.at } : {}), ...(e.dest ? { dest: e.dest } : {}) };
      if (e instanceof Unsupported) return { ok: false, by: 'exception', message: '--config is not modelled', unsupported: 'config' };
      if (e instanceof Crash)
        return {
          ok: false,
          by: 'exception',
          message: e.error.message,
          exception: e.error.type,
          ...(e.at !== undefined ? { at: e.at } : {}),
          ...(e.dest ? { dest: e.dest } : {}),
        };
      throw e;
    }
  }

  private parseOrThrow(input: readonly string[]): ParseResult {
    const args = [...input];
    // vllm/utils/__init__.py:1806-1814
    if (args[0] === 'serve' && args.includes('--model'))
      throw new Crash(
        new PyError(
          'ValueError',
          'With `vllm serve`, you should provide the model as a positional argument or in a config file instead of via the `--model` option.',
        ),
      );
    // :1816-1817
    if (args.includes('--config')) throw new Unsupported();

    // :1824-1848, token by token; `origin` keeps each token's index in the input.
    const processed: { s: string; origin: number }[] = [];
    args.forEach((arg, i) => {
      if (arg.startsWith('--')) {
        const eq = arg.indexOf('=');
        const key = eq >= 0 ? arg.slice(0, eq) : arg;
        const dot = key.indexOf('.', 2);
        const head = dot >= 0 ? key.slice(2, dot) : key.slice(2);
        const fixed = '--' + head.replace(/_/g, '-') + (dot >= 0 ? key.slice(dot) : '');
        processed.push({ s: eq >= 0 ? `${fixed}=${arg.slice(eq + 1)}` : fixed, origin: i });
      } else if (arg.startsWith('-O') && arg !== '-O' && arg[2] !== '.') {
        processed.push({ s: `-O.level=${arg[2] === '=' ? arg.slice(3) : arg.slice(2)}`, origin: i });
      } else if (arg === '-O' && i + 1 < args.length && ['0', '1', '2', '3'].includes(args[i + 1])) {
        processed.push({ s: '-O.level', origin: i });
      } else processed.push({ s: arg, origin: i });
    });

    // :1850-1925, the dotted arguments.
    const del = new Set<number>();
    const dictArgs = new Map<string, { m: Map<string, PyValue>; origin: number }>();
    const warnings: string[] = [];
    const duplicates: string[] = [];
    for (let i = 0; i < processed.length; i++) {
      if (del.has(i)) continue;
      let arg = processed[i].s;
      if (!(arg.startsWith('-') && arg.includes('.'))) continue;
      let valueStr: string;
      if (arg.includes('=')) {
        const eq = arg.indexOf('=');
        valueStr = arg.slice(eq + 1);
        arg = arg.slice(0, eq);
        if (!arg.includes('.')) continue;
      } else {
        if (i + 1 >= processed.length) throw new Crash(new PyError('IndexError', 'list index out of range'), processed[i].origin);
        valueStr = processed[i + 1].s;
        del.add(i + 1);
      }
      if (arg.endsWith('+')) {
        arg = arg.slice(0, -1);
        valueStr = jsonDumps(valueStr.split(','));
      }
      const [key, ...keys] = arg.split('.');
      let value: PyValue;
      try {
        value = jsonLoads(valueStr);
      } catch {
        value = valueStr;
      }
      let nested: PyValue = value;
      for (const k of [...keys].reverse()) nested = pyDict([[k, nested]]);
      let target = dictArgs.get(key);
      if (!target) {
        target = { m: new Map(), origin: processed[i].origin };
        dictArgs.set(key, target);
      }
      for (const d of recursiveDictUpdate(target.m, (nested as { m: Map<string, PyValue> }).m)) duplicates.push(`${key}.${d}`);
      del.add(i);
    }
    const rest = processed.filter((_, i) => !del.has(i));
    if (duplicates.length) warnings.push(`Found duplicate keys ${duplicates.join(', ')}`);
    for (const [key, d] of dictArgs) {
      rest.push({ s: key, origin: d.origin });
      rest.push({ s: jsonDumps({ py: 'dict', m: d.m }), origin: d.origin });
    }
    return this.argparse(rest, warnings);
  }

  /** ArgumentParser.parse_args over the rewritten tokens. */
  private argparse(items: { s: string; origin: number }[], warnings: string[]): ParseResult {
    const strings = items.map((x) => x.s);
    const origin = (i: number) => items[Math.min(i, items.length - 1)]?.origin;
    const values = new Map<string, PyValue>();
    const given: Given[] = [];

    // Lib/argparse.py:1928-1951: the pattern of options (O), arguments (A) and '--' (-).
    const optionAt = new Map<number, { action: Action | undefined; option: string; explicit: string | null }>();
    let pattern = '';
    for (let i = 0; i < strings.length; i++) {
      if (strings[i] === '--') {
        pattern += '-' + 'A'.repeat(strings.length - i - 1);
        break;
      }
      const t = this.parseOptional(strings[i], origin(i));
      if (t === undefined) pattern += 'A';
      else {
        optionAt.set(i, t);
        pattern += 'O';
      }
    }

    const take = (action: Action, argStrings: string[], option: string | undefined, at: number) => {
      const v = this.getValues(action, argStrings, origin(at), warnings);
      given.push({
        dest: action.dest,
        at: origin(at)!,
        option: option ?? action.dest,
        strings: argStrings.filter((s, i) => !(s === '--' && i === argStrings.indexOf('--'))),
      });
      switch (action.kind) {
        case 'help':
          throw new ParserError('--help prints the help text and exits', origin(at), 'help');
        case 'store':
          values.set(action.dest, v);
          break;
        case 'store_true':
          values.set(action.dest, true);
          break;
        case 'bool_optional':
          values.set(action.dest, !option!.startsWith('--no-'));
          break;
        case 'append': {
          const prev = values.get(action.dest);
          values.set(action.dest, [...(Array.isArray(prev) ? prev : Array.isArray(action.flag?.default) ? (action.flag!.default as PyValue[]) : []), v]);
          break;
        }
        case 'lora':
          values.set(action.dest, loraModules(v as PyValue[], origin(at)));
          break;
      }
    };

    let positionals = [this.positional];
    const extras: string[] = [];
    let extrasAt: number | undefined;
    const addExtras = (from: number, to: number) => {
      if (to > from && extrasAt === undefined) extrasAt = origin(from);
      extras.push(...strings.slice(from, to));
    };

    const consumeOptional = (start: number): number => {
      let { action, option, explicit } = optionAt.get(start)!;
      const tuples: [Action, string[], string][] = [];
      let stop = start + 1;
      for (;;) {
        if (action === undefined) {
          addExtras(start, start + 1);
          return start + 1;
        }
        if (explicit !== null) {
          const count = this.matchArgument(action, 'A', origin(start));
          if (count === 0 && option[1] !== '-' && explicit !== '') {
            tuples.push([action, [], option]);
            option = option[0] + explicit[0];
            const next = explicit.slice(1) || null;
            const a = this.optionActions.get(option);
            if (a) {
              action = a;
              explicit = next;
            } else throw new ArgumentError(action, `ignored explicit argument ${pyRepr(explicit)}`, origin(start));
          } else if (count === 1) {
            stop = start + 1;
            tuples.push([action, [explicit], option]);
            break;
          } else throw new ArgumentError(action, `ignored explicit argument ${pyRepr(explicit)}`, origin(start));
        } else {
          const count = this.matchArgument(action, pattern.slice(start + 1), origin(start));
          stop = start + 1 + count;
          tuples.push([action, strings.slice(start + 1, stop), option]);
          break;
        }
      }
      for (const [a, s, o] of tuples) take(a, s, o, start);
      return stop;
    };

    const consumePositionals = (start: number): number => {
      const counts = this.matchPartial(positionals, pattern.slice(start));
      counts.forEach((n, k) => {
        take(positionals[k], strings.slice(start, start + n), undefined, start);
        start += n;
      });
      positionals = positionals.slice(counts.length);
      return start;
    };

    let start = 0;
    const optionIndices = [...optionAt.keys()];
    const maxOption = optionIndices.length ? Math.max(...optionIndices) : -1;
    while (start <= maxOption) {
      const next = Math.min(...optionIndices.filter((i) => i >= start));
      if (start !== next) {
        const end = consumePositionals(start);
        if (end > start) {
          start = end;
          continue;
        }
        start = end;
      }
      if (!optionAt.has(start)) {
        addExtras(start, next);
        start = next;
      }
      start = consumeOptional(start);
    }
    const stop = consumePositionals(start);
    addExtras(stop, strings.length);
    if (extras.length) throw new ParserError(`unrecognized arguments: ${extras.join(' ')}`, extrasAt);
    if (values.get('model_tag') === null) values.delete('model_tag');
    return { ok: true, values, given, warnings };
  }

  /** Lib/argparse.py:2229-2285 `_parse_optional`: undefined for a value, else the option. */
  private parseOptional(arg: string, at: number | undefined): { action: Action | undefined; option: string; explicit: string | null } | undefined {
    if (!arg) return undefined;
    if (arg[0] !== '-') return undefined;
    const exact = this.optionActions.get(arg);
    if (exact) return { action: exact, option: arg, explicit: null };
    if (arg.length === 1) return undefined;
    if (arg.includes('=')) {
      const eq = arg.indexOf('=');
      const a = this.optionActions.get(arg.slice(0, eq));
      if (a) return { action: a, option: arg.slice(0, eq), explicit: arg.slice(eq + 1) };
    }
    const tuples = this.optionTuples(arg);
    if (tuples.length > 1) throw new ParserError(`ambiguous option: ${arg} could match ${tuples.map((t) => t.option).join(', ')}`, at);
    if (tuples.length === 1) return tuples[0];
    if (NEGATIVE_NUMBER.test(arg)) return undefined;
    if (arg.includes(' ')) return undefined;
    return { action: undefined, option: arg, explicit: null };
  }

  /** Lib/argparse.py:2287-2330 `_get_option_tuples` (allow_abbrev on). */
  private optionTuples(arg: string): { action: Action; option: string; explicit: string | null }[] {
    const out: { action: Action; option: string; explicit: string | null }[] = [];
    if (arg[1] === '-') {
      const eq = arg.indexOf('=');
      const prefix = eq >= 0 ? arg.slice(0, eq) : arg;
      const explicit = eq >= 0 ? arg.slice(eq + 1) : null;
      for (const [s, a] of this.optionActions) if (s.startsWith(prefix)) out.push({ action: a, option: s, explicit });
    } else {
      const short = arg.slice(0, 2);
      const shortExplicit = arg.slice(2);
      for (const [s, a] of this.optionActions) {
        if (s === short) out.push({ action: a, option: s, explicit: shortExplicit });
        else if (s.startsWith(arg)) out.push({ action: a, option: s, explicit: null });
      }
    }
    return out;
  }

  /** Lib/argparse.py:2332-2375 `_get_nargs_pattern`. */
  private nargsPattern(a: Action): string {
    let p: string;
    if (a.nargs === null) p = '(-*A-*)';
    else if (a.nargs === '?') p = '(-*A?-*)';
    else if (a.nargs === '+') p = '(-*A[A-]*)';
    else p = '(-*-*)';
    if (a.optionStrings.length) p = p.replace(/-\*/g, '').replace(/-/g, '');
    return p;
  }

  /** Lib/argparse.py:2188-2206 `_match_argument`. */
  private matchArgument(a: Action, pattern: string, at: number | undefined): number {
    const m = anchored('^' + this.nargsPattern(a)).exec(pattern);
    if (!m) {
      const msg =
        a.nargs === null
          ? 'expected one argument'
          : a.nargs === '?'
            ? 'expected at most one argument'
            : a.nargs === '+'
              ? 'expected at least one argument'
              : 'expected 0 arguments';
      throw new ArgumentError(a, msg, at);
    }
    return m[1].length;
  }

  /** Lib/argparse.py:2208-2221 `_match_arguments_partial`. */
  private matchPartial(actions: Action[], pattern: string): number[] {
    for (let i = actions.length; i > 0; i--) {
      const m = new RegExp(
        '^' +
          actions
            .slice(0, i)
            .map((a) => this.nargsPattern(a))
            .join(''),
      ).exec(pattern);
      if (m) return m.slice(1).map((g) => g.length);
    }
    return [];
  }

  /** Lib/argparse.py:2466-2519 `_get_values`, with `_get_value` and `_check_value`. */
  private getValues(a: Action, argStrings: string[], at: number | undefined, warnings: string[]): PyValue {
    const args = [...argStrings];
    const dd = args.indexOf('--');
    if (dd >= 0) args.splice(dd, 1);
    const one = (s: string): PyValue => {
      try {
        return a.type.call(s, warnings);
      } catch (e) {
        const why = typeRefusal(a.type, s, e);
        if (why !== undefined) throw new ArgumentError(a, why, at);
        if (e instanceof PyError) throw new Crash(e, at, a.dest);
        throw e;
      }
    };
    const check = (v: PyValue) => {
      if (a.choices && !a.choices.some((c) => pyEquals(c, v)))
        throw new ArgumentError(a, `invalid choice: ${pyReprValue(v)} (choose from ${a.choices.map(pyReprValue).join(', ')})`, at);
    };
    if (args.length === 0 && a.nargs === '?') {
      const v = a.optionStrings.length ? a.const : a.default;
      if (typeof v !== 'string') return v;
      const c = one(v);
      check(c);
      return c;
    }
    if (args.length === 1 && (a.nargs === null || a.nargs === '?')) {
      const v = one(args[0]);
      check(v);
      return v;
    }
    const vs = args.map(one);
    vs.forEach(check);
    return vs;
  }
}

const regexCache = new Map<string, RegExp>();
/** The nargs patterns are few: compiled once each. */
function anchored(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) regexCache.set(source, (re = new RegExp(source)));
  return re;
}

class Crash extends Error {
  constructor(
    readonly error: PyError,
    readonly at?: number,
    readonly dest?: string,
  ) {
    super(error.message);
  }
}

class Unsupported extends Error {}

/** A catalog choice as the Python value argparse compares with (ints stay ints). */
function choiceValue(c: string | number): PyValue {
  return typeof c === 'number' ? { py: 'int', v: BigInt(c) } : c;
}

/** vllm/utils/__init__.py:1864-1880 recursive_dict_update: returns the keys it overwrote. */
function recursiveDictUpdate(original: Map<string, PyValue>, update: Map<string, PyValue>): string[] {
  const dups: string[] = [];
  for (const [k, v] of update) {
    const o = original.get(k);
    const isD = (x: PyValue | undefined): x is { py: 'dict'; m: Map<string, PyValue> } =>
      x != null && typeof x === 'object' && !Array.isArray(x) && x.py === 'dict';
    if (isD(v) && isD(o)) dups.push(...recursiveDictUpdate(o.m, v.m).map((d) => `${k}.${d}`));
    else if (Array.isArray(v) && Array.isArray(o)) o.push(...v);
    else {
      if (original.has(k)) dups.push(k);
      original.set(k, v);
    }
  }
  return dups;
}

/** LoRAParserAction.__call__ (vllm/entrypoints/openai/cli_args.py:33-66). */
function loraModules(values: PyValue[], at: number | undefined): PyValue[] {
  const out: PyValue[] = [];
  for (const item of values) {
    if (item === null || item === '') continue;
    const s = item as string;
    if (s.includes('=') && !s.includes(',')) {
      const parts = s.split('=');
      if (parts.length !== 2) throw new Crash(new PyError('ValueError', 'too many values to unpack (expected 2)'), at, 'lora_modules');
      out.push(
        loraModulePath(
          new Map<string, PyValue>([
            ['name', parts[0]],
            ['path', parts[1]],
          ]),
        ),
      );
      continue;
    }
    let obj: PyValue;
    try {
      obj = jsonLoads(s);
    } catch (e) {
      if (!isValueError(e)) throw e;
      throw new ParserError(`Invalid JSON format for --lora-modules: ${s}`, at, 'lora_modules');
    }
    // LoRAModulePath(**obj): a plain dataclass (vllm/entrypoints/openai/serving_models.py:31-35).
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || obj.py !== 'dict') {
      const tn = obj === null ? 'NoneType' : typeof obj === 'string' ? 'str' : typeof obj === 'boolean' ? 'bool' : Array.isArray(obj) ? 'list' : obj.py;
      throw new ParserError(
        `Invalid fields for --lora-modules: ${s} - vllm.entrypoints.openai.serving_models.LoRAModulePath() argument after ** must be a mapping, not ${tn}`,
        at,
        'lora_modules',
      );
    }
    const fields = ['name', 'path', 'base_model_name'];
    const unexpected = [...obj.m.keys()].find((k) => !fields.includes(k));
    if (unexpected !== undefined)
      throw new ParserError(
        `Invalid fields for --lora-modules: ${s} - LoRAModulePath.__init__() got an unexpected keyword argument ${pyRepr(unexpected)}`,
        at,
        'lora_modules',
      );
    const missing = ['name', 'path'].filter((k) => !obj.m.has(k));
    if (missing.length)
      throw new ParserError(
        `Invalid fields for --lora-modules: ${s} - LoRAModulePath.__init__() missing ${missing.length} required positional argument${missing.length > 1 ? 's' : ''}: ${missing.map(pyRepr).join(' and ')}`,
        at,
        'lora_modules',
      );
    out.push(loraModulePath(obj.m));
  }
  return out;
}

function loraModulePath(m: Map<string, PyValue>): PyValue {
  const fields = new Map<string, PyValue>([
    ['name', m.get('name')!],
    ['path', m.get('path')!],
    ['base_model_name', m.get('base_model_name') ?? null],
  ]);
  // LoRAModulePath() without arguments fails, so every field differs from "the default instance".
  return { py: 'dataclass', cls: 'LoRAModulePath', fields, defaults: new Map() };
}
