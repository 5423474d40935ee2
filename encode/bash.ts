/**
 * The one bash encoder. Every config value that reaches a generated script goes through
 * `bashWord`: it yields exactly one bash word whose value is the input, byte for byte.
 *
 * Rules (REFERENCE.md, "Bash and tools"): words made only of [A-Za-z0-9_@%+=:,./-] stay bare;
 * everything else is single-quoted, with ' written as '"'"'. NUL cannot be passed to a program,
 * and a newline inside an argument is refused (it hides lines from a reviewer); `$'...'` is never
 * used. Proven through the real bash: test/encode-bash.test.ts.
 */
import { EncodeError, hasLineBreak, hasNul, unpairedSurrogate } from './text';

export { EncodeError };

const BARE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One bash word whose value is `value`.
 * @throws EncodeError when `bashRefusal` refuses the value.
 */
export function bashWord(value: string): string {
  const why = bashRefusal(value);
  if (why) throw new EncodeError(`cannot encode ${JSON.stringify(value)} for bash: ${why}`);
  if (BARE.test(value)) return value;
  return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Why a value cannot be a bash word, or undefined when it can. */
export function bashRefusal(value: string): string | undefined {
  if (hasNul(value)) return 'contains a NUL character, which no command argument can hold';
  if (hasLineBreak(value)) return 'contains a line break, which is not allowed in a command argument';
  if (unpairedSurrogate(value) !== undefined) return 'contains an unpaired UTF-16 surrogate (not valid UTF-8)';
  return undefined;
}
