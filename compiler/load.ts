/**
 * Stage 1, load: JSON text -> plain value plus the position of every node.
 *
 * Uses momoa, which keeps a line and column for every node, so later stages can point at the
 * exact place of a problem. Plain JSON.parse would silently keep the last of two duplicate keys;
 * here a duplicate is an error. A UTF-8 byte order mark is accepted and skipped.
 */
import { parse as parseJson } from '@humanwhocodes/momoa';
import type { AnyNode, DocumentNode } from '@humanwhocodes/momoa';
import { Diagnostic, Position } from './diagnostics';
import { ctidOfPath, displayPath, PathSeg, toPointer } from './util/jsonpath';
import { recordNumberText } from './util/json-numbers';

export interface LoadedConfig {
  file: string;
  text: string;
  value: unknown;
  /** JSON Pointer -> position of the value. */
  valuePos: Map<string, Position>;
  /** JSON Pointer -> position of the key naming the value (object members only). */
  keyPos: Map<string, Position>;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; diagnostics: Diagnostic[] };

const BOM = '\uFEFF';

export function loadConfig(file: string, rawText: string): LoadResult {
  const text = rawText.startsWith(BOM) ? rawText.slice(1) : rawText;
  if (text.trim() === '') {
    return fail(file, { line: 1, col: 1 }, 'PHX003', 'the config file is empty: expected a JSON object');
  }
  const raw = rawControlInString(text);
  if (raw)
    return fail(
      file,
      raw.pos,
      'PHX001',
      `invalid JSON: raw control character U+${raw.code.toString(16).toUpperCase().padStart(4, '0')} inside a string; JSON requires it escaped (for example \\n or \\t)`,
    );
  let doc: DocumentNode;
  try {
    doc = parseJson(text, { mode: 'json', ranges: false, tokens: false });
  } catch (e) {
    const err = e as { message?: string; line?: number; column?: number; offset?: number };
    if (typeof err.line !== 'number' || typeof err.column !== 'number') throw e;
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

/** The first unescaped control character inside a JSON string (momoa lets them through). */
function rawControlInString(text: string): { pos: Position; code: number } | undefined {
  let line = 1;
  let col = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) {
        i++;
        col += 2;
        continue;
      }
      if (c === 0x22) inString = false;
      else if (c < 0x20) return { pos: { line, col }, code: c };
    } else if (c === 0x22) inString = true;
    if (c === 0x0a) {
      line++;
      col = 1;
    } else col++;
  }
  return undefined;
}

/**
 * Bytes -> text, refusing invalid UTF-8 (a lossy decode would silently turn it into U+FFFD) with
 * the line and column of the first bad byte.
 */
export function decodeConfig(file: string, bytes: Buffer): { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] } {
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    let bad = 0;
    while (bad < bytes.length) {
      const b = bytes[bad];
      const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
      if (n === 0 || bad + n > bytes.length) break;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(bad, bad + n));
      } catch {
        break;
      }
      bad += n;
    }
    const before = bytes.subarray(0, bad).toString('utf8');
    const line = before.split('\n').length;
    const col = before.length - before.lastIndexOf('\n');
    return {
      ok: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'PHX001',
          message: `the file is not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad})`,
          file,
          pos: { line, col },
          path: '$',
        },
      ],
    };
  }
}

/** momoa's messages end in "(line:col)", which our format already carries; name common slips. */
function syntaxMessage(text: string, raw: string, offset: number | undefined): string {
  const base = raw.replace(/\s*\(\d+:\d+\)\s*$/, '').replace(/\.$/, '');
  if (offset !== undefined && offset >= text.length) return 'invalid JSON: the file ends before the JSON value is complete';
  const ch = offset !== undefined ? text[offset] : undefined;
  if ((ch === '}' || ch === ']') && offset !== undefined && /,\s*$/.test(text.slice(0, offset))) {
    return `invalid JSON: trailing comma before '${ch}'`;
  }
  return `invalid JSON: ${base.charAt(0).toLowerCase()}${base.slice(1)}`;
}

function fail(file: string, at: Position, code: 'PHX001' | 'PHX003', message: string): LoadResult {
  return { ok: false, diagnostics: [{ severity: 'error', code, message, file, pos: at, path: '$' }] };
}
