/**
 * Golden cases: test/golden/<case>/ holds
 *   input.json       the config (or `source`: a path, relative to the case, of the config to use)
 *   args             optional extra CLI arguments, one per line
 *   expected/        the exact output tree (for a successful compile)
 *   expected.stderr  what the compiler prints on stderr
 *   expected.exit    its exit code
 * A case runs in a fresh temporary folder as `phoenix-compile --config input.json --out out ARGS`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCli, RunResult } from '../lib/cli';
import { readTree, repoRoot, tmpDir } from '../lib/paths';

export const GOLDEN_DIR = path.join(repoRoot(), 'test', 'golden');

export interface GoldenCase {
  name: string;
  dir: string;
}

export function listCases(): GoldenCase[] {
  return fs
    .readdirSync(GOLDEN_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => ({ name: e.name, dir: path.join(GOLDEN_DIR, e.name) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export function caseInput(c: GoldenCase): Buffer {
  const direct = path.join(c.dir, 'input.json');
  if (fs.existsSync(direct)) return fs.readFileSync(direct);
  const source = fs.readFileSync(path.join(c.dir, 'source'), 'utf8').trim();
  return fs.readFileSync(path.resolve(c.dir, source));
}

export function caseArgs(c: GoldenCase): string[] {
  const p = path.join(c.dir, 'args');
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').filter((l) => l !== '') : [];
}

export interface CaseRun {
  result: RunResult;
  work: string;
  out: string;
}

/** Runs a case; `prepare` may put files in the output folder first. */
export function runCase(c: GoldenCase, prepare?: (out: string) => void): CaseRun {
  const work = tmpDir(`golden-${c.name}`);
  fs.writeFileSync(path.join(work, 'input.json'), caseInput(c));
  const out = path.join(work, 'out');
  if (prepare) prepare(out);
  const result = runCli(['--config', 'input.json', '--out', 'out', ...caseArgs(c)], work);
  return { result, work, out };
}

export function expectedTree(c: GoldenCase) {
  return readTree(path.join(c.dir, 'expected'));
}

export function expectedStderr(c: GoldenCase): string {
  return fs.readFileSync(path.join(c.dir, 'expected.stderr'), 'utf8');
}

export function expectedExit(c: GoldenCase): number {
  return Number(fs.readFileSync(path.join(c.dir, 'expected.exit'), 'utf8').trim());
}
