/**
 * Architecture rules that keep the compiler honest:
 *  - the compile path loads only what it needs (no ts-morph, typescript, prettier, ejs or
 *    json-schema-to-typescript at run time);
 *  - the allowed imports of ../shared/DESIGN.md: no cycle, encode/ imports nothing of the
 *    project, only compiler/compile.ts reaches emit/, check/ and plan/ stay apart, emitters never
 *    import I/O modules or stages (read with ts-morph);
 *  - templates print config values only through the encoders.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Project, SyntaxKind } from 'ts-morph';
import { repoRoot, tmpDir } from './lib/paths';

const ROOT = repoRoot();

test('npm run compile loads no build-time package', () => {
  const out = tmpDir('path');
  const script = `
    const cli = require(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'main.js'))});
    const code = cli.main(['--out', ${JSON.stringify(out)}], { out() {}, err() {}, cwd: ${JSON.stringify(ROOT)} });
    const pkgs = new Set(Object.keys(require.cache).filter((f) => f.includes('/node_modules/')).map((f) => f.split('/node_modules/').pop().split('/').slice(0, f.split('/node_modules/').pop().startsWith('@') ? 2 : 1).join('/')));
    process.stdout.write(JSON.stringify({ code, pkgs: [...pkgs].sort() }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const { code, pkgs } = JSON.parse(r.stdout) as { code: number; pkgs: string[] };
  assert.is(code, 0);
  for (const banned of ['ts-morph', 'typescript', 'prettier', 'ejs', 'json-schema-to-typescript']) assert.not.ok(pkgs.includes(banned), `${banned} loaded`);
  // ajv's standalone code needs its runtime helpers (and their fast-deep-equal); nothing else.
  assert.equal(
    pkgs.filter((p) => !['@humanwhocodes/momoa', 'ajv', 'fast-deep-equal'].includes(p)),
    [],
    `unexpected packages: ${pkgs.join(', ')}`,
  );
});

/** Every import of the product's modules (cli/, compiler/, emit/, encode/), read with ts-morph. */
interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function productImports(): { modules: string[]; edges: Edge[] } {
  const project = new Project({ skipAddingFilesFromTsConfig: true });
  for (const dir of ['cli', 'compiler', 'emit', 'encode']) project.addSourceFilesAtPaths(path.join(ROOT, dir, '**', '*.ts'));
  const rel = (f: string) =>
    path
      .relative(ROOT, f)
      .split(path.sep)
      .join('/')
      .replace(/\.(d\.)?ts$/, '');
  const modules: string[] = [];
  const edges: Edge[] = [];
  for (const sf of project.getSourceFiles()) {
    const from = rel(sf.getFilePath());
    modules.push(from);
    const add = (spec: string, typeOnly: boolean) => {
      const to = spec.startsWith('.')
        ? path
            .relative(ROOT, path.resolve(path.dirname(sf.getFilePath()), spec))
            .split(path.sep)
            .join('/')
        : spec;
      edges.push({ from, to: to.replace(/\/index$/, ''), typeOnly });
    };
    for (const imp of sf.getImportDeclarations()) add(imp.getModuleSpecifierValue(), imp.isTypeOnly());
    for (const imp of sf.getDescendantsOfKind(SyntaxKind.ImportEqualsDeclaration))
      add(
        imp
          .getModuleReference()
          .getText()
          .replace(/^require\(['"]|['"]\)$/g, ''),
        false,
      );
    for (const call of sf.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      if (call.getExpression().getText() !== 'require') continue;
      const arg = call.getArguments()[0];
      if (arg && arg.getKind() === SyntaxKind.StringLiteral) add(arg.getText().slice(1, -1), false);
    }
  }
  return { modules, edges };
}

const { modules, edges } = productImports();
const project = (to: string) => /^(cli|compiler|emit|encode|schema|tools)(\/|$)/.test(to);
const under = (p: string, dir: string) => p === dir || p.startsWith(`${dir}/`);

test('the import graph was read', () => {
  assert.ok(modules.includes('compiler/compile') && modules.includes('encode/text') && modules.includes('cli/main'), modules.join(', '));
  assert.ok(
    edges.some((e) => e.from === 'compiler/compile' && e.to === 'emit'),
    'compile.ts imports emit/',
  );
});

test('no import cycle among the product modules (type-only imports included)', () => {
  const next = new Map<string, string[]>();
  for (const e of edges) if (project(e.to) && e.to !== e.from) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const state = new Map<string, 1 | 2>();
  const cycles: string[] = [];
  const stack: string[] = [];
  const visit = (m: string) => {
    state.set(m, 1);
    stack.push(m);
    for (const n of next.get(m) ?? []) {
      if (state.get(n) === 1) cycles.push([...stack.slice(stack.indexOf(n)), n].join(' -> '));
      else if (!state.has(n)) visit(n);
    }
    stack.pop();
    state.set(m, 2);
  };
  for (const m of modules.sort()) if (!state.has(m)) visit(m);
  assert.equal(cycles, []);
});

test('encode/ is the ground floor: it imports nothing of the project', () => {
  const bad = edges.filter((e) => under(e.from, 'encode') && project(e.to) && !under(e.to, 'encode'));
  assert.equal(bad, []);
});

test('only compiler/compile.ts reaches emit/; no stage imports compile.ts or cli/', () => {
  const bad = edges.filter(
    (e) =>
      under(e.from, 'compiler') && !e.typeOnly && (under(e.to, 'emit') ? e.from !== 'compiler/compile' : e.to === 'compiler/compile' || under(e.to, 'cli')),
  );
  assert.equal(bad, []);
  const intoCli = edges.filter((e) => under(e.to, 'cli') && !under(e.from, 'cli'));
  assert.equal(intoCli, [], 'nothing imports cli/');
  const intoTools = edges.filter((e) => under(e.to, 'tools'));
  assert.equal(intoTools, [], 'nothing at run time imports tools/');
});

test('check/ and plan/ do not import each other (both may use plan/model, plan/gpus, plan/features, plan/cluster, plan/mounts, plan/order)', () => {
  const shared = new Set([
    'compiler/plan/model',
    'compiler/plan/gpus',
    'compiler/plan/features',
    'compiler/plan/cluster',
    'compiler/plan/mounts',
    'compiler/plan/order',
  ]);
  const bad = edges.filter(
    (e) =>
      (under(e.from, 'compiler/check') && under(e.to, 'compiler/plan') && !shared.has(e.to)) ||
      (under(e.from, 'compiler/plan') && under(e.to, 'compiler/check')),
  );
  assert.equal(bad, []);
});

test('emitters are pure: no I/O module, no stage; only plan types, encode/ and their templates', () => {
  const io = /^(node:)?(fs|child_process|os|net|http|https|dgram|worker_threads)$/;
  const bad = edges.filter((e) => {
    if (!under(e.from, 'emit')) return false;
    if (io.test(e.to)) return true;
    if (under(e.to, 'compiler')) return !(e.typeOnly && (e.to === 'compiler/plan/model' || e.to === 'compiler/write/manifest'));
    return under(e.to, 'cli') || under(e.to, 'tools');
  });
  assert.equal(bad, []);
  const requires = edges.filter(
    (e) =>
      under(e.from, 'emit') &&
      !e.from.startsWith('emit/generated') &&
      !e.typeOnly &&
      !e.to.startsWith('emit') &&
      !e.to.startsWith('encode') &&
      !e.to.startsWith('compiler'),
  );
  assert.equal(requires, [], 'emitters import only project modules');
});

test('templates never print a raw value: <%- is only for the prelude, the header and encoder calls', () => {
  const fs = require('fs') as typeof import('fs');
  const dir = path.join(ROOT, 'emit', 'templates');
  const offenders: string[] = [];
  for (const f of (fs.readdirSync(dir, { recursive: true }) as string[]).filter((x) => x.endsWith('.ejs'))) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/<%-\s*([\s\S]*?)\s*-?%>/g)) {
      const expr = m[1];
      const ok =
        /^it\.(prelude|header|guard)$/.test(expr) ||
        /^it\.enc\.\w+\(/.test(expr) ||
        /^it\.unset\.map\(it\.enc\.name\)/.test(expr) ||
        /^it\.host\.gpus\.map\(\(g\) => 'GPU ' \+ Number\(g\)\)/.test(expr);
      if (!ok) offenders.push(`${f}: <%- ${expr} %>`);
    }
  }
  assert.equal(offenders, []);
});

test.run();
