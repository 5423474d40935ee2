/**
 * Unified line diffs for `--check`, `diff` and `migrate`, from jsdiff (the `diff` package, pinned in
 * package.json): `---`/`+++` file headers, `@@` hunks with `context` lines around each change,
 * `\ No newline at end of file` where a text does not end with a newline. Loaded only when a diff
 * is printed (the bundle keeps it, and the package, out of the compile path).
 */
import { createTwoFilesPatch, diffLines, FILE_HEADERS_ONLY } from 'diff';

/** The unified diff of texts `a` and `b` under the names `aName` and `bName`; '' when equal. */
export function unifiedDiff(aName: string, bName: string, a: string, b: string, context = 3): string {
  if (a === b) return '';
  return createTwoFilesPatch(aName, bName, a, b, undefined, undefined, { context, headerOptions: FILE_HEADERS_ONLY });
}

/** Counts of added and removed lines between two texts. */
export function lineChanges(a: string, b: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const c of diffLines(a, b)) {
    if (c.added) added += c.count;
    else if (c.removed) removed += c.count;
  }
  return { added, removed };
}
