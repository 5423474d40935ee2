/**
 * Rewriting a config file's text in place for `migrate`: only the container objects that change
 * are laid out again, one member per line in the file's own indentation; every member that does
 * not change keeps its exact text. Positions come from momoa's ranges.
 */
import { parse as parseJson } from '@humanwhocodes/momoa';
import type { MemberNode, ObjectNode } from '@humanwhocodes/momoa';

export interface TextEdit {
  start: number;
  end: number;
  replacement: string;
}

/** The indentation unit of the file: a tab, or the width of the first indented key (default 2). */
export function detectIndent(text: string): string | number {
  const m = /\n([ \t]+)"/.exec(text);
  if (!m) return 2;
  return m[1].startsWith('\t') ? '\t' : m[1].length;
}

export function memberName(m: MemberNode): string {
  return m.name.type === 'String' ? m.name.value : m.name.name;
}

/** The members of `lxc_configs` (one per CTID) of a parsed config, or [] when it has none. */
export function containerMembers(text: string): MemberNode[] {
  const root = parseJson(text, { mode: 'json', ranges: true }).body as ObjectNode;
  const lxc = root.members.find((m) => memberName(m) === 'lxc_configs')?.value;
  return lxc?.type === 'Object' ? lxc.members : [];
}

/** How a non-empty object is laid out: the indentation of its members and of its closing brace. */
function layout(text: string, obj: ObjectNode): { memberIndent: string; closeIndent: string } {
  const lineStart = text.lastIndexOf('\n', obj.members[0].range![0]) + 1;
  const closeLineStart = text.lastIndexOf('\n', obj.range![1] - 1) + 1;
  return { memberIndent: text.slice(lineStart, obj.members[0].range![0]), closeIndent: text.slice(closeLineStart, obj.range![1] - 1).match(/^\s*/)![0] };
}

/** A member for `rebuildObject`: kept as written (`keep`), or `"key": value` laid out anew. */
export type MemberPart = { keep: MemberNode } | { key: string; value: unknown };

/**
 * The edit that rebuilds `obj` (a non-empty object of `text`) from `parts`, one member per line:
 * kept members keep their text, new ones are JSON in the file's indentation unit.
 */
export function rebuildObject(text: string, obj: ObjectNode, parts: MemberPart[]): TextEdit {
  const { memberIndent, closeIndent } = layout(text, obj);
  const unit = detectIndent(text);
  const lines = parts.map((p) =>
    'keep' in p
      ? text.slice(p.keep.range![0], p.keep.range![1])
      : `${JSON.stringify(p.key)}: ` +
        JSON.stringify(p.value, null, unit)
          .split('\n')
          .map((l, i) => (i === 0 ? l : memberIndent + l))
          .join('\n'),
  );
  return { start: obj.range![0], end: obj.range![1], replacement: `{\n${lines.map((l) => memberIndent + l).join(',\n')}\n${closeIndent}}` };
}

/** `text` with non-overlapping edits applied. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.replacement + out.slice(e.end);
  return out;
}
