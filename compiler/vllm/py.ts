/**
 * Python values, and the Python builtins vLLM 0.10.2's command-line parser leans on, with their
 * exact semantics: int(), float(), str.strip(), repr() of a str and of a float, json.loads() and
 * json.dumps() (CPython 3.11, the interpreter the recorded oracle ran with:
 * schema/vllm/0.10.2.oracle.json "provenance"). compiler/vllm/types.ts builds vLLM's `type=`
 * functions from these; test/vllm-oracle.test.ts holds the result to vLLM's real verdicts.
 *
 * Facts (CPython 3.11.7 source):
 *  - int(str) and float(str) first map every Unicode white-space character to ' ' and every
 *    Unicode decimal digit (category Nd) to its ASCII digit, keep ASCII, and stop at anything else
 *    (Objects/unicodeobject.c _PyUnicode_TransformDecimalAndSpaceToASCII); then they skip ASCII
 *    white space at both ends (Py_ISSPACE: \t \n \v \f \r and space), take a sign, and digits with
 *    single underscores between them (Objects/longobject.c PyLong_FromString;
 *    Python/pystrtod.c _Py_string_to_number_with_underscores); float() also takes inf, infinity
 *    and nan in any case (Python/pystrtod.c _Py_parse_inf_or_nan), and overflows to inf.
 *  - str.strip() removes the characters str.isspace() holds (Objects/unicodectype.c
 *    _PyUnicode_IsWhitespace).
 *  - json.loads: json/decoder.py with the C scanner (Modules/_json.c): JSON white space is
 *    space, \t, \n, \r; NaN, Infinity and -Infinity are accepted; an integer is exact, a number
 *    with a fraction or exponent is a float; a repeated key keeps its first position and the last
 *    value; control characters inside strings are refused (strict=True); trailing text is refused.
 */

import { canonical } from '../util/canonical';

/** A Python value as vLLM's parser produces it. */
export type PyValue = null | boolean | string | PyInt | PyFloat | PyValue[] | PyDict | PyTuple | PyEnum | PyDataclass;
export interface PyInt {
  py: 'int';
  v: bigint;
}
export interface PyFloat {
  py: 'float';
  v: number;
}
/** A dict with str keys (the only kind JSON makes), in insertion order. */
export interface PyDict {
  py: 'dict';
  m: Map<string, PyValue>;
}
export interface PyTuple {
  py: 'tuple';
  items: PyValue[];
}
/** An enum member, `cls.name`. */
export interface PyEnum {
  py: 'enum';
  cls: string;
  name: string;
}
/** A dataclass instance: every field, and the class's default instance for comparison. */
export interface PyDataclass {
  py: 'dataclass';
  cls: string;
  fields: Map<string, PyValue>;
  defaults: Map<string, PyValue>;
}

export const pyInt = (v: bigint | number): PyInt => ({ py: 'int', v: BigInt(v) });
export const pyFloat = (v: number): PyFloat => ({ py: 'float', v });
export const pyDict = (entries: Iterable<[string, PyValue]> = []): PyDict => ({ py: 'dict', m: new Map(entries) });

export function isInt(v: PyValue | undefined): v is PyInt {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'int';
}
export function isFloat(v: PyValue | undefined): v is PyFloat {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'float';
}
export function isDict(v: PyValue | undefined): v is PyDict {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'dict';
}

/** A Python exception raised by a builtin: its class name and str(). */
export class PyError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------------------------
// Characters

/** str.isspace() (Objects/unicodectype.c _PyUnicode_IsWhitespace). */
const PY_SPACE = /^[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;
/** Py_ISSPACE: the ASCII white space int() and float() skip. */
const ASCII_SPACE = /^[\t\n\v\f\r ]$/;
const DECIMAL = /^\p{Nd}$/u;

export function isPySpace(ch: string): boolean {
  return PY_SPACE.test(ch);
}

/** str.strip() with no argument. */
export function pyStrip(s: string): string {
  const cps = [...s];
  let a = 0;
  let b = cps.length;
  while (a < b && isPySpace(cps[a])) a++;
  while (b > a && isPySpace(cps[b - 1])) b--;
  return cps.slice(a, b).join('');
}

const decimalCache = new Map<number, number>();
/** The value of a Unicode decimal digit (Nd), or undefined. Nd digits come in runs of ten from 0. */
export function decimalValue(ch: string): number | undefined {
  if (!DECIMAL.test(ch)) return undefined;
  const cp = ch.codePointAt(0)!;
  let v = decimalCache.get(cp);
  if (v === undefined) {
    let start = cp;
    while (start > 0 && DECIMAL.test(String.fromCodePoint(start - 1))) start--;
    v = (cp - start) % 10;
    decimalCache.set(cp, v);
  }
  return v;
}

/** _PyUnicode_TransformDecimalAndSpaceToASCII: the text int() and float() go on to read. */
function toAsciiNumberText(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 127) out += ch;
    else if (isPySpace(ch)) out += ' ';
    else {
      const d = decimalValue(ch);
      if (d === undefined) return out + '?';
      out += String(d);
    }
  }
  return out;
}

function stripAscii(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && ASCII_SPACE.test(s[a])) a++;
  while (b > a && ASCII_SPACE.test(s[b - 1])) b--;
  return s.slice(a, b);
}

// ---------------------------------------------------------------------------------------------
// int() and float()

/**
 * int(s) for a str s (base 10).
 * @throws PyError ValueError `invalid literal for int() with base 10: <repr>` as CPython does.
 */
export function pyIntOf(s: string): bigint {
  const t = stripAscii(toAsciiNumberText(s));
  if (!/^[+-]?[0-9](_?[0-9])*$/.test(t)) throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyRepr(s)}`);
  return BigInt(t.replace(/_/g, ''));
}

/**
 * float(s) for a str s.
 * @throws PyError ValueError `could not convert string to float: <repr>`.
 */
export function pyFloatOf(s: string): number {
  const fail = () => new PyError('ValueError', `could not convert string to float: ${pyRepr(s)}`);
  let t = toAsciiNumberText(s);
  if (t.includes('_')) {
    // _Py_string_to_number_with_underscores: a '_' only between two digits.
    let prev = '';
    let out = '';
    for (const ch of t) {
      if (ch === '_') {
        if (!/[0-9]/.test(prev)) throw fail();
      } else {
        if (prev === '_' && !/[0-9]/.test(ch)) throw fail();
        out += ch;
      }
      prev = ch;
    }
    if (prev === '_') throw fail();
    t = out;
  }
  t = stripAscii(t);
  const m = /^([+-]?)(?:(inf|infinity)|(nan)|((?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?))$/i.exec(t);
  if (!m) throw fail();
  if (m[2]) return m[1] === '-' ? -Infinity : Infinity;
  if (m[3]) return NaN;
  return Number(m[1] + m[4]);
}

// ---------------------------------------------------------------------------------------------
// repr()

/** str.isprintable() for one character: not Cc, Cf, Cs, Co, Cn, Zl, Zp, and Zs only as ' '. */
function printable(ch: string): boolean {
  if (ch === ' ') return true;
  return !/^[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]$/u.test(ch);
}

/** repr() of a str (Objects/unicodeobject.c unicode_repr). */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  // Iterate by code unit pairs so a lone surrogate is seen as one character, as Python does.
  for (let i = 0; i < s.length;) {
    const cp = s.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    i += cp > 0xffff ? 2 : 1;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp < 0x7f || printable(ch)) out += ch;
    else if (cp <= 0xff) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp <= 0xffff) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + quote;
}

/** repr() of a float: the shortest text that reads back, fixed notation for exponents -4..15. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  let body: string;
  if (exp >= -5 + 1 && exp < 16) {
    if (exp < 0) body = '0.' + '0'.repeat(-exp - 1) + digits;
    else if (digits.length <= exp + 1) body = digits + '0'.repeat(exp + 1 - digits.length) + '.0';
    else body = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  } else {
    const m = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    body = `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return (neg ? '-' : '') + body;
}

/** repr() of any value, as Python prints it in messages. */
export function pyReprValue(v: PyValue): string {
  if (v === null) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'string') return pyRepr(v);
  if (Array.isArray(v)) return '[' + v.map(pyReprValue).join(', ') + ']';
  switch (v.py) {
    case 'int':
      return v.v.toString();
    case 'float':
      return pyFloatRepr(v.v);
    case 'dict':
      return '{' + [...v.m].map(([k, x]) => `${pyRepr(k)}: ${pyReprValue(x)}`).join(', ') + '}';
    case 'tuple':
      return '(' + v.items.map(pyReprValue).join(', ') + (v.items.length === 1 ? ',)' : ')');
    case 'enum':
      return `<${v.cls}.${v.name}>`;
    case 'dataclass':
      return `${v.cls}(${[...v.fields].map(([k, x]) => `${k}=${pyReprValue(x)}`).join(', ')})`;
  }
}

// ---------------------------------------------------------------------------------------------
// json.loads and json.dumps

/** json.loads(s). @throws PyError JSONDecodeError (a ValueError) with Python's message. */
export function jsonLoads(s: string): PyValue {
  const p = new JsonReader(s);
  let i = p.ws(0);
  const [v, end] = p.value(i);
  i = p.ws(end);
  if (i !== s.length) throw p.error('Extra data', i);
  return v;
}

class JsonReader {
  constructor(readonly s: string) {}

  ws(i: number): number {
    while (i < this.s.length && ' \t\n\r'.includes(this.s[i])) i++;
    return i;
  }

  error(msg: string, pos: number): PyError {
    const before = this.s.slice(0, pos);
    const line = before.split('\n').length;
    const col = pos - before.lastIndexOf('\n');
    return new PyError('JSONDecodeError', `${msg}: line ${line} column ${col} (char ${pos})`);
  }

  value(i: number): [PyValue, number] {
    const s = this.s;
    const c = s[i];
    if (c === '"') return this.string(i + 1);
    if (c === '{') return this.object(i + 1);
    if (c === '[') return this.array(i + 1);
    if (s.startsWith('null', i)) return [null, i + 4];
    if (s.startsWith('true', i)) return [true, i + 4];
    if (s.startsWith('false', i)) return [false, i + 5];
    if (s.startsWith('NaN', i)) return [pyFloat(NaN), i + 3];
    if (s.startsWith('Infinity', i)) return [pyFloat(Infinity), i + 8];
    if (s.startsWith('-Infinity', i)) return [pyFloat(-Infinity), i + 9];
    const m = /^(-?(?:0|[1-9][0-9]*))(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(s.slice(i));
    if (m && m[0] !== '' && m[0] !== '-') {
      const end = i + m[0].length;
      if (m[2] || m[3]) return [pyFloat(Number(m[0])), end];
      return [pyInt(BigInt(m[1])), end];
    }
    throw this.error('Expecting value', i);
  }

  string(i: number): [string, number] {
    const s = this.s;
    const start = i - 1;
    let out = '';
    for (;;) {
      if (i >= s.length) throw this.error('Unterminated string starting at', start);
      const c = s[i];
      if (c === '"') return [out, i + 1];
      if (c === '\\') {
        const e = s[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          i += 2;
          continue;
        }
        if (e === 'u') {
          const hex = s.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error('Invalid \\uXXXX escape', i + 1);
          const cu = parseInt(hex, 16);
          i += 6;
          // A high surrogate followed by an escaped low one combines (Modules/_json.c scanstring_unicode).
          if (cu >= 0xd800 && cu <= 0xdbff && s[i] === '\\' && s[i + 1] === 'u') {
            const hex2 = s.slice(i + 2, i + 6);
            if (/^[0-9a-fA-F]{4}$/.test(hex2)) {
              const lo = parseInt(hex2, 16);
              if (lo >= 0xdc00 && lo <= 0xdfff) {
                out += String.fromCharCode(cu, lo);
                i += 6;
                continue;
              }
            }
          }
          out += String.fromCharCode(cu);
          continue;
        }
        throw this.error('Invalid \\escape', i);
      }
      if (c.charCodeAt(0) < 0x20) throw this.error('Invalid control character at', i);
      out += c;
      i++;
    }
  }

  object(i: number): [PyDict, number] {
    const s = this.s;
    const m = new Map<string, PyValue>();
    i = this.ws(i);
    if (s[i] === '}') return [{ py: 'dict', m }, i + 1];
    for (;;) {
      if (s[i] !== '"') throw this.error('Expecting property name enclosed in double quotes', i);
      const [k, afterKey] = this.string(i + 1);
      i = this.ws(afterKey);
      if (s[i] !== ':') throw this.error("Expecting ':' delimiter", i);
      i = this.ws(i + 1);
      const [v, afterValue] = this.value(i);
      m.set(k, v);
      i = this.ws(afterValue);
      if (s[i] === '}') return [{ py: 'dict', m }, i + 1];
      if (s[i] !== ',') throw this.error("Expecting ',' delimiter", i);
      i = this.ws(i + 1);
    }
  }

  array(i: number): [PyValue[], number] {
    const s = this.s;
    const out: PyValue[] = [];
    i = this.ws(i);
    if (s[i] === ']') return [out, i + 1];
    for (;;) {
      const [v, after] = this.value(i);
      out.push(v);
      i = this.ws(after);
      if (s[i] === ']') return [out, i + 1];
      if (s[i] !== ',') throw this.error("Expecting ',' delimiter", i);
      i = this.ws(i + 1);
    }
  }
}

/** json.dumps(v) with its defaults: ', ' and ': ' separators, ensure_ascii, NaN/Infinity allowed. */
export function jsonDumps(v: PyValue): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'string') return dumpString(v);
  if (Array.isArray(v)) return '[' + v.map(jsonDumps).join(', ') + ']';
  switch (v.py) {
    case 'int':
      return v.v.toString();
    case 'float':
      return Number.isNaN(v.v) ? 'NaN' : v.v === Infinity ? 'Infinity' : v.v === -Infinity ? '-Infinity' : pyFloatRepr(v.v);
    case 'dict':
      return '{' + [...v.m].map(([k, x]) => `${dumpString(k)}: ${jsonDumps(x)}`).join(', ') + '}';
    case 'tuple':
      return '[' + v.items.map(jsonDumps).join(', ') + ']';
    default:
      throw new PyError('TypeError', `Object of type ${v.py === 'enum' ? v.cls : v.cls} is not JSON serializable`);
  }
}

function dumpString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const cu = s.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (cu < 0x20 || cu > 0x7e) out += '\\u' + cu.toString(16).padStart(4, '0');
    else out += c;
  }
  return out + '"';
}

/** A plain JSON value (as JSON.parse gives) as the Python value json.loads would give for its text. */
export function fromJson(v: unknown): PyValue {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? pyInt(BigInt(v)) : pyFloat(v);
  if (Array.isArray(v)) return v.map(fromJson);
  if (typeof v === 'object') return pyDict(Object.keys(v as object).map((k) => [k, fromJson((v as Record<string, unknown>)[k])]));
  throw new TypeError(`not a JSON value: ${String(v)}`);
}

// ---------------------------------------------------------------------------------------------
// Comparison and the recorded oracle's tags

/**
 * The recorded oracle's JSON form of a value (schema/vllm/0.10.2.oracle.json "conventions.tags"):
 * floats as {"$float": repr}, integers beyond 2^53 as {"$int": digits}, enum members as
 * {"$enum": "Class.NAME"}, dataclasses as {"$dataclass": name, "non_default": fields that differ
 * from the class's default instance}, tuples as {"$tuple": [...]}.
 */
export function toTag(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toTag);
  switch (v.py) {
    case 'int': {
      const lim = 2n ** 53n;
      return v.v <= lim && v.v >= -lim ? Number(v.v) : { $int: v.v.toString() };
    }
    case 'float':
      return { $float: pyFloatRepr(v.v) };
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, x] of v.m) Object.defineProperty(out, k, { value: toTag(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case 'tuple':
      return { $tuple: v.items.map(toTag) };
    case 'enum':
      return { $enum: `${v.cls}.${v.name}` };
    case 'dataclass': {
      const nonDefault: Record<string, unknown> = {};
      for (const [k, x] of v.fields) {
        const t = toTag(x);
        const d = v.defaults.has(k) ? toTag(v.defaults.get(k)!) : undefined;
        if (JSON.stringify(canonical(t)) !== JSON.stringify(canonical(d))) nonDefault[k] = t;
      }
      return { $dataclass: v.cls, non_default: nonDefault };
    }
  }
}

/** Python ==, as far as parsed values go (dicts compare without regard to order; 1 == 1.0). */
export function pyEquals(a: PyValue, b: PyValue): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    // bool is an int in Python: True == 1.
    const num = (x: PyValue) => (x === true ? 1 : x === false ? 0 : isInt(x) ? Number(x.v) : isFloat(x) ? x.v : undefined);
    const na = num(a);
    const nb = num(b);
    return na !== undefined && nb !== undefined && na === nb;
  }
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => pyEquals(x, b[i]));
  if (a.py === 'int' && b.py === 'int') return a.v === b.v;
  if ((a.py === 'int' || a.py === 'float') && (b.py === 'int' || b.py === 'float')) return Number(a.v) === Number(b.v);
  if (a.py === 'dict' && b.py === 'dict') return a.m.size === b.m.size && [...a.m].every(([k, x]) => b.m.has(k) && pyEquals(x, b.m.get(k)!));
  if (a.py === 'tuple' && b.py === 'tuple') return pyEquals(a.items, b.items);
  if (a.py === 'enum' && b.py === 'enum') return a.cls === b.cls && a.name === b.name;
  if (a.py === 'dataclass' && b.py === 'dataclass')
    return a.cls === b.cls && a.fields.size === b.fields.size && [...a.fields].every(([k, x]) => pyEquals(x, b.fields.get(k) ?? null));
  return false;
}

/** A parsed value as plain JSON for messages and plans: ints as numbers (when exact), floats as numbers. */
export function toPlain(v: PyValue): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(toPlain);
  switch (v.py) {
    case 'int':
      return Number.isSafeInteger(Number(v.v)) ? Number(v.v) : v.v.toString();
    case 'float':
      return v.v;
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [k, x] of v.m) Object.defineProperty(out, k, { value: toPlain(x), enumerable: true, writable: true, configurable: true });
      return out;
    }
    case 'tuple':
      return v.items.map(toPlain);
    case 'enum':
      return v.name;
    case 'dataclass': {
      const out: Record<string, unknown> = {};
      for (const [k, x] of v.fields) out[k] = toPlain(x);
      return out;
    }
  }
}
