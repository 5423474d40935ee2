/**
 * Stage 1, load: JSON text -> plain value, with the position of any node found on demand.
 *
 * A well-formed file is read in one pass with jsonc-parser's `visit` (a tokenizer that calls back
 * per token with its offset; no syntax tree), which builds the value directly: objects without a
 * prototype (keys such as "__proto__" stay plain data), and the source text of each number that
 * JSON.stringify would not write back as written (compiler/util/json-numbers.ts). Positions are
 * not kept: `valuePos` and `keyPos` find them in the text on first use
 * (compiler/util/json-positions.ts), so a compile that reports nothing never pays for them.
 *
 * Anything that pass refuses (a syntax error, a raw control character in a string, a comment, a
 * trailing comma, a duplicate key, an empty file) goes to compiler/load-errors.ts, the momoa-based
 * loader, which says exactly what is wrong and where; it is loaded only then. Plain JSON.parse
 * would silently keep the last of two duplicate keys; here a duplicate is an error. A UTF-8 byte
 * order mark is accepted and skipped.
 */
import { visit } from 'jsonc-parser';
import type { Diagnostic, PointerPositions } from './diagnostics';
import { numberTextNeeded, recordNumberText } from './util/json-numbers';
import { textPositions } from './util/json-positions';
import { MAX_DEPTH } from './util/json-limits';

export interface LoadedConfig {
  file: string;
  /** The file's text, without a leading byte order mark. */
  text: string;
  value: unknown;
  /** JSON Pointer -> position of the value (the document itself at ""). */
  valuePos: PointerPositions;
  /** JSON Pointer -> position of the key naming the value (object members only). */
  keyPos: PointerPositions;
}

export type LoadResult = { ok: true; config: LoadedConfig } | { ok: false; diagnostics: Diagnostic[] };

const BOM = '\uFEFF';

/**
 * Reads the config file's text.
 * @param file the file's name as shown in diagnostics
 * @param rawText the whole text (a leading BOM is skipped)
 * @returns the value and its positions, or the diagnostics of compiler/load-errors.ts: PHX003 for
 *   an empty file, PHX001 for a syntax error, PHX002 for each duplicate key
 */
export function loadConfig(file: string, rawText: string): LoadResult {
  const text = rawText.startsWith(BOM) ? rawText.slice(1) : rawText;
  const read = readStrictJson(text);
  if (read === undefined) {
    const { loadWithMomoa } = require('./load-errors') as typeof import('./load-errors');
    return loadWithMomoa(file, rawText);
  }
  const { valuePos, keyPos } = textPositions(text);
  return { ok: true, config: { file, text, value: read.value, valuePos, keyPos } };
}

/** Thrown from a visitor callback to stop at the first thing the fast path does not take. */
const REFUSED = new Error('load: refused by the fast path');

/**
 * One strict JSON value -> its plain value, or undefined when the text is anything else or has
 * a duplicate key. jsonc-parser is lenient by default; here comments, trailing commas and empty
 * content are errors, and every error it reports refuses the text (it would otherwise recover).
 * Its scanner takes only space, tab, \n and \r as white space and refuses a control character
 * inside a string, as JSON does.
 */
function readStrictJson(text: string): { value: unknown } | undefined {
  type Container = Record<string, unknown> | unknown[];
  const open: Container[] = [];
  let top: Container | undefined;
  let key = '';
  let root: unknown;
  /** Puts a value into the container being read, at the pending key or the array's end; returns where. */
  const put = (v: unknown): string | number | undefined => {
    if (top === undefined) {
      root = v;
      return undefined;
    }
    if (Array.isArray(top)) return top.push(v) - 1;
    top[key] = v;
    return key;
  };
  const begin = (c: Container) => {
    // Deeper than MAX_DEPTH: refused here, reported by the momoa path (load-errors.ts tooDeep).
    if (open.length >= MAX_DEPTH - 1 && top !== undefined) throw REFUSED;
    put(c);
    if (top !== undefined) open.push(top);
    top = c;
  };
  const end = () => {
    top = open.pop();
  };
  try {
    visit(
      text,
      {
        onObjectBegin: () => begin(Object.create(null) as Record<string, unknown>),
        onObjectEnd: end,
        onArrayBegin: () => begin([]),
        onArrayEnd: end,
        onObjectProperty: (name) => {
          // A null-prototype object has no inherited keys: `in` sees only earlier members.
          if (name in (top as Record<string, unknown>)) throw REFUSED;
          key = name;
        },
        onLiteralValue: (value: unknown, offset, length) => {
          const at = put(value);
          if (typeof value === 'number' && at !== undefined) {
            const written = text.slice(offset, offset + length);
            if (numberTextNeeded(written, value)) recordNumberText(top as Container, at, written);
          }
        },
        onError: () => {
          throw REFUSED;
        },
      },
      { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false },
    );
  } catch (e) {
    // A refusal, or nesting too deep for the stack: the momoa loader has the last word on both.
    if (e === REFUSED || e instanceof RangeError) return undefined;
    throw e;
  }
  return { value: root };
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
