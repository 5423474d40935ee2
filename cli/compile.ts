/**
 * `phoenix-compile [options]`: compiles the config into the output folder (atomically), or with
 * `--check` reports drift without writing.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check found drift.
 */
import * as fs from 'fs';
import * as path from 'path';
import { compile, CompileOutput, isContainerFile } from '../compiler/compile';
import { Manifest, MANIFEST, sha256 } from '../compiler/write/manifest';
import { checkIsClean, checkOutput, OutputLockedError, pendingSwap, readManifest, writeOutput } from '../compiler/write/output';
import { fsErrorText, isFsError, OutputPathError, prepareOutputPath } from '../compiler/write/target';
import { unifiedDiff } from '../compiler/util/textdiff';
import { COMMON_OPTIONS, OUTPUT_OPTIONS, parseCommand, parseOnly, parseStyle, UsageError } from './args';
import { compilerInfo, Io, readConfig, shown, sourceNames, toPosix } from './context';
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
  const result: CompileOutput = compile({
    file: input.file,
    text: input.text,
    source,
    compiler: compilerInfo(),
    ...(o.only ? { only: o.only, previous } : {}),
  });
  const findings: Finding[] = result.diagnostics.map(fromDiagnostic);
  const warnings = findings.filter((f) => f.severity === 'warning').length;
  if (!result.ok || findings.some((f) => f.severity === 'error') || (o.strict && warnings > 0)) {
    report(io, style, findings, `${o.strict && warnings > 0 ? '--strict makes warnings fail the compile; ' : ''}nothing written`);
    return 1;
  }
  if (o.only && !result.fleetFiles) {
    const n = result.blockedBy.length;
    const fleetWide = Object.keys(previous?.files ?? {})
      .filter((p) => !isContainerFile(p))
      .map((p) => `${where}/${p}`);
    const what = fleetWide.length
      ? `${fleetWide.join(', ')} ${fleetWide.length === 1 ? 'is' : 'are'} left as ${fleetWide.length === 1 ? 'it is' : 'they are'}`
      : 'the fleet-wide files (FLEET.md, phoenix) are not written';
    findings.push({
      severity: 'note',
      message: `${what}: CTID ${result.blockedBy.join(', ')}, outside --only, ${n === 1 ? 'has' : 'have'} errors (a compile without --only lists them)`,
    });
  }
  // With --only, the files the compile did not produce stay as they are.
  const selected = new Set(result.selected);
  const keep = o.only ? (p: string) => p !== MANIFEST && (isContainerFile(p) ? !selected.has(p.split('/')[0]) : !result.fleetFiles) : undefined;
  const regenerate = source.regenerate;
  const owner = ownerProblem(outDir, where, source.file, result.files);

  if (o.check) return runCheck(io, style, findings, { outDir, where, regenerate, result, keep, owner, configShown: input.file });

  if (owner && !o.force) {
    findings.push({ ...owner, message: `${owner.message}; nothing is replaced without --force` });
    report(io, style, findings, 'nothing written');
    return 1;
  }
  let w: ReturnType<typeof writeOutput>;
  try {
    prepareOutputPath(outDir, where, true);
    w = writeOutput(outDir, result.files, result.manifestText, keep);
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
 * Whether writing would clobber what is not ours: the output folder compiled from another config
 * (PHX208, its manifest names it), or files at the paths we would write that the manifest does not
 * own (PHX209: a folder phoenix-compile did not write, or a file put there by hand).
 */
function ownerProblem(outDir: string, where: string, configFile: string, files: readonly { path: string }[]): Finding | undefined {
  try {
    if (!fs.statSync(outDir).isDirectory()) return undefined;
  } catch {
    return undefined;
  }
  const m = readManifest(outDir);
  const from = m?.input?.file;
  if (typeof from === 'string' && from !== configFile)
    return {
      severity: 'error',
      code: 'PHX208',
      file: `${where}/${MANIFEST}`,
      message: `${where} was compiled from ${from}, not from ${configFile} (both relative to the folder that holds ${where})`,
    };
  const owned = new Set(Object.keys(m?.files ?? {}));
  const foreign = [...files.map((f) => f.path), ...(m ? [] : [MANIFEST])].filter((p) => !owned.has(p) && fs.existsSync(path.join(outDir, p))).sort();
  if (foreign.length === 0) return undefined;
  const named = foreign.slice(0, 5).map((p) => `${where}/${p}`);
  const more = foreign.length > 5 ? ` and ${foreign.length - 5} more` : '';
  return {
    severity: 'error',
    code: 'PHX209',
    file: `${where}/${foreign[0]}`,
    message: `${named.join(', ')}${more} ${foreign.length === 1 ? 'is' : 'are'} in the way: not written by phoenix-compile (${m ? `not in ${where}/${MANIFEST}` : `${where} has no phoenix-compile ${MANIFEST}`})`,
  };
}

interface CheckContext {
  outDir: string;
  where: string;
  regenerate: string;
  result: CompileOutput;
  keep: ((p: string) => boolean) | undefined;
  owner: Finding | undefined;
  configShown: string;
}

/** `--check`: compares without writing; every difference is an error finding (exit 2), with a unified diff on stdout. */
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
  if (c.owner?.code === 'PHX208') findings.push(c.owner);
  const r = checkOutput(c.outDir, c.result.files, c.result.manifestText, c.keep);
  const rel = (p: string) => toPosix(path.relative(io.cwd, path.join(c.outDir, p)));
  const diffs: string[] = [];
  for (const s of r.stale) {
    diffs.push(unifiedDiff(`a/${rel(s.path)}`, `b/${rel(s.path)}`, s.current, s.expected).trimEnd());
    const line = firstDifferentLine(s.current, s.expected);
    findings.push(
      r.handEdited.includes(s.path)
        ? { severity: 'error', code: 'PHX202', file: rel(s.path), line, message: `edited by hand: its sha256 differs from ${rel(MANIFEST)}` }
        : { severity: 'error', code: 'PHX201', file: rel(s.path), line, message: `stale: not what ${c.configShown} compiles to` },
    );
  }
  for (const p of r.added) findings.push({ severity: 'error', code: 'PHX203', file: rel(p), message: `missing: ${c.configShown} compiles to it` });
  for (const p of r.removed)
    findings.push({ severity: 'error', code: 'PHX204', file: rel(p), message: `no longer generated: ${c.configShown} does not compile to it` });
  for (const p of r.modeWrong) {
    const want = c.result.files.find((f) => f.path === p)?.mode ?? 0o644;
    findings.push({ severity: 'error', code: 'PHX205', file: rel(p), message: `wrong file mode: should be ${want.toString(8).padStart(4, '0')}` });
  }
  for (const p of r.unowned) findings.push({ severity: 'note', code: 'PHX206', file: rel(p), message: `not generated (not in ${rel(MANIFEST)}); left alone` });
  if (diffs.length && style.format === 'text') io.out(diffs.join('\n'));
  // In a GitHub log the diff shows the files' text, which holds config values: no line of it may act as a workflow command.
  if (diffs.length && style.format === 'github') for (const l of githubVerbatim(diffs.join('\n'), `phx-${sha256(diffs.join('\n'))}`)) io.out(l);
  const clean = checkIsClean(r) && c.owner?.code !== 'PHX208';
  if (!clean) {
    report(io, style, findings, behind);
    return 2;
  }
  report(io, style, findings, `${c.where} is up to date (${Object.keys(JSON.parse(c.result.manifestText).files).length + 1} files)`, false);
  return 0;
}

/** 1-based number of the first line where `a` and `b` differ. */
function firstDifferentLine(a: string, b: string): number {
  const x = a.split('\n');
  const y = b.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}
