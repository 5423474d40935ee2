/**
 * The hand-written sources are formatted as prettier formats them (.prettierrc.json; generated
 * files, data and templates are listed in .prettierignore). Fix with `npx prettier --write .`.
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot } from './lib/paths';

const ROOT = repoRoot();

test('prettier --check passes over the sources', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '.'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout + r.stderr, /All matched files use Prettier code style/);
});

test.run();
