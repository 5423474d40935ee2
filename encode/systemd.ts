/**
 * The systemd encoders: one for `ExecStart=` arguments, one for `Environment=` assignments,
 * sharing one escaping core. Facts measured on systemd 252 (REFERENCE.md, systemd section):
 *
 *  - ExecStart= splits on white space; "..." makes one argument; C escapes (\" \\) are decoded;
 *    `%` specifiers expand (write %%); `$NAME`/`${NAME}` expand (write $$); a lone `;` separates
 *    commands. So an argument is written as a double-quoted string with \ " % $ escaped.
 *  - Environment= values: "NAME=value" is unquoted and C-unescaped, `%` specifiers expand (write
 *    %%), `$` is NOT special (writing $$ would give $$).
 *  - A unit is line based, so a control character cannot be written as itself. In an ExecStart=
 *    argument systemd decodes C escapes inside the quotes (\n, \t, \r, \xNN): the encoder writes
 *    every control character but NUL that way, and the process receives the character (proven
 *    through the real systemd: test/encode-systemd.test.ts). A NUL cannot be in any argument
 *    (execve(2) takes NUL-terminated strings). Environment= values refuse control characters.
 */
import { codePointName, EncodeError, hasControl, hasNul, noncharacter, unpairedSurrogate } from './text';

const SAFE_ARG = /^[A-Za-z0-9_+=:,./-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a value cannot go into a unit file, or undefined when it can. */
export function systemdRefusal(value: string): string | undefined {
  if (hasControl(value)) return 'contains a control character (such as a line break), which a unit file cannot hold';
  return utf8Refusal(value);
}

/** Why a value cannot be one ExecStart= argument (control characters but NUL are escaped), or undefined. */
export function execArgRefusal(value: string): string | undefined {
  if (hasNul(value)) return 'contains a NUL character, which no command argument can hold';
  return utf8Refusal(value);
}

/** What no unit line can hold at all: text that is not UTF-8, and Unicode noncharacters. */
function utf8Refusal(value: string): string | undefined {
  if (unpairedSurrogate(value) !== undefined) return 'contains an unpaired UTF-16 surrogate (not valid UTF-8)';
  const nc = noncharacter(value);
  if (nc !== undefined) return `contains the Unicode noncharacter ${codePointName(nc)}, which systemd refuses`;
  return undefined;
}

const C_ESCAPES: Record<string, string> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function quoted(value: string, exec: boolean): string {
  const why = exec ? execArgRefusal(value) : systemdRefusal(value);
  if (why) throw new EncodeError(`cannot encode ${JSON.stringify(value)} for a systemd unit: ${why}`);
  let out = '';
  for (const ch of value) {
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '%') out += '%%';
    else if (ch === '$' && exec) out += '$$';
    else if (exec && /[\u0000-\u001f\u007f]/.test(ch)) out += C_ESCAPES[ch] ?? '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
    else out += ch;
  }
  return `"${out}"`;
}

/** One ExecStart= argument. Plain words stay bare (never the executable's special prefixes). */
export function execArg(value: string, position: 'executable' | 'argument' = 'argument'): string {
  if (position === 'executable') {
    if (!value.startsWith('/')) throw new EncodeError(`the executable must be an absolute path, not ${JSON.stringify(value)}`);
    if (hasControl(value)) throw new EncodeError(`the executable ${JSON.stringify(value)} may not contain control characters`);
    // systemd refuses quotes and backslashes in the executable and does not turn $$ back into $
    // there (measured through the real systemd: test/encode-systemd.test.ts).
    if (/["'\\$]/.test(value)) throw new EncodeError(`the executable ${JSON.stringify(value)} may not contain quotes, backslashes or $`);
  }
  return SAFE_ARG.test(value) ? value : quoted(value, true);
}

/** A whole command line for ExecStart=: argv[0] must be an absolute path. */
export function execLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new EncodeError('an empty command line');
  return argv.map((a, i) => execArg(a, i === 0 ? 'executable' : 'argument')).join(' ');
}

/** The value of one Environment= line: "NAME=value". */
export function envAssignment(name: string, value: string): string {
  if (!ENV_NAME.test(name)) throw new EncodeError(`${JSON.stringify(name)} is not a valid environment variable name`);
  return quoted(`${name}=${value}`, false);
}

/** A variable name for UnsetEnvironment=. */
export function envName(name: string): string {
  if (!ENV_NAME.test(name)) throw new EncodeError(`${JSON.stringify(name)} is not a valid environment variable name`);
  return name;
}

/** A path for WorkingDirectory= and similar single-value settings (specifiers escaped). */
export function unitPath(value: string): string {
  if (!value.startsWith('/')) throw new EncodeError(`${JSON.stringify(value)} is not an absolute path`);
  const why = systemdRefusal(value);
  if (why) throw new EncodeError(`cannot encode ${JSON.stringify(value)} for a systemd unit: ${why}`);
  if (/\s|["'\\]/.test(value))
    throw new EncodeError(`${JSON.stringify(value)}: paths with white space, quotes or backslashes are not supported in unit settings`);
  return value.replace(/%/g, '%%');
}

/** Free text for Description= (specifiers escaped; no control characters). */
export function unitText(value: string): string {
  const why = systemdRefusal(value);
  if (why) throw new EncodeError(`cannot encode ${JSON.stringify(value)} for a systemd unit: ${why}`);
  return value.replace(/%/g, '%%');
}
