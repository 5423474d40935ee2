/** The README's examples are real outputs, and its two commands are the ones that exist. */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fallbackDiff, readmeSection, renderSection } from './lib/readme-example';
import { repoRoot } from './lib/paths';

const ROOT = repoRoot();
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

test('the "Reviewing a change" diff is exactly what phoenix-compile diff prints (npm run golden:update)', () => {
  assert.is(readmeSection(readme), renderSection(fallbackDiff()));
});

test('the README names the two commands, and .ci/run runs the test one', () => {
  assert.match(readme, /npm ci && npm run compile/);
  assert.match(readme, /npm ci && npm test/);
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
  assert.match(ci, /\nnpm ci\b/);
  assert.match(ci, /\nnpm test\n/);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.ok(pkg.scripts.compile && pkg.scripts.test);
});

test('"vLLM rules and their sources" lists every rule of compiler/check/vllm.ts', () => {
  const source = fs.readFileSync(path.join(ROOT, 'compiler', 'check', 'vllm.ts'), 'utf8');
  const rules = /const RULES: [^\n]*\n([\s\S]*?)\n\];/.exec(source)![1].match(/[A-Za-z0-9]+/g)!;
  assert.ok(rules.length >= 15, `${rules.length} rules`);
  const section = readme.slice(readme.indexOf('## vLLM rules and their sources'), readme.indexOf('## Diagnostic codes'));
  assert.equal(
    rules.filter((r) => !section.includes(`\`${r}\``)),
    [],
    'rules missing from the README table',
  );
});

test.run();
