/**
 * Stage 1, load, the thorough way: JSON text -> plain value plus the position of every node, or
 * the diagnostics that say what is wrong with the text.
 *
 * compiler/load.ts reads a well-formed file in one light pass and hands every text it refuses here
 * (a syntax error, a raw control character, a comment, a trailing comma, a duplicate key, an empty
 * file), so the messages a user sees for a broken file come from this one place. It is also the
 * reference the fast loader is checked against (test/load.test.ts). Loaded lazily: the compile of
 * a good file never loads it, nor momoa (tools/bundle.ts makes it a part of its own).
 *
 * Uses momoa, which keeps a line and column for every node (line and column are 1-based, columns
 * count UTF-16 code units, and \n, \r and \r\n each end a line). Plain JSON.parse would silently
 * keep the last of two duplicate keys; here a duplicate is an error. A UTF-8 byte order mark is
 * accepted and skipped.
 */
import { parse as parseJson } from '@humanwhocodes/momoa';
import type { AnyNode, DocumentNode } from '@humanwhocodes/momoa';
import { ParseErrorCode, visit } from 'jsonc-parser';
import { Diagnostic, Position } from './diagnostics';
import { ctidOfPath, displayPath, PathSeg, toPointer } from './util/jsonpath';
import { recordNumberText } from './util/json-numbers';
import { MAX_DEPTH } from './util/json-limits';

/** What this loader makes of a good file (compiler/load.ts's LoadedConfig, with every position in a Map). */
export interface MomoaLoadedConfig {
  file: string;
  text: string;
  value: unknown;
  /** JSON Pointer -> position of the value. */
  valuePos: Map<string, Position>;
  /** JSON Pointer -> position of the key naming the value (object members only). */
  keyPos: Map<string, Position>;
}

export type MomoaLoadResult = { ok: true; config: MomoaLoadedConfig } | { ok: false; diagnostics: Diagnostic[] };

const BOM = '\uFEFF';

/**
 * Parses `rawText` (the config file's text, a leading BOM skipped) with momoa.
 * @param file the file's name as shown in diagnostics
 * @returns the value with a position for every JSON Pointer, or the diagnostics: PHX003 for an
 *   empty file, PHX001 for a syntax error or a raw control character in a string, one PHX002 per
 *   duplicate key (each at the later key, naming the first one's line:col)
 */
export function loadWithMomoa(file: string, rawText: string): MomoaLoadResult {
  const text = rawText.startsWith(BOM) ? rawText.slice(1) : rawText;
  if (text.trim() === '') {
    return fail(file, { line: 1, col: 1 }, 'PHX003', 'the config file is empty: expected a JSON object');
  }
  const found = scanText(text);
  if (found?.code !== undefined)
    return fail(
      file,
      found.pos,
      'PHX001',
      `invalid JSON: raw control character U+${found.code.toString(16).toUpperCase().padStart(4, '0')} inside a string; JSON requires it escaped (for example \\n or \\t)`,
    );
  if (found)
    return fail(
      file,
      found.pos,
      'PHX001',
      `invalid config: objects and arrays nested more than ${MAX_DEPTH} deep (the schema needs about ten); this one opens level ${MAX_DEPTH + 1}`,
    );
  let doc: DocumentNode;
  try {
    doc = parseJson(text, { mode: 'json', ranges: false, tokens: false });
  } catch (e) {
    const err = e as { message?: string; line?: number; column?: number; offset?: number };
    if (typeof err.line !== 'number' || typeof err.column !== 'number') throw e;
    // A text cut short: momoa names a token before the cut ("Unexpected token LBrace", or "end of
    // input" at 1:1); the slip is where the text ends.
    if (endsEarly(text)) return fail(file, endOf(text), 'PHX001', ENDS_EARLY);
    return fail(file, { line: err.line, col: err.column }, 'PHX001', syntaxMessage(text, err.message ?? '', err.offset));
  }
  const valuePos = new Map<string, Position>();
  const keyPos = new Map<string, Position>();
  const diagnostics: Diagnostic[] = [];
  const value = build(doc.body, [], { file, text, valuePos, keyPos, diagnostics });
  if (diagnostics.length > 0) return { ok: false, diagnostics };
  return { ok: true, config: { file, text, value, valuePos, keyPos } };
}

interface BuildCtx {
  file: string;
  text: string;
  valuePos: Map<string, Position>;
  keyPos: Map<string, Position>;
  diagnostics: Diagnostic[];
}

function build(node: AnyNode, path: PathSeg[], ctx: BuildCtx): unknown {
  ctx.valuePos.set(toPointer(path), pos(node));
  switch (node.type) {
    case 'Object': {
      // A null-prototype object: keys such as "__proto__" stay plain data.
      const out: Record<string, unknown> = Object.create(null);
      const firstSeen = new Map<string, Position>();
      for (const member of node.members) {
        const key = member.name.type === 'String' ? member.name.value : member.name.name;
        const childPath = [...path, key];
        const keyAt = pos(member.name);
        const earlier = firstSeen.get(key);
        if (earlier) {
          ctx.diagnostics.push({
            severity: 'error',
            code: 'PHX002',
            message: `duplicate key ${JSON.stringify(key)} (first defined at ${earlier.line}:${earlier.col}); JSON keeps only one of them, so the file is ambiguous`,
            file: ctx.file,
            pos: keyAt,
            path: displayPath(childPath),
            ...ctidField(childPath),
          });
          continue;
        }
        firstSeen.set(key, keyAt);
        ctx.keyPos.set(toPointer(childPath), keyAt);
        out[key] = build(member.value, childPath, ctx);
        if (member.value.type === 'Number') recordNumberText(out, key, rawText(ctx, member.value));
      }
      return out;
    }
    case 'Array': {
      const out = node.elements.map((el, i) => build(el.value, [...path, i], ctx));
      node.elements.forEach((el, i) => {
        if (el.value.type === 'Number') recordNumberText(out, i, rawText(ctx, el.value));
      });
      return out;
    }
    case 'String':
    case 'Number':
    case 'Boolean':
      return node.value;
    case 'Null':
      return null;
    default:
      // JSON mode produces no other node kinds (no NaN, Infinity or identifiers).
      throw new Error(`unexpected JSON node ${node.type}`);
  }
}

/** The source text of a node (a number as written: 4.0, 1e3, 12345678901234567890). */
function rawText(ctx: BuildCtx, node: AnyNode): string {
  return ctx.text.slice(node.loc.start.offset, node.loc.end.offset);
}

function pos(node: AnyNode): Position {
  return { line: node.loc.start.line, col: node.loc.start.column };
}

function ctidField(path: PathSeg[]): { ctid?: string } {
  const ctid = ctidOfPath(path);
  return ctid !== undefined ? { ctid } : {};
}

/**
 * What momoa would not report, found in one pass outside the parser: the first object or array
 * opened deeper than MAX_DEPTH (momoa would recurse into a stack overflow), or the first unescaped
 * control character inside a string (momoa lets them through), whichever comes first.
 */
function scanText(text: string): { pos: Position; code?: number } | undefined {
  let depth = 0;
  let line = 1;
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      else if (c < 0x20) return { pos: { line, col: i - start + 1 }, code: c };
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > MAX_DEPTH) return { pos: { line, col: i - start + 1 } };
    } else if (c === 0x7d || c === 0x5d) depth--;
    if (c === 0x0a || (c === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line++;
      start = i + 1;
    }
  }
  return undefined;
}

const ENDS_EARLY = 'invalid JSON: the file ends before the JSON value is complete';

/**
 * Whether the first syntax error jsonc-parser finds is the end of the text (an object, array or
 * string still open, or a value still expected, when only white space is left): the text was cut
 * short, rather than holding a wrong character.
 */
function endsEarly(text: string): boolean {
  const end = text.trimEnd().length;
  let first: { code: ParseErrorCode; offset: number; length: number } | undefined;
  visit(
    text,
    {
      onError: (code, offset, length) => {
        first ??= { code, offset, length };
      },
    },
    { disallowComments: true, allowTrailingComma: false },
  );
  if (!first) return false;
  return first.offset >= end || (first.code === ParseErrorCode.UnexpectedEndOfString && first.offset + first.length >= text.length);
}

/** The line and column just past the text's last character (\n, \r and \r\n each end a line). */
function endOf(text: string): Position {
  let line = 1;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
    if (c === 0x0a || c === 0x0d) {
      line++;
      start = i + 1;
    }
  }
  return { line, col: text.length - start + 1 };
}

/** momoa's messages end in "(line:col)", which our format already carries; name common slips. */
function syntaxMessage(text: string, raw: string, offset: number | undefined): string {
  const base = raw.replace(/\s*\(\d+:\d+\)\s*$/, '').replace(/\.$/, '');
  if (offset !== undefined && offset >= text.length) return ENDS_EARLY;
  const ch = offset !== undefined ? text[offset] : undefined;
  if ((ch === '}' || ch === ']') && offset !== undefined && /,\s*$/.test(text.slice(0, offset))) {
    return `invalid JSON: trailing comma before '${ch}'`;
  }
  return `invalid JSON: ${base.charAt(0).toLowerCase()}${base.slice(1)}`;
}

function fail(file: string, at: Position, code: 'PHX001' | 'PHX003', message: string): MomoaLoadResult {
  return { ok: false, diagnostics: [{ severity: 'error', code, message, file, pos: at, path: '$' }] };
}
