/**
 * Properties of the whole compiler, with fast-check (seeded, reproducible):
 *
 *  - the output does not depend on key order or formatting: fast-check permutes the keys of every
 *    object (CTIDs included) of the example and of a golden case, and picks the indentation; the
 *    in-process compile() gives the same files, modes, manifest and diagnostics (test/core.test.ts
 *    checks one fixed reordering through the CLI);
 *  - a second compile writes nothing: after one CLI run, runs with permuted configs into the same
 *    output folder leave every file and folder with the same inode, mtime and ctime, and nothing
 *    beside it (test/core.test.ts checks one identical re-run).
 *
 * Numeric-looking keys ("900", "921") are always enumerated first and in order by JavaScript
 * objects, so the permuted config is written by its own serializer, not JSON.stringify.
 */
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile, CompileOutput } from '../compiler/compile';
import { canonical, canonicalSha256 } from '../compiler/util/canonical';
import { sha256 } from '../compiler/write/manifest';
import { GOLDEN_DIR } from './golden/cases';
import { SEED } from './lib/arbitraries';
import { runCli } from './lib/cli';
import { repoRoot, tmpDir } from './lib/paths';

const RUNS = 50;
const CLI_RUNS = 20;

/** A JSON value whose objects keep an explicit member order. */
type Node = { obj: [string, Node][] } | { arr: Node[] } | { leaf: unknown };

/** The original value with every object's keys in an order fast-check chooses. */
function permuted(v: unknown): fc.Arbitrary<Node> {
  if (Array.isArray(v)) return v.length ? fc.tuple(...v.map(permuted)).map((arr) => ({ arr })) : fc.constant({ arr: [] });
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0) return fc.constant({ obj: [] });
    const children = fc.tuple(...keys.map((k) => permuted((v as Record<string, unknown>)[k])));
    return fc.tuple(fc.shuffledSubarray(keys, { minLength: keys.length, maxLength: keys.length }), children).map(([order, vals]) => ({
      obj: order.map((k) => [k, vals[keys.indexOf(k)]] as [string, Node]),
    }));
  }
  return fc.constant({ leaf: v });
}

function serialize(n: Node, indent: string, level = 0): string {
  const nl = indent ? '\n' : '';
  const pad = (l: number) => indent.repeat(l);
  const sep = indent ? ': ' : ':';
  if ('leaf' in n) return JSON.stringify(n.leaf);
  if ('arr' in n) {
    if (!n.arr.length) return '[]';
    return `[${nl}${n.arr.map((x) => pad(level + 1) + serialize(x, indent, level + 1)).join(`,${nl}`)}${nl}${pad(level)}]`;
  }
  if (!n.obj.length) return '{}';
  return `{${nl}${n.obj.map(([k, x]) => `${pad(level + 1)}${JSON.stringify(k)}${sep}${serialize(x, indent, level + 1)}`).join(`,${nl}`)}${nl}${pad(level)}}`;
}

/** A permuted, re-indented text of the config. */
function variants(text: string): fc.Arbitrary<string> {
  return fc.tuple(permuted(JSON.parse(text)), fc.constantFrom('', ' ', '  ', '    ', '\t')).map(([n, indent]) => serialize(n, indent) + '\n');
}

function compileText(text: string): CompileOutput {
  return compile({
    file: 'input.json',
    text,
    source: { file: 'input.json', regenerate: 'phoenix-compile --config input.json' },
    compiler: { name: 'phoenix-compile', version: '0' },
  });
}

/** What a compile produced, minus positions (they move with the keys). */
function summary(r: CompileOutput) {
  return {
    ok: r.ok,
    files: r.files.map((f) => ({ path: f.path, mode: f.mode, content: f.content })),
    manifest: r.manifestText,
    diagnostics: r.diagnostics.map((d) => `${d.severity} ${d.code} ${d.ctid ?? '-'} ${d.path}: ${d.message}`).sort(),
  };
}

/** Top-level member order, CTID order and the order inside each CTID: did the permutation move anything? */
function orderSignature(text: string): string {
  const keysInOrder: string[] = [];
  // The key order as written: every "key": in the text.
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"\s*:/g)) keysInOrder.push(m[1]);
  return keysInOrder.join(',');
}

const INPUTS: [string, string][] = [
  ['the example', path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json')],
  ['golden vllm-mapping-rules', path.join(GOLDEN_DIR, 'vllm-mapping-rules', 'input.json')],
];

for (const [name, file] of INPUTS) {
  test(`${name}: any key order and indentation compiles to the same files, manifest and diagnostics (${RUNS} runs)`, () => {
    const text = fs.readFileSync(file, 'utf8');
    const base = summary(compileText(text));
    assert.ok(base.ok, `${name} compiles`);
    assert.ok(base.files.length > 5);
    const original = orderSignature(JSON.stringify(JSON.parse(text), null, 2));
    let moved = 0;
    fc.assert(
      fc.property(variants(text), (t) => {
        if (orderSignature(t) !== original) moved++;
        assert.equal(summary(compileText(t)), base);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    assert.ok(moved >= RUNS * 0.9, `only ${moved} of ${RUNS} runs changed the key order`);
  });
}

/** Identity and timestamps of everything under dir (and dir itself). */
function stamps(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = path.join(dir, rel);
    const s = fs.statSync(p);
    out.set(
      rel || '.',
      `${s.isDirectory() ? 'dir' : 'file'} ino=${s.ino} mtime=${s.mtimeMs} ctime=${s.ctimeMs} size=${s.size} mode=${(s.mode & 0o7777).toString(8)}`,
    );
    if (s.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(rel ? `${rel}/${e}` : e);
  };
  walk('');
  return out;
}

test(`a second compile writes nothing, whatever the key order: ${CLI_RUNS} CLI runs into one output folder`, () => {
  const text = fs.readFileSync(INPUTS[0][1], 'utf8');
  const w = tmpDir('properties');
  try {
    fs.writeFileSync(path.join(w, 'input.json'), text);
    const first = runCli(['--config', 'input.json', '--out', 'out'], w);
    assert.is(first.code, 0, first.stderr);
    const before = stamps(path.join(w, 'out'));
    assert.ok(before.size > 10);
    const texts = [text, ...fc.sample(variants(text), { seed: SEED + 1, numRuns: CLI_RUNS - 1 })];
    for (const t of texts) {
      fs.writeFileSync(path.join(w, 'input.json'), t);
      const r = runCli(['--config', 'input.json', '--out', 'out'], w);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stderr, /already up to date/);
      assert.equal(stamps(path.join(w, 'out')), before, 'inodes, mtimes and ctimes unchanged');
      assert.equal(fs.readdirSync(w).sort(), ['input.json', 'out'], 'nothing left beside out/');
    }
  } finally {
    fs.rmSync(w, { recursive: true, force: true });
  }
});

test('canonicalSha256 is the sha256 of JSON.stringify(canonical(v)), for any JSON value (and long texts past its 64 KiB chunks)', () => {
  const json = fc.jsonValue({ maxDepth: 4 });
  fc.assert(
    fc.property(json, (v) => canonicalSha256(v) === sha256(JSON.stringify(canonical(v)))),
    { seed: SEED, numRuns: 2000 },
  );
  const big = { b: 'x'.repeat(70000), a: ['é'.repeat(40000), { ['__proto__']: 1, k: [1.5, -0, null, true] }] };
  assert.is(canonicalSha256(big), sha256(JSON.stringify(canonical(big))));
});

test.run();
