/**
 * `npm run golden:update [-- CASE...]`: regenerates the expected files of golden cases from the
 * current compiler. Run it on purpose, then review the diff before committing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { listCases, runCase } from './cases';

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
