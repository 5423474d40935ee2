/**
 * How each number of the loaded config is written ("4.0", "1e3", "12345678901234567890").
 * JSON.parse keeps only the double, which loses what Python's json.loads (the reader of vLLM's
 * JSON arguments) keeps: 4 and 4.0 are an int and a float there, an integer beyond 2^53 keeps all
 * its digits, and 1e400 is inf. compiler/load.ts records a number's text by its container and key
 * when `numberTextNeeded` says so (most numbers, such as 2048 or 0.9, are written exactly as
 * JSON.stringify writes them, and keeping their text would cost memory in proportion to the
 * fleet); a JSON argument is then written with its numbers as the config writes them.
 */
const texts = new WeakMap<object, Map<string, string>>();

/**
 * Whether a number written `text` in the config (read as the double `n`) needs its text recorded
 * for `jsonAsWritten` to write it back as written: false exactly when `jsonAsWritten`, finding no
 * record, writes `text` itself (JSON.stringify(n) is `text`, and `n` is no integer beyond 2^53,
 * which it refuses without a record). "4.0", "1e3", "-0", "1e400" and "9007199254740993" need one.
 */
export function numberTextNeeded(text: string, n: number): boolean {
  return JSON.stringify(n) !== text || (Number.isInteger(n) && !Number.isSafeInteger(n));
}

/** Records the source text of the number at `container[key]`. */
export function recordNumberText(container: object, key: string | number, text: string): void {
  let m = texts.get(container);
  if (!m) {
    m = new Map();
    texts.set(container, m);
  }
  m.set(String(key), text);
}

/**
 * The source text of the number at `container[key]`, when it came from a loaded file and
 * `numberTextNeeded` said it needs one (undefined otherwise: the number is written as
 * JSON.stringify writes it).
 */
export function numberText(container: object, key: string | number): string | undefined {
  return texts.get(container)?.get(String(key));
}

/**
 * Compact JSON of a value, object keys sorted, each number as the config writes it.
 * @returns the text, or why a number cannot be written (no source text, and JSON.stringify
 *   would change it: beyond the double range, or an integer beyond 2^53)
 */
export function jsonAsWritten(v: unknown): { ok: true; text: string } | { ok: false; why: string } {
  const num = (n: number, container: object | undefined, key: string | number | undefined): string | { why: string } => {
    const written = container !== undefined && key !== undefined ? numberText(container, key) : undefined;
    if (written !== undefined) return written;
    if (!Number.isFinite(n)) return { why: 'a number beyond the double range (read as Infinity)' };
    if (Number.isInteger(n) && !Number.isSafeInteger(n)) return { why: `the integer ${n} beyond 2^53 (its digits are lost)` };
    return JSON.stringify(n);
  };
  const walk = (x: unknown, container?: object, key?: string | number): string | { why: string } => {
    if (typeof x === 'number') return num(x, container, key);
    if (Array.isArray(x)) {
      const parts: string[] = [];
      for (let i = 0; i < x.length; i++) {
        const p = walk(x[i], x, i);
        if (typeof p !== 'string') return p;
        parts.push(p);
      }
      return `[${parts.join(',')}]`;
    }
    if (x !== null && typeof x === 'object') {
      const parts: string[] = [];
      for (const k of Object.keys(x).sort()) {
        const p = walk((x as Record<string, unknown>)[k], x, k);
        if (typeof p !== 'string') return p;
        parts.push(`${JSON.stringify(k)}:${p}`);
      }
      return `{${parts.join(',')}}`;
    }
    return JSON.stringify(x);
  };
  const r = walk(v);
  return typeof r === 'string' ? { ok: true, text: r } : { ok: false, why: r.why };
}
