/**
 * The load stage's fast path (compiler/load.ts: jsonc-parser's visit, positions found on demand)
 * against the momoa loader it replaced on the happy path (compiler/load-errors.ts, still the loader
 * of every text the fast path refuses), with fast-check (seeded):
 *
 *  - for generated well-formed documents (nested objects and arrays, any Unicode, every escape,
 *    surrogate pairs and lone surrogates, numbers such as 4.0, 1e3, -0, 12345678901234567890,
 *    1e400, keys "__proto__" and "constructor", any white space and line ending), the fast path
 *    takes the text and gives the same value (prototypes, key order and -0 included), the same
 *    number texts, and the same position for every pointer of momoa's maps;
 *  - for the same documents with a duplicate key, a comment, a trailing comma, a raw control
 *    character, a cut or a stray character, both loaders give the same diagnostics.
 */
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Position } from '../compiler/diagnostics';
import { loadConfig, LoadResult } from '../compiler/load';
import { loadWithMomoa, MomoaLoadResult } from '../compiler/load-errors';
import { jsonAsWritten, numberText, numberTextNeeded } from '../compiler/util/json-numbers';
import { SEED } from './lib/arbitraries';

const RUNS = 400;

/** A document as written: members keep their order (and may repeat a key), numbers keep their text. */
type Doc = { obj: [string, Doc][] } | { arr: Doc[] } | { num: string } | { str: string } | { lit: 'true' | 'false' | 'null' };

const NUMBER_TEXTS = [
  '0',
  '-0',
  '4',
  '4.0',
  '1e3',
  '1E+2',
  '1e-7',
  '0.1',
  '-0.0',
  '2048',
  '0.9',
  '123.456e-2',
  '12345678901234567890',
  '9007199254740992',
  '9007199254740993',
  '1e21',
  '1e+21',
  '1e400',
  '-1e400',
  '5e-324',
  '2.5e-400',
];
const numberText_ = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
);
const stringChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'b', ' ', 'é', '~', '/', '"', '\\', '\n', '\t', '\u0000', '\u2028', '😀', '中') },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 2 }) },
  { weight: 1, arbitrary: fc.constantFrom('\ud83d', '\ude00', '\uFEFF', '\u007f', '\u0085') },
);
const str = fc.array(stringChar, { maxLength: 6 }).map((a) => a.join(''));
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('a', 'b', '__proto__', 'constructor', 'toString', '', '0', '01', 'a/b', '~1', 'lxc_configs', '921') },
  { weight: 1, arbitrary: str },
);

const doc: fc.Arbitrary<Doc> = fc.letrec<{ doc: Doc }>((tie) => ({
  doc: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ num: numberText_ }),
    fc.record({ str }),
    fc.record({ lit: fc.constantFrom('true' as const, 'false' as const, 'null' as const) }),
    fc.record({ arr: fc.array(tie('doc'), { maxLength: 4 }) }),
    fc.record({ obj: fc.uniqueArray(fc.tuple(key, tie('doc')), { maxLength: 5, selector: ([k]) => k }) }),
  ),
})).doc;

/** How a string is escaped: which characters go as \uXXXX (lower or upper hex) and whether "/" is escaped. */
const style = fc.record({ uEvery: fc.integer({ min: 0, max: 4 }), upper: fc.boolean(), slash: fc.boolean() });
const space = fc.constantFrom('', ' ', '  ', '\t', '\n', '\r\n', '\r', '\n    ', ' \r\n\t');

/** Writes a document with white space from `ws` (cycled) and escapes after `st`. */
function write(d: Doc, ws: string[], st: { uEvery: number; upper: boolean; slash: boolean }): string {
  let i = 0;
  const w = () => ws[i++ % ws.length] ?? '';
  const s = (x: string) => {
    let out = '"';
    let n = 0;
    for (const ch of x) {
      for (const unit of ch.length === 2 && st.uEvery > 0 && n % st.uEvery === 0 ? [ch[0], ch[1]] : [ch]) {
        n++;
        const code = unit.charCodeAt(0);
        const u = '\\u' + (st.upper ? code.toString(16).toUpperCase() : code.toString(16)).padStart(4, '0');
        if (st.uEvery > 0 && n % st.uEvery === 0) out += u;
        else if (unit === '/' && st.slash) out += '\\/';
        else if (unit.length === 1 && (code < 0x20 || unit === '"' || unit === '\\')) out += JSON.stringify(unit).slice(1, -1);
        else out += unit;
      }
    }
    return out + '"';
  };
  const go = (x: Doc): string => {
    if ('num' in x) return x.num;
    if ('str' in x) return s(x.str);
    if ('lit' in x) return x.lit;
    if ('arr' in x) return `[${w()}${x.arr.map((e) => `${go(e)}${w()}`).join(`,${w()}`)}]`;
    return `{${w()}${x.obj.map(([k, v]) => `${s(k)}${w()}:${w()}${go(v)}${w()}`).join(`,${w()}`)}}`;
  };
  return `${w()}${go(d)}${w()}`;
}

/** The values of two loaded documents side by side, with their JSON Pointer, containers and key. */
function* pairs(
  a: unknown,
  b: unknown,
  ptr = '',
  at?: { a: object; b: object; key: string | number },
): Generator<{ ptr: string; a: unknown; b: unknown; at?: { a: object; b: object; key: string | number } }> {
  yield { ptr, a, b, at };
  if (a === null || typeof a !== 'object' || b === null || typeof b !== 'object') return;
  const keys: (string | number)[] = Array.isArray(a) ? a.map((_, i) => i) : Object.keys(a);
  for (const key of keys) {
    const seg = String(key).replace(/~/g, '~0').replace(/\//g, '~1');
    yield* pairs((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${ptr}/${seg}`, { a, b, key });
  }
}

/** Same value: same kinds, prototypes, key order, numbers by Object.is (so -0 is not 0). */
function sameValue(a: unknown, b: unknown, at: string): void {
  if (typeof a === 'number') {
    assert.ok(Object.is(a, b), `${at}: ${String(a)} vs ${String(b)}`);
    return;
  }
  if (a === null || typeof a !== 'object') {
    assert.is(b, a, at);
    return;
  }
  assert.ok(b !== null && typeof b === 'object', at);
  assert.is(Array.isArray(b), Array.isArray(a), at);
  assert.is(Object.getPrototypeOf(b), Object.getPrototypeOf(a), `${at}: prototype`);
  assert.equal(Object.keys(b as object), Object.keys(a), `${at}: keys`);
  for (const k of Object.keys(a)) sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}/${k}`);
}

/** Pointers no loader should place: past the ends, under scalars, not as toPointer writes them. */
function absentPointers(ptr: string): string[] {
  return [`${ptr}/zz-absent`, `${ptr}/99`, `${ptr}/-1`, `${ptr}/00`, `${ptr}/~2`, `${ptr}/~`, `${ptr}/`];
}

function compare(text: string): { fast: boolean } {
  const mine: LoadResult = loadConfig('c.json', text);
  const ref: MomoaLoadResult = loadWithMomoa('c.json', text);
  assert.is(mine.ok, ref.ok, JSON.stringify(text));
  if (!mine.ok || !ref.ok) {
    assert.equal(mine.ok ? [] : mine.diagnostics, ref.ok ? [] : ref.diagnostics);
    return { fast: false };
  }
  const a = ref.config;
  const b = mine.config;
  assert.is(b.text, a.text);
  sameValue(a.value, b.value, '$');
  const fast = !(b.valuePos instanceof Map);
  // Number texts, as their only reader (jsonAsWritten) sees them: node by node, container by container.
  for (const n of pairs(a.value, b.value)) {
    if (typeof n.a === 'number' && n.at) {
      const old = numberText(n.at.a, n.at.key);
      const now = numberText(n.at.b, n.at.key);
      assert.ok(old !== undefined, `momoa records every number (${n.ptr})`);
      assert.is(now ?? (numberTextNeeded(old!, n.a) ? undefined : old), old, `number text at ${n.ptr}`);
    }
    if (n.a !== null && typeof n.a === 'object') assert.equal(jsonAsWritten(n.b), jsonAsWritten(n.a), `jsonAsWritten at ${n.ptr}`);
  }
  // Positions: every pointer momoa placed, and some it did not.
  const get = (m: { get(p: string): Position | undefined }, p: string) => m.get(p);
  for (const [p, pos] of a.valuePos) assert.equal(get(b.valuePos, p), pos, `valuePos ${JSON.stringify(p)}`);
  for (const [p, pos] of a.keyPos) assert.equal(get(b.keyPos, p), pos, `keyPos ${JSON.stringify(p)}`);
  for (const p of [...a.valuePos.keys()].flatMap(absentPointers).concat(['x', '/'])) {
    assert.equal(get(b.valuePos, p), a.valuePos.get(p), `valuePos ${JSON.stringify(p)}`);
    assert.equal(get(b.keyPos, p), a.keyPos.get(p), `keyPos ${JSON.stringify(p)}`);
  }
  assert.is(get(b.keyPos, ''), undefined);
  return { fast };
}

test('well-formed documents: the fast path takes each and agrees with momoa on value, number texts and every position', () => {
  let fastCount = 0;
  let runs = 0;
  fc.assert(
    fc.property(doc, fc.array(space, { minLength: 1, maxLength: 6 }), style, fc.boolean(), (d, ws, st, bom) => {
      const text = (bom ? '\uFEFF' : '') + write(d, ws, st);
      runs++;
      if (compare(text).fast) fastCount++;
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // Every generated document is strict JSON without a duplicate key: none may take the momoa path.
  assert.is(fastCount, runs, `${runs - fastCount} of ${runs} went to the momoa path`);
});

/** Ways to break a well-formed document (or make a key repeat). */
const breakage = fc.oneof(
  fc.constant((t: string) => t.replace(/\{/, '{"k": 1, "k": 2,').replace(/,\s*\}/, '}')),
  fc.constant((t: string) => t.replace(/\{/, '{"__proto__": 1, "__proto__": [2],').replace(/,\s*\}/, '}')),
  fc.constant((t: string) => t.replace(/(\}|\])\s*$/, ' // note\n$1')),
  fc.constant((t: string) => t.replace(/(\}|\])\s*$/, ' /* note */ $1')),
  fc.constant((t: string) => t.replace(/(\}|\])\s*$/, ',$1')),
  fc.constant((t: string) => t.replace(/"/, '"\u0001')),
  fc.constant((t: string) => t.replace(/"/, '"\t')),
  fc.constant((t: string) => t.slice(0, Math.floor(t.length / 2))),
  fc.constant((t: string) => `${t} 1`),
  fc.constant((t: string) => t.replace(/:/, '::')),
  fc.constant((t: string) => t.replace(/\d/, '0x')),
  fc.constant((t: string) => t.replace(/\d/, '+1')),
  fc.constant((t: string) => t.replace(/\d/, '.5')),
  fc.constant((t: string) => t.replace(/\d/, '01')),
  fc.constant((t: string) => t.replace(/"/, '"\\x')),
  fc.constant((t: string) => t.replace(/"/, '"\\u12')),
  fc.constant((t: string) => t.replace(/ /, '\u00a0')),
  fc.constant((t: string) => t.replace(/true|false|null/, 'True')),
  fc.constant((t: string) => t.replace(/\{/, "{'k': 1,")),
  fc.constant(() => ''),
  fc.constant(() => ' \n\t '),
  fc.constant(() => '\uFEFF'),
);

test('broken documents and duplicate keys: the same diagnostics as momoa', () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.record({ obj: fc.array(fc.tuple(key, doc), { minLength: 1, maxLength: 4 }) }), doc),
      fc.array(space, { minLength: 1, maxLength: 4 }),
      style,
      breakage,
      (d, ws, st, brk) => {
        compare(brk(write(d as Doc, ws, st)));
      },
    ),
    { seed: SEED, numRuns: RUNS },
  );
});

test('fixed cases: numbers, prototypes, positions after \\r\\n and surrogate pairs', () => {
  const text = '{\r\n "__proto__": {"constructor": 4.0},\r "n": [1e3, -0, 12345678901234567890, 1e400, 0.5, 7],\n "s": "\\ud83d\\ude00😀", "t": 1}';
  assert.ok(compare(text).fast);
  const r = loadConfig('c.json', text);
  assert.ok(r.ok);
  if (!r.ok) return;
  const v = r.config.value as { __proto__: { constructor: number }; n: number[] };
  assert.is(Object.getPrototypeOf(v), null);
  assert.is(Object.keys(v)[0], '__proto__');
  assert.equal(jsonAsWritten(v.n), { ok: true, text: '[1e3,-0,12345678901234567890,1e400,0.5,7]' });
  assert.is(numberText(v.n, 4), undefined, '0.5 is written as JSON.stringify writes it: no record');
  assert.is(numberText(v.n, 0), '1e3');
  assert.equal(r.config.keyPos.get('/t'), { line: 4, col: 25 }, 'the \\u escapes count as written, the emoji as two UTF-16 units');
  assert.equal(r.config.valuePos.get('/n/3'), { line: 3, col: 39 }, 'a lone \\r ends a line');
});

test('a duplicate key goes to the momoa path and is reported at the later key', () => {
  const r = loadConfig('c.json', '{\n  "a": 1,\n  "a": 2\n}\n');
  assert.equal(r.ok ? [] : r.diagnostics, [
    {
      severity: 'error',
      code: 'PHX002',
      message: 'duplicate key "a" (first defined at 2:3); JSON keeps only one of them, so the file is ambiguous',
      file: 'c.json',
      pos: { line: 3, col: 3 },
      path: '$.a',
    },
  ]);
});

test('a file that ends inside its value is reported where it ends (momoa itself says 1:1)', () => {
  const at = (text: string): unknown => {
    const r = loadConfig('c.json', text);
    return r.ok ? 'loaded' : r.diagnostics.map((d) => [d.code, `${d.pos?.line}:${d.pos?.col}`, d.message]);
  };
  const ends = 'invalid JSON: the file ends before the JSON value is complete';
  assert.equal(at('{"a":\n'), [['PHX001', '2:1', ends]]);
  assert.equal(at('{\r\n  "lxc_configs": {\r\n    "921": {'), [['PHX001', '3:13', ends]]);
  assert.equal(at('{"a": "b'), [['PHX001', '1:9', ends]]);
  assert.equal(at('{"a": 1}\r\r'), 'loaded');
});

test('nesting: 64 levels load; deeper is refused where level 65 opens, 5,000 levels too (no stack overflow)', () => {
  const doc = (n: number) => `{"a": ${'['.repeat(n - 1)}1${']'.repeat(n - 1)}}`;
  assert.ok(loadConfig('c.json', doc(64)).ok);
  const deep = 'invalid config: objects and arrays nested more than 64 deep (the schema needs about ten); this one opens level 65';
  for (const n of [65, 5000]) {
    const r = loadConfig('c.json', doc(n));
    assert.equal(r.ok ? [] : r.diagnostics.map((d) => [d.code, `${d.pos?.line}:${d.pos?.col}`, d.message]), [['PHX001', '1:70', deep]], String(n));
  }
});

test.run();
