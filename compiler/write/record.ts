/**
 * The local record of compiles: a cache kept outside the repository, on the machine that ran the
 * compile, saying what a compile input produced. An input (the config's text, the names the
 * compile shows, the compiler's exact build and Node's version) determines the output (the
 * compile is a pure function of it: test/core.test.ts determinism), so once a compile of that
 * input has run here, its manifest's sha256 and its diagnostics are known without compiling again.
 * `compile` and `--check` use it to answer "up to date" by reading the output folder's files
 * against that manifest, which is what `cat` of the folder costs, instead of compiling the fleet.
 *
 * Why outside the repository: out/manifest.json is committed, so a pull request could change a
 * file and its manifest entry together; the record is made only by this machine's own compiles,
 * so a checkout cannot forge it, and a fresh clone (CI) has none and compiles. Where:
 * `$PHOENIX_COMPILE_CACHE_DIR`, else `$XDG_CACHE_HOME/phoenix-compile`, else
 * `~/.cache/phoenix-compile` (the XDG Base Directory specification's default for caches);
 * `PHOENIX_COMPILE_CACHE_DIR=off` (or a relative path) turns it off. A record that cannot be read or written is treated
 * as absent: the compile then runs in full, as without a record.
 */
import fs = require('fs');
import os = require('os');
import path = require('path');

import type { Diagnostic } from '../diagnostics';
import { sha256 } from './manifest';

/** What a compile of one input produced. */
export interface CompileRecord {
  /** sha256 (hex) of the manifest.json text the compile writes. */
  manifestSha256: string;
  /** The diagnostics it printed (no errors: a failed compile is not recorded). */
  diagnostics: Diagnostic[];
}

/** Records kept at most; the least recently used beyond are deleted when one is written. */
const KEEP = 200;
const FORMAT = 'phoenix-compile record 1';

/**
 * The record folder for this environment (see the module comment), or undefined when turned off
 * or when there is no home folder to put it in.
 */
export function recordDir(env: NodeJS.ProcessEnv): string | undefined {
  const own = env.PHOENIX_COMPILE_CACHE_DIR;
  // "off" in any case turns records off; so does a relative path, which would put them wherever
  // the command runs (in the config's repository, where a commit could carry one), as the XDG
  // specification has relative paths ignored.
  if (own !== undefined && own !== '' && (own.toLowerCase() === 'off' || !path.isAbsolute(own))) return undefined;
  if (own) return own;
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)) return path.join(env.XDG_CACHE_HOME, 'phoenix-compile');
  const home = env.HOME || os.homedir();
  return home ? path.join(home, '.cache', 'phoenix-compile') : undefined;
}

/**
 * The record key of a compile input: sha256 (hex) over everything the output depends on. `build`
 * names the compiler's exact code (the sha256 of its bundle), `names` the values the compile shows
 * (the config's name, the manifest's source names, the compiler's name and version), `text` the
 * config's text.
 */
export function recordKey(build: string, names: unknown, text: string): string {
  return sha256(JSON.stringify([FORMAT, build, process.version, names, sha256(text)]));
}

/** The record of `key` in `dir`, or undefined when there is none or it cannot be read. */
export function readRecord(dir: string, key: string): CompileRecord | undefined {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, `${key}.json`), 'utf8')) as Partial<CompileRecord> & { format?: string };
    if (r.format !== FORMAT || typeof r.manifestSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.manifestSha256) || !Array.isArray(r.diagnostics))
      return undefined;
    if (r.diagnostics.some((d) => d.severity === 'error')) return undefined;
    return { manifestSha256: r.manifestSha256, diagnostics: r.diagnostics };
  } catch {
    return undefined;
  }
}

/**
 * Saves the record of `key` (a temporary file renamed into place, so a reader sees all or
 * nothing), then deletes the oldest records beyond KEEP. Never throws: a record is an
 * optimisation, and a read-only or full disk only means compiling next time.
 */
export function writeRecord(dir: string, key: string, record: CompileRecord): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = path.join(dir, `${key}.json`);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ format: FORMAT, ...record }), { mode: 0o600 });
    fs.renameSync(tmp, file);
    const names = fs.readdirSync(dir).filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
    if (names.length <= KEEP) return;
    const aged = names.map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs })).sort((a, b) => a.t - b.t);
    for (const { n } of aged.slice(0, aged.length - KEEP)) fs.rmSync(path.join(dir, n), { force: true });
  } catch {
    // See above: no record is not an error.
  }
}

/** Marks a record as used (its mtime), so the pruning in writeRecord keeps the ones in use. */
export function touchRecord(dir: string, key: string): void {
  try {
    const now = new Date();
    fs.utimesSync(path.join(dir, `${key}.json`), now, now);
  } catch {
    // See writeRecord.
  }
}
