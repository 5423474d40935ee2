/**
 * Every generated script parses (`bash -n`), is shellcheck-clean (every severity, style included)
 * and is formatted as shfmt formats it (`shfmt -d`, tabs): the bundled example, the user's two real
 * config files (fixtures/real: 2b02afc whole, 08cb921 with --only for the CTIDs it can
 * compile), each compiled into a temporary folder, and every golden case's expected tree (the
 * hostile values among them). Scripts are the files the manifest gives mode 0755.
 * shellcheck and shfmt come from Debian (.ci/run installs them); without them the suite prints a
 * loud SKIPPED line, and fails under CI=true.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './lib/cli';
import { repoRoot, tmpDir } from './lib/paths';
import { listCases } from './golden/cases';

const SUITE = 'generated-scripts lint suite';
const REAL = path.join(repoRoot(), 'fixtures', 'real');

interface Tree {
  name: string;
  dir: string;
}

function have(tool: string): boolean {
  return spawnSync(tool, ['--version'], { encoding: 'utf8' }).status === 0;
}

/** Scripts of an output tree: files the manifest lists with mode 0755. */
function scripts(dir: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
  const files: Record<string, { mode: string }> = manifest.files;
  return Object.entries(files)
    .filter(([p, f]) => f.mode === '0755' || p.endsWith('.sh'))
    .map(([p]) => path.join(dir, p))
    .sort();
}

function compileInto(name: string, config: string, extra: string[] = []): Tree {
  const work = tmpDir(`lint-${name}`);
  const r = runCli(['--config', config, '--out', 'out', ...extra], work);
  if (r.code !== 0) throw new Error(`${name}: compile failed (exit ${r.code}):\n${r.stderr}`);
  return { name, dir: path.join(work, 'out') };
}

const missing = ['shellcheck', 'shfmt'].filter((t) => !have(t));
if (missing.length > 0) {
  const line = `SKIPPED ${SUITE}: ${missing.join(' and ')} not installed (Debian packages shellcheck, shfmt)`;
  console.log(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
  test(`${SUITE} can run (required when CI=true)`, () => {
    if (process.env.CI === 'true') assert.unreachable(`CI=true but ${line}`);
  });
  test.run();
} else {
  const trees: Tree[] = [];

  test.before(() => {
    trees.push(compileInto('example', path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json')));
    trees.push(compileInto('real-2b02afc', path.join(REAL, 'phoenix_lxc_configs.2b02afc.json')));
    trees.push(
      compileInto('real-08cb921', path.join(REAL, 'phoenix_lxc_configs.08cb921.json'), ['--only', '900,901,902,910,920,921,951,952,953,954,955,956,957']),
    );
    for (const c of listCases()) {
      const dir = path.join(c.dir, 'expected');
      if (fs.existsSync(path.join(dir, 'manifest.json'))) trees.push({ name: `golden ${c.name}`, dir });
    }
  });

  test('every tree has scripts of every kind', () => {
    const all = trees.flatMap((t) => scripts(t.dir).map((s) => path.relative(t.dir, s)));
    for (const kind of [
      /^phoenix$/,
      /\/create\.sh$/,
      /\/deploy\.sh$/,
      /\/verify\.sh$/,
      /\/benchmark\.sh$/,
      /\/features\/\d\d-nvidia\.sh$/,
      /\/features\/\d\d-vllm\.sh$/,
    ]) {
      assert.ok(
        all.some((p) => kind.test(p)),
        `no script matches ${kind}`,
      );
    }
    for (const t of trees.slice(0, 3)) assert.ok(scripts(t.dir).length >= 5, `${t.name}: only ${scripts(t.dir).length} scripts`);
  });

  test('bash -n, shellcheck and shfmt -d are silent on every generated script', () => {
    const problems: string[] = [];
    for (const t of trees) {
      const files = scripts(t.dir);
      // An output with no scripts (the empty-fleet golden) has nothing to lint; the linters would only print their usage.
      if (files.length === 0) continue;
      for (const f of files) {
        const r = spawnSync('bash', ['-n', f], { encoding: 'utf8' });
        if (r.status !== 0) problems.push(`${t.name}: bash -n ${path.relative(t.dir, f)}:\n${r.stderr}`);
      }
      const sc = spawnSync('shellcheck', ['--format=gcc', ...files], { encoding: 'utf8', cwd: t.dir });
      if (sc.status !== 0 || sc.stdout !== '' || sc.stderr !== '') problems.push(`${t.name}: shellcheck (exit ${sc.status}):\n${sc.stdout}${sc.stderr}`);
      const fmt = spawnSync('shfmt', ['-d', ...files], { encoding: 'utf8', cwd: t.dir });
      if (fmt.status !== 0 || fmt.stdout !== '' || fmt.stderr !== '') problems.push(`${t.name}: shfmt -d (exit ${fmt.status}):\n${fmt.stdout}${fmt.stderr}`);
    }
    assert.equal(problems, []);
  });

  test('the suite can fail: a script with an unquoted expansion and bad indentation is caught', () => {
    const dir = tmpDir('lint-bad');
    const f = path.join(dir, 'bad.sh');
    fs.writeFileSync(f, '#!/usr/bin/env bash\nif true; then\n  rm -rf $1/x\nfi\n');
    assert.is.not(spawnSync('shellcheck', [f]).status, 0);
    assert.ok(spawnSync('shfmt', ['-d', f], { encoding: 'utf8' }).stdout.includes('+\trm -rf'));
  });

  test.run();
}
