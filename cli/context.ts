/**
 * What every command shares: the I/O it prints to, where the bundled example lives, reading the
 * config file, and the names headers use.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Diagnostic, formatDiagnostic } from '../compiler/diagnostics';
import { decodeConfig } from '../compiler/load';

/** The repository (or installed package) root: dist/cli/ is two levels below it. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The bundled example config. */
export const DEFAULT_CONFIG = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  cwd: string;
}

/** The compiler's name and version, from package.json. */
export function compilerInfo(): { name: string; version: string } {
  const pkg = require(path.join(ROOT, 'package.json')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** A path as shown to the user: relative to the working directory, '.' for itself. */
export function shown(io: Io, p: string): string {
  return toPosix(path.relative(io.cwd, p)) || '.';
}

/** Prints the diagnostics, one per line, in one write (a large fleet has thousands of notes). */
export function printDiagnostics(io: Io, ds: readonly Diagnostic[]): void {
  if (ds.length > 0) io.err(ds.map(formatDiagnostic).join('\n'));
}

/** The options that name the config, the output folder and the selection. */
export interface SourceOptions {
  config?: string;
  out: string;
  only?: string[];
}

/** Names in headers are relative to the output folder's parent (usually the repository root). */
export function sourceNames(configPath: string, outDir: string, o: SourceOptions): { file: string; regenerate: string } {
  const base = path.dirname(path.resolve(outDir));
  const relConfig = toPosix(path.relative(base, path.resolve(configPath)));
  const relOut = toPosix(path.relative(base, path.resolve(outDir))) || '.';
  const parts = ['phoenix-compile'];
  if (o.config !== undefined) parts.push('--config', relConfig);
  parts.push('--out', relOut);
  if (o.only) parts.push('--only', o.only.join(','));
  return { file: relConfig, regenerate: o.config === undefined && relOut === 'out' && !o.only ? 'npm run compile' : parts.join(' ') };
}

/**
 * Reads and decodes the config (`--config`, else the bundled example). Prints the problem and
 * returns undefined when the file cannot be read or is not UTF-8 text.
 */
export function readConfig(o: { config?: string }, io: Io): { file: string; text: string; path: string } | undefined {
  const configPath = path.resolve(io.cwd, o.config ?? DEFAULT_CONFIG);
  const shownConfig = o.config ?? toPosix(path.relative(io.cwd, DEFAULT_CONFIG));
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(configPath);
  } catch (e) {
    io.err(`phoenix-compile: cannot read config file ${shownConfig}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return undefined;
  }
  const decoded = decodeConfig(shownConfig, bytes);
  if (!decoded.ok) {
    printDiagnostics(io, decoded.diagnostics);
    io.err('phoenix-compile: 1 error(s); nothing written');
    return undefined;
  }
  return { file: shownConfig, text: decoded.text, path: configPath };
}
