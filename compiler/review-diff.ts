/**
 * `phoenix-compile diff`: what a config change does to the generated files, without writing
 * anything. Compiles two configs in memory (the base revision's, read with `git show`, and the
 * working copy; or two files) and prints a per-CTID summary followed by unified diffs.
 * Exit 0 when equal, 2 when different, 1 on error (an invalid config on either side, named).
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import type { CompileOutput } from './compile';
import { formatDiagnostic } from './diagnostics';
import { lineChanges, unifiedDiff } from './textdiff';
import { MANIFEST } from './write';

export interface DiffSide {
  label: string;
  file: string;
  text: string;
}

/** Reads `path` at git revision `rev` (no checkout). */
export function readAtRevision(cwd: string, rev: string, file: string): { text: string } | { error: string } {
  try {
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const rel = path.relative(top, path.resolve(cwd, file)).split(path.sep).join('/');
    return { text: execFileSync('git', ['show', `${rev}:${rel}`], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 }) };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: (err.stderr || err.message).trim().split('\n')[0] };
  }
}

export interface DiffReport {
  code: 0 | 1 | 2;
  text: string;
  errors: string[];
}

export function diffOutputs(base: DiffSide, head: DiffSide, compileSide: (s: DiffSide) => CompileOutput): DiffReport {
  const a = compileSide(base);
  const b = compileSide(head);
  const errors: string[] = [];
  for (const [side, r] of [
    [base, a],
    [head, b],
  ] as const) {
    if (!r.ok) {
      for (const d of r.diagnostics) if (d.severity === 'error') errors.push(`${side.label}: ${formatDiagnostic(d)}`);
      errors.push(`phoenix-compile diff: the ${side.label} config (${side.file}) does not compile`);
    }
  }
  if (errors.length) return { code: 1, text: '', errors };
  const fa = new Map(a.files.map((f) => [f.path, f.content]));
  const fb = new Map(b.files.map((f) => [f.path, f.content]));
  const paths = [...new Set([...fa.keys(), ...fb.keys()])].filter((p) => p !== MANIFEST).sort();
  type Row = { path: string; status: 'added' | 'removed' | 'changed'; added: number; removed: number };
  const rows: Row[] = [];
  for (const p of paths) {
    const x = fa.get(p);
    const y = fb.get(p);
    if (x === y) continue;
    if (x === undefined) rows.push({ path: p, status: 'added', added: lineCount(y!), removed: 0 });
    else if (y === undefined) rows.push({ path: p, status: 'removed', added: 0, removed: lineCount(x) });
    else rows.push({ path: p, status: 'changed', ...lineChanges(x, y) });
  }
  if (rows.length === 0) return { code: 0, text: `no changes in the generated files (${base.label} -> ${head.label})\n`, errors };
  const out: string[] = [`changes in the generated files (${base.label} -> ${head.label}):`];
  const groups = new Map<string, Row[]>();
  for (const r of rows) {
    const key = r.path.includes('/') ? `CTID ${r.path.split('/')[0]}` : 'fleet';
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [key, rs] of groups) {
    const count = (s: Row['status']) => rs.filter((r) => r.status === s).length;
    out.push(`  ${key}: ${count('added')} added, ${count('removed')} removed, ${count('changed')} changed`);
    for (const r of rs) out.push(`    ${r.status.padEnd(7)} ${r.path} (+${r.added} -${r.removed})`);
  }
  out.push('');
  for (const r of rows) out.push(unifiedDiff(r.status === 'added' ? '/dev/null' : `a/${r.path}`, r.status === 'removed' ? '/dev/null' : `b/${r.path}`, fa.get(r.path) ?? '', fb.get(r.path) ?? '').trimEnd());
  return { code: 2, text: out.join('\n') + '\n', errors };
}

function lineCount(t: string): number {
  return t === '' ? 0 : t.split('\n').length - (t.endsWith('\n') ? 1 : 0);
}
