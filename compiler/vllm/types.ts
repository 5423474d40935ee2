/**
 * vLLM 0.10.2's argparse `type=` functions, by the name the flag catalog records for each flag
 * (schema/vllm/<version>.json `parser`, checked against the real parser by
 * tools/vllm-catalog/oracle.py): what each returns for an argument string, and how argparse words
 * a refusal (CPython 3.11 Lib/argparse.py:2521-2545 `_get_value`: an ArgumentTypeError's text, or
 * `invalid <type.__name__> value: <repr>` for a ValueError or TypeError; any other exception is
 * not caught and crashes vLLM).
 *
 * Sources (vllm/engine/arg_utils.py at the release commit):
 *  - parse_type :69-78: a ValueError becomes `Value <val> cannot be converted to <repr(f)>.`
 *  - optional_type :81-89: '' and 'None' (exactly) are None, anything else goes to parse_type(f)
 *  - union_dict_and_str :92-95: text that looks like {...} (regex module, \s Unicode) goes to
 *    optional_type(json.loads), anything else stays the string
 *  - parse_dataclass :195-199 (compiler/vllm/dataclass.ts): a pydantic ValidationError becomes an
 *    ArgumentTypeError with its text
 *  - human_readable_int :1819-1857: k/m/g multiply float(number) by 10^3/10^6/10^9 and truncate;
 *    K/M/G multiply int(number) by 2^10/2^20/2^30 and refuse decimals; t/T match the pattern but
 *    have no multiplier; anything else is int(value) of the stripped value
 *  - json.loads: plain for --allowed-origins/-methods/-headers
 *    (vllm/entrypoints/openai/cli_args.py:194-199), parse_type(json.loads) for every dict field
 *    of a config class (arg_utils.py:244-246), which the catalog writes as json.loads.
 */
import type { DataclassModel } from './dataclass';
import { ValidationError } from './dataclass';
import { jsonLoads, PyError, pyFloat, pyFloatOf, pyInt, pyIntOf, pyRepr, pyStrip, PyValue } from './py';

/** argparse.ArgumentTypeError: argparse shows its text as the refusal. */
export class ArgumentTypeError extends PyError {
  constructor(message: string) {
    super('ArgumentTypeError', message);
  }
}

/** One `type=` function: its __name__ (argparse's messages use it), its repr, and the call. */
export interface TypeFn {
  name: string;
  repr: string;
  /** @throws ArgumentTypeError, PyError (ValueError, TypeError, or anything else: a crash). */
  call(s: string, warnings: string[]): PyValue;
}

const fn = (name: string, repr: string, call: TypeFn['call']): TypeFn => ({ name, repr, call });
const ADDR = ' at 0x<address>';

const INT = fn('int', "<class 'int'>", (s) => pyInt(pyIntOf(s)));
const FLOAT = fn('float', "<class 'float'>", (s) => pyFloat(pyFloatOf(s)));
const STR = fn('str', "<class 'str'>", (s) => s);
const LOADS = fn('loads', `<function loads${ADDR}>`, (s) => jsonLoads(s));
const HUMAN_READABLE_INT = fn('human_readable_int', `<function human_readable_int${ADDR}>`, humanReadableInt);

/** ValueError and its subclasses (json's JSONDecodeError, pydantic's ValidationError). */
export function isValueError(e: unknown): boolean {
  return e instanceof PyError && ['ValueError', 'JSONDecodeError', 'ValidationError'].includes(e.type);
}

function parseType(f: TypeFn): TypeFn {
  return fn('_parse_type', `<function parse_type.<locals>._parse_type${ADDR}>`, (s, w) => {
    try {
      return f.call(s, w);
    } catch (e) {
      if (isValueError(e)) throw new ArgumentTypeError(`Value ${s} cannot be converted to ${f.repr}.`);
      throw e;
    }
  });
}

function optionalType(f: TypeFn): TypeFn {
  const inner = parseType(f);
  return fn('_optional_type', `<function optional_type.<locals>._optional_type${ADDR}>`, (s, w) => (s === '' || s === 'None' ? null : inner.call(s, w)));
}

/** vllm/engine/arg_utils.py:92-95, `regex.match(r"(?s)^\s*{.*}\s*$", val)` with Unicode \s. */
const DICT_LIKE = /^\p{White_Space}*\{[\s\S]*\}\p{White_Space}*$/u;
const UNION_DICT_AND_STR = fn('union_dict_and_str', `<function union_dict_and_str${ADDR}>`, (s, w) => (DICT_LIKE.test(s) ? optionalType(LOADS).call(s, w) : s));

/** vllm/engine/arg_utils.py:1819-1857. */
function humanReadableInt(value: string): PyValue {
  const v = pyStrip(value);
  const m = /^(\p{Nd}+(?:\.\p{Nd}+)?)([kKmMgGtT])$/u.exec(v);
  if (m) {
    const [, number, suffix] = m;
    const decimal: Record<string, number> = { k: 1e3, m: 1e6, g: 1e9 };
    const binary: Record<string, bigint> = { K: 2n ** 10n, M: 2n ** 20n, G: 2n ** 30n };
    if (decimal[suffix] !== undefined) {
      const x = pyFloatOf(number) * decimal[suffix];
      if (!Number.isFinite(x)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
      return pyInt(BigInt(Math.trunc(x)));
    }
    if (binary[suffix] !== undefined) {
      try {
        return pyInt(pyIntOf(number) * binary[suffix]);
      } catch (e) {
        if (!isValueError(e)) throw e;
        throw new ArgumentTypeError(
          `Decimals are not allowed with binary suffixes like ${suffix}. Did you mean to use ${number}${suffix.toLowerCase()} instead?`,
        );
      }
    }
  }
  return pyInt(pyIntOf(v));
}

function parseDataclass(model: DataclassModel, cls: string): TypeFn {
  return fn('parse_dataclass', `<function _compute_kwargs.<locals>.parse_dataclass${ADDR}>`, (s, w) => {
    try {
      return model.validateJson(cls, s, w);
    } catch (e) {
      if (e instanceof ValidationError) throw new ArgumentTypeError(e.message);
      throw e;
    }
  });
}

/**
 * The type function a catalog `parser` name stands for: int, float, str, human_readable_int,
 * json.loads, union_dict_and_str, parse_dataclass(Class), each possibly wrapped in
 * optional_type(...) or parse_type(...).
 * @param plainJsonLoads true where vLLM passes json.loads itself (not parse_type(json.loads))
 */
export function typeFunction(name: string | null, model: DataclassModel, plainJsonLoads: boolean): TypeFn {
  const n = name ?? 'str';
  const wrapped = /^(optional_type|parse_type)\((.*)\)$/.exec(n);
  if (wrapped) {
    const inner = typeFunction(wrapped[2], model, true);
    return wrapped[1] === 'optional_type' ? optionalType(inner) : parseType(inner);
  }
  const dc = /^parse_dataclass\((\w+)\)$/.exec(n);
  if (dc) {
    if (!model.has(dc[1])) throw new Error(`no dataclass model for ${dc[1]}`);
    return parseDataclass(model, dc[1]);
  }
  switch (n) {
    case 'int':
      return INT;
    case 'float':
      return FLOAT;
    case 'str':
      return STR;
    case 'human_readable_int':
      return HUMAN_READABLE_INT;
    case 'json.loads':
      return plainJsonLoads ? LOADS : parseType(LOADS);
    case 'union_dict_and_str':
      return UNION_DICT_AND_STR;
  }
  throw new Error(`unknown type function ${n}`);
}

/** argparse's refusal of a value its type function rejects (Lib/argparse.py:2536-2543), or undefined. */
export function typeRefusal(f: TypeFn, s: string, e: unknown): string | undefined {
  if (e instanceof ArgumentTypeError) return e.message;
  if (e instanceof PyError && (isValueError(e) || e.type === 'TypeError')) return `invalid ${f.name} value: ${pyRepr(s)}`;
  return undefined;
}
