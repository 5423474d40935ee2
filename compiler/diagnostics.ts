/**
 * Diagnostics: every problem the compiler reports, with a stable code, a position in the
 * config file, the JSON path and the CTID it concerns. One formatter, so every stage prints
 * the same editor-jumpable shape: `file:line:col: error: message`.
 */

export type Severity = 'error' | 'warning' | 'note';

export interface Position {
  line: number;
  col: number;
}

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  file: string;
  pos: Position;
  /** JSON path in `$.a.b[0]` form. */
  path: string;
  ctid?: string;
}

/**
 * The catalogue of codes. The README table is generated from this object (tools/codegen.ts,
 * with ts-morph), so each entry's example is what the README shows.
 */
export const CODES = {
  PHX001: { title: 'invalid JSON syntax', example: 'a trailing comma: {"lxc_configs": {},}' },
  PHX002: { title: 'duplicate key in an object', example: 'two "921" keys in lxc_configs' },
  PHX003: { title: 'empty or unreadable config file', example: 'a file of zero bytes' },
  PHX010: { title: 'value has the wrong JSON type', example: '"memory_mb": "2048"' },
  PHX011: { title: 'unknown key (with a did-you-mean suggestion)', example: '"memroy_mb": 2048' },
  PHX012: { title: 'required key missing', example: 'a container without "name"' },
  PHX013: { title: 'value does not match the required format', example: '"mac_address": "52:54:00:AA:BB"' },
  PHX014: { title: 'number out of range', example: '"cores": 0' },
  PHX015: { title: 'value not among the allowed choices', example: '"portainer_role": "master"' },
  PHX016: { title: 'invalid CTID key', example: '"99": {...} in lxc_configs' },
  PHX017: { title: 'duplicate item in a list', example: '"features": ["vllm", "vllm"]' },
  PHX018: { title: 'string length out of range', example: '"name": ""' },
  PHX019: { title: 'other schema violation', example: 'a value the schema rejects for another reason' },
  PHX090: { title: 'container selected with --only does not exist', example: '--only 999' },
} as const;

export type DiagnosticCode = keyof typeof CODES;

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.ctid !== undefined ? `CTID ${d.ctid}: ` : '';
  const at = d.path && d.path !== '$' ? `${d.path}: ` : '';
  return `${d.file}:${d.pos.line}:${d.pos.col}: ${d.severity}: ${where}${at}${d.message} [${d.code}]`;
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** Position order, then severity, then code, then text: a total order, so output is stable. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.pos.line - b.pos.line ||
      a.pos.col - b.pos.col ||
      severityRank[a.severity] - severityRank[b.severity] ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** Drops exact repeats (same position, code and message), keeping order. */
export function dedupeDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = formatDiagnostic(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
