/**
 * The command line: `phoenix-compile [options]`. Reads the config, runs the pipeline, prints
 * diagnostics, then writes the output atomically or (--check) reports drift.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile, CompileOutput } from './compile';
import { decodeConfig, loadConfig } from './load';
import { validateSchema } from './validate-schema';
import type { DiffSide } from './review-diff';
import { formatDiagnostic, hasErrors } from './diagnostics';
import { unifiedDiff } from './textdiff';
import { checkIsClean, checkOutput, MANIFEST, OutputLockedError, pendingSwap, writeOutput } from './write';

const ROOT = path.resolve(__dirname, '..', '..');
export const DEFAULT_CONFIG = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');

export class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

const HELP = `Usage: phoenix-compile [options]
       phoenix-compile explain CTID [--config PATH]
       phoenix-compile diff [--base REV] [--config PATH]
       phoenix-compile diff OLD.json NEW.json
       phoenix-compile migrate [--config PATH] [--write]

Compiles phoenix_lxc_configs.json into static, reviewable per-CTID artifacts.
\`explain CTID\` prints one CTID's effective configuration with the origin of every value, its
vLLM arguments, argv, unit environment, artifacts and notes.
\`diff\` compiles the config at a git revision (default HEAD, no checkout) and the working copy
(or two files) in memory and prints what changes in the generated files: exit 0 equal, 2
different, 1 error.
\`migrate\` rewrites the legacy flat vllm_* keys into vllm_engine_config; it prints the diff, and
with --write replaces the file (refusing while legacy values contradict each other).

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
  command: 'compile' | 'explain' | 'diff' | 'migrate';
  write?: boolean;
  ctid?: string;
  base?: string;
  files?: string[];
  config?: string;
  out: string;
  only?: string[];
  check: boolean;
  strict: boolean;
  help: boolean;
  version: boolean;
}

export function parseArgs(argv: string[]): Options {
  const o: Options = { command: 'compile', out: 'out', check: false, strict: false, help: false, version: false };
  if (argv[0] === 'diff') {
    o.command = 'diff';
    argv = argv.slice(1);
    const bi = argv.indexOf('--base');
    if (bi >= 0) {
      o.base = argv[bi + 1];
      if (o.base === undefined) throw new UsageError('--base needs a revision');
      argv = [...argv.slice(0, bi), ...argv.slice(bi + 2)];
    }
    const positional = argv.filter((a, i) => !a.startsWith('-') && (i === 0 || !['--config', '--out', '--only'].includes(argv[i - 1])));
    if (positional.length === 2) {
      if (o.base !== undefined) throw new UsageError('diff takes --base REV or two files, not both');
      o.files = positional;
      argv = argv.filter((a) => !positional.includes(a));
    } else if (positional.length !== 0) throw new UsageError('diff takes two config files, or none (with --base)');
  }
  if (argv[0] === 'migrate') {
    o.command = 'migrate';
    argv = argv.slice(1);
    if (argv.includes('--write')) {
      o.write = true;
      argv = argv.filter((a) => a !== '--write');
    }
  }
  if (argv[0] === 'explain') {
    o.command = 'explain';
    argv = argv.slice(1);
    const id = argv.find((a, i) => !a.startsWith('-') && (i === 0 || !['--config', '--out'].includes(argv[i - 1])));
    if (id === undefined || !/^[0-9]+$/.test(id)) throw new UsageError('explain needs a CTID');
    o.ctid = id;
    argv = argv.filter((a) => a !== id);
  }
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
  const input = readConfig(o, io);
  if (!input) return 1;
  const { file: shownConfig, text, path: configPath } = input;
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
    if (pendingSwap(outDir)) {
      io.err(`phoenix-compile: a previous run was killed while replacing ${toPosix(path.relative(io.cwd, outDir)) || '.'}; run \`${result.plan?.source.regenerate ?? 'npm run compile'}\` to finish it`);
      return 2;
    }
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
  let w: ReturnType<typeof writeOutput>;
  try {
    w = writeOutput(outDir, result.files, result.manifestText, keep);
  } catch (e) {
    if (!(e instanceof OutputLockedError)) throw e;
    io.err(`phoenix-compile: ${e.message}; nothing written`);
    return 1;
  }
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
  if (o.command === 'explain') return runExplain(o, io);
  if (o.command === 'diff') return runDiff(o, io);
  if (o.command === 'migrate') return runMigrate(o, io);
  return runCompile(o, io);
}

// The subcommands' modules load only when used: the compile path stays lean.
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  explain: () => require('./explain') as typeof import('./explain'),
  diff: () => require('./review-diff') as typeof import('./review-diff'),
  migrate: () => require('./migrate') as typeof import('./migrate'),
};

function runExplain(o: Options, io: Io): number {
  const input = readConfig(o, io);
  if (!input) return 1;
  const outDir = path.resolve(io.cwd, o.out);
  const result = compile({ ...input, source: sourceNames(input.path, outDir, o), compiler: compilerInfo(), only: [o.ctid!] });
  if (!result.resolved?.has(o.ctid!)) {
    for (const d of result.diagnostics) io.err(formatDiagnostic(d));
    io.err(`phoenix-compile: cannot explain CTID ${o.ctid}: the config has errors for it`);
    return 1;
  }
  io.out(lazy.explain().explainText(result, o.ctid!, toPosix(path.relative(io.cwd, outDir)) || '.'));
  return result.ok ? 0 : 1;
}

function runDiff(o: Options, io: Io): number {
  let base: DiffSide;
  let head: DiffSide;
  const read = (file: string, label: string): DiffSide | undefined => {
    try {
      return { label, file, text: fs.readFileSync(path.resolve(io.cwd, file), 'utf8') };
    } catch (e) {
      io.err(`phoenix-compile diff: cannot read ${label} config ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
      return undefined;
    }
  };
  if (o.files) {
    const a = read(o.files[0], 'old');
    const b = read(o.files[1], 'new');
    if (!a || !b) return 1;
    [base, head] = [a, b];
  } else {
    const file = o.config ?? toPosix(path.relative(io.cwd, DEFAULT_CONFIG));
    const rev = o.base ?? 'HEAD';
    const atRev = lazy.diff().readAtRevision(io.cwd, rev, file);
    if ('error' in atRev) {
      io.err(`phoenix-compile diff: cannot read ${file} at base ${rev}: ${atRev.error}`);
      return 1;
    }
    const b = read(file, 'working copy');
    if (!b) return 1;
    [base, head] = [{ label: `base ${rev}`, file: `${rev}:${file}`, text: atRev.text }, b];
  }
  const outDir = path.resolve(io.cwd, o.out);
  const names = sourceNames(path.resolve(io.cwd, o.files ? o.files[1] : (o.config ?? DEFAULT_CONFIG)), outDir, o);
  const report = lazy.diff().diffOutputs(base, head, (side) => compile({ file: side.file, text: side.text, source: names, compiler: compilerInfo(), ...(o.only ? { only: o.only } : {}) }));
  for (const e of report.errors) io.err(e);
  if (report.text) io.out(report.text.trimEnd());
  return report.code;
}

function runMigrate(o: Options, io: Io): number {
  const input = readConfig(o, io);
  if (!input) return 1;
  const loaded = loadConfig(input.file, input.text);
  const schemaDiags = loaded.ok ? validateSchema(loaded.config) : loaded.diagnostics;
  if (!loaded.ok || hasErrors(schemaDiags)) {
    for (const d of schemaDiags) io.err(formatDiagnostic(d));
    io.err('phoenix-compile migrate: fix these errors first; nothing written');
    return 1;
  }
  const m = lazy.migrate().migrateText(loaded.config);
  if (m.diagnostics.length) {
    for (const d of m.diagnostics) io.err(formatDiagnostic(d));
    io.err('phoenix-compile migrate: refusing while legacy values contradict each other; nothing written');
    return 1;
  }
  if (m.migrated.length === 0) {
    io.err('phoenix-compile migrate: no legacy vllm_* keys; nothing to do');
    return 0;
  }
  // The migrated file must compile to the same argv as the original, CTID by CTID.
  const outDir = path.resolve(io.cwd, o.out);
  const names = sourceNames(input.path, outDir, o);
  for (const ctid of m.migrated) {
    const argvOf = (text: string) => {
      const r = compile({ file: input.file, text, source: names, compiler: compilerInfo(), only: [ctid] });
      return r.ok ? r.files.find((f) => f.path === `${ctid}/vllm.argv.json`)?.content ?? '' : undefined;
    };
    const before = argvOf(input.text);
    const after = argvOf(m.text);
    if (before !== undefined && before !== after) {
      io.err(`phoenix-compile migrate: CTID ${ctid} would compile to a different argv after migration; nothing written`);
      io.err(unifiedDiff('before', 'after', before, after ?? ''));
      return 1;
    }
  }
  if (!o.write) {
    io.out(unifiedDiff(`a/${input.file}`, `b/${input.file}`, input.text, m.text).trimEnd());
    io.err(`phoenix-compile migrate: would migrate CTID ${m.migrated.join(', ')}; run with --write to apply`);
    return 0;
  }
  const tmp = `${input.path}.phx-migrate-${process.pid}`;
  fs.writeFileSync(tmp, m.text, { mode: fs.statSync(input.path).mode & 0o777 });
  fs.renameSync(tmp, input.path);
  io.err(`phoenix-compile migrate: migrated CTID ${m.migrated.join(', ')} in ${input.file}`);
  return 0;
}

function readConfig(o: Options, io: Io): { file: string; text: string; path: string } | undefined {
  const configPath = path.resolve(io.cwd, o.config ?? DEFAULT_CONFIG);
  const shownConfig = o.config ?? toPosix(path.relative(io.cwd, DEFAULT_CONFIG));
  try {
    const decoded = decodeConfig(shownConfig, fs.readFileSync(configPath));
    if (!decoded.ok) {
      for (const d of decoded.diagnostics) io.err(formatDiagnostic(d));
      io.err('phoenix-compile: 1 error(s); nothing written');
      return undefined;
    }
    return { file: shownConfig, text: decoded.text, path: configPath };
  } catch (e) {
    io.err(`phoenix-compile: cannot read config file ${shownConfig}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
}
