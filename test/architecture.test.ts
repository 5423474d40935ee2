/**
 * Architecture rules that keep the compiler honest:
 *  - the compile path is one bundled file (tools/bundle.ts) and loads nothing else: no package,
 *    no build-time package inside it; subcommands and the diff library load only when used;
 *  - the allowed imports of DESIGN.md (the steering repository's layout): no cycle, encode/ imports nothing of the
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
const EXAMPLE = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');

/**
 * What a run of the real executable loaded: every module in require.cache at exit (the bundle is
 * registered there by bin/phoenix-compile.js), relative to the repository, node_modules packages
 * by name.
 */
function loadedBy(args: string[], cwd: string): { code: number | null; stderr: string; modules: string[]; packages: string[] } {
  const report = path.join(tmpDir('loaded'), 'report.js');
  require('fs').writeFileSync(report, `process.on('exit', () => process.stderr.write('\\nPHX_LOADED=' + JSON.stringify(Object.keys(require.cache)) + '\\n'));`);
  const r = spawnSync(
    process.execPath,
    ['-r', report, path.join(ROOT, 'bin', 'phoenix-compile.js'), ...args, ...(args.includes('--config') ? [] : ['--config', EXAMPLE])],
    { cwd, encoding: 'utf8' },
  );
  const m = /\nPHX_LOADED=(.*)\n/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const files = (JSON.parse(m![1]) as string[]).filter((f) => f !== report);
  const pkg = (f: string) => {
    const rest = f.split('/node_modules/').pop()!;
    return rest
      .split('/')
      .slice(0, rest.startsWith('@') ? 2 : 1)
      .join('/');
  };
  return {
    code: r.status,
    stderr: r.stderr,
    modules: files.filter((f) => !f.includes('/node_modules/')).map((f) => path.relative(ROOT, f).split(path.sep).join('/')),
    packages: [...new Set(files.filter((f) => f.includes('/node_modules/')).map(pkg))].sort(),
  };
}

test('npm run compile loads one bundled file: no package, no other module of dist/', () => {
  const out = tmpDir('path');
  const r = loadedBy(['--out', path.join(out, 'out')], out);
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.packages, [], `packages loaded: ${r.packages.join(', ')}`);
  assert.equal(r.modules.sort(), ['bin/phoenix-compile.js', 'dist/bundle/phoenix-compile.js', 'package.json']);
  // And --check of an up-to-date folder: still no diff library.
  const c = loadedBy(['--out', path.join(out, 'out'), '--check'], out);
  assert.is(c.code, 0, c.stderr);
  assert.equal(c.packages, []);
  assert.equal(c.modules.sort(), ['bin/phoenix-compile.js', 'dist/bundle/phoenix-compile.js', 'package.json']);
});

test('the bundle holds no build-time package; the diff library and the subcommands load only when used', () => {
  const meta = JSON.parse(require('fs').readFileSync(path.join(ROOT, 'dist', 'bundle', 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  const inputs = Object.values(meta.outputs).flatMap((o) => Object.keys(o.inputs));
  const bundled = [
    ...new Set(
      inputs
        .filter((f) => f.includes('node_modules/'))
        .map((f) =>
          f
            .split('node_modules/')
            .pop()!
            .split('/')
            .slice(0, f.includes('node_modules/@') ? 2 : 1)
            .join('/'),
        ),
    ),
  ].sort();
  // jsonc-parser (the load stage's one pass over the config's text), ajv's runtime helpers for the
  // standalone validator (and their fast-deep-equal); nothing else. momoa, which reports a broken
  // config file, is in the load-errors part (meta.json describes the main bundle only).
  assert.equal(
    bundled.filter((p) => !['jsonc-parser', 'ajv', 'fast-deep-equal'].includes(p)),
    [],
  );
  assert.ok(bundled.includes('jsonc-parser'), bundled.join(', '));
  assert.not.ok(bundled.includes('@humanwhocodes/momoa'), 'momoa stays out of the compile path');
  assert.ok(
    inputs.includes('compiler/compile.ts') && !inputs.some((f) => /^cli\/(explain|diff|migrate)\.ts$/.test(f) || f === 'compiler/util/textdiff.ts'),
    inputs.join(', '),
  );

  // --check with a stale file: the textdiff part and the diff package, nothing of dist/ besides.
  const w = tmpDir('lazy');
  const out = path.join(w, 'out');
  assert.is(loadedBy(['--out', out], w).code, 0);
  require('fs').appendFileSync(path.join(out, '921', 'deploy.sh'), '# edited\n');
  const c = loadedBy(['--out', out, '--check'], w);
  assert.is(c.code, 2, c.stderr);
  assert.equal(c.packages, ['diff']);
  assert.equal(c.modules.sort(), ['bin/phoenix-compile.js', 'dist/bundle/phoenix-compile-textdiff.js', 'dist/bundle/phoenix-compile.js', 'package.json']);
  // A subcommand: its own part, which takes the compiler from the main bundle (no second copy).
  const e = loadedBy(['explain', '921'], w);
  assert.is(e.code, 0, e.stderr);
  assert.equal(e.packages, []);
  assert.equal(e.modules.sort(), ['bin/phoenix-compile.js', 'dist/bundle/phoenix-compile-explain.js', 'dist/bundle/phoenix-compile.js', 'package.json']);
  // A usage error thrown in a subcommand's part is caught by the main bundle's dispatcher.
  const u = loadedBy(['explain', '--no-such-option'], w);
  assert.is(u.code, 1, u.stderr);
  assert.match(u.stderr, "Try 'phoenix-compile explain --help'.");
});

test('a broken config loads the momoa part and says what is wrong as before; a good one never loads it', () => {
  const w = tmpDir('broken');
  const fs = require('fs') as typeof import('fs');
  const good = loadedBy(['--out', path.join(w, 'out'), '-q'], w);
  assert.is(good.code, 0, good.stderr);
  assert.not.ok(good.modules.includes('dist/bundle/phoenix-compile-load-errors.js'), good.modules.join(', '));
  const broken = path.join(w, 'broken.json');
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  // A trailing comma after the last CTID, and (in a second file) a duplicate key.
  fs.writeFileSync(broken, text.replace(/\}\s*\}\s*\}\s*$/, '},\n  }\n}\n'));
  const r = loadedBy(['--out', path.join(w, 'out2'), '--config', broken], w);
  assert.is(r.code, 1, r.stderr);
  assert.equal(r.modules.sort(), ['bin/phoenix-compile.js', 'dist/bundle/phoenix-compile-load-errors.js', 'dist/bundle/phoenix-compile.js', 'package.json']);
  assert.equal(r.packages, []);
  // The messages, byte for byte, as the momoa loader printed them when it was the only loader.
  assert.match(r.stderr, "broken.json:109:3: error: invalid JSON: trailing comma before '}' [PHX001]\nphoenix-compile: 1 error; nothing written\n");
  assert.not.ok(fs.existsSync(path.join(w, 'out2')), 'nothing written');
  const dup = path.join(w, 'dup.json');
  fs.writeFileSync(dup, text.replace('{', '{\n  "nvidia_driver_version": "1",'));
  const d = loadedBy(['--out', path.join(w, 'out3'), '--config', dup], w);
  assert.is(d.code, 1, d.stderr);
  assert.ok(d.modules.includes('dist/bundle/phoenix-compile-load-errors.js'), d.modules.join(', '));
  assert.match(
    d.stderr,
    'dup.json:4:3: error: $.nvidia_driver_version: duplicate key "nvidia_driver_version" (first defined at 2:3); JSON keeps only one of them, so the file is ambiguous [PHX002]\n',
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
