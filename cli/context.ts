/**
 * What every command shares: the I/O it prints to, where the bundled example lives, reading the
 * config file, and the names headers use.
 */
import fs = require('fs');
import path = require('path');
import { decodeConfig } from '../compiler/load';
import { fsErrorText } from '../compiler/write/target';
import { fromDiagnostic, Io, OutputStyle, report, TEXT } from './report';
import { bashRefusal, bashWord } from '../encode/bash';

/** The repository (or installed package) root: dist/cli/ is two levels below it. */
export const ROOT = path.resolve(__dirname, '..', '..');
/** The bundled example config. */
export const DEFAULT_CONFIG = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');

export type { Io };

/** The compiler's name and version, from package.json. */
export function compilerInfo(): { name: string; version: string } {
  const pkg = require(path.join(ROOT, 'package.json')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

/**
 * The sha256 (hex) of the compiler's code when it runs as the bundle (bin/phoenix-compile.js loads
 * dist/bundle/phoenix-compile.js, which holds the whole compile path with its data files), as
 * tools/bundle.ts wrote it beside the bundle with the bundle's size (checked here, so a bundle
 * changed after the build is not taken for the one it replaced). undefined when it runs unbundled
 * from dist/ (as in-process tests do) or the sidecar is missing or stale: no compile record then.
 */
export function compilerBuild(): string | undefined {
  if (path.basename(__filename) !== 'phoenix-compile.js') return undefined;
  try {
    const [sha, size] = fs.readFileSync(`${__filename}.sha256`, 'latin1').trim().split(' ');
    return /^[0-9a-f]{64}$/.test(sha) && Number(size) === fs.statSync(__filename).size ? sha : undefined;
  } catch {
    return undefined;
  }
}

export function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/** A path as shown to the user: relative to the working directory ('.' for itself), or absolute when that is shorter than climbing to it. */
export function shown(io: Io, p: string): string {
  const rel = toPosix(path.relative(io.cwd, p)) || '.';
  // A path that climbs (../..) is shown absolute when that is shorter: the root is "/", not "../..".
  const abs = toPosix(path.resolve(io.cwd, p));
  return rel.startsWith('..') && abs.length < rel.length ? abs : rel;
}

/** The options that name the config, the output folder and the selection. */
export interface SourceOptions {
  config?: string;
  out: string;
  only?: string[];
}

/** The name a config repository gives its config; found in the working directory without --config. */
export const CONFIG_NAME = 'phoenix_lxc_configs.json';

function isInside(dir: string, root: string): boolean {
  const rel = path.relative(root, dir);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Whether `dir` is inside this repository (a clone of phoenix-compile, not an installed copy). */
export function inThisRepository(dir: string): boolean {
  return isInside(path.resolve(dir), ROOT) && !ROOT.split(path.sep).includes('node_modules') && fs.existsSync(DEFAULT_CONFIG);
}

/**
 * Which config a command reads: `--config`; else `./phoenix_lxc_configs.json` when the working
 * directory has one; else, inside this repository only, the bundled example. Returns the absolute
 * path and the name shown in messages (as given, or relative to the working directory).
 */
export function findConfig(o: { config?: string }, io: Io): { path: string; shown: string } | { error: string } {
  if (o.config !== undefined) return { path: path.resolve(io.cwd, o.config), shown: o.config };
  const local = path.join(io.cwd, CONFIG_NAME);
  if (fs.existsSync(local)) return { path: local, shown: CONFIG_NAME };
  if (inThisRepository(io.cwd)) return { path: DEFAULT_CONFIG, shown: toPosix(path.relative(io.cwd, DEFAULT_CONFIG)) };
  return { error: `no config: there is no ${CONFIG_NAME} in ${io.cwd}; run in the folder that holds it, or pass --config PATH` };
}

/**
 * Names in headers and the manifest, relative to the output folder's parent (usually the
 * repository root), and the command that regenerates the output when run there. The command
 * depends only on where the config and the output folder are, not on how they were named, so
 * `phoenix-compile` and `phoenix-compile --config phoenix_lxc_configs.json --out out` write the
 * same bytes.
 */
export function sourceNames(configPath: string, outDir: string): { file: string; regenerate: string } {
  const out = path.resolve(outDir);
  const base = path.dirname(out);
  const relConfig = toPosix(path.relative(base, path.resolve(configPath)));
  const relOut = toPosix(path.relative(base, out)) || '.';
  if (path.resolve(configPath) === DEFAULT_CONFIG && out === path.join(ROOT, 'out')) return { file: relConfig, regenerate: 'npm run compile' };
  const parts = ['phoenix-compile'];
  if (relConfig !== CONFIG_NAME) parts.push('--config', relConfig);
  if (relOut !== 'out') parts.push('--out', relOut);
  // A command to paste into a shell: each path one bash word (a path bash cannot take as a word,
  // one with a line break, is shown as a JSON string).
  return { file: relConfig, regenerate: parts.map((p) => (bashRefusal(p) ? JSON.stringify(p) : bashWord(p))).join(' ') };
}

/**
 * Reads and decodes the config (see findConfig). Prints the problem (a plain sentence, or the
 * decoding diagnostic) and returns undefined when there is none, it cannot be read or it is not
 * UTF-8 text.
 */
export function readConfig(o: { config?: string }, io: Io, style: OutputStyle = TEXT): { file: string; text: string; path: string } | undefined {
  const found = findConfig(o, io);
  if ('error' in found) {
    io.err(`phoenix-compile: ${found.error}`);
    return undefined;
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(found.path);
  } catch (e) {
    io.err(`phoenix-compile: cannot read the config ${found.shown}: ${fsErrorText(e)}`);
    return undefined;
  }
  const decoded = decodeConfig(found.shown, bytes);
  if (!decoded.ok) {
    report(io, style, decoded.diagnostics.map(fromDiagnostic), 'nothing written');
    return undefined;
  }
  return { file: found.shown, text: decoded.text, path: found.path };
}
