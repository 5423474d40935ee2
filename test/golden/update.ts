/**
 * `npm run golden:update [-- CASE...]`: regenerates the expected files of golden cases from the
 * current compiler. Run it on purpose, then review the diff before committing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { listCases, runCase } from './cases';
import { fallbackDiff, withSection } from '../lib/readme-example';
import { repoRoot } from '../lib/paths';

const only = process.argv.slice(2);
for (const c of listCases()) {
  if (only.length && !only.includes(c.name)) continue;
  const { result, out, work } = runCase(c);
  const expected = path.join(c.dir, 'expected');
  fs.rmSync(expected, { recursive: true, force: true });
  if (result.code === 0) fs.cpSync(out, expected, { recursive: true });
  fs.writeFileSync(path.join(c.dir, 'expected.stderr'), result.stderr);
  fs.writeFileSync(path.join(c.dir, 'expected.exit'), `${result.code}\n`);
  fs.rmSync(work, { recursive: true, force: true });
  console.log(`${c.name}: exit ${result.code}`);
}

// The README's "Reviewing a change" example is an output too.
const readmePath = path.join(repoRoot(), 'README.md');
const readme = fs.readFileSync(readmePath, 'utf8');
const updated = withSection(readme, fallbackDiff());
if (updated !== readme) {
  fs.writeFileSync(readmePath, updated);
  console.log('README.md: fallback-diff example updated');
}
