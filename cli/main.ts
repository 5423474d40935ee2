/**
 * The command line: `phoenix-compile [options]` (compile), `explain`, `diff`, `migrate`, `schema`. Each
 * command lives in its own module with its own arguments and --help; the subcommands' modules
 * load only when used, so the compile path stays lean. Nothing imports cli/.
 *
 * Exit codes: 0 success; 1 invalid input or usage (nothing written); 2 --check or diff found
 * differences.
 */
import { UsageError } from './args';
import { parseCompileArgs, runCompile } from './compile';
import type { Io } from './context';

export type { Io };

const COMMANDS: Partial<Record<string, () => { main(argv: string[], io: Io): number }>> = {
  explain: () => require('./explain') as typeof import('./explain'),
  diff: () => require('./diff') as typeof import('./diff'),
  migrate: () => require('./migrate') as typeof import('./migrate'),
  schema: () => require('./schema') as typeof import('./schema'),
};

/** Runs one command line; returns the exit code. Usage errors print one line and exit 1. */
export function main(argv: string[], io: Io): number {
  const command = argv.length > 0 && Object.prototype.hasOwnProperty.call(COMMANDS, argv[0]) ? COMMANDS[argv[0]] : undefined;
  try {
    if (command) return command().main(argv.slice(1), io);
    return runCompile(parseCompileArgs(argv), io);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    const name = command ? `phoenix-compile ${argv[0]}` : 'phoenix-compile';
    io.err(`phoenix-compile: ${e.message}\nTry '${name} --help'.`);
    return 1;
  }
}
