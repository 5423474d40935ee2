/**
 * `phoenix-compile [options]`: compiles the config into the output folder (atomically), or with
 * `--check` reports drift without writing.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CompileInput, compilePlan, emitFiles, isContainerFile } from '../compiler/compile';
import { cmp, Manifest, MANIFEST, modeText, OutputFile, sha256 } from '../compiler/write/manifest';
import {
  checkIsClean,
  openCheck,
  openOutput,
  OutputLockedError,
  pendingSwap,
  readManifest,
  StaleFile,
  verifyOutput,
  writeInProgress,
  WriteResult,
} from '../compiler/write/output';
import { CompileRecord, readRecord, recordDir, recordKey, touchRecord, writeRecord } from '../compiler/write/record';
import type { Diagnostic } from '../compiler/diagnostics';
import { fsErrorText, isFsError, OutputPathError, prepareOutputPath } from '../compiler/write/target';
import { COMMON_OPTIONS, OUTPUT_OPTIONS, parseCommand, parseOnly, parseStyle, UsageError } from './args';
import { compilerBuild, compilerInfo, Io, readConfig, shown, sourceNames, toPosix } from './context';
import { Finding, fromDiagnostic, githubVerbatim, OutputStyle, report } from './report';

export const HELP = `Usage: phoenix-compile [options]
       phoenix-compile explain CTID [--config PATH]
       phoenix-compile diff [--base REV] [--config PATH]
       phoenix-compile diff OLD.json NEW.json
       phoenix-compile migrate [--config PATH] [--write]
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
    const exit = upToDate(io, o, { outDir, where, manifestSha256: known.manifestSha256, findings: known.diagnostics.map(fromDiagnostic) });
    if (exit !== undefined) {
      touchRecord(record.dir, record.key);
      return exit;
    }
  }
  const planned = compilePlan(compileInput);
  const refused = refusedByDiagnostics(io, o, planned.diagnostics);
  if (refused !== undefined || !planned.ok) return refused ?? 1;
  const findings: Finding[] = planned.diagnostics.map(fromDiagnostic);
  const remember = (manifestText: string) => {
    if (record) writeRecord(record.dir, record.key, { manifestSha256: sha256(manifestText), diagnostics: planned.diagnostics });
  };
  if (o.only && !planned.fleetFiles) {
    const n = planned.blockedBy.length;
    const fleetWide = Object.keys(previous?.files ?? {})
      .filter((p) => !isContainerFile(p))
      .map((p) => `${where}/${p}`);
    const what = fleetWide.length
      ? `${fleetWide.join(', ')} ${fleetWide.length === 1 ? 'is' : 'are'} left as ${fleetWide.length === 1 ? 'it is' : 'they are'}`
      : 'the fleet-wide files (FLEET.md, phoenix) are not written';
    findings.push({
      severity: 'note',
      message: `${what}: CTID ${planned.blockedBy.join(', ')}, outside --only, ${n === 1 ? 'has' : 'have'} errors (a compile without --only lists them)`,
    });
  }
  // With --only, the files the compile did not produce stay as they are.
  const selected = new Set(planned.selected);
  const keep = o.only ? (p: string) => p !== MANIFEST && (isContainerFile(p) ? !selected.has(p.split('/')[0]) : !planned.fleetFiles) : undefined;
  const regenerate = source.regenerate;
  const owner = openOwnerCheck(outDir, where, source.file);
  const emit = (sink: (f: OutputFile, bytes: Buffer, sha: string) => void) => emitFiles(planned, compileInput, sink);

  if (o.check) return runCheck(io, style, findings, { outDir, where, regenerate, emit, keep, owner, configShown: input.file, remember });

  if (owner.otherConfig && !o.force) {
    findings.push({ ...owner.otherConfig, message: `${owner.otherConfig.message}; nothing is replaced without --force` });
    report(io, style, findings, 'nothing written');
    return 1;
  }
  let w: WriteResult;
  try {
    prepareOutputPath(outDir, where, true);
    const writer = openOutput(outDir, keep);
    let emitted: ReturnType<typeof emit>;
    try {
      emitted = emit((f, bytes, sha) => {
        owner.add(f.path);
        writer.add(f, bytes, sha);
      });
    } catch (e) {
      writer.abort();
      throw e;
    }
    const foreign = owner.foreign();
    if (!emitted.ok || (foreign && !o.force)) {
      writer.abort();
      if (!emitted.ok) findings.push(...emitted.diagnostics.filter((d) => d.code === 'PHX019').map(fromDiagnostic));
      else findings.push({ ...foreign!, message: `${foreign!.message}; nothing is replaced without --force` });
      report(io, style, findings, 'nothing written');
      return 1;
    }
    w = writer.finish(emitted.manifestText);
    remember(emitted.manifestText);
  } catch (e) {
    if (e instanceof OutputLockedError) findings.push({ severity: 'error', message: e.message });
    else if (e instanceof OutputPathError) findings.push({ severity: 'error', code: 'PHX210', file: where, message: e.message });
    else if (isFsError(e))
      findings.push({
        severity: 'error',
        code: 'PHX210',
        file: where,
        message: `cannot write ${where}: ${fsErrorText(e)}${e.path ? ` at ${shown(io, e.path)}` : ''}`,
      });
    else throw e;
    report(io, style, findings, 'nothing written');
    return 1;
  }
  const outcome =
    w.written.length === 0 && w.removed.length === 0
      ? `${where} already up to date (${w.unchanged} files)`
      : `${where}: ${w.written.length} written, ${w.removed.length} removed, ${w.unchanged} unchanged`;
  report(io, style, findings, outcome, false);
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
 * Whether writing would clobber what is not ours, found as the files pass (`add` each path to be
 * written, then `foreign`): the output folder compiled from another config (`otherConfig`,
 * PHX208: its manifest names it, known before any file), or files at the paths we would write
 * that the manifest does not own (PHX209: a folder phoenix-compile did not write, or a file put
 * there by hand). A path the manifest owns costs nothing; any other costs one stat, and none when
 * the output folder does not exist yet.
 */
function openOwnerCheck(
  outDir: string,
  where: string,
  configFile: string,
): { otherConfig: Finding | undefined; add(p: string): void; foreign(): Finding | undefined } {
  let exists = false;
  try {
    exists = fs.statSync(outDir).isDirectory();
  } catch {
    exists = false;
  }
  const m = exists ? readManifest(outDir) : undefined;
  const from = m?.input?.file;
  const otherConfig: Finding | undefined =
    typeof from === 'string' && from !== configFile
      ? {
          severity: 'error',
          code: 'PHX208',
          file: `${where}/${MANIFEST}`,
          message: `${where} was compiled from ${from}, not from ${configFile} (both relative to the folder that holds ${where})`,
        }
      : undefined;
  const owned = new Map(Object.entries(m?.files ?? {}));
  const found: string[] = [];
  const add = (p: string) => {
    if (exists && !owned.has(p) && fs.existsSync(path.join(outDir, p))) found.push(p);
  };
  return {
    otherConfig,
    add,
    foreign() {
      if (!m) add(MANIFEST);
      if (found.length === 0) return undefined;
      const foreign = found.sort(cmp);
      const named = foreign.slice(0, 5).map((p) => `${where}/${p}`);
      const more = foreign.length > 5 ? ` and ${foreign.length - 5} more` : '';
      return {
        severity: 'error',
        code: 'PHX209',
        file: `${where}/${foreign[0]}`,
        message: `${named.join(', ')}${more} ${foreign.length === 1 ? 'is' : 'are'} in the way: not written by phoenix-compile (${m ? `not in ${where}/${MANIFEST}` : `${where} has no phoenix-compile ${MANIFEST}`})`,
      };
    },
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
  report(io, o.style, findings, `${o.strict && warnings > 0 ? '--strict makes warnings fail the compile; ' : ''}nothing written`);
  return 1;
}

/**
 * With a compile record: when the output folder holds exactly what that compile wrote (its
 * manifest by sha256, every file by sha256 and mode: write/output.ts verifyOutput), prints what a
 * full compile or --check would print for an up-to-date folder and returns 0. undefined when
 * anything differs, or a write is in progress or was killed beside it: the caller then compiles.
 */
function upToDate(io: Io, o: CompileOptions, c: { outDir: string; where: string; manifestSha256: string; findings: Finding[] }): number | undefined {
  if (writeInProgress(c.outDir)) return undefined;
  try {
    prepareOutputPath(c.outDir, c.where, false);
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
  regenerate: string;
  emit: (sink: (f: OutputFile, bytes: Buffer, sha: string) => void) => ReturnType<typeof emitFiles>;
  keep: ((p: string) => boolean) | undefined;
  owner: { otherConfig: Finding | undefined };
  configShown: string;
  /** Keeps the compile record (the manifest text the compile produces). */
  remember: (manifestText: string) => void;
}

/**
 * `--check`: compares without writing, as the files are emitted; every difference is an error
 * finding (exit 2), with a unified diff on stdout (in the text format printed as each stale file
 * is found, so a large drift is not held in memory).
 */
function runCheck(io: Io, style: OutputStyle, findings: Finding[], c: CheckContext): number {
  const behind = `${c.where} is not up to date; run \`${c.regenerate}\``;
  if (pendingSwap(c.outDir)) {
    findings.push({ severity: 'error', code: 'PHX207', file: c.where, message: `a previous run was killed while replacing ${c.where}` });
    report(io, style, findings, behind);
    return 2;
  }
  try {
    prepareOutputPath(c.outDir, c.where, false);
  } catch (e) {
    if (!(e instanceof OutputPathError)) throw e;
    findings.push({ severity: 'error', code: 'PHX210', file: c.where, message: e.message });
    report(io, style, findings, 'nothing compared');
    return 1;
  }
  if (c.owner.otherConfig) findings.push(c.owner.otherConfig);
  const rel = (p: string) => toPosix(path.relative(io.cwd, path.join(c.outDir, p)));
  // In a GitHub log the diffs are printed together, inside one stop-commands block (below).
  const heldDiffs: string[] = [];
  const onStale = (s: StaleFile, edited: boolean) => {
    // The diff library loads only when a file differs (a part of the bundle of its own, tools/bundle.ts).
    const { unifiedDiff } = require('../compiler/util/textdiff') as typeof import('../compiler/util/textdiff');
    const diff = unifiedDiff(`a/${rel(s.path)}`, `b/${rel(s.path)}`, s.current, s.expected).trimEnd();
    if (style.format === 'text') io.out(diff);
    else if (style.format === 'github') heldDiffs.push(diff);
    const line = firstDifferentLine(s.current, s.expected);
    findings.push(
      edited
        ? { severity: 'error', code: 'PHX202', file: rel(s.path), line, message: `edited by hand: its sha256 differs from ${rel(MANIFEST)}` }
        : { severity: 'error', code: 'PHX201', file: rel(s.path), line, message: `stale: not what ${c.configShown} compiles to` },
    );
  };
  const check = openCheck(c.outDir, c.keep ?? (() => false), onStale);
  const emitted = c.emit((f, bytes) => check.add(f, bytes));
  if (!emitted.ok) {
    findings.push(...emitted.diagnostics.filter((d) => d.code === 'PHX019').map(fromDiagnostic));
    report(io, style, findings, 'nothing compared');
    return 1;
  }
  const r = check.finish(emitted.manifestText);
  c.remember(emitted.manifestText);
  for (const p of r.added) findings.push({ severity: 'error', code: 'PHX203', file: rel(p), message: `missing: ${c.configShown} compiles to it` });
  for (const p of r.removed)
    findings.push({ severity: 'error', code: 'PHX204', file: rel(p), message: `no longer generated: ${c.configShown} does not compile to it` });
  for (const m of r.modeWrong)
    findings.push({ severity: 'error', code: 'PHX205', file: rel(m.path), message: `wrong file mode: should be ${modeText(m.mode)}` });
  for (const p of r.unowned) findings.push(unownedNote(rel, p));
  // In a GitHub log the diff shows the files' text, which holds config values: no line of it may act as a workflow command.
  if (heldDiffs.length) for (const l of githubVerbatim(heldDiffs.join('\n'), `phx-${sha256(heldDiffs.join('\n'))}`)) io.out(l);
  const clean = checkIsClean(r) && !c.owner.otherConfig;
  if (!clean) {
    report(io, style, findings, behind);
    return 2;
  }
  report(io, style, findings, `${c.where} is up to date (${emitted.files + 1} files)`, false);
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
