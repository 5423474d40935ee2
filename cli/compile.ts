/**
 * `phoenix-compile [options]`: compiles the config into the output folder (atomically), or with
 * `--check` reports drift without writing.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import * as path from 'path';
import { compilePlan, emitFiles, encodeFailure, PlannedCompile } from '../compiler/compile';
import { hasErrors } from '../compiler/diagnostics';
import { EncodeError } from '../encode/text';
import { MANIFEST } from '../compiler/write/manifest';
import { checkIsClean, openCheck, openOutput, OutputLockedError, OutputWriter, pendingSwap, WriteResult } from '../compiler/write/output';
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
  const compiler = compilerInfo();
  const result: PlannedCompile = compilePlan({
    file: input.file,
    text: input.text,
    source: sourceNames(input.path, outDir, o),
    compiler,
    ...(o.only ? { only: o.only } : {}),
  });
  printDiagnostics(io, result.diagnostics);
  const warnings = result.diagnostics.filter((d) => d.severity === 'warning').length;
  const failed = (errors: number) => {
    io.err(`phoenix-compile: ${errors} error(s)${warnings ? `, ${warnings} warning(s)` : ''}${o.strict && warnings ? ' (--strict)' : ''}; nothing written`);
    return 1;
  };
  if (!result.ok || !result.plan || hasErrors(result.diagnostics) || (o.strict && warnings > 0)) {
    return failed(result.diagnostics.filter((d) => d.severity === 'error').length);
  }
  const plan = result.plan;
  // With --only, the other CTIDs' files stay as they are.
  const selected = new Set(result.selected);
  const keep = o.only ? (p: string) => p !== MANIFEST && !selected.has(p.split('/')[0]) && /^[0-9]+\//.test(p) : undefined;
  const regenerate = plan.source.regenerate ?? 'npm run compile';
  const where = shown(io, outDir);
  /** The files go from the emitters to the folder one container at a time (compiler/compile.ts). */
  const emit = (sink: Parameters<typeof emitFiles>[2]): string | undefined => {
    try {
      return emitFiles(plan, compiler, sink);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      printDiagnostics(io, [encodeFailure(e, input.file)]);
      return undefined;
    }
  };

  if (o.check) {
    if (pendingSwap(outDir)) {
      io.err(`phoenix-compile: a previous run was killed while replacing ${where}; run \`${regenerate}\` to finish it`);
      return 2;
    }
    const rel = (p: string) => toPosix(path.relative(io.cwd, path.join(outDir, p)));
    // The diff library loads only when a file differs.
    let diff: typeof import('../compiler/util/textdiff') | undefined;
    const check = openCheck(outDir, keep ?? (() => false), (s) => {
      diff ??= require('../compiler/util/textdiff') as typeof import('../compiler/util/textdiff');
      io.out(diff.unifiedDiff(`a/${rel(s.path)}`, `b/${rel(s.path)}`, s.current, s.expected).trimEnd());
    });
    let files = 0;
    const manifestText = emit((f, bytes) => {
      files++;
      check.add(f, bytes);
    });
    if (manifestText === undefined) return failed(1);
    const r = check.finish(manifestText);
    const handEdited = new Set(r.handEdited);
    for (const p of r.handEdited) io.err(`edited by hand (sha256 differs from ${rel(MANIFEST)}): ${rel(p)}`);
    for (const p of r.stale) if (!handEdited.has(p)) io.err(`stale: ${rel(p)}`);
    for (const p of r.added) io.err(`would be added: ${rel(p)}`);
    for (const p of r.removed) io.err(`would be removed: ${rel(p)}`);
    for (const p of r.modeWrong) io.err(`wrong file mode: ${rel(p)}`);
    for (const p of r.unowned) io.err(`note: not generated (not in the manifest), left alone: ${rel(p)}`);
    if (!checkIsClean(r)) {
      io.err(`phoenix-compile: ${where} is not up to date; run \`${regenerate}\``);
      return 2;
    }
    io.err(`phoenix-compile: ${where} is up to date (${files + 1} files)`);
    return 0;
  }
  let writer: OutputWriter;
  try {
    writer = openOutput(outDir, keep);
  } catch (e) {
    if (!(e instanceof OutputLockedError)) throw e;
    io.err(`phoenix-compile: ${e.message}; nothing written`);
    return 1;
  }
  let w: WriteResult;
  try {
    const manifestText = emit((f, bytes, sha) => writer.add(f, bytes, sha));
    if (manifestText === undefined) {
      writer.abort();
      return failed(1);
    }
    w = writer.finish(manifestText);
  } catch (e) {
    writer.abort();
    throw e;
  }
  if (w.written.length === 0 && w.removed.length === 0) io.err(`phoenix-compile: ${where} already up to date (${w.unchanged} files)`);
  else io.err(`phoenix-compile: ${where}: ${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged`);
  return 0;
}
