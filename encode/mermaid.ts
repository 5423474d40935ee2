/**
 * Mermaid flowchart text (https://mermaid.js.org/syntax/flowchart.html): node ids and "..." labels.
 * Proven with Mermaid's own parser in test/fleet-md.test.ts. Imports nothing of the project.
 */

/** A node id made only of `c` and the CTID's digits (anything else is hex-encoded). */
export function nodeId(ctid: string): string {
  return 'c' + [...ctid].map((ch) => (/[0-9]/.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16)}_`)).join('');
}

const MERMAID_NAMED: Record<string, string> = { '"': '#quot;', '#': '#35;', '<': '#lt;', '>': '#gt;', '&': '#amp;' };

/**
 * Text for inside a Mermaid "..." label: letters, digits, space and harmless punctuation stay;
 * every other ASCII character, control and format character (bidi overrides, zero-width) and
 * non-space white space becomes an entity code (#quot;, #35;, #124;, ...), so no name can end the
 * string, open markup, start a comment or a markdown string, or change the diagram.
 */
export function mermaidLabel(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (/^[A-Za-z0-9 .,:/_+=@!?'-]$/.test(ch)) out += ch;
    else if (MERMAID_NAMED[ch]) out += MERMAID_NAMED[ch];
    else if (cp >= 0x80 && /^[\p{L}\p{N}\p{M}\p{S}\p{P}]$/u.test(ch)) out += ch;
    else out += `#${cp};`;
  }
  return out;
}
