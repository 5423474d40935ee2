import * as fs from 'fs';
import * as path from 'path';

export { repoRoot } from '../../tools/repo-root';

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(require('os').tmpdir(), `phx-${prefix}-`));
}

/** A tmpDir maker whose folders `cleanup` removes (register it with the suite's test.after). */
export function scratchDirs(): { tmp: (prefix: string) => string; cleanup: () => void } {
  const made: string[] = [];
  return {
    tmp: (prefix) => {
      const d = tmpDir(prefix);
      made.push(d);
      return d;
    },
    cleanup: () => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })),
  };
}

/** Every file below dir as relative path -> bytes and mode. */
export function readTree(dir: string): Map<string, { data: Buffer; mode: number }> {
  const out = new Map<string, { data: Buffer; mode: number }>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else {
        const p = path.join(dir, r);
        out.set(r, { data: fs.readFileSync(p), mode: fs.statSync(p).mode & 0o777 });
      }
    }
  };
  if (fs.existsSync(dir)) walk('');
  return new Map([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function copyTree(src: string, dst: string): void {
  fs.cpSync(src, dst, { recursive: true, preserveTimestamps: true });
}
