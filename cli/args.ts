/**
 * Argument parsing for every command: Node's own `util.parseArgs` (strict), with its errors
 * turned into one-line usage messages. Each command declares its options and parses into a
 * typed value (the shape of Terraform's internal/command/arguments).
 */
import { parseArgs, ParseArgsConfig } from 'util';
import { Format, FORMATS, OutputStyle } from './report';

/** Bad usage: printed with a pointer to --help, exit 1. */
export class UsageError extends Error {}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command takes. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

/**
 * Parses `argv` against `options`.
 * @throws UsageError for an unknown option, a missing value or an unexpected positional argument
 */
export function parseCommand<O extends OptionSpec>(argv: string[], options: O, positionals: { max: number }) {
  let r;
  try {
    r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(usageMessage(e as NodeJS.ErrnoException & { message: string }));
  }
  if (r.positionals.length > positionals.max) {
    const extra = r.positionals[positionals.max];
    throw new UsageError(`unexpected argument ${JSON.stringify(extra)}`);
  }
  return r;
}

function usageMessage(e: NodeJS.ErrnoException & { message: string }): string {
  const option = /'(-{1,2}[^' <]+)/.exec(e.message)?.[1] ?? '';
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /argument missing|ambiguous/.test(e.message) ? `${option} needs a value` : `${option} takes no value`;
    default:
      return e.message;
  }
}

/** `--only 921,950 --only 951` -> ["921", "950", "951"]. */
export function parseOnly(values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const ids = values.flatMap((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  for (const id of ids) if (!/^[0-9]+$/.test(id)) throw new UsageError(`--only takes CTIDs separated by commas, not ${JSON.stringify(id)}`);
  // An empty selection (`--only ''`, an unset $CTIDS in a script) would write only the fleet files.
  if (ids.length === 0) throw new UsageError('--only needs at least one CTID');
  return [...new Set(ids)];
}

/** Options of the commands that report diagnostics (compile, diff). */
export const OUTPUT_OPTIONS = {
  quiet: { type: 'boolean', short: 'q' },
  format: { type: 'string' },
} as const satisfies OptionSpec;

/**
 * `--quiet`, `--format text|json|github` -> the output style.
 * @throws UsageError for an unknown format
 */
export function parseStyle(values: { quiet?: boolean; format?: string }): OutputStyle {
  const format = values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format takes ${FORMATS.join(', ')}, not ${JSON.stringify(format)}`);
  return { format: format as Format, quiet: values.quiet ?? false };
}
