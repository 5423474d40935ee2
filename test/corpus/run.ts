/**
 * The bad-input corpus (test/corpus/README.md): how a case runs, and how its files are read.
 * Shared by test/corpus.test.ts and the update command (test/corpus/update.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { runCli, RunResult } from '../lib/cli';
import { copyTree, readTree, repoRoot, tmpDir } from '../lib/paths';

export const CORPUS_DIR = path.join(repoRoot(), 'test', 'corpus');

export interface CorpusCase {
  name: string;
  /** <name>.json: the config, byte for byte (it may be invalid JSON or invalid UTF-8). */
  input: string;
  /** <name>.expected: `exit N`, then the exact stderr. */
  expected: string;
  /** <name>.reaches: for accepted cases, where each hostile value must arrive byte-exact. */
  reaches: string;
}

export function listCorpus(): CorpusCase[] {
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort()
    .map((name) => ({
      name,
      input: path.join(CORPUS_DIR, `${name}.json`),
      expected: path.join(CORPUS_DIR, `${name}.expected`),
      reaches: path.join(CORPUS_DIR, `${name}.reaches`),
    }));
}

export function renderExpected(r: RunResult): string {
  return `exit ${r.code}\n${r.stderr}`;
}

export function parseExpected(text: string): { code: number; stderr: string } {
  const nl = text.indexOf('\n');
  const m = /^exit (\d+)$/.exec(nl < 0 ? text : text.slice(0, nl));
  if (!m) throw new Error('the first line of a .expected file must be `exit N`');
  return { code: Number(m[1]), stderr: nl < 0 ? '' : text.slice(nl + 1) };
}

/** Identity and timestamps of every file and folder below dir (dir included). */
export function stamps(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    const p = path.join(dir, rel);
    const s = fs.statSync(p);
    out.set(rel || '.', `${s.isDirectory() ? 'dir' : 'file'} ino=${s.ino} mtime=${s.mtimeMs} size=${s.size} mode=${(s.mode & 0o7777).toString(8)}`);
    if (s.isDirectory()) for (const e of fs.readdirSync(p).sort()) walk(rel ? `${rel}/${e}` : e);
  };
  walk('');
  return out;
}

let previous: string | undefined;
/** An output folder holding a previous good compile (the example), made once per process. */
function previousOut(): string {
  if (previous) return previous;
  const w = tmpDir('corpus-previous');
  fs.copyFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), path.join(w, 'input.json'));
  const r = runCli(['--config', 'input.json', '--out', 'out'], w);
  if (r.code !== 0) throw new Error(`the example does not compile:\n${r.stderr}`);
  previous = path.join(w, 'out');
  process.on('exit', () => fs.rmSync(w, { recursive: true, force: true }));
  return previous;
}

export interface CaseRun {
  result: RunResult;
  work: string;
  out: string;
  before: ReturnType<typeof readTree>;
  beforeStamps: Map<string, string>;
}

/** Runs `phoenix-compile --config input.json --out out` in a fresh folder whose out/ holds a previous good compile. */
export function runCorpusCase(c: CorpusCase): CaseRun {
  const work = tmpDir(`corpus-${c.name}`);
  fs.copyFileSync(c.input, path.join(work, 'input.json'));
  const out = path.join(work, 'out');
  copyTree(previousOut(), out);
  const before = readTree(out);
  const beforeStamps = stamps(out);
  const result = runCli(['--config', 'input.json', '--out', 'out'], work);
  return { result, work, out, before, beforeStamps };
}

// ---------------------------------------------------------------------------------------------
// Probes: where an accepted hostile value must arrive.

export type Probe =
  /** One item of out/<ctid>/vllm.argv.json: `value` right after `after` (or `after=value`), else anywhere. */
  | { argv: string; after?: string; value: string }
  /**
   * The one line of `file` starting (after indentation) with `prefix`: its text after `from`
   * (default: after `prefix`), run through bash as printf arguments, has `value` as word `word`.
   */
  | { bash: string; prefix: string; from?: string; word: number; value: string }
  /** The lines between `start` and `)` of `file` (a bash array), run through bash: exactly `values`. */
  | { bashArray: string; start: string; values: string[] }
  /**
   * out/<ctid>/vllm_model_server.service sets `name` to `value` (Environment= as the proven encoder
   * writes it). (Raw LXC lines are probed as create.sh's LXC_LINES array; create-run.test.ts runs
   * create.sh and reads what it wrote with Proxmox's parser, a hostile value among the lines.)
   */
  | { env: string; name: string; value: string };

/** The environment generated bash is evaluated with. */
const BASH_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', LC_ALL: 'C.UTF-8', CTID: '921', SCRIPTS_DIR: '/scripts', HERE: '/here' };

/** Evaluates `words` (generated bash text) as printf arguments; returns what bash made of them. */
export function bashWords(words: string, cwd: string): string[] {
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `printf '%s\\0' ${words}`], { cwd, encoding: 'utf8', env: BASH_ENV });
  if (r.status !== 0) throw new Error(`bash failed on ${JSON.stringify(words)}: ${r.stderr}`);
  const parts = r.stdout.split('\0');
  parts.pop();
  return parts;
}

function fileText(out: string, rel: string): string {
  return fs.readFileSync(path.join(out, rel), 'utf8');
}

/** Checks one probe against the output folder; returns the problems (empty when it holds). */
export function checkProbe(p: Probe, out: string, work: string, encode: { envAssignment(n: string, v: string): string; execLine(a: readonly string[]): string }): string[] {
  if ('argv' in p) {
    const argv = JSON.parse(fileText(out, `${p.argv}/vllm.argv.json`)) as string[];
    const problems: string[] = [];
    const unit = fileText(out, `${p.argv}/vllm_model_server.service`);
    if (!unit.split('\n').includes(`ExecStart=${encode.execLine(argv)}`)) problems.push(`${p.argv}/vllm_model_server.service: ExecStart= is not the encoding of vllm.argv.json`);
    const found = p.after === undefined ? argv.includes(p.value) : argv.some((a, i) => (a === p.after && argv[i + 1] === p.value) || a === `${p.after}=${p.value}`);
    if (!found) problems.push(`${p.argv}/vllm.argv.json lacks ${p.after ? `${p.after} ` : ''}${JSON.stringify(p.value)}: ${JSON.stringify(argv)}`);
    return problems;
  }
  if ('bash' in p) {
    const lines = fileText(out, p.bash).split('\n').filter((l) => l.trimStart().startsWith(p.prefix));
    if (lines.length !== 1) return [`${p.bash}: ${lines.length} lines start with ${JSON.stringify(p.prefix)}`];
    const from = p.from ?? p.prefix;
    if (!p.prefix.startsWith(from)) return [`${p.bash}: "from" must be the start of "prefix"`];
    const words = bashWords(lines[0].trimStart().slice(from.length), work);
    return words[p.word] === p.value ? [] : [`${p.bash}: word ${p.word} after ${JSON.stringify(p.prefix)} is ${JSON.stringify(words[p.word])}, want ${JSON.stringify(p.value)} (line ${JSON.stringify(lines[0])})`];
  }
  if ('bashArray' in p) {
    const lines = fileText(out, p.bashArray).split('\n');
    const start = lines.findIndex((l) => l.trim() === p.start);
    const end = lines.findIndex((l, i) => i > start && l.trim() === ')');
    if (start < 0 || end < 0) return [`${p.bashArray}: no ${p.start} ... ) block`];
    const words = bashWords(lines.slice(start + 1, end).join(' '), work);
    return JSON.stringify(words) === JSON.stringify(p.values) ? [] : [`${p.bashArray}: ${p.start} holds ${JSON.stringify(words)}, want ${JSON.stringify(p.values)}`];
  }
  const want = `Environment=${encode.envAssignment(p.name, p.value)}`;
  return fileText(out, `${p.env}/vllm_model_server.service`).split('\n').includes(want) ? [] : [`${p.env}/vllm_model_server.service lacks the line ${JSON.stringify(want)}`];
}
