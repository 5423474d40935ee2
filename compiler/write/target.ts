/**
 * Where the output folder goes, checked before anything is written: the writer (output.ts) builds
 * the new set in a sibling folder and swaps it in with rename(2), so the folder's parent must exist
 * and be writable, the folder must be a real folder (not a file, not a symbolic link), and it must
 * live on the same file system as its parent (rename(2) fails with EXDEV across file systems, and
 * with EBUSY on a mount point: man 2 rename, ERRORS). Since the folder is replaced as a whole, it
 * must not be the root, hold a repository (.git) or be inside one's .git, hold the home folder,
 * the current folder or the config.
 */
import fs = require('fs');
import os = require('os');
import path = require('path');

/** A problem with the output folder's place, with a message for the user. */
export class OutputPathError extends Error {}

/**
 * A file-system error as a plain phrase ("permission denied"), from its errno code.
 * Codes and meanings: man 3 errno.
 */
export function fsErrorText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  const text: Record<string, string> = {
    ENOENT: 'no such file or folder',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EDQUOT: 'disk quota exceeded',
    ENOTDIR: 'a component of the path is not a folder',
    EISDIR: 'is a folder, not a file',
    EEXIST: 'already exists',
    EXDEV: 'crosses file systems',
    EBUSY: 'busy (a mount point?)',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'name too long',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
  };
  if (code && text[code]) return `${text[code]} (${code})`;
  return e instanceof Error ? e.message : String(e);
}

/** Whether `e` is an error from the file system (it has an errno code), as opposed to a bug. */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

function statOrUndefined(p: string, follow: boolean): fs.Stats | undefined {
  try {
    return follow ? fs.statSync(p) : fs.lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new OutputPathError(`cannot look at ${p}: ${fsErrorText(e)}`);
  }
}

/** What must stay outside the output folder: the folder the command runs in, and the config file. */
export interface OutsideOut {
  /** The current folder (absolute). */
  cwd: string;
  /** The config file (absolute). */
  config: string;
}

/**
 * Why the output folder cannot be `out`, or undefined. Every compile builds the new set beside it and
 * renames it into place, carrying over what the manifest does not own: the folder is replaced as
 * a whole (a new inode), so a shell or editor inside it is left in a deleted folder, and a
 * repository's folder is no place for it. The root cannot be renamed at all.
 */
function notAnOutputFolder(out: string, shown: string, outside: OutsideOut): string | undefined {
  const inside = (p: string) => {
    const rel = path.relative(out, p);
    return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
  };
  const own = `pass a folder of its own, for example --out ${path.join(shown, 'out')}`;
  if (path.dirname(out) === out) return `${shown} is the root folder; the output folder is replaced as a whole on every compile: ${own}`;
  if (out.split(path.sep).includes('.git')) return `${shown} is inside a repository's .git folder, which is git's own: pass a folder outside it`;
  if (inside(os.homedir())) return `${shown} holds the home folder (${os.homedir()}); the output folder is replaced as a whole on every compile: ${own}`;
  if (statOrUndefined(path.join(out, '.git'), false))
    return `${shown} holds .git (a repository's folder); the output folder is replaced as a whole on every compile: ${own}`;
  if (inside(outside.config)) return `${shown} holds the config file (${outside.config}); the output folder is replaced as a whole on every compile: ${own}`;
  if (inside(outside.cwd)) return `${shown} holds the current folder (${outside.cwd}); the output folder is replaced as a whole on every compile: ${own}`;
  return undefined;
}

/**
 * Checks the output folder's place; with `write`, creates a missing parent (like mkdir -p).
 * `shown` is the folder as the user named it, for messages.
 * @throws OutputPathError when the folder cannot be written as one atomic set, or must not be
 *   replaced as a whole (notAnOutputFolder)
 */
export function prepareOutputPath(outDir: string, shown: string, write: boolean, outside: OutsideOut): void {
  const out = path.resolve(outDir);
  const parent = path.dirname(out);
  const here = parent === out ? undefined : statOrUndefined(out, false);
  if (here && here.isSymbolicLink())
    throw new OutputPathError(
      `${shown} is a symbolic link; the output folder is replaced by renaming a new one into place, which would replace the link itself: pass the folder it points to (--out ${fs.realpathSync(out)})`,
    );
  if (here && !here.isDirectory()) throw new OutputPathError(`${shown} is a file, not a folder; move it away or pass another --out`);
  const why = notAnOutputFolder(out, shown, outside);
  if (why) throw new OutputPathError(why);
  let up = statOrUndefined(parent, true);
  if (!up) {
    if (!write) return;
    try {
      fs.mkdirSync(parent, { recursive: true });
    } catch (e) {
      throw new OutputPathError(`cannot create the folder ${path.dirname(shown)} for ${shown}: ${fsErrorText(e)}`);
    }
    up = fs.statSync(parent);
  }
  if (!up.isDirectory()) throw new OutputPathError(`the parent of ${shown} is not a folder`);
  if (!write) return;
  if (here && here.dev !== up.dev)
    throw new OutputPathError(
      `${shown} is on another file system than its parent (a mount point): the new set is built beside it and renamed into place, and a rename cannot cross file systems; compile into a folder inside the mount (for example --out ${path.join(shown, 'out')}) or the parent's file system`,
    );
  // access(2) honours read-only mounts (EROFS) even for root, which bypasses the mode bits.
  for (const [p, what] of [[parent, `the folder that holds ${shown}`], ...(here ? [[out, shown]] : [])] as const) {
    try {
      fs.accessSync(p, fs.constants.W_OK);
    } catch (e) {
      throw new OutputPathError(`cannot write ${what} (${p}): ${fsErrorText(e)}`);
    }
  }
}
