/**
 * `phoenix-compile diff`: what a config change does to the generated files, without writing
 * anything. Compiles two configs in memory (the base revision's, read with `git show`, and the
 * working copy; or two files) and prints a per-CTID summary followed by unified diffs.
 * Exit 0 when equal, 2 when different, 1 on error (an invalid config on either side, named).
 */
import { execFileSync } from 'child_process';
import fs = require('fs');
import path = require('path');
import { compile, CompileOutput } from '../compiler/compile';
import { lineChanges, unifiedDiff } from '../compiler/util/textdiff';
import { MANIFEST } from '../compiler/write/manifest';
import { fsErrorText } from '../compiler/write/target';
import { COMMON_OPTIONS, OUTPUT_OPTIONS, parseCommand, parseOnly, parseStyle, UsageError } from './args';
import { compilerInfo, findConfig, Io, sourceNames } from './context';
import { Finding, fromDiagnostic, githubVerbatim, report } from './report';
import { sha256 } from '../compiler/write/manifest';

export const HELP = `Usage: phoenix-compile diff [--base REV] [--config PATH] [--only CTIDS]
       phoenix-compile diff OLD.json NEW.json

Compiles the config at a git revision (default HEAD, read with git show, no checkout) and the
working copy, or two config files, in memory, and prints a per-CTID summary of what changes in
the generated files followed by unified diffs. Writes nothing.

Options:
  --base REV        the revision to compare with (default HEAD)
  --config PATH     the config (default: ./phoenix_lxc_configs.json; inside the phoenix-compile
                    repository, the bundled example)
  --out DIR         output folder the headers name (default: out)
  --only CTID[,..]  only these CTIDs' files (and the fleet-wide files)
  -q, --quiet       print errors only
  --format FORMAT   text (default), json or github, for the errors of a side that does not compile
  -h, --help        this text

Exit codes: 0 equal, 2 different, 1 error (naming the side that does not compile).
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  ...OUTPUT_OPTIONS,
  base: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  only: { type: 'string', multiple: true },
} as const;

export function main(argv: string[], io: Io): number {
  const { values, positionals } = parseCommand(argv, OPTIONS, { max: 2 });
  if (values.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  if (positionals.length === 1) throw new UsageError('diff takes two config files, or none (with --base)');
  if (positionals.length === 2 && values.base !== undefined) throw new UsageError('diff takes --base REV or two files, not both');
  const only = parseOnly(values.only);
  const style = parseStyle(values);
  const o = { ...(values.config !== undefined ? { config: values.config } : {}), out: values.out ?? 'out', ...(only ? { only } : {}) };
  let base: DiffSide;
  let head: DiffSide;
  const read = (file: string, label: string): DiffSide | undefined => {
    try {
      return { label, file, text: fs.readFileSync(path.resolve(io.cwd, file), 'utf8') };
    } catch (e) {
      io.err(`phoenix-compile diff: cannot read the ${label} config ${file}: ${fsErrorText(e)}`);
      return undefined;
    }
  };
  let configPath: string;
  if (positionals.length === 2) {
    const a = read(positionals[0], 'old');
    const b = read(positionals[1], 'new');
    if (!a || !b) return 1;
    [base, head] = [a, b];
    configPath = path.resolve(io.cwd, positionals[1]);
  } else {
    const found = findConfig(o, io);
    if ('error' in found) {
      io.err(`phoenix-compile diff: ${found.error}`);
      return 1;
    }
    const file = found.shown;
    const rev = values.base ?? 'HEAD';
    const atRev = readAtRevision(io.cwd, rev, file);
    if ('error' in atRev) {
      io.err(`phoenix-compile diff: cannot read ${file} at base ${rev}: ${atRev.error}`);
      return 1;
    }
    const b = read(file, 'working copy');
    if (!b) return 1;
    [base, head] = [{ label: `base ${rev}`, file: `${rev}:${file}`, text: atRev.text }, b];
    configPath = found.path;
  }
  const outDir = path.resolve(io.cwd, o.out);
  const names = sourceNames(configPath, outDir);
  const r = diffOutputs(base, head, (side) =>
    compile({ file: side.file, text: side.text, source: names, compiler: compilerInfo(), ...(o.only ? { only: o.only } : {}) }),
  );
  if (r.code === 1) {
    report(io, style, r.errors, r.failed.map((s) => `the ${s.label} config (${s.file}) does not compile`).join('; '));
    return 1;
  }
  if (style.format === 'github') for (const l of githubVerbatim(r.text.trimEnd(), `phx-${sha256(r.text)}`)) io.out(l);
  else io.out(r.text.trimEnd());
  return r.code;
}

export interface DiffSide {
  label: string;
  file: string;
  text: string;
}

/** Reads `path` at git revision `rev` (no checkout). */
export function readAtRevision(cwd: string, rev: string, file: string): { text: string } | { error: string } {
  try {
    // git runs in the config's own folder: the repository that holds it, wherever the command runs from.
    const real = path.join(fs.realpathSync(path.dirname(path.resolve(cwd, file))), path.basename(file));
    const abs = real;
    const repoDir = path.dirname(real);
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    const rel = path.relative(top, abs).split(path.sep).join('/');
    return {
      text: execFileSync('git', ['show', `${rev}:${rel}`], { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 }),
    };
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return { error: (err.stderr || err.message).trim().split('\n')[0] };
  }
}

export interface DiffReport {
  code: 0 | 1 | 2;
  text: string;
  /** The errors of the sides that do not compile (the base side's file named `REV:file`). */
  errors: Finding[];
  /** The sides that do not compile. */
  failed: DiffSide[];
}

export function diffOutputs(base: DiffSide, head: DiffSide, compileSide: (s: DiffSide) => CompileOutput): DiffReport {
  const a = compileSide(base);
  const b = compileSide(head);
  const errors: Finding[] = [];
  const failed: DiffSide[] = [];
  for (const [side, r] of [
    [base, a],
    [head, b],
  ] as const) {
    if (!r.ok) {
      for (const d of r.diagnostics) if (d.severity === 'error') errors.push(fromDiagnostic(d));
      failed.push(side);
    }
  }
  if (failed.length) return { code: 1, text: '', errors, failed };
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
  if (rows.length === 0) return { code: 0, text: `no changes in the generated files (${base.label} -> ${head.label})\n`, errors, failed };
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
  for (const r of rows)
    out.push(
      unifiedDiff(
        r.status === 'added' ? '/dev/null' : `a/${r.path}`,
        r.status === 'removed' ? '/dev/null' : `b/${r.path}`,
        fa.get(r.path) ?? '',
        fb.get(r.path) ?? '',
      ).trimEnd(),
    );
  return { code: 2, text: out.join('\n') + '\n', errors, failed };
}

function lineCount(t: string): number {
  return t === '' ? 0 : t.split('\n').length - (t.endsWith('\n') ? 1 : 0);
}
