/**
 * `phoenix-compile [options]`: compiles the config into the output folder (atomically), or with
 * `--check` reports drift without writing.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import fs = require('fs');
import path = require('path');
import { CompileInput, compileChecked, emitFiles, isContainerFile } from '../compiler/compile';
import { Manifest, MANIFEST, modeText, OutputFile, sha256 } from '../compiler/write/manifest';
import {
  checkIsClean,
  openCheck,
  openOutput,
  OutputLockedError,
  pendingSwap,
  readManifest,
  StaleFile,
  StaleKind,
  verifyOutput,
  writeInProgress,
  WriteResult,
} from '../compiler/write/output';
import { CompileRecord, readRecord, recordDir, recordKey, touchRecord, writeRecord } from '../compiler/write/record';
import type { Diagnostic } from '../compiler/diagnostics';
import { fsErrorText, isFsError, OutputPathError, OutsideOut, prepareOutputPath } from '../compiler/write/target';
import { COMMON_OPTIONS, OUTPUT_OPTIONS, parseCommand, parseOnly, parseStyle, UsageError } from './args';
import { heapKeeper } from './heap';
import { compilerBuild, compilerInfo, Io, readConfig, shown, sourceNames, toPosix } from './context';
import { Finding, fromDiagnostic, githubVerbatim, OutputStyle, report } from './report';

export const HELP = `Usage: phoenix-compile [options]
       phoenix-compile explain CTID [--config PATH]
       phoenix-compile diff [--base REV] [--config PATH]
       phoenix-compile diff OLD.json NEW.json
       phoenix-compile migrate [--config PATH] [--secrets-dir DIR] [--write]
       phoenix-compile schema [--path]

Compiles phoenix_lxc_configs.json into static, reviewable per-CTID artifacts in out/.
\`explain CTID\` prints one CTID's effective configuration with the origin of every value, its
vLLM arguments, argv, unit environment, artifacts and notes.
\`diff\` compiles the config at a git revision (default HEAD, no checkout) and the working copy
(or two files) in memory and prints what changes in the generated files: exit 0 equal, 2
different, 1 error.
\`migrate\` rewrites the legacy flat vllm_* keys into vllm_engine_config; it prints the diff, and
with --write replaces the file (refusing while legacy values contradict each other).
\`schema\` prints the config's JSON Schema (for editors).
Each command has its own --help (phoenix-compile explain --help).

Options:
  --config PATH     the config (default: ./phoenix_lxc_configs.json; inside the phoenix-compile
                    repository, the bundled example fixtures/phoenix_lxc_configs.json)
  --out DIR         output folder (default: out; a missing parent folder is created)
  --only CTID[,..]  write only these CTIDs' files (their clone ancestors are checked too); the
                    other CTIDs' files stay as they are, manifest.json, FLEET.md and phoenix keep
                    every CTID; problems in other CTIDs do not block it
  --check           write nothing; exit 2 and show diffs when the output folder is not up to date
  --strict          treat warnings as errors
  --force           write into an output folder compiled from another config, or not written by
                    phoenix-compile (it is replaced, except files its manifest does not own)
  -q, --quiet       print errors only
  --format FORMAT   text (default), json (one object per line on stdout) or github (workflow
                    annotations on stdout)
  -h, --help        this text
  -v, --version     the compiler's version

Diagnostics are printed notes and warnings first, errors last, then one summary line
(\`phoenix-compile: 2 errors, 1 warning; nothing written\`); in colour on a terminal unless
NO_COLOR is set.

Exit codes: 0 success, 1 invalid input or usage (nothing written), 2 --check found drift.
`;

/** How far the heap may grow past what was live while a large fleet is emitted (cli/heap.ts): 96 MiB. */
const HEAP_SLACK = 96 * 1024 * 1024;

export interface CompileOptions {
  config?: string;
  out: string;
  only?: string[];
  check: boolean;
  strict: boolean;
  force: boolean;
  style: OutputStyle;
  help: boolean;
  version: boolean;
}

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...OUTPUT_OPTIONS,
  config: { type: 'string' },
  out: { type: 'string' },
  only: { type: 'string', multiple: true },
  check: { type: 'boolean' },
  strict: { type: 'boolean' },
  force: { type: 'boolean' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** @throws UsageError */
export function parseCompileArgs(argv: string[]): CompileOptions {
  const { values } = parseCommand(argv, OPTIONS, { max: 0 });
  const only = parseOnly(values.only);
  if (values.force && values.check) throw new UsageError('--force writes; --check writes nothing: use one of them');
  if (values.out === '') throw new UsageError('--out needs a folder name (an empty one would be the current folder)');
  return {
    ...(values.config !== undefined ? { config: values.config } : {}),
    out: values.out ?? 'out',
    ...(only ? { only } : {}),
    check: values.check ?? false,
    strict: values.strict ?? false,
    force: values.force ?? false,
    style: parseStyle(values),
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
  const style = o.style;
  const input = readConfig(o, io, style);
  if (!input) return 1;
  const outDir = path.resolve(io.cwd, o.out);
  const where = shown(io, outDir);
  const outside: OutsideOut = { cwd: path.resolve(io.cwd), config: path.resolve(io.cwd, input.path) };
  const source = sourceNames(input.path, outDir);
  const previous = o.only ? existingEntries(outDir) : undefined;
  const compileInput: CompileInput = {
    file: input.file,
    text: input.text,
    source,
    compiler: compilerInfo(),
    ...(o.only ? { only: o.only, previous } : {}),
  };
  // A compile of this very input ran here before (compiler/write/record.ts): when out/ holds
  // exactly what it wrote, that is the answer, without compiling again.
  const record = o.only ? undefined : recordFor(compileInput);
  const known = record?.record;
  if (known) {
    const refused = refusedByDiagnostics(io, o, known.diagnostics);
    if (refused !== undefined) return refused;
    const exit = upToDate(io, o, { outDir, where, outside, manifestSha256: known.manifestSha256, findings: known.diagnostics.map(fromDiagnostic) });
    if (exit !== undefined) {
      touchRecord(record.dir, record.key);
      return exit;
    }
  }
  const checked = compileChecked(compileInput);
  const refused = refusedByDiagnostics(io, o, checked.diagnostics);
  if (refused !== undefined || !checked.ok) return refused ?? 1;
  // What is printed: the compile's diagnostics (the checks' now, all of them once emitted: the GPU
  // budget needs the plan), then what this run found about the output folder.
  let diagnostics = checked.diagnostics;
  const found: Finding[] = [];
  const findings = () => [...diagnostics.map(fromDiagnostic), ...found];
  if (o.only && !checked.fleetFiles) {
    const n = checked.blockedBy.length;
    const fleetWide = Object.keys(previous?.files ?? {})
      .filter((p) => !isContainerFile(p))
      .map((p) => `${where}/${p}`);
    const what = fleetWide.length
      ? `${fleetWide.join(', ')} ${fleetWide.length === 1 ? 'is' : 'are'} left as ${fleetWide.length === 1 ? 'it is' : 'they are'}`
      : 'the fleet-wide files (FLEET.md, phoenix) are not written';
    found.push({
      severity: 'note',
      message: `${what}: CTID ${checked.blockedBy.join(', ')}, outside --only, ${n === 1 ? 'has' : 'have'} errors (a compile without --only lists them)`,
    });
  }
  // With --only, the files the compile did not produce stay as they are.
  const selected = new Set(checked.selected);
  const keep = o.only ? (p: string) => p !== MANIFEST && (isContainerFile(p) ? !selected.has(p.split('/')[0]) : !checked.fleetFiles) : undefined;
  const regenerate = source.regenerate;
  /**
   * Plans and emits once, streaming each file to `sink` (each container's plan is let go once its
   * files are out). Returns the emission, or the exit code when its diagnostics refuse the compile
   * (the GPU budget's, known at the end; printed here).
   */
  const emit = (
    sink: (f: OutputFile, bytes: Buffer, sha: string) => void,
  ): Exclude<ReturnType<typeof emitFiles>, { ok: true }> | { ok: true; manifestText: string; files: number } | number => {
    const heap = heapKeeper(HEAP_SLACK);
    const e = emitFiles(
      checked,
      compileInput,
      (f, bytes, sha) => {
        sink(f, bytes, sha);
        heap.tick();
      },
      false,
      () => heap.settle(),
    );
    if (!e.ok) return e;
    const late = refusedByDiagnostics(io, o, e.diagnostics);
    if (late !== undefined) return late;
    diagnostics = e.diagnostics;
    if (record) writeRecord(record.dir, record.key, { manifestSha256: sha256(e.manifestText), diagnostics });
    return e;
  };

  if (o.check)
    return runCheck(io, style, found, findings, { outDir, where, outside, regenerate, emit, keep, configFile: source.file, configShown: input.file });

  let w: WriteResult;
  try {
    prepareOutputPath(outDir, where, true, outside);
    const writer = openOutput(outDir, keep);
    const other = otherConfig(writer.previous, where, source.file);
    if (other && !o.force) {
      writer.abort();
      found.push({ ...other, message: `${other.message}; nothing is replaced without --force` });
      report(io, style, findings(), 'nothing written');
      return 1;
    }
    let emitted: ReturnType<typeof emit>;
    try {
      emitted = emit((f, bytes, sha) => writer.add(f, bytes, sha));
    } catch (e) {
      writer.abort();
      throw e;
    }
    if (typeof emitted === 'number') {
      writer.abort();
      return emitted;
    }
    const foreign = inTheWay(writer.foreign(), where, writer.previous !== undefined);
    if (!emitted.ok || (foreign && !o.force)) {
      writer.abort();
      if (!emitted.ok) found.push(...emitted.diagnostics.filter((d) => d.code === 'PHX019').map(fromDiagnostic));
      else found.push({ ...foreign!, message: `${foreign!.message}; nothing is replaced without --force` });
      report(io, style, findings(), 'nothing written');
      return 1;
    }
    w = writer.finish(emitted.manifestText);
  } catch (e) {
    if (e instanceof OutputLockedError) found.push({ severity: 'error', message: e.message });
    else if (e instanceof OutputPathError) found.push({ severity: 'error', code: 'PHX210', file: where, message: e.message });
    else if (isFsError(e))
      found.push({
        severity: 'error',
        code: 'PHX210',
        file: where,
        message: `cannot write ${where}: ${fsErrorText(e)}${e.path ? ` at ${shown(io, e.path)}` : ''}`,
      });
    else throw e;
    report(io, style, findings(), 'nothing written');
    return 1;
  }
  const outcome =
    w.written.length === 0 && w.removed.length === 0
      ? `${where} already up to date (${w.unchanged} files)`
      : `${where}: ${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged`;
  report(io, style, findings(), outcome, false);
  return 0;
}

/**
 * The manifest of the output folder as --only carries it over: only entries whose file is
 * still there (a file deleted by hand is no longer owned).
 */
function existingEntries(outDir: string): Manifest | undefined {
  const m = readManifest(outDir);
  if (!m) return undefined;
  const files: Manifest['files'] = {};
  for (const [p, e] of Object.entries(m.files)) if (fs.existsSync(path.join(outDir, p))) files[p] = e;
  return { ...m, files };
}

/**
 * PHX208: the output folder's manifest (`previous`) says it was compiled from another config than
 * `configFile` (both relative to the folder that holds it); writing would clobber what is not ours.
 */
function otherConfig(previous: Manifest | undefined, where: string, configFile: string): Finding | undefined {
  const from = previous?.input?.file;
  if (typeof from !== 'string' || from === configFile) return undefined;
  return {
    severity: 'error',
    code: 'PHX208',
    file: `${where}/${MANIFEST}`,
    message: `${where} was compiled from ${from}, not from ${configFile} (both relative to the folder that holds ${where})`,
  };
}

/**
 * PHX209: files at the paths the compile writes that the manifest does not own (`foreign`,
 * write/output.ts OutputWriter.foreign: a folder phoenix-compile did not write, or a file put
 * there by hand).
 */
function inTheWay(foreign: string[], where: string, hasManifest: boolean): Finding | undefined {
  if (foreign.length === 0) return undefined;
  const named = foreign.slice(0, 5).map((p) => `${where}/${p}`);
  const more = foreign.length > 5 ? ` and ${foreign.length - 5} more` : '';
  return {
    severity: 'error',
    code: 'PHX209',
    file: `${where}/${foreign[0]}`,
    message: `${named.join(', ')}${more} ${foreign.length === 1 ? 'is' : 'are'} in the way: not written by phoenix-compile (${hasManifest ? `not in ${where}/${MANIFEST}` : `${where} has no phoenix-compile ${MANIFEST}`})`,
  };
}

/**
 * The compile record of this input (compiler/write/record.ts): where it is kept, its key and,
 * when a compile of the same input ran here before, what it produced. undefined when records are
 * off or the compiler does not run as the bundle.
 */
function recordFor(input: CompileInput): { dir: string; key: string; record: CompileRecord | undefined } | undefined {
  const dir = recordDir(process.env);
  const build = dir !== undefined ? compilerBuild() : undefined;
  if (dir === undefined || build === undefined) return undefined;
  const key = recordKey(build, { file: input.file, source: input.source, compiler: input.compiler }, input.text);
  return { dir, key, record: readRecord(dir, key) };
}

/**
 * Prints the diagnostics and returns exit code 1 when they stop the compile (an error, or a
 * warning with --strict); undefined when the compile goes on.
 */
function refusedByDiagnostics(io: Io, o: CompileOptions, diagnostics: readonly Diagnostic[]): number | undefined {
  const findings = diagnostics.map(fromDiagnostic);
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (!findings.some((f) => f.severity === 'error') && !(o.strict && warnings > 0)) return undefined;
  // With --strict a warning fails the compile like an error, so --quiet still shows it.
  report(io, { ...o.style, strict: o.strict }, findings, `${o.strict && warnings > 0 ? '--strict makes warnings fail the compile; ' : ''}nothing written`);
  return 1;
}

/**
 * With a compile record: when the output folder holds exactly what that compile wrote (its
 * manifest by sha256, every file by sha256 and mode: write/output.ts verifyOutput), prints what a
 * full compile or --check would print for an up-to-date folder and returns 0. undefined when
 * anything differs, or a write is in progress or was killed beside it: the caller then compiles.
 */
function upToDate(
  io: Io,
  o: CompileOptions,
  c: { outDir: string; where: string; outside: OutsideOut; manifestSha256: string; findings: Finding[] },
): number | undefined {
  if (writeInProgress(c.outDir)) return undefined;
  try {
    prepareOutputPath(c.outDir, c.where, false, c.outside);
  } catch (e) {
    if (e instanceof OutputPathError) return undefined;
    throw e;
  }
  const v = verifyOutput(c.outDir, c.manifestSha256);
  if (!v) return undefined;
  if (!o.check) {
    report(io, o.style, c.findings, `${c.where} already up to date (${v.files} files)`, false);
    return 0;
  }
  const rel = (p: string) => toPosix(path.relative(io.cwd, path.join(c.outDir, p)));
  for (const p of v.unowned) c.findings.push(unownedNote(rel, p));
  report(io, o.style, c.findings, `${c.where} is up to date (${v.files} files)`, false);
  return 0;
}

interface CheckContext {
  outDir: string;
  where: string;
  outside: OutsideOut;
  regenerate: string;
  /** See runCompile's emit: the emission, or the exit code of a compile its diagnostics refuse. */
  emit: (
    sink: (f: OutputFile, bytes: Buffer, sha: string) => void,
  ) => ReturnType<typeof emitFiles> | { ok: true; manifestText: string; files: number } | number;
  keep: ((p: string) => boolean) | undefined;
  /** The config's name as the manifest records it (PHX208). */
  configFile: string;
  configShown: string;
}

/**
 * `--check`: compares without writing, as the files are emitted; every difference is an error
 * finding (exit 2), with a unified diff on stdout.
 */
function runCheck(io: Io, style: OutputStyle, found: Finding[], findings: () => Finding[], c: CheckContext): number {
  const behind = `${c.where} is not up to date; run \`${c.regenerate}\``;
  if (pendingSwap(c.outDir)) {
    found.push({ severity: 'error', code: 'PHX207', file: c.where, message: `a previous run was killed while replacing ${c.where}` });
    report(io, style, findings(), behind);
    return 2;
  }
  try {
    prepareOutputPath(c.outDir, c.where, false, c.outside);
  } catch (e) {
    if (!(e instanceof OutputPathError)) throw e;
    found.push({ severity: 'error', code: 'PHX210', file: c.where, message: e.message });
    report(io, style, findings(), 'nothing compared');
    return 1;
  }
  const rel = (p: string) => toPosix(path.relative(io.cwd, path.join(c.outDir, p)));
  // The diffs are printed once the emission is through (the GPU budget, known last, may still
  // refuse the compile); they are held meanwhile, as many as there are stale files.
  const diffs: string[] = [];
  const onStale = (s: StaleFile, kind: StaleKind) => {
    // The diff library loads only when a file differs (a part of the bundle of its own, tools/bundle.ts).
    const { unifiedDiff } = require('../compiler/util/textdiff') as typeof import('../compiler/util/textdiff');
    diffs.push(unifiedDiff(`a/${rel(s.path)}`, `b/${rel(s.path)}`, s.current, s.expected).trimEnd());
    const line = firstDifferentLine(s.current, s.expected);
    const message = {
      edited: `edited by hand: its sha256 differs from ${rel(MANIFEST)}`,
      stale: `stale: not what ${c.configShown} compiles to`,
      foreign: `not written by phoenix-compile (not in ${rel(MANIFEST)}) and not what ${c.configShown} compiles to: a compile replaces it only with --force`,
    }[kind];
    found.push({ severity: 'error', code: { edited: 'PHX202', stale: 'PHX201', foreign: 'PHX209' }[kind], file: rel(s.path), line, message });
  };
  const check = openCheck(c.outDir, c.keep ?? (() => false), onStale);
  const other = otherConfig(check.previous, c.where, c.configFile);
  if (other) found.push(other);
  const emitted = c.emit((f, bytes) => check.add(f, bytes));
  if (typeof emitted === 'number') return emitted;
  if (!emitted.ok) {
    found.push(...emitted.diagnostics.filter((d) => d.code === 'PHX019').map(fromDiagnostic));
    report(io, style, findings(), 'nothing compared');
    return 1;
  }
  const r = check.finish(emitted.manifestText);
  for (const p of r.added) found.push({ severity: 'error', code: 'PHX203', file: rel(p), message: `missing: ${c.configShown} compiles to it` });
  for (const p of r.removed)
    found.push({ severity: 'error', code: 'PHX204', file: rel(p), message: `no longer generated: ${c.configShown} does not compile to it` });
  for (const m of r.modeWrong) found.push({ severity: 'error', code: 'PHX205', file: rel(m.path), message: `wrong file mode: should be ${modeText(m.mode)}` });
  for (const p of r.unowned) found.push(unownedNote(rel, p));
  if (diffs.length && style.format === 'text') io.out(diffs.join('\n'));
  // In a GitHub log the diff shows the files' text, which holds config values: no line of it may act as a workflow command.
  if (diffs.length && style.format === 'github') for (const l of githubVerbatim(diffs.join('\n'), `phx-${sha256(diffs.join('\n'))}`)) io.out(l);
  const clean = checkIsClean(r) && !other;
  if (!clean) {
    report(io, style, findings(), behind);
    return 2;
  }
  report(io, style, findings(), `${c.where} is up to date (${emitted.files + 1} files)`, false);
  return 0;
}

/** PHX206: a file in the output folder that the manifest does not own. */
function unownedNote(rel: (p: string) => string, p: string): Finding {
  return { severity: 'note', code: 'PHX206', file: rel(p), message: `not generated (not in ${rel(MANIFEST)}); left alone` };
}

/** 1-based number of the first line where `a` and `b` differ. */
function firstDifferentLine(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}
