/**
 * Stage 7, write (the only writer): puts the emitted files into the output folder as one atomic set, with a
 * manifest, or (`--check`) compares them with what is there.
 *
 * Atomicity: the new set is built complete in a sibling folder `.<out>.phx-new` (unchanged files
 * are hard links to the current ones, so their timestamps survive; files the manifest does not own
 * are carried over), then two renames swap it in: out -> .<out>.phx-old, .<out>.phx-new -> out.
 * A kill before the first rename leaves the old set untouched; a kill between the two renames
 * leaves no out/ but a complete .phx-new, which the next run (or `recoverOutput`) renames into
 * place before doing anything else. When nothing changed, nothing is written at all.
 */
import * as fs from 'fs';
import * as path from 'path';

import { cmp, Manifest, MANIFEST, OutputFile, sha256 } from './manifest';

function siblings(outDir: string): { newDir: string; oldDir: string } {
  const abs = path.resolve(outDir);
  const base = path.basename(abs);
  return { newDir: path.join(path.dirname(abs), `.${base}.phx-new`), oldDir: path.join(path.dirname(abs), `.${base}.phx-old`) };
}

/** Finishes or undoes a swap that a killed run left half done. Safe to call any time. */
export function recoverOutput(outDir: string): void {
  const out = path.resolve(outDir);
  const { newDir, oldDir } = siblings(out);
  if (!fs.existsSync(out)) {
    // Killed between the two renames: the new set is complete (it is renamed only when complete).
    if (fs.existsSync(newDir) && fs.existsSync(oldDir)) fs.renameSync(newDir, out);
    else if (fs.existsSync(oldDir)) fs.renameSync(oldDir, out);
  }
  fs.rmSync(newDir, { recursive: true, force: true });
  fs.rmSync(oldDir, { recursive: true, force: true });
}

export function readManifest(outDir: string): Manifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST), 'utf8')) as Manifest;
    return m && typeof m.files === 'object' ? m : undefined;
  } catch {
    return undefined;
  }
}

function readIfExists(p: string): Buffer | undefined {
  try {
    return fs.readFileSync(p);
  } catch {
    return undefined;
  }
}

function modeOf(p: string): number | undefined {
  try {
    return fs.statSync(p).mode & 0o777;
  } catch {
    return undefined;
  }
}

export interface WriteResult {
  written: string[];
  removed: string[];
  unchanged: number;
}

/**
 * Makes `outDir` hold exactly `files` plus the manifest, plus whatever it held that the old
 * manifest did not own. `keep` names owned files to carry over untouched (used by --only).
 */
export function writeOutput(outDir: string, files: OutputFile[], manifestText: string, keep: (p: string) => boolean = () => false): WriteResult {
  const out = path.resolve(outDir);
  const release = lockOutput(out);
  try {
    return writeLocked(out, files, manifestText, keep);
  } finally {
    release();
  }
}

export class OutputLockedError extends Error {}

/**
 * One writer at a time: a lock file beside the output folder holds the writer's pid. A lock whose
 * process is gone (killed) is taken over.
 */
function lockOutput(out: string): () => void {
  const lock = path.join(path.dirname(out), `.${path.basename(out)}.phx-lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => fs.rmSync(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new OutputLockedError(`another phoenix-compile (pid ${pid}) is writing ${out}; try again when it has finished`);
      }
      fs.rmSync(lock, { force: true });
    }
  }
  throw new OutputLockedError(`could not lock ${out}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A swap that a killed run left half done, as --check should report it. */
export function pendingSwap(outDir: string): boolean {
  const { newDir } = siblings(path.resolve(outDir));
  return fs.existsSync(newDir) && !fs.existsSync(path.resolve(outDir));
}

function writeLocked(out: string, files: OutputFile[], manifestText: string, keep: (p: string) => boolean): WriteResult {
  recoverOutput(out);
  const oldManifest = readManifest(out);
  const owned = new Set(Object.keys(oldManifest?.files ?? {}));
  const desired = new Map(files.map((f) => [f.path, f]));
  desired.set(MANIFEST, { path: MANIFEST, content: manifestText, mode: 0o644 });

  const written: string[] = [];
  let unchanged = 0;
  const same = new Set<string>();
  for (const f of desired.values()) {
    const cur = readIfExists(path.join(out, f.path));
    if (cur !== undefined && cur.equals(Buffer.from(f.content)) && modeOf(path.join(out, f.path)) === f.mode) {
      same.add(f.path);
      unchanged++;
    } else written.push(f.path);
  }
  const removed = [...owned].filter((p) => !desired.has(p) && !keep(p) && fs.existsSync(path.join(out, p))).sort(cmp);
  if (written.length === 0 && removed.length === 0) return { written, removed, unchanged };

  const { newDir, oldDir } = siblings(out);
  fs.mkdirSync(newDir, { recursive: true });
  // Carry over what we do not own, and owned files kept by the caller.
  if (fs.existsSync(out)) {
    for (const rel of walk(out)) {
      if (desired.has(rel)) continue;
      if (owned.has(rel) && !keep(rel)) continue;
      linkInto(path.join(out, rel), path.join(newDir, rel));
    }
  }
  // No fsync per file: the swap is atomic against a killed process (the page cache survives it),
  // and an fsync of each of 100,000 files took two thirds of a 10,000-CTID compile (bench/).
  const made = new Set<string>();
  for (const f of desired.values()) {
    const dst = path.join(newDir, f.path);
    const dir = path.dirname(dst);
    if (!made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    if (same.has(f.path)) {
      linkInto(path.join(out, f.path), dst);
      continue;
    }
    fs.writeFileSync(dst, f.content, { mode: f.mode });
    // writeFileSync's mode is filtered by the umask; the manifest promises the exact mode.
    fs.chmodSync(dst, f.mode);
  }
  crashPoint('staged');
  if (fs.existsSync(out)) {
    fs.renameSync(out, oldDir);
    crashPoint('between-renames');
    fs.renameSync(newDir, out);
    crashPoint('swapped');
    fs.rmSync(oldDir, { recursive: true, force: true });
  } else {
    fs.renameSync(newDir, out);
  }
  return { written: written.sort(cmp), removed, unchanged };
}

/**
 * Test hook for the crash-safety suite: PHOENIX_COMPILE_CRASH_AT=<point> makes the process kill
 * itself (SIGKILL, like a power cut for the files in flight) at that point.
 */
function crashPoint(name: string): void {
  if (process.env.PHOENIX_COMPILE_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

function linkInto(src: string, dst: string): void {
  fs.mkdirSync(path.dirname(dst), { recursive: true });
  try {
    fs.linkSync(src, dst);
  } catch {
    fs.copyFileSync(src, dst);
    fs.chmodSync(dst, fs.statSync(src).mode & 0o777);
  }
}

/** Every regular file below `dir`, as relative POSIX paths, sorted. */
export function walk(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(dir, rel));
    else if (e.isFile() || e.isSymbolicLink()) out.push(rel);
  }
  return out.sort(cmp);
}

export interface CheckResult {
  /** Owned files whose bytes differ from what the compiler would write now (config changed). */
  stale: { path: string; current: string; expected: string }[];
  /** Owned files whose bytes differ from the manifest's sha256: edited by hand. */
  handEdited: string[];
  /** Files that would be added. */
  added: string[];
  /** Owned files that would be removed. */
  removed: string[];
  /** Files in the folder that the manifest does not own. */
  unowned: string[];
  /** Files whose content is right but whose mode is not. */
  modeWrong: string[];
}

export function checkOutput(outDir: string, files: OutputFile[], manifestText: string, keep: (p: string) => boolean = () => false): CheckResult {
  const out = path.resolve(outDir);
  const oldManifest = readManifest(out);
  const owned = oldManifest?.files ?? {};
  const desired = new Map(files.map((f) => [f.path, f]));
  desired.set(MANIFEST, { path: MANIFEST, content: manifestText, mode: 0o644 });
  const res: CheckResult = { stale: [], handEdited: [], added: [], removed: [], unowned: [], modeWrong: [] };
  for (const f of [...desired.values()].sort((a, b) => cmp(a.path, b.path))) {
    const cur = readIfExists(path.join(out, f.path));
    if (cur === undefined) {
      res.added.push(f.path);
      continue;
    }
    const text = cur.toString('utf8');
    if (text !== f.content) {
      const rec = owned[f.path];
      if (rec && f.path !== MANIFEST && sha256(cur) !== rec.sha256) res.handEdited.push(f.path);
      res.stale.push({ path: f.path, current: text, expected: f.content });
    } else if (modeOf(path.join(out, f.path)) !== f.mode) res.modeWrong.push(f.path);
  }
  for (const p of Object.keys(owned).sort(cmp)) {
    if (!desired.has(p) && !keep(p) && fs.existsSync(path.join(out, p))) res.removed.push(p);
  }
  for (const p of walk(out)) {
    if (!desired.has(p) && !(p in owned)) res.unowned.push(p);
  }
  return res;
}

export function checkIsClean(r: CheckResult): boolean {
  return r.stale.length + r.added.length + r.removed.length + r.modeWrong.length === 0;
}
