import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBin, runCli } from './lib/cli';
import { readTree, repoRoot, tmpDir } from './lib/paths';

const ROOT = repoRoot();
const EXAMPLE = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');

function workWith(config: string | Buffer): string {
  const dir = tmpDir('core');
  fs.writeFileSync(path.join(dir, 'input.json'), config);
  return dir;
}

/** Reorders every object's keys (reversed, then rotated) without changing any value. */
function shuffleKeys(v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) return v.map((x) => shuffleKeys(x, depth + 1));
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).reverse();
    const rot = keys.length ? depth % keys.length : 0;
    const order = [...keys.slice(rot), ...keys.slice(0, rot)];
    const out: Record<string, unknown> = {};
    for (const k of order) out[k] = shuffleKeys((v as Record<string, unknown>)[k], depth + 1);
    return out;
  }
  return v;
}

test('committed out/ is exactly what `npm run compile` produces (--check)', () => {
  const r = runCli(['--check'], ROOT);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stderr, /out is up to date/);
});

test('reordering every key of the example yields the same out/ bytes', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8');
  const a = workWith(text);
  const b = workWith(JSON.stringify(shuffleKeys(JSON.parse(text)), null, 4));
  assert.is.not(fs.readFileSync(path.join(b, 'input.json'), 'utf8'), text);
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], a).code, 0);
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], b).code, 0);
  const ta = readTree(path.join(a, 'out'));
  const tb = readTree(path.join(b, 'out'));
  assert.equal([...ta.keys()], [...tb.keys()]);
  for (const [p, f] of ta) assert.ok(f.data.equals(tb.get(p)!.data), `${p} differs`);
});

test('a second identical run rewrites nothing (timestamps unchanged)', () => {
  const w = workWith(fs.readFileSync(EXAMPLE));
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], w).code, 0);
  const before = new Map([...readTree(path.join(w, 'out')).keys()].map((p) => [p, fs.statSync(path.join(w, 'out', p)).mtimeMs]));
  const dirBefore = fs.statSync(path.join(w, 'out')).ino;
  const r = runCli(['--config', 'input.json', '--out', 'out'], w);
  assert.is(r.code, 0);
  assert.match(r.stderr, /already up to date/);
  for (const [p, m] of before) assert.is(fs.statSync(path.join(w, 'out', p)).mtimeMs, m, p);
  assert.is(fs.statSync(path.join(w, 'out')).ino, dirBefore, 'out/ itself was not replaced');
});

test('a CTID leaving the config loses its files; files the manifest does not own stay', () => {
  const cfg = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const w = workWith(JSON.stringify(cfg));
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], w).code, 0);
  fs.writeFileSync(path.join(w, 'out', 'NOTES.md'), 'mine\n');
  fs.writeFileSync(path.join(w, 'out', '921', 'local.txt'), 'mine too\n');
  const unchangedBefore = fs.statSync(path.join(w, 'out', '900', 'container.json')).mtimeMs;
  delete cfg.lxc_configs['921'];
  fs.writeFileSync(path.join(w, 'input.json'), JSON.stringify(cfg));
  const r = runCli(['--config', 'input.json', '--out', 'out'], w);
  assert.is(r.code, 0, r.stderr);
  const files = [...readTree(path.join(w, 'out')).keys()];
  assert.not.ok(files.includes('921/container.json'));
  assert.ok(files.includes('NOTES.md'));
  assert.ok(files.includes('921/local.txt'));
  assert.is(fs.statSync(path.join(w, 'out', '900', 'container.json')).mtimeMs, unchangedBefore, 'unchanged file keeps its timestamp');
});

test('--check: exit 2 with a diff when stale, names added and removed files, writes nothing', () => {
  const cfg = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  const w = workWith(JSON.stringify(cfg));
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], w).code, 0);
  cfg.lxc_configs['901'].cores = 4;
  fs.writeFileSync(path.join(w, 'input.json'), JSON.stringify(cfg));
  const before = readTree(path.join(w, 'out'));
  const r = runCli(['--config', 'input.json', '--out', 'out', '--check'], w);
  assert.is(r.code, 2);
  assert.match(r.stdout, /--- a\/out\/901\/container\.json\n\+\+\+ b\/out\/901\/container\.json\n@@ /);
  assert.match(r.stdout, /\n-    "cores": 2,\n\+    "cores": 4,\n/);
  assert.match(r.stderr, /\nout\/901\/container\.json:14: error: stale: not what input\.json compiles to \[PHX201\]\n/);
  assert.match(r.stderr, /\nphoenix-compile: 3 errors, 1 note; out is not up to date; run `phoenix-compile --config input\.json`\n$/);
  const after = readTree(path.join(w, 'out'));
  for (const [p, f] of before) assert.ok(f.data.equals(after.get(p)!.data), p);
  fs.rmSync(path.join(w, 'out', '921', 'container.json'));
  fs.writeFileSync(path.join(w, 'out', '900', 'container.json'), 'edited\n');
  const r2 = runCli(['--config', 'input.json', '--out', 'out', '--check'], w);
  assert.is(r2.code, 2);
  assert.match(r2.stderr, /\nout\/921\/container\.json: error: missing: input\.json compiles to it \[PHX203\]\n/);
  assert.match(r2.stderr, /\nout\/900\/container\.json:1: error: edited by hand: its sha256 differs from out\/manifest\.json \[PHX202\]\n/);
});

test('CLI usage errors exit 1 with a message and no stack trace', () => {
  const w = tmpDir('usage');
  for (const [args, msg] of [
    [['--bogus'], /unknown option --bogus/],
    [['--config'], /--config needs a value/],
    [['--only', 'abc'], /--only takes CTIDs/],
    [['--only', ''], /--only needs at least one CTID/],
    [['--config', 'missing.json'], /^phoenix-compile: cannot read the config missing\.json: no such file or folder \(ENOENT\)\n$/],
  ] as [string[], RegExp][]) {
    const r = runBin(args, w);
    assert.is(r.code, 1, args.join(' '));
    assert.match(r.stderr, msg);
    assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.is(runBin(['--version'], w).stdout.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version);
  assert.match(runBin(['--help'], w).stdout, /Exit codes: 0 success/);
});

test('--only writes the named CTIDs (checked with their clone ancestors); problems elsewhere do not block', () => {
  const cfg = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  cfg.lxc_configs['950'] = { name: 'broken', memory_mb: 'lots' };
  const w = workWith(JSON.stringify(cfg));
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], w).code, 1);
  const r = runCli(['--config', 'input.json', '--out', 'out', '--only', '921'], w);
  assert.is(r.code, 0, r.stderr);
  const dirs = [...new Set([...readTree(path.join(w, 'out')).keys()].map((p) => p.split('/')[0]))];
  // FLEET.md and phoenix describe every CTID: with 950 broken they cannot be planned, and are not written from the selection alone.
  assert.equal(dirs, ['921', 'manifest.json']);
  assert.match(
    r.stderr,
    /\nphoenix-compile: note: the fleet-wide files \(FLEET\.md, phoenix\) are not written: CTID 950, outside --only, has errors \(a compile without --only lists them\)\n/,
  );
  const r2 = runCli(['--config', 'input.json', '--out', 'out', '--only', '777'], w);
  assert.is(r2.code, 1);
  assert.match(r2.stderr, /--only names CTID 777, which is not in lxc_configs \[PHX090\]/);
});

test('one writer at a time: a live lock refuses, a stale one is taken over', () => {
  const w = workWith(fs.readFileSync(EXAMPLE));
  const lock = path.join(w, '.out.phx-lock');
  fs.writeFileSync(lock, String(process.pid === 1 ? 2 : 1)); // pid 1 is alive
  const r = runCli(['--config', 'input.json', '--out', 'out'], w);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /\nphoenix-compile: error: another phoenix-compile \(pid 1\) is writing .*\/out; try again when it has finished\nphoenix-compile: 1 error, 1 note; nothing written\n$/,
  );
  assert.not.ok(fs.existsSync(path.join(w, 'out')));
  fs.writeFileSync(lock, '999999999'); // no such process: a killed writer's lock
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], w).code, 0);
  assert.not.ok(fs.existsSync(lock), 'lock released');
});

test('--check after a kill between the two renames says to finish the swap', () => {
  const w = workWith(fs.readFileSync(EXAMPLE));
  assert.is(runCli(['--config', 'input.json', '--out', 'out'], w).code, 0);
  fs.renameSync(path.join(w, 'out'), path.join(w, '.out.phx-new'));
  const r = runCli(['--config', 'input.json', '--out', 'out', '--check'], w);
  assert.is(r.code, 2);
  assert.match(
    r.stderr,
    /\nout: error: a previous run was killed while replacing out \[PHX207\]\nphoenix-compile: 1 error, 1 note; out is not up to date; run `phoenix-compile --config input\.json`\n$/,
  );
});

test('generated files (schema, types, validator, README sections) are fresh', () => {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'tools', 'codegen.js'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test.run();
