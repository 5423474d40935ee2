import { createHash } from 'crypto';

/** Deep copy with object keys sorted, so the file's key order never shows in the output. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const value = canonical((v as Record<string, unknown>)[k]);
      // A key named "__proto__" is data here, not the prototype: defineProperty for it (assignment,
      // the fast path, for every other key).
      if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
      else out[k] = value;
    }
    return out;
  }
  return v;
}

/** A plain JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The sha256 (hex) of `JSON.stringify(canonical(v))`, computed as the text is produced, in chunks
 * of about 64 KiB: neither the sorted copy nor the whole text is ever held (for a 10 MB config both
 * together were some 100 MB at the peak of a compile). Same rules as JSON.stringify: object keys
 * with an undefined or function value are left out, array items that are undefined or functions
 * are `null`; keys come in the order canonical's copy enumerates them (propertyOrder).
 */
export function canonicalSha256(v: unknown): string {
  const hash = createHash('sha256');
  let chunk = '';
  const put = (s: string) => {
    chunk += s;
    if (chunk.length >= 65536) {
      hash.update(chunk, 'utf8');
      chunk = '';
    }
  };
  const skipped = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) {
      put('[');
      for (let i = 0; i < x.length; i++) {
        if (i > 0) put(',');
        if (skipped(x[i])) put('null');
        else walk(x[i]);
      }
      put(']');
    } else if (x !== null && typeof x === 'object') {
      put('{');
      let first = true;
      for (const k of propertyOrder(Object.keys(x).sort())) {
        const value = (x as Record<string, unknown>)[k];
        if (skipped(value)) continue;
        put(`${first ? '' : ','}${JSON.stringify(k)}:`);
        first = false;
        walk(value);
      }
      put('}');
    } else put(JSON.stringify(x));
  };
  walk(v);
  hash.update(chunk, 'utf8');
  return hash.digest('hex');
}

/**
 * Sorted keys in the order an object built by inserting them enumerates them: array-index keys
 * ("0" to "4294967294", no leading zero) first in numeric order, then the others as given
 * (ECMA-262 OrdinaryOwnPropertyKeys), which is the order JSON.stringify writes canonical's copy in.
 */
function propertyOrder(sorted: string[]): string[] {
  const index = (k: string) => /^(0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;
  const indices = sorted.filter(index).sort((a, b) => Number(a) - Number(b));
  return indices.length ? [...indices, ...sorted.filter((k) => !index(k))] : sorted;
}
