/**
 * `node dist/test/corpus/update.js [NAME...]` (after `npx tsc -p tsconfig.json`): rewrites the
 * <name>.expected file of every corpus case (or of the named ones) from the current compiler.
 * Run it on purpose, then review the diff before committing. The inputs (<name>.json) and the
 * probes (<name>.reaches) are written by hand and never touched here.
 */
import * as fs from 'fs';
import { listCorpus, renderExpected, runCorpusCase } from './run';

// Only when run as a program: `npx uvu dist/test corpus` also loads this file, and must not run it.
if (require.main === module) main(process.argv.slice(2));

function main(only: string[]): void {
  const cases = listCorpus().filter((c) => only.length === 0 || only.includes(c.name));
  const unknown = only.filter((n) => !cases.some((c) => c.name === n));
  if (unknown.length) {
    console.error(`no such corpus case: ${unknown.join(', ')}`);
    process.exit(2);
  }
  let changed = 0;
  for (const c of cases) {
    const { result, work } = runCorpusCase(c);
    fs.rmSync(work, { recursive: true, force: true });
    const text = renderExpected(result);
    const old = fs.existsSync(c.expected) ? fs.readFileSync(c.expected, 'utf8') : undefined;
    if (old !== text) {
      fs.writeFileSync(c.expected, text);
      changed++;
      console.log(`${c.name}: exit ${result.code} (${old === undefined ? 'new' : 'updated'})`);
    }
  }
  console.log(`${cases.length} corpus case(s), ${changed} .expected file(s) written`);
}
