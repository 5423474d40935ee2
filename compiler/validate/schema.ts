/**
 * Stage 2a, validate against the JSON Schema: runs the validator that codegen precompiled from
 * schema/ (no schema compiler at run time) and turns every ajv error into a Diagnostic with the
 * position of the offending key or value, its JSON path and CTID, in plain words.
 */
import validate = require('../generated/validate-schema');
import { codePointName, hasNul, noncharacter, unpairedSurrogate } from '../../encode/text';
import type { ErrorObject } from 'ajv';
import { Diagnostic, DiagnosticCode, Position } from '../diagnostics';
import { ctidOfPath, displayPath, fromPointer, PathSeg, toPointer } from '../util/jsonpath';
import type { LoadedConfig } from '../load';
import { nearest } from '../util/suggest';

type Schema = { [k: string]: unknown };

export function validateSchema(config: LoadedConfig): Diagnostic[] {
  const text = textProblems(config);
  if (validate(config.value)) return text;
  const schema = loadSchema();
  const out: Diagnostic[] = [];
  for (const err of validate.errors ?? []) {
    const d = toDiagnostic(err, config, schema);
    if (d) out.push(d);
  }
  // A string the schema already rejects is reported once.
  const reported = new Set(out.map((d) => d.path));
  return [...out, ...text.filter((d) => !reported.has(d.path))];
}

/**
 * What no string of the config (value or key) may hold, whatever its field: NUL (no argument,
 * path or unit line can carry it), an unpaired UTF-16 surrogate (not valid UTF-8, so it cannot be
 * written to any artifact), and a Unicode noncharacter (U+FDD0-U+FDEF, U+nFFFE, U+nFFFF), which
 * systemd refuses in every unit line ("String is not UTF-8 clean"), so the unit would not load.
 */
function textProblems(config: LoadedConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = (path: PathSeg[], what: 'key' | 'string', why: string, key: boolean) => {
    const ptr = toPointer(path);
    const pos = (key ? config.keyPos.get(ptr) : config.valuePos.get(ptr)) ?? { line: 1, col: 1 };
    const ctid = ctidOfPath(path);
    out.push({
      severity: 'error',
      code: 'PHX013',
      message: `the ${what} ${why}`,
      file: config.file,
      pos,
      path: displayPath(path),
      ...(ctid !== undefined ? { ctid } : {}),
    });
  };
  const walk = (v: unknown, path: PathSeg[]) => {
    if (typeof v === 'string') {
      const why = unrepresentable(v);
      if (why) report(path, 'string', why, false);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, [...path, i]));
    } else if (v !== null && typeof v === 'object') {
      for (const k of Object.keys(v)) {
        const why = unrepresentable(k);
        if (why) report([...path, k], 'key', why, true);
        walk((v as Record<string, unknown>)[k], [...path, k]);
      }
    }
  };
  walk(config.value, []);
  return out;
}

function unrepresentable(s: string): string | undefined {
  if (hasNul(s)) return 'contains a NUL character (U+0000), which no command argument, path or unit line can hold';
  const sur = unpairedSurrogate(s);
  const nc = noncharacter(s);
  // Report whichever comes first in the string, as a reader scanning it would meet it.
  const surAt = sur === undefined ? Infinity : s.indexOf(String.fromCharCode(sur));
  const ncAt = nc === undefined ? Infinity : s.indexOf(String.fromCodePoint(nc));
  if (sur !== undefined && surAt < ncAt) return `contains an unpaired UTF-16 surrogate (${codePointName(sur)}), which is not valid UTF-8`;
  if (nc !== undefined) return `contains ${codePointName(nc)}, a Unicode noncharacter, which systemd refuses in unit files (the unit would not load)`;
  return undefined;
}

let cachedSchema: Schema | undefined;
/** The full schema, read only when there is an error to explain (keeps the happy path lean). */
function loadSchema(): Schema {
  cachedSchema ??= require('../../../schema/phoenix_lxc_configs.schema.json') as Schema;
  return cachedSchema;
}

function toDiagnostic(err: ErrorObject, config: LoadedConfig, schema: Schema): Diagnostic | undefined {
  const base = typedPath(config.value, fromPointer(err.instancePath));
  const at = (path: PathSeg[], preferKey: boolean): { pos: Position; path: PathSeg[] } => {
    const ptr = toPointer(path);
    const pos = (preferKey ? config.keyPos.get(ptr) : undefined) ?? config.valuePos.get(ptr) ?? config.keyPos.get(ptr) ?? { line: 1, col: 1 };
    return { pos, path };
  };
  const value = valueAt(config.value, base);
  const node = schemaAt(schema, base);
  let code: DiagnosticCode = 'PHX019';
  let message: string;
  let where = at(base, false);

  switch (err.keyword) {
    case 'propertyNames':
      return undefined; // the nested error on the name itself says it better
    case 'additionalProperties': {
      const key = String((err.params as { additionalProperty: string }).additionalProperty);
      where = at([...base, key], true);
      code = 'PHX011';
      const known = Object.keys((node?.properties as object | undefined) ?? {});
      const guess = nearest(key, known);
      const context = base.length === 2 && base[0] === 'lxc_configs' ? 'container key' : 'key';
      message = `unknown ${context} ${JSON.stringify(key)}` + (guess ? `; did you mean ${JSON.stringify(guess)}?` : '');
      break;
    }
    case 'required': {
      const key = (err.params as { missingProperty: string }).missingProperty;
      where = at(base, true);
      code = 'PHX012';
      message = `missing required key ${JSON.stringify(key)}`;
      break;
    }
    case 'type': {
      code = 'PHX010';
      const expected = String((err.params as { type: string }).type)
        .split(',')
        .map(article)
        .join(' or ');
      message = `must be ${expected}, found ${describe(value)}`;
      break;
    }
    case 'pattern': {
      const propertyName = (err as ErrorObject & { propertyName?: string }).propertyName;
      if (propertyName !== undefined) {
        where = at([...base, propertyName], true);
        if (base.length === 1 && base[0] === 'lxc_configs') {
          code = 'PHX016';
          message = `${JSON.stringify(propertyName)} is not a valid CTID: CTIDs are decimal strings from 100 to 999999999 without leading zeros`;
        } else {
          code = 'PHX013';
          message = `key ${JSON.stringify(propertyName)} is not allowed here: ${firstSentence(schemaAt(schema, base)?.description)}`;
        }
        break;
      }
      code = 'PHX013';
      message = `${JSON.stringify(value)} is not valid: ${firstSentence(node?.description) || `must match ${(err.params as { pattern: string }).pattern}`}`;
      break;
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      code = 'PHX014';
      const p = err.params as { comparison: string; limit: number };
      message = `must be ${p.comparison} ${p.limit}, found ${JSON.stringify(value)}`;
      break;
    }
    case 'enum': {
      code = 'PHX015';
      const allowed = (err.params as { allowedValues: unknown[] }).allowedValues;
      const guess = typeof value === 'string' ? nearest(value, allowed.map(String)) : undefined;
      message =
        `${JSON.stringify(value)} is not one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` +
        (guess ? `; did you mean ${JSON.stringify(guess)}?` : '');
      break;
    }
    case 'uniqueItems': {
      code = 'PHX017';
      const p = err.params as { i: number; j: number };
      where = at([...base, p.i], false);
      message = `duplicate item ${JSON.stringify((value as unknown[])[p.i])} (same as item ${p.j})`;
      break;
    }
    case 'minLength':
    case 'maxLength': {
      code = 'PHX018';
      const p = err.params as { limit: number };
      message = value === '' ? 'must not be empty' : `must be ${err.keyword === 'minLength' ? 'at least' : 'at most'} ${p.limit} characters long`;
      break;
    }
    case 'minItems':
      code = 'PHX018';
      message = `must have at least ${(err.params as { limit: number }).limit} item(s)`;
      break;
    case 'anyOf':
      code = 'PHX010';
      message = `must be ${describeAnyOf(node)}, found ${describe(value)}`;
      break;
    default:
      message = `violates the schema (${err.keyword} ${JSON.stringify(err.params)})`;
  }
  const ctid = ctidOfPath(where.path);
  return { severity: 'error', code, message, file: config.file, pos: where.pos, path: displayPath(where.path), ...(ctid !== undefined ? { ctid } : {}) };
}

/** Pointer segments as keys or indices, decided by the value they walk through. */
function typedPath(root: unknown, segs: string[]): PathSeg[] {
  const out: PathSeg[] = [];
  let cur: unknown = root;
  for (const s of segs) {
    const seg: PathSeg = Array.isArray(cur) ? Number(s) : s;
    out.push(seg);
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[s] : undefined;
  }
  return out;
}

function valueAt(root: unknown, path: PathSeg[]): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg as string];
  }
  return cur;
}

/** The schema node that governs the value at `path` (follows $ref, properties, items). */
export function schemaAt(schema: Schema, path: PathSeg[]): Schema | undefined {
  const defs = schema.definitions as Record<string, Schema>;
  const deref = (s: Schema | undefined): Schema | undefined => {
    let cur = s;
    for (let i = 0; cur && typeof cur.$ref === 'string' && i < 10; i++) {
      const merged: Schema = { ...defs[(cur.$ref as string).replace('#/definitions/', '')] };
      if (cur.description) merged.description = cur.description;
      cur = merged;
    }
    return cur;
  };
  let cur = deref(schema);
  for (const seg of path) {
    if (!cur) return undefined;
    if (typeof seg === 'number') {
      const any = (cur.anyOf as Schema[] | undefined)?.find((s) => s.type === 'array');
      cur = deref(((any ?? cur).items as Schema | undefined) ?? undefined);
      continue;
    }
    const props = cur.properties as Record<string, Schema> | undefined;
    if (props && props[seg]) cur = deref(props[seg]);
    else if (cur.additionalProperties && typeof cur.additionalProperties === 'object') cur = deref(cur.additionalProperties as Schema);
    else return undefined;
  }
  return cur;
}

function article(t: string): string {
  return t === 'integer' ? 'an integer' : t === 'object' ? 'an object' : t === 'array' ? 'an array' : t === 'null' ? 'null' : `a ${t}`;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
    case 'number':
      return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
    case 'boolean':
      return `the boolean ${v}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

function describeAnyOf(node: Schema | undefined): string {
  const alts = (node?.anyOf as Schema[] | undefined) ?? [];
  const names = alts.map((a) => (a.type === 'array' ? `an array of ${String((a.items as Schema | undefined)?.type ?? 'values')}s` : article(String(a.type))));
  return names.length ? names.join(' or ') : 'a valid value';
}

function firstSentence(d: unknown): string {
  if (typeof d !== 'string') return '';
  const m = /^(.*?[.:])(\s|$)/.exec(d);
  return (m ? m[1] : d).replace(/[.:]$/, '');
}
