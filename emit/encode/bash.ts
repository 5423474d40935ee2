/**
 * The one bash encoder. Every config value that reaches a generated script goes through
 * `bashWord`: it yields exactly one bash word whose value is the input, byte for byte.
 *
 * Rules (REFERENCE.md, "Bash and tools"): words made only of [A-Za-z0-9_@%+=:,./-] stay bare;
 * everything else is single-quoted, with ' written as '"'"'. NUL cannot be passed to a program,
 * and a newline inside an argument is refused (it hides lines from a reviewer); `$'...'` is never
 * used.
 */
export class EncodeError extends Error {}

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function bashWord(value: string): string {
  checkBashValue(value);
  if (BARE.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Why a value cannot be a bash word, or undefined when it can. */
export function bashRefusal(value: string): string | undefined {
  if (value.includes('\0')) return 'contains a NUL character, which no command argument can hold';
  if (/[\n\r]/.test(value)) return 'contains a line break, which is not allowed in a command argument';
  if (/[\ud800-\udfff]/.test(value.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''))) return 'contains an unpaired UTF-16 surrogate (not valid UTF-8)';
  return undefined;
}

function checkBashValue(value: string): void {
  const why = bashRefusal(value);
  if (why) throw new EncodeError(`cannot encode ${JSON.stringify(value)} for bash: ${why}`);
}

/** Several words separated by spaces. */
export function bashWords(values: readonly string[]): string {
  return values.map(bashWord).join(' ');
}
