/**
 * `npm test` runner: runs every uvu suite under dist/test (after the build) and ends with the
 * plain summary line `N passed, N failed, N skipped`. Extra arguments filter suites by file name
 * pattern, e.g. `npm test -- golden`.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const pattern = process.argv[2] ?? '\\.test\\.js$';
const uvu = path.join(root, 'node_modules', 'uvu', 'bin.js');
// loud-hooks makes a before/after hook that throws print its error (uvu would swallow it).
const loudHooks = path.join(root, 'dist', 'test', 'lib', 'loud-hooks.js');
// Compile records (compiler/write/record.ts) of this run go to a folder of its own, not the
// user's ~/.cache: no run sees another's, and a suite that wants none sets PHOENIX_COMPILE_CACHE_DIR=off.
const records = fs.mkdtempSync(path.join(os.tmpdir(), 'phx-test-records-'));
const env = { ...process.env, PHOENIX_COMPILE_CACHE_DIR: records };
const child = spawn(process.execPath, ['-r', loudHooks, uvu, path.join('dist', 'test'), pattern], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
child.stdout.on('data', (b: Buffer) => {
  process.stdout.write(b);
  text += b.toString('utf8');
});
child.on('close', (code) => {
  fs.rmSync(records, { recursive: true, force: true });
  const plain = text.replace(/\u001b\[[0-9;]*m/g, '');
  const num = (label: string) => Number(new RegExp(`${label}:\\s+(\\d+)`).exec(plain)?.[1] ?? 0);
  const total = num('Total');
  const passed = num('Passed');
  const skipped = num('Skipped');
  const failed = Math.max(0, total - passed - skipped);
  process.stdout.write(`\n${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  process.exit(code === 0 && failed === 0 && total > 0 ? 0 : 1);
});
