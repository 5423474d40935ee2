/**
 * The command line: `phoenix-compile [options]`. Reads the config, runs the pipeline, prints
 * diagnostics, then writes the output atomically or (--check) reports drift.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile, CompileOutput } from './compile';
import { formatDiagnostic, hasErrors } from './diagnostics';
import { unifiedDiff } from './textdiff';
import { checkIsClean, checkOutput, MANIFEST, writeOutput } from './write';

const ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_CONFIG = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');

export class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

const HELP = `Usage: phoenix-compile [options]

Compiles phoenix_lxc_configs.json into static, reviewable per-CTID artifacts.

Options:
  --config PATH     config file (default: the bundled example fixtures/phoenix_lxc_configs.json)
  --out DIR         output folder (default: out)
  --only CTID[,..]  only these CTIDs (and their clone ancestors); problems elsewhere do not block
  --check           write nothing; exit 2 and show diffs when the output folder is not up to date
  --strict          treat warnings as errors
  -h, --help        this text
  -v, --version     the compiler's version

Exit codes: 0 success, 1 invalid input or usage (nothing written), 2 --check found drift.
`;

export function compilerInfo(): { name: string; version: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pkg = require(path.join(ROOT, 'package.json')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

interface Options {
  config?: string;
  out: string;
  only?: string[];
  check: boolean;
  strict: boolean;
  help: boolean;
  version: boolean;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { out: 'out', check: false, strict: false, help: false, version: false };
  const value = (i: number, name: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const [name, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const take = () => (inline !== undefined ? inline : value(i++, name));
    switch (name) {
      case '--config':
        o.config = take();
        break;
      case '--out':
        o.out = take();
        break;
      case '--only': {
        const ids = take().split(',').map((s) => s.trim()).filter(Boolean);
        for (const id of ids) if (!/^[0-9]+$/.test(id)) throw new UsageError(`--only takes CTIDs separated by commas, not ${JSON.stringify(id)}`);
        o.only = [...(o.only ?? []), ...ids];
        break;
      }
      case '--check':
        o.check = true;
        break;
      case '--strict':
        o.strict = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-v':
      case '--version':
        o.version = true;
        break;
      default:
        throw new UsageError(a.startsWith('-') ? `unknown option ${a}` : `unexpected argument ${JSON.stringify(a)}`);
    }
  }
  return o;
}

/** Names in headers are relative to the output folder's parent (usually the repository root). */
function sourceNames(configPath: string, outDir: string, o: Options): { file: string; regenerate: string } {
  const base = path.dirname(path.resolve(outDir));
  const relConfig = toPosix(path.relative(base, path.resolve(configPath)));
  const relOut = toPosix(path.relative(base, path.resolve(outDir))) || '.';
  const parts = ['phoenix-compile'];
  if (o.config !== undefined) parts.push('--config', relConfig);
  parts.push('--out', relOut);
  if (o.only) parts.push('--only', o.only.join(','));
  return { file: relConfig, regenerate: o.config === undefined && relOut === 'out' && !o.only ? 'npm run compile' : parts.join(' ') };
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

export function runCompile(o: Options, io: Io): number {
  const configPath = path.resolve(io.cwd, o.config ?? DEFAULT_CONFIG);
  const shownConfig = o.config ?? toPosix(path.relative(io.cwd, DEFAULT_CONFIG));
  let text: string;
  try {
    text = fs.readFileSync(configPath, 'utf8');
  } catch (e) {
    io.err(`phoenix-compile: cannot read config file ${shownConfig}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return 1;
  }
  const outDir = path.resolve(io.cwd, o.out);
  const result: CompileOutput = compile({
    file: shownConfig,
    text,
    source: sourceNames(configPath, outDir, o),
    compiler: compilerInfo(),
    ...(o.only ? { only: o.only } : {}),
  });
  for (const d of result.diagnostics) io.err(formatDiagnostic(d));
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning').length;
  if (!result.ok || hasErrors(result.diagnostics) || (o.strict && warnings > 0)) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`phoenix-compile: ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}${o.strict && warnings ? ' (--strict)' : ''}; nothing written`);
    return 1;
  }
  // With --only, the other CTIDs' files stay as they are.
  const selected = new Set(result.selected);
  const keep = o.only ? (p: string) => p !== MANIFEST && !selected.has(p.split('/')[0]) && /^[0-9]+\//.test(p) : undefined;

  if (o.check) {
    const r = checkOutput(outDir, result.files, result.manifestText, keep);
    const rel = (p: string) => toPosix(path.relative(io.cwd, path.join(outDir, p)));
    for (const s of r.stale) io.out(unifiedDiff(`a/${rel(s.path)}`, `b/${rel(s.path)}`, s.current, s.expected).trimEnd());
    for (const p of r.handEdited) io.err(`edited by hand (sha256 differs from ${rel(MANIFEST)}): ${rel(p)}`);
    for (const s of r.stale) if (!r.handEdited.includes(s.path)) io.err(`stale: ${rel(s.path)}`);
    for (const p of r.added) io.err(`would be added: ${rel(p)}`);
    for (const p of r.removed) io.err(`would be removed: ${rel(p)}`);
    for (const p of r.modeWrong) io.err(`wrong file mode: ${rel(p)}`);
    for (const p of r.unowned) io.err(`note: not generated (not in the manifest), left alone: ${rel(p)}`);
    if (!checkIsClean(r)) {
      io.err(`phoenix-compile: ${toPosix(path.relative(io.cwd, outDir)) || '.'} is not up to date; run \`${result.plan?.source.regenerate ?? 'npm run compile'}\``);
      return 2;
    }
    io.err(`phoenix-compile: ${toPosix(path.relative(io.cwd, outDir)) || '.'} is up to date (${result.files.length + 1} files)`);
    return 0;
  }
  const w = writeOutput(outDir, result.files, result.manifestText, keep);
  const where = toPosix(path.relative(io.cwd, outDir)) || '.';
  if (w.written.length === 0 && w.removed.length === 0) io.err(`phoenix-compile: ${where} already up to date (${w.unchanged} files)`);
  else io.err(`phoenix-compile: ${where}: ${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged`);
  return 0;
}

export function main(argv: string[], io: Io): number {
  let o: Options;
  try {
    o = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`phoenix-compile: ${e.message}\nTry 'phoenix-compile --help'.`);
      return 1;
    }
    throw e;
  }
  if (o.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  if (o.version) {
    io.out(compilerInfo().version);
    return 0;
  }
  return runCompile(o, io);
}
