/**
 * Compile records (compiler/write/record.ts): a compile or --check of an input compiled here
 * before answers "up to date" from the record and the output folder's files, without compiling.
 * It must be invisible: for every state of the output folder, the real executable prints the same
 * bytes and exits with the same code with a record as without one (PHOENIX_COMPILE_CACHE_DIR=off),
 * and a hand edit is found either way, also when the manifest is edited to match it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBin, RunResult } from './lib/cli';
import { repoRoot, tmpDir } from './lib/paths';
import { sha256 } from '../compiler/write/manifest';

const ROOT = repoRoot();
/** Nine CTIDs with warnings and notes (test/golden/fleet-overview). */
const FLEET = fs.readFileSync(path.join(ROOT, 'test', 'golden', 'fleet-overview', 'input.json'), 'utf8');

const temps: string[] = [];
test.after(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function fresh(label: string): string {
  const d = tmpDir(label);
  temps.push(d);
  return d;
}

/** A config repository with its out/ compiled, and a record folder primed by that compile. */
function compiled(): { w: string; records: string } {
  const w = fresh('record-repo');
  const records = fresh('record-dir');
  fs.writeFileSync(path.join(w, 'phoenix_lxc_configs.json'), FLEET);
  const r = runBin([], w, { PHOENIX_COMPILE_CACHE_DIR: records });
  assert.is(r.code, 0, r.stderr);
  return { w, records };
}

function recordFiles(records: string): string[] {
  return fs.existsSync(records) ? fs.readdirSync(records).filter((n) => n.endsWith('.json')) : [];
}

/** Runs `args` with the record and without any, and asserts both print and exit the same. */
function same(w: string, records: string, args: string[]): RunResult {
  const withRecord = runBin(args, w, { PHOENIX_COMPILE_CACHE_DIR: records });
  const without = runBin(args, w, { PHOENIX_COMPILE_CACHE_DIR: 'off' });
  assert.equal(withRecord, without, `phoenix-compile ${args.join(' ')}: the same output and exit code with and without a record`);
  return withRecord;
}

test('a compile keeps one record per input, outside the repository, and uses it', () => {
  const { w, records } = compiled();
  assert.equal(recordFiles(records).length, 1);
  assert.not.ok(
    fs.readdirSync(w).some((n) => n !== 'out' && n !== 'phoenix_lxc_configs.json'),
    'nothing new in the repository',
  );
  const before = fs.readFileSync(path.join(records, recordFiles(records)[0]), 'utf8');
  // Proof that an up-to-date run answers from the record: a note added to the record is printed.
  const rec = JSON.parse(before);
  rec.diagnostics.push({ severity: 'note', code: 'PHX999', message: 'from the record', file: 'phoenix_lxc_configs.json', pos: { line: 1, col: 1 }, path: '$' });
  fs.writeFileSync(path.join(records, recordFiles(records)[0]), JSON.stringify(rec));
  for (const args of [[], ['--check']]) {
    const r = runBin(args, w, { PHOENIX_COMPILE_CACHE_DIR: records });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, 'from the record [PHX999]');
  }
  // A changed config is another input: compiled in full, a second record.
  fs.writeFileSync(path.join(w, 'phoenix_lxc_configs.json'), FLEET.replace(/\n$/, '\n\n'));
  const r = runBin(['--check'], w, { PHOENIX_COMPILE_CACHE_DIR: records });
  assert.is(r.code, 0, r.stderr);
  assert.not.match(r.stderr, 'PHX999');
  assert.equal(recordFiles(records).length, 2);
});

test('with a record, every state of out/ prints what a full compile prints: up to date, unowned file, hand edit, mode, missing file', () => {
  const { w, records } = compiled();
  const out = path.join(w, 'out');
  for (const args of [['--check'], [], ['--check', '--format', 'json'], ['--check', '--strict'], ['-q', '--check']]) same(w, records, args);

  fs.writeFileSync(path.join(out, 'NOTES.txt'), 'mine\n');
  assert.match(same(w, records, ['--check']).stderr, 'PHX206');
  same(w, records, []);

  const script = fs.readdirSync(out).find((n) => fs.existsSync(path.join(out, n, 'deploy.sh')))!;
  const deploy = path.join(out, script, 'deploy.sh');
  const original = fs.readFileSync(deploy, 'utf8');
  fs.appendFileSync(deploy, '# edited\n');
  const edited = same(w, records, ['--check']);
  assert.is(edited.code, 2);
  assert.match(edited.stderr, 'PHX202');

  // The manifest edited to match the hand edit: the record's manifest differs, so the full check runs and finds it.
  const mPath = path.join(out, 'manifest.json');
  const m = JSON.parse(fs.readFileSync(mPath, 'utf8'));
  m.files[`${script}/deploy.sh`].sha256 = sha256(fs.readFileSync(deploy));
  fs.writeFileSync(mPath, JSON.stringify(m, null, 2) + '\n');
  const forged = same(w, records, ['--check']);
  assert.is(forged.code, 2);
  assert.match(forged.stderr, `${script}/deploy.sh`);

  assert.is(runBin([], w, { PHOENIX_COMPILE_CACHE_DIR: records }).code, 0);
  assert.is(fs.readFileSync(deploy, 'utf8'), original, 'the compile put the file back');
  fs.chmodSync(deploy, 0o644);
  assert.match(same(w, records, ['--check']).stderr, 'PHX205');
  fs.chmodSync(deploy, 0o755);
  fs.rmSync(path.join(out, script, 'verify.sh'));
  assert.match(same(w, records, ['--check']).stderr, 'PHX203');
});

test('a record that is damaged, or from another format, is ignored; PHOENIX_COMPILE_CACHE_DIR=off keeps none', () => {
  const { w, records } = compiled();
  const file = path.join(records, recordFiles(records)[0]);
  for (const damaged of ['', '{', JSON.stringify({ format: 'other', manifestSha256: 'x', diagnostics: [] })]) {
    fs.writeFileSync(file, damaged);
    same(w, records, ['--check']);
  }
  const none = fresh('record-none');
  fs.rmSync(none, { recursive: true, force: true });
  assert.is(runBin(['--check'], w, { PHOENIX_COMPILE_CACHE_DIR: 'off', XDG_CACHE_HOME: none }).code, 0);
  assert.not.ok(fs.existsSync(none), 'no record folder made');
});

test('the output folder as a new user leaves it: a named pipe, a symbolic link, a file of ones own, a lost manifest', () => {
  const { w, records } = compiled();
  const out = path.join(w, 'out');
  const script = fs.readdirSync(out).find((n) => fs.existsSync(path.join(out, n, 'verify.sh')))!;
  const verify = path.join(out, script, 'verify.sh');
  const original = fs.readFileSync(verify);

  // A named pipe where a file belongs: reported, never waited on (spawnSync would hang).
  fs.rmSync(verify);
  assert.is(spawnSync('mkfifo', [verify]).status, 0);
  const piped = same(w, records, ['--check']);
  assert.is(piped.code, 2, piped.stderr);
  assert.match(piped.stderr, `${script}/verify.sh`);
  assert.is(runBin([], w, { PHOENIX_COMPILE_CACHE_DIR: records }).code, 0);
  assert.ok(fs.lstatSync(verify).isFile(), 'the compile put the file back');

  // A symbolic link to the very bytes: not the file the manifest lists (git would commit a link).
  const elsewhere = path.join(fresh('record-link'), 'verify.sh');
  fs.copyFileSync(verify, elsewhere);
  fs.rmSync(verify);
  fs.symlinkSync(elsewhere, verify);
  assert.is(same(w, records, ['--check']).code, 2);
  assert.is(runBin([], w, { PHOENIX_COMPILE_CACHE_DIR: records }).code, 0);
  assert.ok(fs.lstatSync(verify).isFile() && fs.readFileSync(verify).equals(original), 'the link replaced by the file');

  // A lost manifest.json: every other file is what the compile writes, so it takes them over.
  fs.rmSync(path.join(out, 'manifest.json'));
  const lost = same(w, records, ['--check']);
  assert.is(lost.code, 2);
  assert.match(lost.stderr, 'PHX203');
  assert.not.match(lost.stderr, 'PHX209');
  assert.is(runBin([], w, { PHOENIX_COMPILE_CACHE_DIR: records }).code, 0);
  assert.is(same(w, records, ['--check']).code, 0);

  // A file of ones own where the compile writes: --check says what the compile will say (PHX209).
  const docs = path.join(w, 'docs');
  fs.mkdirSync(docs);
  fs.writeFileSync(path.join(docs, 'FLEET.md'), 'mine\n');
  const own = same(w, records, ['--out', 'docs', '--check']);
  assert.is(own.code, 2);
  assert.match(own.stderr, /docs\/FLEET\.md:1: error: not written by phoenix-compile .* only with --force \[PHX209\]/);
  const refused = runBin(['--out', 'docs'], w, { PHOENIX_COMPILE_CACHE_DIR: records });
  assert.is(refused.code, 1);
  assert.match(refused.stderr, 'PHX209');
  assert.is(fs.readFileSync(path.join(docs, 'FLEET.md'), 'utf8'), 'mine\n');
});

test('a relative PHOENIX_COMPILE_CACHE_DIR (or OFF) keeps no record: it would land in the repository', () => {
  const { w } = compiled();
  for (const dir of ['relative-cache', 'OFF']) {
    assert.is(runBin(['--check'], w, { PHOENIX_COMPILE_CACHE_DIR: dir }).code, 0);
    assert.not.ok(fs.existsSync(path.join(w, dir)), `no ${dir} folder in the repository`);
  }
});

test.run();
