import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../compiler/compile';
import { ARTIFACT_KINDS } from '../emit/artifact';
import { caseArgs, caseInput, expectedExit, expectedStderr, expectedTree, listCases, runCase } from './golden/cases';
import { readTree } from './lib/paths';

const cases = listCases();

test('there are golden cases', () => {
  assert.ok(cases.length >= 5, `only ${cases.length} golden cases`);
});

for (const c of cases) {
  test(`golden ${c.name}`, () => {
    const exit = expectedExit(c);
    // Failing cases start from an existing output folder, which must come out untouched.
    const sentinel = (out: string) => {
      fs.mkdirSync(path.join(out, '100'), { recursive: true });
      fs.writeFileSync(path.join(out, '100', 'old.txt'), 'previous output\n');
      fs.writeFileSync(path.join(out, 'manifest.json'), '{"files":{"100/old.txt":{"sha256":"x","mode":"0644"}}}\n');
    };
    const { result, out, work } = runCase(c, exit === 0 ? undefined : sentinel);
    try {
      assert.is(result.stderr, expectedStderr(c), 'stderr');
      assert.is(result.code, exit, 'exit code');
      if (exit === 0) {
        const got = readTree(out);
        const want = expectedTree(c);
        assert.equal([...got.keys()], [...want.keys()], 'file list');
        for (const [p, w] of want) {
          const g = got.get(p)!;
          assert.fixture(g.data.toString('utf8'), w.data.toString('utf8'));
          assert.is(g.mode.toString(8), w.mode.toString(8), `mode of ${p}`);
        }
      } else {
        const after = readTree(out);
        assert.equal([...after.keys()], ['100/old.txt', 'manifest.json'], 'output folder untouched');
        assert.is(after.get('100/old.txt')!.data.toString(), 'previous output\n');
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}

test('every artifact kind has a golden file', () => {
  const covered = new Set<string>();
  for (const c of cases) {
    if (expectedExit(c) !== 0) continue;
    const args = caseArgs(c);
    const onlyAt = args.indexOf('--only');
    const r = compile({
      file: 'input.json',
      text: caseInput(c).toString('utf8'),
      source: { file: 'input.json', regenerate: 'x' },
      compiler: { name: 'phoenix-compile', version: '0' },
      ...(onlyAt >= 0 ? { only: args[onlyAt + 1].split(',') } : {}),
    });
    const tree = expectedTree(c);
    for (const f of r.files as { path: string; kind?: string }[]) if (f.kind && tree.has(f.path)) covered.add(f.kind);
  }
  const missing = ARTIFACT_KINDS.filter((k) => !covered.has(k));
  assert.equal(missing, [], `artifact kinds without a golden file: ${missing.join(', ')}`);
});

test.run();
