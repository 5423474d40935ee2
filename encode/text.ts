/**
 * What text any artifact can carry: the one character policy that validation, the bash encoder
 * and the systemd encoders share. Each function finds the first character of one class and says
 * where it is; the callers word the refusal for their target.
 *
 * Facts: a NUL cannot be passed in a command argument, a path or a unit line (execve(2) takes
 * NUL-terminated strings); an unpaired UTF-16 surrogate has no UTF-8 form (RFC 3629 section 3),
 * so it cannot be written to any file; systemd refuses a unit line holding a Unicode
 * noncharacter (U+FDD0-U+FDEF, U+nFFFE, U+nFFFF) as "not UTF-8 clean" (measured on systemd 252,
 * test/encode-systemd.test.ts).
 *
 * Imports nothing of the project (the ground floor).
 */

/** Raised when a value cannot be encoded for its target; validation refuses such values first. */
export class EncodeError extends Error {}

/** "U+0041" for a code point. */
export function codePointName(cp: number): string {
  return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
}

/** True when s holds a NUL (U+0000). */
export function hasNul(s: string): boolean {
  return s.includes('\0');
}

/** True when s holds a line feed or carriage return. */
export function hasLineBreak(s: string): boolean {
  return /[\n\r]/.test(s);
}

/** True when s holds a C0 control character or DEL (U+0000-U+001F, U+007F), line breaks included. */
export function hasControl(s: string): boolean {
  return /[\u0000-\u001f\u007f]/.test(s);
}

/** The first unpaired UTF-16 surrogate of s (a code unit), or undefined. */
export function unpairedSurrogate(s: string): number | undefined {
  const m = /[\ud800-\udfff]/.exec(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
  return m ? m[0].charCodeAt(0) : undefined;
}

/** The first Unicode noncharacter of s (U+FDD0-U+FDEF, U+nFFFE, U+nFFFF), or undefined. */
export function noncharacter(s: string): number | undefined {
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return cp;
  }
  return undefined;
}
