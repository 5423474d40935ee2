/**
 * How every command prints what it found: diagnostics of the config and findings about the output
 * folder, as text for people (notes and warnings first, errors last, then one summary line such as
 * `phoenix-compile: 2 errors, 1 warning; nothing written`), as JSON (one object per line, for
 * programs) or as GitHub Actions workflow commands (annotations on the pull request).
 */
import type { Diagnostic, Severity } from '../compiler/diagnostics';

/** Where a command prints: stdout, stderr, the working directory and whether stderr takes colour. */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
  /** Whether stderr is a terminal that takes colour (bin/ decides: a TTY, and NO_COLOR unset or empty). */
  color?: boolean;
}

export type Format = 'text' | 'json' | 'github';
export const FORMATS: readonly Format[] = ['text', 'json', 'github'];

export interface OutputStyle {
  format: Format;
  /** Errors only: no notes, no warnings, no success line. */
  quiet: boolean;
  /** --strict: warnings fail the command too, so --quiet prints them as it prints errors. */
  strict?: boolean;
}

export const TEXT: OutputStyle = { format: 'text', quiet: false };

/** One thing to tell the user: a diagnostic of the config, or a finding about the output folder. */
export interface Finding {
  severity: Severity;
  code?: string;
  message: string;
  /** The file it is about, as shown to the user (relative to the working directory). */
  file?: string;
  line?: number;
  col?: number;
  /** JSON path in the config, `$.lxc_configs.921.name`. */
  path?: string;
  ctid?: string;
}

export function fromDiagnostic(d: Diagnostic): Finding {
  return {
    severity: d.severity,
    code: d.code,
    message: d.message,
    file: d.file,
    line: d.pos.line,
    col: d.pos.col,
    ...(d.path && d.path !== '$' ? { path: d.path } : {}),
    ...(d.ctid !== undefined ? { ctid: d.ctid } : {}),
  };
}

const RANK: Record<Severity, number> = { note: 0, warning: 1, error: 2 };

/** The message with its CTID, JSON path and code, as the text format prints it after the severity. */
function body(f: Finding): string {
  return `${f.ctid !== undefined ? `CTID ${f.ctid}: ` : ''}${f.path ? `${f.path}: ` : ''}${f.message}${f.code ? ` [${f.code}]` : ''}`;
}

function location(f: Finding): string {
  if (f.file === undefined) return 'phoenix-compile';
  return [f.file, f.line, f.line !== undefined ? f.col : undefined].filter((x) => x !== undefined).join(':');
}

// ECMA-48 SGR sequences: bold 1, red 31, yellow 33, cyan 36, reset 0.
const SGR = { bold: '\u001b[1m', red: '\u001b[31m', yellow: '\u001b[33m', cyan: '\u001b[36m', reset: '\u001b[0m' };
const SEVERITY_COLOUR: Record<Severity, string> = { error: SGR.red, warning: SGR.yellow, note: SGR.cyan };

/** `file:line:col: severity: message [CODE]`, the form editors jump to (coloured on a terminal). */
export function formatFinding(f: Finding, color = false): string {
  if (!color) return `${location(f)}: ${f.severity}: ${body(f)}`;
  return `${SGR.bold}${location(f)}:${SGR.reset} ${SGR.bold}${SEVERITY_COLOUR[f.severity]}${f.severity}:${SGR.reset} ${body(f)}`;
}

/** The JSON form: one object per finding, on one line; absent fields are left out. */
export function jsonFinding(f: Finding): string {
  const o: Record<string, unknown> = { severity: f.severity };
  for (const k of ['code', 'message', 'file', 'line', 'col', 'path', 'ctid'] as const) if (f[k] !== undefined) o[k] = f[k];
  return JSON.stringify(o);
}

/**
 * GitHub Actions' escaping of a workflow command's data (after the second `::`): `%`, CR and LF,
 * which the runner unescapes (actions/runner src/Runner.Common/ActionCommand.cs:18, _escapeDataMappings, at
 * 258d6c857db3519913f7deb6004b60172f8043ae). `%` goes first so the others are not escaped twice.
 */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * The escaping of a property value (`file=...`): as data, plus `:` and `,`, which would otherwise end
 * the command or the property (ActionCommand.cs:25 _escapePropertyMappings; TryParseV2 splits the
 * properties on ',' at :100).
 */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

const GITHUB_COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', note: 'notice' };

/** `::error file=F,line=L,col=C,title=CODE::message`: an annotation (the runner's error, warning and notice commands). */
export function githubFinding(f: Finding): string {
  const props: string[] = [];
  if (f.file !== undefined) props.push(`file=${escapeProperty(f.file)}`);
  if (f.line !== undefined) props.push(`line=${f.line}`);
  if (f.col !== undefined) props.push(`col=${f.col}`);
  if (f.code) props.push(`title=${escapeProperty(`phoenix-compile ${f.code}`)}`);
  const text = `${f.ctid !== undefined ? `CTID ${f.ctid}: ` : ''}${f.path ? `${f.path}: ` : ''}${f.message}`;
  return `::${GITHUB_COMMAND[f.severity]}${props.length ? ` ${props.join(',')}` : ''}::${escapeData(text)}`;
}

export interface Counts {
  errors: number;
  warnings: number;
  notes: number;
}

export function countFindings(fs: readonly Finding[]): Counts {
  return {
    errors: fs.filter((f) => f.severity === 'error').length,
    warnings: fs.filter((f) => f.severity === 'warning').length,
    notes: fs.filter((f) => f.severity === 'note').length,
  };
}

/** "2 errors, 1 warning" (zero counts left out; "" when there is nothing). */
export function countsText(c: Counts): string {
  const part = (n: number, one: string) => (n === 0 ? '' : `${n} ${one}${n === 1 ? '' : 's'}`);
  return [part(c.errors, 'error'), part(c.warnings, 'warning'), part(c.notes, 'note')].filter(Boolean).join(', ');
}

/**
 * Prints `findings` (notes and warnings first, errors last; each group in the order given) and
 * the summary line `phoenix-compile: <counts>; <outcome>`. With --quiet only errors are printed
 * (and warnings with --strict, where they fail the command),
 * and the summary line only when the command failed. JSON and GitHub output go to stdout (the
 * summary line stays on stderr, as text).
 */
export function report(io: Io, style: OutputStyle, findings: readonly Finding[], outcome: string, failed = true): Counts {
  const counts = countFindings(findings);
  const fails = (f: Finding) => f.severity === 'error' || (style.strict === true && f.severity === 'warning');
  const shown = [...findings].filter((f) => !style.quiet || fails(f)).sort((a, b) => RANK[a.severity] - RANK[b.severity]);
  for (const f of shown) {
    if (style.format === 'json') io.out(jsonFinding(f));
    else if (style.format === 'github') io.out(githubFinding(f));
    else io.err(formatFinding(f, io.color === true));
  }
  if (!style.quiet || failed) io.err(summaryLine(counts, outcome, io.color === true && style.format === 'text'));
  return counts;
}

export function summaryLine(c: Counts, outcome: string, color = false): string {
  const counts = countsText(c);
  const text = counts ? `${counts}; ${outcome}` : outcome;
  if (!color || c.errors === 0) return `phoenix-compile: ${text}`;
  return `phoenix-compile: ${SGR.bold}${SGR.red}${counts}${SGR.reset}; ${outcome}`;
}

/**
 * Prints untrusted text (a diff of files that hold config values) so that no line of it can act as
 * a workflow command: between `::stop-commands::TOKEN` and `::TOKEN::` the runner processes no
 * command but the resume token (actions/runner src/Runner.Worker/ActionCommandManager.cs:84-128).
 * The token is derived from the text, so it cannot appear in it, and output stays deterministic.
 */
export function githubVerbatim(text: string, token: string): string[] {
  return [`::stop-commands::${token}`, ...text.split('\n'), `::${token}::`];
}
