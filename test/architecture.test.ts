/**
 * Architecture rules that keep the compiler honest:
 *  - the compile path loads only what it needs (no ts-morph, typescript, prettier, ejs or
 *    json-schema-to-typescript at run time);
 *  - emitters are pure: no file system, process or network modules, no access to the loader or
 *    the raw config; quoting only through the encoders (read with ts-morph).
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
    const cli = require(${JSON.stringify(path.join(ROOT, 'dist', 'compiler', 'cli.js'))});
    const code = cli.main(['--out', ${JSON.stringify(out)}], { out() {}, err() {}, cwd: ${JSON.stringify(ROOT)} });
    const pkgs = new Set(Object.keys(require.cache).filter((f) => f.includes('/node_modules/')).map((f) => f.split('/node_modules/').pop().split('/').slice(0, f.split('/node_modules/').pop().startsWith('@') ? 2 : 1).join('/')));
    process.stdout.write(JSON.stringify({ code, pkgs: [...pkgs].sort() }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const { code, pkgs } = JSON.parse(r.stdout) as { code: number; pkgs: string[] };
  assert.is(code, 0);
  for (const banned of ['ts-morph', 'typescript', 'prettier', 'ejs', 'json-schema-to-typescript']) assert.not.ok(pkgs.includes(banned), `${banned} loaded`);
  // ajv's standalone code needs its runtime helpers (and their fast-deep-equal); nothing else.
  assert.equal(pkgs.filter((p) => !['@humanwhocodes/momoa', 'ajv', 'fast-deep-equal'].includes(p)), [], `unexpected packages: ${pkgs.join(', ')}`);
});

test('emitters import no I/O module and never the loader or the raw config', () => {
  const project = new Project({ skipAddingFilesFromTsConfig: true });
  project.addSourceFilesAtPaths(path.join(ROOT, 'emit', '**', '*.ts'));
  const banned = /^(fs|node:fs|child_process|node:child_process|os|net|http|https|dgram|\.\.\/compiler\/(load|compile|cli|write|validate-schema|review-diff|migrate))$/;
  const offenders: string[] = [];
  for (const sf of project.getSourceFiles()) {
    for (const imp of sf.getImportDeclarations()) {
      const spec = imp.getModuleSpecifierValue();
      if (banned.test(spec) && !imp.isTypeOnly()) offenders.push(`${path.relative(ROOT, sf.getFilePath())} imports ${spec}`);
    }
    for (const call of sf.getDescendantsOfKind(SyntaxKind.CallExpression)) {
      if (call.getExpression().getText() === 'require') offenders.push(`${path.relative(ROOT, sf.getFilePath())} calls require`);
    }
  }
  assert.equal(offenders, []);
});

test('templates never print a raw value: <%- is only for the prelude, the header and encoder calls', () => {
  const fs = require('fs') as typeof import('fs');
  const dir = path.join(ROOT, 'emit', 'templates');
  const offenders: string[] = [];
  for (const f of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/<%-\s*([\s\S]*?)\s*-?%>/g)) {
      const expr = m[1];
      const ok = /^it\.(prelude|header)$/.test(expr) || /^it\.enc\.\w+\(/.test(expr) || /^it\.unset\.map\(it\.enc\.name\)/.test(expr) || /^it\.host\.gpus\.map\(\(g\) => 'GPU ' \+ Number\(g\)\)/.test(expr);
      if (!ok) offenders.push(`${f}: <%- ${expr} %>`);
    }
  }
  assert.equal(offenders, []);
});

test.run();
