/**
 * The bad-input corpus (test/corpus/README.md): every case runs the CLI on its input in a folder
 * whose out/ holds a previous good compile, and must give exactly its recorded exit code and
 * stderr. A rejected input leaves out/ byte-identical (same files, bytes, modes, inodes and
 * mtimes); an accepted one must carry each hostile value byte-exact into the artifacts (its
 * <name>.reaches probes: vllm.argv.json, the unit's Environment= lines, bash words run through
 * bash, the LXC lines create.sh appends).
 */
import * as fs from 'fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { envAssignment, execLine } from '../encode/systemd';
import { checkProbe, listCorpus, parseExpected, Probe, runCorpusCase, stamps } from './corpus/run';
import { readTree } from './lib/paths';

const cases = listCorpus();

test('the corpus has at least 40 cases, each with a .expected file; accepted ones have probes', () => {
  assert.ok(cases.length >= 40, `only ${cases.length} cases`);
  const missing = cases.filter((c) => !fs.existsSync(c.expected)).map((c) => c.name);
  assert.equal(missing, [], 'cases without .expected (run node dist/test/corpus/update.js)');
  const accepted = cases.filter((c) => parseExpected(fs.readFileSync(c.expected, 'utf8')).code === 0);
  assert.ok(accepted.length >= 10, `only ${accepted.length} accepted cases`);
  assert.equal(
    accepted.filter((c) => !fs.existsSync(c.reaches)).map((c) => c.name),
    [],
    'accepted cases without .reaches',
  );
  const strays = cases.filter((c) => fs.existsSync(c.reaches) && !accepted.includes(c)).map((c) => c.name);
  assert.equal(strays, [], 'rejected cases with .reaches probes');
});

for (const c of cases) {
  test(`corpus ${c.name}`, () => {
    const want = parseExpected(fs.readFileSync(c.expected, 'utf8'));
    const { result, work, out, before, beforeStamps } = runCorpusCase(c);
    try {
      assert.is(result.stderr, want.stderr, 'stderr');
      assert.is(result.code, want.code, 'exit code');
      assert.is(result.stdout, '', 'stdout');
      if (want.code !== 0) {
        const after = readTree(out);
        assert.equal([...after.keys()], [...before.keys()], 'output folder: same files');
        for (const [p, f] of before) {
          assert.ok(f.data.equals(after.get(p)!.data), `${p}: same bytes`);
          assert.is(after.get(p)!.mode, f.mode, `${p}: same mode`);
        }
        assert.equal(stamps(out), beforeStamps, 'output folder: same inodes and mtimes');
        assert.equal(fs.readdirSync(work).sort(), ['input.json', 'out'], 'nothing written beside out/');
      } else {
        const probes = JSON.parse(fs.readFileSync(c.reaches, 'utf8')) as Probe[];
        assert.ok(probes.length > 0, 'at least one probe');
        const problems = probes.flatMap((p) => checkProbe(p, out, work, { envAssignment, execLine }));
        assert.equal(problems, []);
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
}

test.run();
