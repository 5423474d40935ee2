/**
 * Markdown (CommonMark / GitHub Flavored Markdown) encoders for FLEET.md: table cells as code
 * spans, text blocks in fences, and lines inside an HTML comment. Imports nothing of the project.
 */

/** A table cell as a code span: longer backtick fence than any run inside, `|` escaped, one line. */
export function mdCode(s: string): string {
  const one = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  const longest = Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || (one.startsWith(' ') && one.endsWith(' ') && one.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${one.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** A header line inside an HTML comment: only `-->` / `--!>` could end it early. */
export function htmlComment(s: string): string {
  return s.replace(/--(!?)>/g, '--$1 >');
}

/** Lines inside a fenced block whose fence is longer than any backtick run in them. */
export function textBlock(lines: string[]): string[] {
  const flat = lines.map((l) => l.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, ' ').replace(/\n/g, ' '));
  const longest = Math.max(2, ...flat.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, ...flat, fence];
}
