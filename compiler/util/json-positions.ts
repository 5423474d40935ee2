/**
 * Positions in a well-formed JSON text, found on demand by JSON Pointer.
 *
 * compiler/load.ts builds the config's value without keeping where each node is written; most
 * compiles report nothing and never ask. When a diagnostic does ask for a pointer, the finder
 * walks the pointer's path down the text, and remembers for each object or array it passes the
 * offset of each member's key (objects) or element (arrays), read with jsonc-parser's scanner.
 * Memory and time then grow with the containers that diagnostics name, not with the file: a
 * warning per CTID of a 10,000-CTID fleet indexes lxc_configs once and each named CTID's object.
 *
 * Positions are exactly momoa's (compiler/load-errors.ts, the loader for broken files): line and
 * column 1-based, the column counting UTF-16 code units from the line's start, and \n, \r and
 * \r\n each ending a line. test/load.test.ts checks every pointer against momoa's.
 */
import { createScanner, JSONScanner, SyntaxKind } from 'jsonc-parser';
import type { PointerPositions, Position } from '../diagnostics';

/** The positions of a text, by pointer: values, and keys (object members only). */
export interface TextPositions {
  valuePos: PointerPositions;
  keyPos: PointerPositions;
}

/**
 * Positions in `text`, which must be one well-formed JSON value (strict JSON with no duplicate
 * key: compiler/load.ts calls this only after its parse accepted the text). Nothing is read until
 * the first `get`.
 */
export function textPositions(text: string): TextPositions {
  let finder: Finder | undefined;
  const find = (pointer: string, key: boolean): Position | undefined => (finder ??= new Finder(text)).find(pointer, key);
  return { valuePos: { get: (p) => find(p, false) }, keyPos: { get: (p) => find(p, true) } };
}

/** An indexed container: an object's key -> offset of the key's opening quote, or an array's element offsets. */
type Children = Map<string, number> | number[];

class Finder {
  private readonly scanner: JSONScanner;
  /** Offset (in UTF-16 code units) at which each line starts; lineStarts[0] = 0. */
  private readonly lineStarts: number[] = [0];
  /** Offset of the document's value. */
  private readonly root: number;
  /** Offset of a container's opening bracket -> its children, for each container looked into. */
  private readonly children = new Map<number, Children>();

  constructor(text: string) {
    this.scanner = createScanner(text, true);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) this.lineStarts.push(i + 1);
      else if (c === 0x0d) {
        if (text.charCodeAt(i + 1) === 0x0a) i++;
        this.lineStarts.push(i + 1);
      }
    }
    this.scanner.setPosition(0);
    this.scanner.scan();
    this.root = this.scanner.getTokenOffset();
  }

  /** The position of the value (or, when `key`, of the key) that `pointer` names, if written. */
  find(pointer: string, key: boolean): Position | undefined {
    const at = this.locate(pointer);
    if (!at) return undefined;
    const offset = key ? at.key : at.value;
    return offset === undefined ? undefined : this.position(offset);
  }

  /** Offsets of the value and of its key (undefined for the document and array elements). */
  private locate(pointer: string): { value: number; key: number | undefined } | undefined {
    if (pointer === '') return { value: this.root, key: undefined };
    if (pointer[0] !== '/') return undefined;
    let value = this.root;
    let key: number | undefined;
    for (const raw of pointer.slice(1).split('/')) {
      // Only what toPointer writes: "~" always escaped as ~0 (and "/" as ~1).
      if (/~(?![01])/.test(raw)) return undefined;
      const seg = raw.replace(/~[01]/g, (e) => (e === '~0' ? '~' : '/'));
      const children = this.childrenOf(value);
      if (children === undefined) return undefined;
      if (Array.isArray(children)) {
        if (!/^(0|[1-9][0-9]*)$/.test(seg) || Number(seg) >= children.length) return undefined;
        value = children[Number(seg)];
        key = undefined;
      } else {
        const k = children.get(seg);
        if (k === undefined) return undefined;
        key = k;
        value = this.valueAfterKey(k);
      }
    }
    return { value, key };
  }

  /** The children of the container whose opening bracket is at `offset` (undefined for a scalar). */
  private childrenOf(offset: number): Children | undefined {
    const known = this.children.get(offset);
    if (known) return known;
    const s = this.scanner;
    s.setPosition(offset);
    const open = s.scan();
    let found: Children;
    if (open === SyntaxKind.OpenBraceToken) {
      const keys = new Map<string, number>();
      for (let t = this.next(); t !== SyntaxKind.CloseBraceToken; t = this.next()) {
        if (t === SyntaxKind.CommaToken) continue;
        keys.set(s.getTokenValue(), s.getTokenOffset());
        s.scan(); // ':'
        s.scan();
        this.skipValue();
      }
      found = keys;
    } else if (open === SyntaxKind.OpenBracketToken) {
      const elements: number[] = [];
      for (let t = this.next(); t !== SyntaxKind.CloseBracketToken; t = this.next()) {
        if (t === SyntaxKind.CommaToken) continue;
        elements.push(s.getTokenOffset());
        this.skipValue();
      }
      found = elements;
    } else return undefined;
    this.children.set(offset, found);
    return found;
  }

  /** With the scanner on a value's first token, moves it to the value's last token. */
  private skipValue(): void {
    const s = this.scanner;
    let t = s.getToken();
    if (t !== SyntaxKind.OpenBraceToken && t !== SyntaxKind.OpenBracketToken) return;
    for (let depth = 1; depth > 0;) {
      t = this.next();
      if (t === SyntaxKind.OpenBraceToken || t === SyntaxKind.OpenBracketToken) depth++;
      else if (t === SyntaxKind.CloseBraceToken || t === SyntaxKind.CloseBracketToken) depth--;
    }
  }

  /** The next token; the end of the text inside a container means the text is not what was loaded. */
  private next(): SyntaxKind {
    const t = this.scanner.scan();
    if (t === SyntaxKind.EOF) throw new Error('json-positions: the text ends inside a value (it is not the well-formed text that was loaded)');
    return t;
  }

  /** The offset of the value of the member whose key starts at `keyOffset`. */
  private valueAfterKey(keyOffset: number): number {
    const s = this.scanner;
    s.setPosition(keyOffset);
    s.scan(); // the key
    s.scan(); // ':'
    s.scan();
    return s.getTokenOffset();
  }

  /** Offset -> 1-based line and column (binary search of the line starts). */
  private position(offset: number): Position {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - this.lineStarts[lo] + 1 };
  }
}
