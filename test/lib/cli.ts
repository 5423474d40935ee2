import { spawnSync } from 'child_process';
import * as path from 'path';
import { main } from '../../cli/main';
import { repoRoot } from './paths';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in this process (fast), capturing what it prints. */
export function runCli(args: string[], cwd: string): RunResult {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(args, { out: (s) => out.push(s + '\n'), err: (s) => err.push(s + '\n'), cwd });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** Runs the real executable (bin/phoenix-compile.js) in a child process. */
export function runBin(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunResult {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'phoenix-compile.js'), ...args], {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout, stderr: r.stderr };
}
