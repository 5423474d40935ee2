/**
 * vLLM's `parse_dataclass` type function (vllm/engine/arg_utils.py:193-199): a JSON argument
 * validated into one of vLLM's pydantic config dataclasses with
 * `pydantic.TypeAdapter(cls).validate_json(value)`, in pydantic's lax mode, then the class's
 * `__post_init__`. The classes' fields (name, declared type, default, line) are data:
 * schema/vllm/<version>.facts.json "parse_dataclasses"; the validators and `__post_init__` steps
 * are the named functions below, each citing its lines.
 *
 * Pydantic's lax conversions used here were measured with pydantic 2.13.4 (the version the oracle
 * ran with; vLLM pins pydantic >= 2.11.7, requirements/common.txt:16): an int field takes an
 * integer, a float without a fraction, true/false, or a string of digits (white space, sign, '_'
 * between digits and a '.0' tail allowed); a bool field takes true/false, 0/1, 0.0/1.0 and the
 * strings 0 1 f t n y no on off yes true false in any case; a float field takes a number, a bool,
 * or a string float() reads; a str field takes only a string; unknown keys are ignored.
 */
import type { VllmFacts } from './catalog-types';
import { jsonLoads, PyDataclass, PyError, pyFloat, pyFloatOf, pyInt, pyRepr, pyReprValue, PyValue } from './py';

/** A pydantic ValidationError (a ValueError): its errors, one line each. */
export class ValidationError extends PyError {
  constructor(
    readonly cls: string,
    readonly errors: { loc: (string | number)[]; type: string; msg: string }[],
  ) {
    super(
      'ValidationError',
      `${errors.length} validation error${errors.length === 1 ? '' : 's'} for ${cls}\n` +
        errors.map((e) => (e.loc.length ? `${e.loc.join('.')}\n` : '') + `  ${e.msg} [type=${e.type}]`).join('\n'),
    );
  }
}

type Hint =
  | { k: 'int' | 'float' | 'bool' | 'str' | 'any' | 'none' }
  | { k: 'list'; item: Hint }
  | { k: 'dict'; value: Hint }
  | { k: 'union'; of: Hint[] }
  | { k: 'literal'; values: string[] }
  | { k: 'class'; name: string };

/** Parses a declared type as written in the source: Optional[list[Union[int, str]]], dict[str, Any], Literal['a', 'b'], PassConfig. */
export function parseHint(text: string): Hint {
  let i = 0;
  const s = text;
  const ws = () => {
    while (s[i] === ' ') i++;
  };
  const name = () => {
    ws();
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(s.slice(i));
    if (!m) throw new Error(`bad type hint ${text}`);
    i += m[0].length;
    return m[0];
  };
  const args = (): Hint[] => {
    const out: Hint[] = [];
    ws();
    if (s[i] !== '[') return out;
    i++;
    for (;;) {
      out.push(one());
      ws();
      if (s[i] === ',') i++;
      else if (s[i] === ']') {
        i++;
        return out;
      } else throw new Error(`bad type hint ${text}`);
    }
  };
  const one = (): Hint => {
    const n = name();
    if (n === 'Literal') {
      ws();
      i++;
      const values: string[] = [];
      for (;;) {
        ws();
        const m = /^'([^']*)'/.exec(s.slice(i));
        if (!m) throw new Error(`bad Literal in ${text}`);
        values.push(m[1]);
        i += m[0].length;
        ws();
        if (s[i++] === ']') return { k: 'literal', values };
      }
    }
    const a = args();
    switch (n) {
      case 'int':
      case 'float':
      case 'bool':
      case 'str':
        return { k: n };
      case 'Any':
        return { k: 'any' };
      case 'None':
        return { k: 'none' };
      case 'list':
        return { k: 'list', item: a[0] ?? { k: 'any' } };
      case 'dict':
        return { k: 'dict', value: a[1] ?? { k: 'any' } };
      case 'Optional':
        return { k: 'union', of: [a[0], { k: 'none' }] };
      case 'Union':
        return { k: 'union', of: a };
      default:
        return { k: 'class', name: n };
    }
  };
  const h = one();
  ws();
  if (i !== s.length) throw new Error(`bad type hint ${text}`);
  return h;
}

interface Issue {
  loc: (string | number)[];
  type: string;
  msg: string;
}

/** The dataclasses of one vLLM version, ready to validate JSON arguments. */
export class DataclassModel {
  private readonly fields = new Map<string, { name: string; hint: Hint; default: unknown }[]>();
  private readonly enums = new Map<string, Map<string, number | number[]>>();
  private readonly defaultsCache = new Map<string, Map<string, PyValue>>();

  constructor(facts: VllmFacts) {
    const pd = facts.parse_dataclasses;
    for (const [cls, def] of Object.entries(pd.value)) {
      this.fields.set(
        cls,
        def.fields.map((f) => ({ name: f.name, hint: parseHint(f.type), default: f.default })),
      );
    }
    for (const [name, e] of Object.entries(pd.enums)) this.enums.set(name, new Map(Object.entries(e.members)));
  }

  has(cls: string): boolean {
    return this.fields.has(cls);
  }

  /**
   * parse_dataclass(cls)(text): `TypeAdapter(cls).validate_json(text)`.
   * @throws ValidationError (pydantic's, a ValueError) when the JSON or a field is invalid or a
   *   __post_init__ check refuses it; PyError KeyError for an unknown cudagraph_mode name (vLLM's
   *   before-validator raises it and pydantic does not catch it).
   */
  validateJson(cls: string, text: string, warnings: string[] = []): PyDataclass {
    let input: PyValue;
    try {
      input = jsonLoads(text);
    } catch (e) {
      throw new ValidationError(cls, [{ loc: [], type: 'json_invalid', msg: `Invalid JSON: ${(e as Error).message}` }]);
    }
    if (!isDictValue(input)) throw new ValidationError(cls, [{ loc: [], type: 'dataclass_type', msg: 'Input should be an object' }]);
    const issues: Issue[] = [];
    const dc = this.build(cls, input, [], issues, warnings);
    if (issues.length) throw new ValidationError(cls, issues);
    dc.defaults = this.defaults(cls);
    return dc;
  }

  /**
   * A parsed value against a declared type, as pydantic's lax validation of a config dataclass
   * field sees it (the dataclass's own validators do not run).
   * @returns pydantic's complaints, one line each, or [] when the value fits
   */
  fieldProblems(typeText: string, value: PyValue): string[] {
    const issues: Issue[] = [];
    this.validate(parseHint(typeText), value, [], issues, []);
    return issues.map((e) => (e.loc.length ? `${e.loc.join('.')}: ` : '') + e.msg);
  }

  /** The class's default instance: every field's default, after __post_init__. */
  defaults(cls: string): Map<string, PyValue> {
    let d = this.defaultsCache.get(cls);
    if (!d) {
      const issues: Issue[] = [];
      d = this.build(cls, { py: 'dict', m: new Map() }, [], issues, []).fields;
      this.defaultsCache.set(cls, d);
    }
    return new Map([...d].map(([k, v]) => [k, clone(v)]));
  }

  private build(cls: string, input: { py: 'dict'; m: Map<string, PyValue> }, loc: (string | number)[], issues: Issue[], warnings: string[]): PyDataclass {
    const spec = this.fields.get(cls)!;
    const fields = new Map<string, PyValue>();
    const before = issues.length;
    for (const f of spec) {
      if (input.m.has(f.name)) {
        let raw: PyValue = input.m.get(f.name) as PyValue;
        if (cls === 'CompilationConfig' && f.name === 'cudagraph_mode') raw = cudagraphModeBefore(raw);
        const v = this.validate(f.hint, raw, [...loc, f.name], issues, warnings);
        if (v !== undefined) fields.set(f.name, v);
      } else {
        fields.set(f.name, this.defaultValue(f.hint, f.default));
      }
    }
    const dc: PyDataclass = { py: 'dataclass', cls, fields, defaults: new Map() };
    if (issues.length === before) {
      try {
        POST_INIT[cls]?.(dc, warnings);
      } catch (e) {
        if (!(e instanceof PyError) || (e.type !== 'ValueError' && e.type !== 'AssertionError')) throw e;
        issues.push({
          loc,
          type: e.type === 'ValueError' ? 'value_error' : 'assertion_error',
          msg: `${e.type === 'ValueError' ? 'Value error' : 'Assertion failed'}, ${e.message}`,
        });
      }
    }
    return dc;
  }

  private defaultValue(hint: Hint, d: unknown): PyValue {
    if (hint.k === 'class' && this.fields.has(hint.name)) {
      const inner = this.build(hint.name, { py: 'dict', m: new Map() }, [], [], []);
      inner.defaults = this.defaults(hint.name);
      return inner;
    }
    if (d === null) return null;
    const issues: Issue[] = [];
    const v = this.validate(hint, jsonToPy(d), [], issues, []);
    return v === undefined ? null : v;
  }

  /** Pydantic's lax validation of one JSON value against a declared type; undefined after an issue. */
  private validate(h: Hint, v: PyValue, loc: (string | number)[], issues: Issue[], warnings: string[]): PyValue | undefined {
    const fail = (type: string, msg: string): undefined => {
      issues.push({ loc, type, msg });
      return undefined;
    };
    switch (h.k) {
      case 'any':
        return v;
      case 'none':
        return v === null ? null : fail('none_required', 'Input should be None');
      case 'int':
        return laxInt(v) ?? fail(intErrorType(v), intErrorMsg(v));
      case 'float': {
        if (typeof v === 'boolean') return pyFloat(v ? 1 : 0);
        if (isNum(v)) return pyFloat(Number((v as { v: number | bigint }).v));
        if (typeof v === 'string') {
          try {
            return pyFloat(pyFloatOf(v.trim()));
          } catch {
            return fail('float_parsing', 'Input should be a valid number, unable to parse string as a number');
          }
        }
        return fail('float_type', 'Input should be a valid number');
      }
      case 'bool': {
        if (typeof v === 'boolean') return v;
        if (isNum(v)) {
          const n = Number((v as { v: number | bigint }).v);
          if (n === 0 || n === 1) return n === 1;
          return (v as { py: string }).py === 'int'
            ? fail('bool_parsing', 'Input should be a valid boolean, unable to interpret input')
            : fail('bool_type', 'Input should be a valid boolean');
        }
        if (typeof v === 'string') {
          const t = v.toLowerCase();
          if (['0', 'off', 'f', 'false', 'n', 'no'].includes(t)) return false;
          if (['1', 'on', 't', 'true', 'y', 'yes'].includes(t)) return true;
          return fail('bool_parsing', 'Input should be a valid boolean, unable to interpret input');
        }
        return fail('bool_type', 'Input should be a valid boolean');
      }
      case 'str':
        return typeof v === 'string' ? v : fail('string_type', 'Input should be a valid string');
      case 'literal':
        return typeof v === 'string' && h.values.includes(v)
          ? v
          : fail('literal_error', `Input should be ${h.values.map(pyRepr).reduce((a, b, i, all) => (i === all.length - 1 ? `${a} or ${b}` : `${a}, ${b}`))}`);
      case 'list': {
        if (!Array.isArray(v)) return fail('list_type', 'Input should be a valid array');
        const out: PyValue[] = [];
        const before = issues.length;
        v.forEach((x, i) => {
          const r = this.validate(h.item, x, [...loc, i], issues, warnings);
          if (r !== undefined) out.push(r);
        });
        return issues.length === before ? out : undefined;
      }
      case 'dict': {
        if (!isDictValue(v)) return fail('dict_type', 'Input should be a valid dictionary');
        const m = new Map<string, PyValue>();
        const before = issues.length;
        for (const [k, x] of v.m) {
          const r = this.validate(h.value, x, [...loc, k], issues, warnings);
          if (r !== undefined) m.set(k, r);
        }
        return issues.length === before ? { py: 'dict', m } : undefined;
      }
      case 'union': {
        // Smart mode: a member the value already is, exactly, wins; then the members in order, lax.
        const exact = h.of.find((m) => exactType(m, v));
        if (exact) return this.validate(exact, v, loc, issues, warnings);
        const errs: Issue[] = [];
        for (const m of h.of) {
          const trial: Issue[] = [];
          const r = this.validate(m, v, loc, trial, warnings);
          if (trial.length === 0) return r;
          errs.push(...trial);
        }
        issues.push(...errs.filter((e) => e.type !== 'none_required'));
        return undefined;
      }
      case 'class': {
        const members = this.enums.get(h.name);
        if (members) {
          if (v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'enum') return v;
          for (const [name, value] of members)
            if (typeof value === 'number' && isNum(v) && Number((v as { v: bigint }).v) === value) return { py: 'enum', cls: h.name, name };
          const all = [...members.values()].map((x) => (Array.isArray(x) ? `(${x.join(', ')})` : String(x)));
          return fail('enum', `Input should be ${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}`);
        }
        if (!isDictValue(v)) return fail('dataclass_type', `Input should be a dictionary or an instance of ${h.name}`);
        const dc = this.build(h.name, v, loc, issues, warnings);
        dc.defaults = this.defaults(h.name);
        return dc;
      }
    }
  }
}

function isNum(v: PyValue): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && (v.py === 'int' || v.py === 'float');
}

function isDictValue(v: PyValue): v is { py: 'dict'; m: Map<string, PyValue> } {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'dict';
}

function exactType(h: Hint, v: PyValue): boolean {
  switch (h.k) {
    case 'int':
      return v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'int';
    case 'float':
      return v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'float';
    case 'bool':
      return typeof v === 'boolean';
    case 'str':
      return typeof v === 'string';
    case 'none':
      return v === null;
    case 'list':
      return Array.isArray(v);
    case 'dict':
      return isDictValue(v);
    case 'literal':
      return typeof v === 'string' && h.values.includes(v);
    default:
      return false;
  }
}

function laxInt(v: PyValue): PyValue | undefined {
  if (typeof v === 'boolean') return pyInt(v ? 1 : 0);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    if (typeof v === 'string') {
      const m = /^\s*([+-]?[0-9](?:_?[0-9])*)(?:\.0+)?\s*$/.exec(v);
      return m ? pyInt(BigInt(m[1].replace(/_/g, ''))) : undefined;
    }
    return undefined;
  }
  if (v.py === 'int') return v;
  if (v.py === 'float' && Number.isFinite(v.v) && Number.isInteger(v.v)) return pyInt(BigInt(v.v));
  return undefined;
}

function intErrorType(v: PyValue): string {
  if (typeof v === 'string') return 'int_parsing';
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && v.py === 'float') return Number.isFinite(v.v) ? 'int_from_float' : 'finite_number';
  return 'int_type';
}

function intErrorMsg(v: PyValue): string {
  const t = intErrorType(v);
  if (t === 'int_parsing') return 'Input should be a valid integer, unable to parse string as an integer';
  if (t === 'int_from_float') return 'Input should be a valid integer, got a number with a fractional part';
  if (t === 'finite_number') return 'Input should be a finite number';
  return 'Input should be a valid integer';
}

function jsonToPy(d: unknown): PyValue {
  if (d === null || typeof d === 'boolean' || typeof d === 'string') return d;
  if (typeof d === 'number') return Number.isInteger(d) ? pyInt(d) : pyFloat(d);
  if (Array.isArray(d)) return d.map(jsonToPy);
  return { py: 'dict', m: new Map(Object.entries(d as object).map(([k, x]) => [k, jsonToPy(x)])) };
}

function clone(v: PyValue): PyValue {
  if (Array.isArray(v)) return v.map(clone);
  if (v !== null && typeof v === 'object' && v.py === 'dict') return { py: 'dict', m: new Map([...v.m].map(([k, x]) => [k, clone(x)])) };
  return v;
}

// ---------------------------------------------------------------------------------------------
// The validators and __post_init__ steps

/**
 * CompilationConfig.validate_cudagraph_mode_before (vllm/config/compilation.py:398-406): a string
 * becomes `CUDAGraphMode[value.upper()]`; an unknown name raises KeyError, which pydantic does not
 * catch, so vLLM crashes with a traceback.
 */
function cudagraphModeBefore(v: PyValue): PyValue {
  if (typeof v !== 'string') return v;
  const name = v.toUpperCase();
  if (!['NONE', 'PIECEWISE', 'FULL', 'FULL_DECODE_ONLY', 'FULL_AND_PIECEWISE'].includes(name)) throw new PyError('KeyError', pyRepr(name));
  return { py: 'enum', cls: 'CUDAGraphMode', name };
}

const POST_INIT: Record<string, (dc: PyDataclass, warnings: string[]) => void> = {
  CompilationConfig: compilationConfigPostInit,
  KVTransferConfig: kvTransferConfigPostInit,
};

/** CompilationConfig.__post_init__ (vllm/config/compilation.py:408-455). */
function compilationConfigPostInit(dc: PyDataclass, warnings: string[]): void {
  const f = dc.fields;
  const ops = (f.get('custom_ops') as PyValue[]) ?? [];
  // :409-411
  if (ops.filter((o) => o === 'none').length + ops.filter((o) => o === 'all').length > 1)
    throw new PyError('AssertionError', "Can only specify 'none' or 'all'");
  // :420-424 (torch >= 2.6: vLLM 0.10.2's CUDA wheel pins torch 2.8.0)
  const icc = f.get('inductor_compile_config') as { py: 'dict'; m: Map<string, PyValue> };
  if (!icc.m.has('enable_auto_functionalized_v2')) icc.m.set('enable_auto_functionalized_v2', false);
  // :426-440: each inductor pass named by a qualified name is imported at parse time.
  const passes = f.get('inductor_passes') as { py: 'dict'; m: Map<string, PyValue> };
  for (const [k, v] of passes.m)
    warnings.push(`inductor_passes.${k} = ${pyReprValue(v)} is imported by vLLM while it parses its arguments; the compiler cannot check that it exists`);
  // :445-451
  if (f.get('use_cudagraph') === false) {
    warnings.push('use_cudagraph is deprecated, use cudagraph_mode=NONE instead.');
    if (f.get('cudagraph_mode') !== null)
      throw new PyError('ValueError', 'use_cudagraph and cudagraph_mode are mutually exclusive, prefer cudagraph_mode since use_cudagraph is deprecated.');
    f.set('cudagraph_mode', { py: 'enum', cls: 'CUDAGraphMode', name: 'NONE' });
  }
  // :452-460
  const full = f.get('full_cuda_graph');
  if (full === true) {
    warnings.push('full_cuda_graph is deprecated, use cudagraph_mode=FULL instead.');
    if (f.get('cudagraph_mode') !== null)
      throw new PyError('ValueError', 'full_cuda_graph and cudagraph_mode are mutually exclusive, prefer cudagraph_mode since full_cuda_graph is deprecated.');
    f.set('cudagraph_mode', { py: 'enum', cls: 'CUDAGraphMode', name: 'FULL' });
  }
}

/**
 * KVTransferConfig.__post_init__ (vllm/config/kv_transfer.py:83-93): engine_id defaults to a
 * fresh uuid4 (shown as <uuid4>, as the recorded oracle normalises it); kv_connector needs kv_role.
 */
function kvTransferConfigPostInit(dc: PyDataclass): void {
  const f = dc.fields;
  if (f.get('engine_id') === null) f.set('engine_id', '<uuid4>');
  if (f.get('kv_connector') !== null && f.get('kv_role') === null)
    throw new PyError('ValueError', "Please specify kv_disagg_role when kv_connector is set, supported roles are ('kv_producer', 'kv_both', 'kv_consumer')");
}
