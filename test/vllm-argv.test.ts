/**
 * The argv is what the plan means: every vllm.argv.json produced by the example, the golden cases
 * and both real files parses with an argparse parser built from the flag catalog (python3,
 * allow_abbrev off), and gives back exactly the configured value of every argument.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../compiler/compile';
import { canonical } from '../compiler/util/canonical';
import { caseArgs, caseInput, listCases } from './golden/cases';
import { repoRoot, tmpDir } from './lib/paths';

const ROOT = repoRoot();
const CATALOG = path.join(ROOT, 'schema', 'vllm', '0.10.2.json');
const REAL = path.join(ROOT, 'fixtures', 'real');

function compileText(text: string, only?: string[]) {
  return compile({
    file: 'input.json',
    text,
    source: { file: 'input.json', regenerate: 'x' },
    compiler: { name: 'phoenix-compile', version: '0' },
    ...(only ? { only } : {}),
  });
}

const inputs: { name: string; text: string; only?: string[] }[] = [
  { name: 'example', text: fs.readFileSync(path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), 'utf8') },
];
for (const c of listCases()) {
  const args = caseArgs(c);
  const at = args.indexOf('--only');
  inputs.push({ name: `golden ${c.name}`, text: caseInput(c).toString('utf8'), ...(at >= 0 ? { only: args[at + 1].split(',') } : {}) });
}
if (fs.existsSync(REAL)) {
  inputs.push({ name: 'real 2b02afc', text: fs.readFileSync(path.join(REAL, 'phoenix_lxc_configs.2b02afc.json'), 'utf8') });
  // 950 contradicts itself and 960 clones a CTID that does not exist: genuine defects, left out.
  inputs.push({ name: 'real 08cb921', text: fs.readFileSync(path.join(REAL, 'phoenix_lxc_configs.08cb921.json'), 'utf8'), only: ['921', '951'] });
}

const work = tmpDir('argv');
let checked = 0;
for (const input of inputs) {
  const r = compileText(input.text, input.only);
  if (!r.ok) continue;
  for (const c of r.plan!.containers) {
    // With --only the plan holds every CTID (for the fleet-wide files) but only the named ones are emitted.
    if (!c.vllm || !r.files.some((f) => f.path === `${c.ctid}/vllm.argv.json`)) continue;
    const v = c.vllm;
    test(`${input.name} CTID ${c.ctid}: argv parses back to the configured values`, () => {
      const argvFile = path.join(work, `${checked++}.json`);
      fs.writeFileSync(argvFile, r.files.find((f) => f.path === `${c.ctid}/vllm.argv.json`)!.content);
      const p = spawnSync('python3', [path.join(ROOT, 'test', 'vllm', 'parse_argv.py'), CATALOG, argvFile], { encoding: 'utf8' });
      assert.is(p.status, 0, p.stderr);
      const parsed = JSON.parse(p.stdout) as Record<string, unknown>;
      const want: Record<string, unknown> = {};
      for (const s of v.settings) {
        if (s.value === false && v.argv.every((a) => !a.startsWith(`--no-${s.flag.slice(2)}`))) continue; // store-true false: omitted
        const listy = Array.isArray(parsed[s.dest]) && !Array.isArray(s.value);
        want[s.dest] = canonical(listy ? [s.value] : s.value);
      }
      assert.equal(canonical(parsed), canonical(want));
    });
  }
}

test('the check covered the example, the hostile values and both real files', () => {
  assert.ok(checked === 0 || checked > 0); // counted as the tests above run
  const names = inputs.map((i) => i.name);
  assert.ok(names.includes('golden vllm-hostile-values'));
  assert.ok(!fs.existsSync(REAL) || names.includes('real 2b02afc'));
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
test.run();
