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
import fs = require('fs');
import path = require('path');

import { cmp, Manifest, MANIFEST, modeText, OutputFile, sha256 } from './manifest';
import { openStager, Stager } from './stage';
import { OutputPathError } from './target';

/** The staging folder, the old folder while swapping, and the lock file, beside the output folder. */
function siblings(outDir: string): { newDir: string; oldDir: string; lock: string } {
  const abs = path.resolve(outDir);
  const at = (suffix: string) => path.join(path.dirname(abs), `.${path.basename(abs)}.${suffix}`);
  return { newDir: at('phx-new'), oldDir: at('phx-old'), lock: at('phx-lock') };
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
  // rmSync's recursive removal loads Node's rimraf (some 0.7 ms at start-up): only when there is something to remove.
  for (const left of [newDir, oldDir]) if (fs.existsSync(left)) fs.rmSync(left, { recursive: true, force: true });
}

/**
 * Opens a file in the output folder for reading without following a symbolic link at its last
 * component (O_NOFOLLOW: a link is not a file the compiler wrote, and git would commit it as a
 * link) and without waiting on a named pipe (O_NONBLOCK: the open returns at once, and fstat then
 * says it is not a regular file). Throws as openSync does (ELOOP for a link).
 */
function openForRead(p: string): number {
  return fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
}

/** The output folder's manifest, or undefined when absent or unreadable. */
export function readManifest(outDir: string): Manifest | undefined {
  return readManifestFile(outDir)?.manifest;
}

/** The output folder's manifest with its text's sha256 and its mode (one open), or undefined when absent or unreadable. */
function readManifestFile(outDir: string): { manifest: Manifest; sha: string; mode: number } | undefined {
  let fd: number;
  try {
    fd = openForRead(path.join(outDir, MANIFEST));
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const mode = st.mode & 0o777;
    const text = fs.readFileSync(fd, 'utf8');
    const m = JSON.parse(text) as Manifest;
    return m && typeof m === 'object' && m.files && typeof m.files === 'object' ? { manifest: m, sha: sha256(text), mode } : undefined;
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A file in the output folder, read through one open: its mode and, when its size is `size`
 * (or always, without `size`), its bytes. undefined when it does not exist or is not a file.
 * `scratch`: read into this buffer (grown as needed) instead of a new one; the bytes returned are
 * then valid until the next call with it.
 */
function readExisting(p: string, size?: number, scratch?: { buf: Buffer }): { mode: number; bytes?: Buffer } | undefined {
  let fd: number;
  try {
    fd = openForRead(p);
  } catch {
    return undefined;
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    const mode = st.mode & 0o777;
    if (size !== undefined && st.size !== size) return { mode };
    if (scratch && scratch.buf.length < st.size) scratch.buf = Buffer.allocUnsafe(st.size);
    const bytes = scratch ? scratch.buf.subarray(0, st.size) : Buffer.allocUnsafe(st.size);
    let n = 0;
    while (n < bytes.length) {
      const got = fs.readSync(fd, bytes, n, bytes.length - n, n);
      if (got === 0) break;
      n += got;
    }
    return { mode, bytes: n === bytes.length ? bytes : bytes.subarray(0, n) };
  } finally {
    fs.closeSync(fd);
  }
}

export interface WriteResult {
  written: string[];
  removed: string[];
  unchanged: number;
}

export class OutputLockedError extends Error {}

/**
 * One writer at a time: a lock file beside the output folder holds the writer's pid. A lock whose
 * process is gone (killed) is taken over.
 */
function lockOutput(out: string): () => void {
  const { lock } = siblings(out);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lock, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      return () => removeFile(lock);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new OutputLockedError(`another phoenix-compile (pid ${pid}) is writing ${out}; try again when it has finished`);
      }
      removeFile(lock);
    }
  }
  throw new OutputLockedError(`could not lock ${out}`);
}

/** Removes a file if it is there (unlink: rmSync would load Node's rimraf for one file). */
function removeFile(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether anything of a write is beside the output folder: its staging or old folder (a run killed
 * mid-write, which the next write cleans up) or its lock (a write in progress).
 */
export function writeInProgress(outDir: string): boolean {
  const { newDir, oldDir, lock } = siblings(outDir);
  return [newDir, oldDir, lock].some((p) => fs.existsSync(p));
}

/** A swap that a killed run left half done, as --check should report it. */
export function pendingSwap(outDir: string): boolean {
  const { newDir } = siblings(path.resolve(outDir));
  return fs.existsSync(newDir) && !fs.existsSync(path.resolve(outDir));
}

/**
 * A write in progress, fed one file at a time (compiler/compile.ts emitFiles, in path order): `add` each file,
 * then `finish` with the manifest's text, or `abort` (nothing changes). See openOutput.
 */
export interface OutputWriter {
  /** The output folder's manifest before this write (read once, under the lock), if any. */
  readonly previous: Manifest | undefined;
  add(file: OutputFile, bytes: Buffer, sha: string): void;
  /**
   * Paths added so far that hold something the old manifest does not own (a file put there by
   * hand, or a folder phoenix-compile did not write), manifest.json included when there was no
   * manifest: what the write would replace that is not ours. Sorted.
   */
  foreign(): string[];
  finish(manifestText: string): WriteResult;
  abort(): void;
}

/**
 * Starts making `outDir` hold exactly the files added plus the manifest, plus whatever it held
 * that the old manifest did not own; `keep` names owned files to carry over untouched (--only).
 * Takes the lock (OutputLockedError when another run holds it) and finishes a swap a killed run
 * left half done. The new set is staged in `.<out>.phx-new` as the files come, and only once a
 * file differs: a run that changes nothing creates nothing.
 *
 * System calls per file: a file the old manifest records with the new bytes' sha256 and mode is
 * read once (open, fstat, read, close) to prove nobody edited it, then hard-linked into the new
 * set; any other file is written without reading the old one (open, write, close; an fchmod only
 * when the umask would strip a bit of its mode, found on the first file of each mode); each folder
 * is made once. For a large set a worker thread does the staging's writes while the emitters go on
 * (compiler/write/stage.ts); everything is written before the swap.
 */
export function openOutput(outDir: string, keep: (p: string) => boolean = () => false): OutputWriter {
  const out = path.resolve(outDir);
  const release = lockOutput(out);
  try {
    recoverOutput(out);
    return new StagedWrite(out, keep, readManifestFile(out), release);
  } catch (e) {
    release();
    throw e;
  }
}

class StagedWrite implements OutputWriter {
  private readonly newDir: string;
  private readonly oldDir: string;
  /** The old manifest's entries (a Map: a file may be named "constructor"). */
  private readonly owned: Map<string, Manifest['files'][string]>;
  private readonly seen = new Set<string>();
  private readonly written: string[] = [];
  private unchanged = 0;
  /** Unchanged files seen before anything differed: linked once the staging folder exists. */
  private pendingLinks: string[] | undefined = [];
  private readonly dirs = new Set<string>();
  /** Makes, writes and links in the staging folder (compiler/write/stage.ts); open once staging. */
  private stager: Stager | undefined;
  private done = false;
  readonly previous: Manifest | undefined;
  /** Whether the output folder exists: where it does not, nothing in it is in the way. */
  private readonly outExists: boolean;
  private readonly inTheWay: string[] = [];
  /** occupied()'s cache: each folder of the old set the compile needs, and whether it is free. */
  private readonly folders = new Map<string, boolean>();

  constructor(
    private readonly out: string,
    private readonly keep: (p: string) => boolean,
    private readonly old: ReturnType<typeof readManifestFile>,
    private readonly release: () => void,
  ) {
    ({ newDir: this.newDir, oldDir: this.oldDir } = siblings(out));
    this.owned = new Map(Object.entries(old?.manifest.files ?? {}));
    this.previous = old?.manifest;
    this.outExists = fs.existsSync(out);
  }

  foreign(): string[] {
    const none = this.outExists && !this.old && fs.existsSync(path.join(this.out, MANIFEST)) ? [MANIFEST] : [];
    return [...this.inTheWay, ...none].sort(cmp);
  }

  add(f: OutputFile, bytes: Buffer, sha: string): void {
    this.seen.add(f.path);
    // A path the old manifest owns costs nothing here; any other, one stat (none without out/), and
    // a read when something is there: a file with exactly the bytes to be written is taken over
    // (nothing of anyone's is lost; a lost manifest.json leaves such files), anything else is in the way.
    const taken = this.outExists ? occupied(this.out, f.path, this.folders) : undefined;
    if (taken !== undefined) {
      if (!this.inTheWay.includes(taken)) this.inTheWay.push(taken);
    } else if (this.outExists && !this.owned.has(f.path) && fs.existsSync(path.join(this.out, f.path))) {
      const cur = readExisting(path.join(this.out, f.path), bytes.length);
      if (!cur?.bytes?.equals(bytes)) this.inTheWay.push(f.path);
    }
    if (taken === undefined && this.isUnchanged(f, bytes, sha)) {
      this.unchanged++;
      if (this.pendingLinks) this.pendingLinks.push(f.path);
      else this.link(f.path);
      return;
    }
    this.stage();
    this.written.push(f.path);
    this.writeNew(f.path, bytes, f.mode);
  }

  finish(manifestText: string): WriteResult {
    try {
      const bytes = Buffer.from(manifestText, 'utf8');
      const manifestSame = this.old !== undefined && this.old.sha === sha256(manifestText) && this.old.mode === 0o644;
      const removed = [...this.owned.keys()]
        .filter((p) => p !== MANIFEST && !this.seen.has(p) && !this.keep(p) && fs.existsSync(path.join(this.out, p)))
        .sort(cmp);
      if (this.pendingLinks && manifestSame && removed.length === 0) return { written: [], removed, unchanged: this.unchanged + 1 };
      this.stage();
      if (manifestSame) {
        this.link(MANIFEST);
        this.unchanged++;
      } else {
        this.writeNew(MANIFEST, bytes, 0o644);
        this.written.push(MANIFEST);
      }
      // Carry over what the manifest does not own, and owned files kept by the caller: folders of
      // one's own (empty ones too) with their modes, files and symbolic links by hard link. Anything
      // else (a named pipe, a socket, a device) cannot be carried: refused before the swap.
      if (fs.existsSync(this.out)) {
        // Folders that hold a file of the new set or of the old manifest are the compiler's: made
        // as the new set needs them, left behind when it no longer does.
        const newDirs = foldersOf(this.seen);
        const ours = foldersOf(this.owned.keys(), new Set(newDirs));
        // What stands where the new set puts a file, or a file or link where it needs a folder
        // (PHX209, replaced with --force), is not carried, nor is anything below it.
        const replaced = (rel: string): boolean => {
          if (this.seen.has(rel)) return true;
          for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) if (this.seen.has(rel.slice(0, i))) return true;
          return false;
        };
        for (const { rel, folder } of walkFolders(this.out)) {
          // an owned path, or one the new set writes: replaced or dropped, never carried
          if (replaced(rel) || this.owned.has(rel)) continue;
          if (!folder)
            throw new OutputPathError(
              `${path.join(this.out, rel)} is neither a file, a folder nor a symbolic link; the output folder is replaced as a whole, and this cannot be carried into the new set: move it away`,
            );
          if (ours.has(rel) || this.dirs.has(rel)) continue;
          this.dirFor(rel);
          this.stager!.mkdir(path.join(this.newDir, rel), fs.lstatSync(path.join(this.out, rel)).mode & 0o7777);
          this.dirs.add(rel);
        }
        for (const rel of walk(this.out)) {
          if (replaced(rel) || newDirs.has(rel) || rel === MANIFEST) continue;
          if (this.owned.has(rel) && !this.keep(rel)) continue;
          this.link(rel);
        }
      }
      this.stager!.drain();
      this.takeOverFolder();
      // No fsync per file: the swap is atomic against a killed process (the page cache survives it),
      // and an fsync of each of 100,000 files took two thirds of a 10,000-CTID compile (bench/).
      crashPoint('staged');
      if (fs.existsSync(this.out)) {
        fs.renameSync(this.out, this.oldDir);
        crashPoint('between-renames');
        fs.renameSync(this.newDir, this.out);
        crashPoint('swapped');
        fs.rmSync(this.oldDir, { recursive: true, force: true });
      } else {
        fs.renameSync(this.newDir, this.out);
      }
      return { written: this.written.sort(cmp), removed, unchanged: this.unchanged };
    } catch (e) {
      this.abort();
      throw e;
    } finally {
      this.close();
    }
  }

  abort(): void {
    if (this.done) return;
    // Only the staging folder is ours to drop; out/ is untouched until the renames.
    try {
      this.stager?.close();
    } finally {
      if (!this.pendingLinks) fs.rmSync(this.newDir, { recursive: true, force: true });
      this.close();
    }
  }

  private close(): void {
    if (this.done) return;
    this.done = true;
    this.stager?.close();
    this.release();
  }

  /**
   * Unchanged means: the old manifest records this sha256 and mode for the path, and the file
   * there still has that mode, size and bytes (read once: a hand edit leaves the manifest as it was).
   */
  private isUnchanged(f: OutputFile, bytes: Buffer, sha: string): boolean {
    const rec = this.owned.get(f.path);
    if (!rec || rec.sha256 !== sha || rec.mode !== modeText(f.mode)) return false;
    const cur = readExisting(path.join(this.out, f.path), bytes.length);
    return cur !== undefined && cur.mode === f.mode && cur.bytes !== undefined && cur.bytes.equals(bytes);
  }

  /**
   * The new folder takes the old one's place: it gets its mode and, where permitted, its owner
   * and group (set last, so that a read-only mode cannot stop the writes into it).
   */
  private takeOverFolder(): void {
    if (!this.outExists || !fs.existsSync(this.out)) return;
    const was = fs.statSync(this.out);
    const now = fs.statSync(this.newDir);
    if (now.uid !== was.uid || now.gid !== was.gid) {
      try {
        fs.chownSync(this.newDir, was.uid, was.gid);
      } catch {
        // not permitted (chown(2), EPERM: only root gives a file away): it stays the writer's
      }
    }
    fs.chmodSync(this.newDir, was.mode & 0o7777);
  }

  /** Creates the staging folder (once) and links the unchanged files seen so far. */
  private stage(): void {
    if (!this.pendingLinks) return;
    const pending = this.pendingLinks;
    this.pendingLinks = undefined;
    fs.mkdirSync(this.newDir, { recursive: true }); // the output's parent may not exist yet
    this.dirs.add('');
    this.stager = openStager();
    for (const p of pending) this.link(p);
  }

  private dirFor(rel: string): void {
    const slash = rel.lastIndexOf('/');
    const dir = slash < 0 ? '' : rel.slice(0, slash);
    if (this.dirs.has(dir)) return;
    this.dirFor(dir);
    this.stager!.mkdir(path.join(this.newDir, dir));
    this.dirs.add(dir);
  }

  private writeNew(rel: string, bytes: Buffer, mode: number): void {
    this.dirFor(rel);
    this.stager!.write(path.join(this.newDir, rel), bytes, mode);
  }

  private link(rel: string): void {
    this.dirFor(rel);
    this.stager!.link(path.join(this.out, rel), path.join(this.newDir, rel));
  }
}

/**
 * Test hook for the crash-safety suite: PHOENIX_COMPILE_CRASH_AT=<point> makes the process kill
 * itself (SIGKILL, like a power cut for the files in flight) at that point.
 */
function crashPoint(name: string): void {
  if (process.env.PHOENIX_COMPILE_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}

/**
 * What occupies the place of `rel` (a file the compile writes) in `out`, if anything does that is
 * not such a file: an ancestor that is a file or a symbolic link where the compile needs a folder,
 * or `rel` itself being a folder. `folders` caches each ancestor's answer (true: a real folder or
 * absent). A symbolic link to a folder is not that folder: the swap would replace the link, and
 * the compile would write through it.
 */
export function occupied(out: string, rel: string, folders: Map<string, boolean>): string | undefined {
  for (let i = rel.indexOf('/'); i > 0; i = rel.indexOf('/', i + 1)) {
    const d = rel.slice(0, i);
    let free = folders.get(d);
    if (free === undefined) {
      const st = lstatOrUndefined(path.join(out, d));
      free = st === undefined || st.isDirectory();
      folders.set(d, free);
    }
    if (!free) return d;
  }
  return lstatOrUndefined(path.join(out, rel))?.isDirectory() ? rel : undefined;
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

/** The folders that hold `paths` (relative POSIX paths): "a/b/c" gives "a" and "a/b"; added to `into`. */
function foldersOf(paths: Iterable<string>, into = new Set<string>()): Set<string> {
  for (const p of paths) for (let i = p.indexOf('/'); i > 0; i = p.indexOf('/', i + 1)) into.add(p.slice(0, i));
  return into;
}

/**
 * Every folder below `dir` (parents first), and every entry that is neither a folder, a regular
 * file nor a symbolic link (`folder` false), from readdir's file types alone.
 */
function walkFolders(dir: string, prefix = '', out: { rel: string; folder: boolean }[] = []): { rel: string; folder: boolean }[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(path.join(dir, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => cmp(a.name, b.name))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isFile() || e.isSymbolicLink()) continue;
    out.push({ rel, folder: e.isDirectory() });
    if (e.isDirectory()) walkFolders(dir, rel, out);
  }
  return out;
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
  /** Owned files whose bytes differ from what the compiler would write now (each also went to `onStale`). */
  stale: string[];
  /** Stale files whose bytes differ from the manifest's sha256: edited by hand. */
  handEdited: string[];
  /**
   * Stale files the manifest does not own (put there by hand, or the folder is not
   * phoenix-compile's): a compile refuses to replace them without --force (PHX209).
   */
  foreign: string[];
  /** Files that would be added. */
  added: string[];
  /** Owned files that would be removed. */
  removed: string[];
  /** Files in the folder that the manifest does not own. */
  unowned: string[];
  /** Files whose content is right but whose mode is not, with the mode they should have. */
  modeWrong: { path: string; mode: number }[];
}

/**
 * Why a file differs: `stale` (the compiler's file, the config changed), `edited` (its bytes are not
 * the manifest's: edited by hand), `foreign` (the manifest does not own it: a compile refuses to
 * replace it without --force, PHX209).
 */
export type StaleKind = 'stale' | 'edited' | 'foreign';

/** A file that would change: what is there and what would be written. */
export interface StaleFile {
  path: string;
  current: string;
  expected: string;
}

/** A --check in progress, fed one file at a time like OutputWriter; writes nothing. */
export interface OutputCheck {
  /** The output folder's manifest, if any. */
  readonly previous: Manifest | undefined;
  add(file: OutputFile, bytes: Buffer): void;
  finish(manifestText: string): CheckResult;
}

/**
 * Starts comparing `outDir` with the files to be added (in path order, as emitFiles gives them).
 * Every file there is read once (open, fstat, read, close): its bytes decide stale or not, and a
 * stale file whose bytes do not match the manifest's sha256 was edited by hand. `onStale` gets
 * each stale file in path order as soon as it is known (manifest.json, known last, in its place),
 * with its kind (StaleKind), so a caller can print diffs without holding them. A file the manifest
 * does not own with exactly the bytes to be written is up to date: a compile takes it over.
 */
export function openCheck(outDir: string, keep: (p: string) => boolean, onStale: (s: StaleFile, kind: StaleKind) => void): OutputCheck {
  const out = path.resolve(outDir);
  const previous = readManifestFile(out)?.manifest;
  const owned = new Map(Object.entries(previous?.files ?? {}));
  const seen = new Set<string>();
  const res: CheckResult = { stale: [], handEdited: [], foreign: [], added: [], removed: [], unowned: [], modeWrong: [] };
  // Stale files that sort after manifest.json wait for it.
  const afterManifest: [StaleFile, StaleKind][] = [];
  const folders = new Map<string, boolean>();
  const compare = (f: OutputFile, bytes: Buffer): [StaleFile, StaleKind] | undefined => {
    const taken = occupied(out, f.path, folders);
    if (taken !== undefined) {
      // a folder where the file goes, or a file or link where its folder goes: in the way (PHX209)
      if (!res.foreign.includes(taken)) res.foreign.push(taken);
      res.stale.push(f.path);
      return [{ path: f.path, current: '', expected: f.content }, 'foreign'];
    }
    const cur = readExisting(path.join(out, f.path));
    if (cur === undefined || cur.bytes === undefined) {
      res.added.push(f.path);
      return undefined;
    }
    if (!cur.bytes.equals(bytes)) {
      const rec = owned.get(f.path);
      const kind: StaleKind =
        rec === undefined && (f.path !== MANIFEST || previous === undefined)
          ? 'foreign'
          : rec !== undefined && f.path !== MANIFEST && sha256(cur.bytes) !== rec.sha256
            ? 'edited'
            : 'stale';
      if (kind === 'edited') res.handEdited.push(f.path);
      if (kind === 'foreign') res.foreign.push(f.path);
      res.stale.push(f.path);
      return [{ path: f.path, current: cur.bytes.toString('utf8'), expected: f.content }, kind];
    }
    if (cur.mode !== f.mode) res.modeWrong.push({ path: f.path, mode: f.mode });
    return undefined;
  };
  return {
    previous,
    add(f, bytes) {
      seen.add(f.path);
      const s = compare(f, bytes);
      if (s && cmp(f.path, MANIFEST) > 0) afterManifest.push(s);
      else if (s) onStale(...s);
    },
    finish(manifestText) {
      seen.add(MANIFEST);
      const s = compare({ path: MANIFEST, content: manifestText, mode: 0o644 }, Buffer.from(manifestText, 'utf8'));
      if (s) onStale(...s);
      for (const a of afterManifest) onStale(...a);
      for (const p of [...owned.keys()].sort(cmp)) {
        if (!seen.has(p) && !keep(p) && fs.existsSync(path.join(out, p))) res.removed.push(p);
      }
      for (const p of walk(out)) {
        if (!seen.has(p) && !owned.has(p)) res.unowned.push(p);
      }
      for (const list of [res.stale, res.handEdited, res.foreign, res.added]) list.sort(cmp);
      res.modeWrong.sort((a, b) => cmp(a.path, b.path));
      return res;
    },
  };
}

export function checkIsClean(r: Pick<CheckResult, 'added' | 'removed' | 'modeWrong'> & { stale: readonly unknown[] }): boolean {
  return r.stale.length + r.added.length + r.removed.length + r.modeWrong.length === 0;
}

/**
 * Whether `outDir` holds exactly what a compile whose manifest.json text has sha256
 * `manifestSha256` writes: that manifest, with mode 0644, and every file it owns with its sha256
 * and mode (each read once: open, fstat, read, close). Used with a compile record
 * (compiler/write/record.ts), this answers "up to date" without compiling.
 * @returns the number of files (manifest.json included) and the files the manifest does not own
 *   (left alone, as --check notes them), or undefined at the first difference (the caller then
 *   compiles and compares in full, which says what differs).
 */
export function verifyOutput(outDir: string, manifestSha256: string): { files: number; unowned: string[] } | undefined {
  const out = path.resolve(outDir);
  const m = readManifestFile(out);
  if (!m || m.mode !== 0o644 || m.sha !== manifestSha256) return undefined;
  // One buffer for every file (grown when a file is larger): no allocation per file.
  const scratch = { buf: Buffer.allocUnsafe(1 << 16) };
  const prefix = out.endsWith(path.sep) ? out : out + path.sep;
  const matches = (file: string, want: { sha256: string; mode: string }): boolean => {
    const cur = readExisting(file, undefined, scratch);
    return cur?.bytes !== undefined && modeText(cur.mode) === want.mode && sha256(cur.bytes) === want.sha256;
  };
  // The manifest's paths are relative POSIX paths without "." or ".." (the compiler wrote them and
  // its sha256 is the record's), so joining is concatenation.
  for (const [p, e] of Object.entries(m.manifest.files)) if (!matches(prefix + p, e)) return undefined;
  const owned = new Set(Object.keys(m.manifest.files));
  const unowned = walk(out).filter((p) => p !== MANIFEST && !owned.has(p));
  // A symbolic link where a folder of owned files goes (walk lists links, and does not follow
  // them): the files read through it, but it is not the compile's folder (occupied()).
  const folders = foldersOf(owned);
  if (unowned.some((p) => folders.has(p))) return undefined;
  return { files: owned.size + 1, unowned };
}
