/**
 * `phoenix-compile schema`: prints the config's JSON Schema (draft-07), the file this compiler
 * validates against, so an editor can check phoenix_lxc_configs.json while it is typed. `--path`
 * prints where the installed copy is instead (for the config's "$schema" line).
 */
import fs = require('fs');
import path = require('path');
import { COMMON_OPTIONS, parseCommand } from './args';
import { Io, ROOT } from './context';

/** The generated schema, shipped in the package (schema/ is in package.json "files"). */
export const SCHEMA_FILE = path.join(ROOT, 'schema', 'phoenix_lxc_configs.schema.json');

export const HELP = `Usage: phoenix-compile schema [--path]

Prints the JSON Schema of phoenix_lxc_configs.json (the one the compiler validates against), for
editors. In a repository that has phoenix-compile as a devDependency, point the config at the
installed copy:

  "$schema": "./node_modules/phoenix-compile/schema/phoenix_lxc_configs.schema.json",

Options:
  --path            print the schema file's path instead of its content
  -h, --help        this text

Exit codes: 0 printed, 1 usage error.
`;

const OPTIONS = { ...COMMON_OPTIONS, path: { type: 'boolean' } } as const;

export function main(argv: string[], io: Io): number {
  const { values } = parseCommand(argv, OPTIONS, { max: 0 });
  if (values.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  if (values.path) {
    io.out(SCHEMA_FILE);
    return 0;
  }
  io.out(fs.readFileSync(SCHEMA_FILE, 'utf8').trimEnd());
  return 0;
}
