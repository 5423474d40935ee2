/**
 * `phoenix-compile [options]`: compiles the config into the output folder (atomically), or with
 * `--check` reports drift without writing.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import * as path from 'path';
import { compile, CompileOutput } from '../compiler/compile';
import { hasErrors } from '../compiler/diagnostics';
import { MANIFEST } from '../compiler/write/manifest';
import { checkIsClean, checkOutput, OutputLockedError, pendingSwap, writeOutput } from '../compiler/write/output';
import { unifiedDiff } from '../compiler/util/textdiff';
import { COMMON_OPTIONS, parseCommand, parseOnly } from './args';
import { compilerInfo, Io, printDiagnostics, readConfig, shown, sourceNames, toPosix } from './context';

export const HELP = `Usage: phoenix-compile [options]
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
Each command has its own --help (phoenix-compile explain --help).

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

export interface CompileOptions {
  config?: string;
  out: string;
  only?: string[];
  check: boolean;
  strict: boolean;
  help: boolean;
  version: boolean;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  config: { type: 'string' },
  out: { type: 'string' },
  only: { type: 'string', multiple: true },
  check: { type: 'boolean' },
  strict: { type: 'boolean' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** @throws UsageError */
export function parseCompileArgs(argv: string[]): CompileOptions {
  const { values } = parseCommand(argv, OPTIONS, { max: 0 });
  const only = parseOnly(values.only);
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    out: values.out ?? 'out',
    ...(only ? { only } : {}),
    check: values.check ?? false,
    strict: values.strict ?? false,
    help: values.help ?? false,
    version: values.version ?? false,
  };
}

export function runCompile(o: CompileOptions, io: Io): number {
  if (o.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  if (o.version) {
    io.out(compilerInfo().version);
    return 0;
  }
  const input = readConfig(o, io);
  if (!input) return 1;
  const outDir = path.resolve(io.cwd, o.out);
  const result: CompileOutput = compile({
    file: input.file,
    text: input.text,
    source: sourceNames(input.path, outDir, o),
    compiler: compilerInfo(),
    ...(o.only ? { only: o.only } : {}),
  });
  printDiagnostics(io, result.diagnostics);
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning').length;
  if (!result.ok || hasErrors(result.diagnostics) || (o.strict && warnings > 0)) {
    const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
    io.err(`phoenix-compile: ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}${o.strict && warnings ? ' (--strict)' : ''}; nothing written`);
    return 1;
  }
  // With --only, the other CTIDs' files stay as they are.
  const selected = new Set(result.selected);
  const keep = o.only ? (p: string) => p !== MANIFEST && !selected.has(p.split('/')[0]) && /^[0-9]+\//.test(p) : undefined;
  const regenerate = result.plan?.source.regenerate ?? 'npm run compile';
  const where = shown(io, outDir);

  if (o.check) {
    if (pendingSwap(outDir)) {
      io.err(`phoenix-compile: a previous run was killed while replacing ${where}; run \`${regenerate}\` to finish it`);
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
      io.err(`phoenix-compile: ${where} is not up to date; run \`${regenerate}\``);
      return 2;
    }
    io.err(`phoenix-compile: ${where} is up to date (${result.files.length + 1} files)`);
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
  if (w.written.length === 0 && w.removed.length === 0) io.err(`phoenix-compile: ${where} already up to date (${w.unchanged} files)`);
  else io.err(`phoenix-compile: ${where}: ${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged`);
  return 0;
}
