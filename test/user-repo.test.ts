/**
 * The user's own repository (issue 18): a folder that holds phoenix_lxc_configs.json and its
 * compiled out/, and the real executable run in it as a user would. Config discovery, who owns
 * out/, --only, the output folder's place, one pass over every CTID, and the command line's
 * conventions (help, plain messages, errors last with a summary, --quiet, --format, colour).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runBin, RunResult } from './lib/cli';
import { readTree, repoRoot, tmpDir } from './lib/paths';
import { escapeData, escapeProperty, Finding, githubFinding, githubVerbatim } from '../cli/report';
import { sha256 } from '../compiler/write/manifest';

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin', 'phoenix-compile.js');
const EXAMPLE = fs.readFileSync(path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');
/** Nine CTIDs: templates 900, 901, 920 and their clones (test/golden/fleet-overview). */
const FLEET = fs.readFileSync(path.join(ROOT, 'test', 'golden', 'fleet-overview', 'input.json'), 'utf8');
const IS_ROOT = process.getuid?.() === 0;

const temps: string[] = [];
test.after(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A config repository: phoenix_lxc_configs.json (and nothing else) in a fresh folder outside this repository. */
function configRepo(text: string = FLEET): string {
  const w = tmpDir('user-repo');
  temps.push(w);
  fs.writeFileSync(path.join(w, 'phoenix_lxc_configs.json'), text);
  return w;
}

function edit(w: string, f: (doc: { lxc_configs: Record<string, Record<string, any>> }) => void, file = 'phoenix_lxc_configs.json'): void {
  const doc = JSON.parse(fs.readFileSync(path.join(w, file), 'utf8'));
  f(doc);
  fs.writeFileSync(path.join(w, file), JSON.stringify(doc, null, 2) + '\n');
}

function noInternalError(r: RunResult): void {
  assert.not.match(r.stderr, /internal error|This is a bug|\n\s+at /, `no internal error, no stack trace:\n${r.stderr}`);
}

/** Every file's inode and mtime: a folder left exactly as it was. */
function stamps(dir: string): string[] {
  return [...readTree(dir).keys()].map((p) => {
    const s = fs.statSync(path.join(dir, p));
    return `${p} ${s.ino} ${s.mtimeMs}`;
  });
}

// -------------------------------------------------------------------------------------------
// Config discovery and who owns out/

test('in a config repository, `phoenix-compile` compiles ./phoenix_lxc_configs.json, not the bundled example', () => {
  const w = configRepo();
  const r = runBin([], w);
  assert.is(r.code, 0, r.stderr);
  const m = JSON.parse(fs.readFileSync(path.join(w, 'out', 'manifest.json'), 'utf8'));
  assert.is(m.input.file, 'phoenix_lxc_configs.json');
  assert.ok(fs.existsSync(path.join(w, 'out', '960', 'create.sh')), 'a CTID of the user config, not of the example');
  assert.match(fs.readFileSync(path.join(w, 'out', '921', 'create.sh'), 'utf8'), /\n# Do not edit: change the config and run `phoenix-compile`\.\n/);
  // The same bytes however the config and the folder are named: CI may spell them out.
  const spelled = runBin(['--config', 'phoenix_lxc_configs.json', '--out', 'out', '--check'], w);
  assert.is(spelled.code, 0, spelled.stderr);
  const again = runBin([], w);
  assert.match(again.stderr, /\nphoenix-compile: \d+ warnings?, \d+ notes?; out already up to date \(\d+ files\)\n$/);
  // diff without --config reads the same file (here: not a git repository).
  const d = runBin(['diff'], w);
  assert.is(d.code, 1);
  assert.match(d.stderr, /^phoenix-compile diff: cannot read phoenix_lxc_configs\.json at base HEAD: /);
});

test('outside this repository with no ./phoenix_lxc_configs.json: a clear error, nothing written', () => {
  const w = tmpDir('no-config');
  temps.push(w);
  for (const args of [[], ['explain', '921'], ['diff'], ['migrate']]) {
    const r = runBin(args, w);
    assert.is(r.code, 1, args.join(' '));
    assert.match(
      r.stderr,
      new RegExp(
        `no config: there is no phoenix_lxc_configs\\.json in ${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}; run in the folder that holds it, or pass --config PATH\\n$`,
      ),
    );
    noInternalError(r);
  }
  assert.equal(fs.readdirSync(w), []);
});

test('compiling another config into an out/ is refused naming both configs; --force replaces it', () => {
  const w = configRepo();
  assert.is(runBin([], w).code, 0);
  fs.writeFileSync(path.join(w, 'other.json'), EXAMPLE);
  const before = stamps(path.join(w, 'out'));
  const r = runBin(['--config', 'other.json'], w);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /\nout\/manifest\.json: error: out was compiled from phoenix_lxc_configs\.json, not from other\.json \(both relative to the folder that holds out\); nothing is replaced without --force \[PHX208\]\nphoenix-compile: 1 error, 1 note; nothing written\n$/,
  );
  assert.equal(stamps(path.join(w, 'out')), before, 'out/ untouched');
  // --check says the same (exit 2: out/ is not what other.json compiles to).
  const c = runBin(['--config', 'other.json', '--check'], w);
  assert.is(c.code, 2);
  assert.match(c.stderr, /out was compiled from phoenix_lxc_configs\.json, not from other\.json .*\[PHX208\]/);
  const f = runBin(['--config', 'other.json', '--force'], w);
  assert.is(f.code, 0, f.stderr);
  assert.is(JSON.parse(fs.readFileSync(path.join(w, 'out', 'manifest.json'), 'utf8')).input.file, 'other.json');
  assert.not.ok(fs.existsSync(path.join(w, 'out', '960')), 'the other config has no CTID 960');
  assert.match(runBin(['--force', '--check'], w).stderr, /--force writes; --check writes nothing/);
});

test('files in the way that phoenix-compile did not write are refused (no manifest, or not in it); files beside them are kept', () => {
  const w = configRepo(EXAMPLE);
  fs.mkdirSync(path.join(w, 'out'));
  fs.writeFileSync(path.join(w, 'out', 'NOTES.md'), 'mine\n');
  assert.is(runBin([], w).code, 0, 'a folder with only unrelated files is fine');
  assert.is(fs.readFileSync(path.join(w, 'out', 'NOTES.md'), 'utf8'), 'mine\n');
  const docs = path.join(w, 'docs');
  fs.mkdirSync(docs);
  fs.writeFileSync(path.join(docs, 'FLEET.md'), '# my own fleet notes\n');
  const r = runBin(['--out', 'docs'], w);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /\ndocs\/FLEET\.md: error: docs\/FLEET\.md is in the way: not written by phoenix-compile \(docs has no phoenix-compile manifest\.json\); nothing is replaced without --force \[PHX209\]\n/,
  );
  assert.is(fs.readFileSync(path.join(docs, 'FLEET.md'), 'utf8'), '# my own fleet notes\n');
  assert.is(runBin(['--out', 'docs', '--force'], w).code, 0);
  assert.match(fs.readFileSync(path.join(docs, 'FLEET.md'), 'utf8'), /^<!--\nGenerated by phoenix-compile/);
});

// -------------------------------------------------------------------------------------------
// --only

/** A full compile of the repository's current config, in a copy (same names, so the same bytes). */
function fullCompile(w: string): ReturnType<typeof readTree> {
  const f = configRepo(fs.readFileSync(path.join(w, 'phoenix_lxc_configs.json'), 'utf8'));
  const r = runBin([], f);
  assert.is(r.code, 0, r.stderr);
  return readTree(path.join(f, 'out'));
}

test('--only 921 on a committed out/: only 921 changes, byte-equal to a full compile; manifest, FLEET.md and phoenix keep every CTID', () => {
  const w = configRepo();
  assert.is(runBin([], w).code, 0);
  const committed = readTree(path.join(w, 'out'));
  edit(w, (d) => {
    d.lxc_configs['921'].vllm_engine_config.ServerConfig.port = 8100;
    d.lxc_configs['950'].vllm_engine_config.ModelConfig.max_model_len = 2048;
  });
  const r = runBin(['--only', '921'], w);
  assert.is(r.code, 0, r.stderr);
  const now = readTree(path.join(w, 'out'));
  const full = fullCompile(w);
  const changed = [...now.keys()].filter((p) => !committed.get(p)?.data.equals(now.get(p)!.data));
  assert.ok(changed.length > 3, changed.join(' '));
  for (const p of changed) assert.ok(/^921\//.test(p) || ['FLEET.md', 'phoenix', 'manifest.json'].includes(p), `only 921 and the fleet files change: ${p}`);
  assert.equal([...now.keys()], [...committed.keys()], 'no file added or removed');
  for (const [p, f] of now) {
    assert.not.match(f.data.toString('utf8'), /--only/, `${p} does not mention --only`);
    if (/^921\//.test(p) || p === 'FLEET.md' || p === 'phoenix') assert.ok(f.data.equals(full.get(p)!.data), `${p} equals a full compile's`);
    else if (p !== 'manifest.json') assert.ok(f.data.equals(committed.get(p)!.data), `${p} left as it was`);
  }
  assert.ok(!now.get('950/vllm.argv.json')!.data.equals(full.get('950/vllm.argv.json')!.data), '950 is behind the config (not selected)');
  // The manifest owns every CTID's files, each entry describing the file as it is on disk.
  const m = JSON.parse(now.get('manifest.json')!.data.toString('utf8'));
  assert.equal(Object.keys(m.files), [...now.keys()].filter((p) => p !== 'manifest.json').sort());
  for (const [p, e] of Object.entries(m.files) as [string, { sha256: string }][]) assert.is(e.sha256, sha256(now.get(p)!.data), p);
  assert.match(now.get('phoenix')!.data.toString('utf8'), /960/);
  // A full --check now names exactly 950's files, as stale (not edited by hand); --check --only 921 is clean.
  const check = runBin(['--check'], w);
  assert.is(check.code, 2);
  const findings = check.stderr.split('\n').filter((l) => /^out\/.*: error: /.test(l));
  assert.ok(findings.length > 0 && findings.every((l) => /^out\/(950\/\S+|manifest\.json):\d+: error: stale: .*\[PHX201\]$/.test(l)), findings.join('\n'));
  assert.is(runBin(['--check', '--only', '921'], w).code, 0);
  assert.match(runBin(['--only', '921'], w).stderr, /out already up to date/);
});

test('--only with errors in another CTID: the selection is written, FLEET.md and phoenix stay as they were (with a note), the manifest keeps every CTID', () => {
  const w = configRepo();
  assert.is(runBin([], w).code, 0);
  const committed = readTree(path.join(w, 'out'));
  edit(w, (d) => {
    d.lxc_configs['921'].vllm_engine_config.ServerConfig.port = 8100;
    d.lxc_configs['960'].memory_mb = 'lots';
  });
  const r = runBin(['--only', '921'], w);
  assert.is(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    /\nphoenix-compile: note: out\/FLEET\.md, out\/phoenix are left as they are: CTID 960, outside --only, has errors \(a compile without --only lists them\)\n/,
  );
  assert.not.match(r.stderr, /memory_mb/, 'the problem outside the selection is not printed');
  const now = readTree(path.join(w, 'out'));
  for (const p of ['FLEET.md', 'phoenix', '960/create.sh', '950/vllm.argv.json']) assert.ok(now.get(p)!.data.equals(committed.get(p)!.data), `${p} as it was`);
  assert.match(now.get('921/vllm.argv.json')!.data.toString('utf8'), /"8100"/);
  const m = JSON.parse(now.get('manifest.json')!.data.toString('utf8'));
  assert.equal(Object.keys(m.files), [...now.keys()].filter((p) => p !== 'manifest.json').sort());
  const full = runBin([], w);
  assert.is(full.code, 1);
  assert.match(full.stderr, /CTID 960: \$\.lxc_configs\.960\.memory_mb: must be an integer/);
});

// -------------------------------------------------------------------------------------------
// The output folder's place

test('--out build/out when build/ does not exist: the parent is created', () => {
  const w = configRepo(EXAMPLE);
  const r = runBin(['--out', 'build/out'], w);
  assert.is(r.code, 0, r.stderr);
  assert.ok(fs.existsSync(path.join(w, 'build', 'out', 'manifest.json')));
  assert.equal(fs.readdirSync(path.join(w, 'build')).sort(), ['out'], 'no lock or staging folder left beside it');
  assert.match(fs.readFileSync(path.join(w, 'build', 'out', '921', 'create.sh'), 'utf8'), /run `phoenix-compile --config \.\.\/phoenix_lxc_configs\.json`/);
});

test('an out/ that is a file: exit 1 with a clear message, the file untouched', () => {
  const w = configRepo(EXAMPLE);
  fs.writeFileSync(path.join(w, 'out'), 'not a folder\n');
  const r = runBin([], w);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /\nout: error: out is a file, not a folder; move it away or pass another --out \[PHX210\]\nphoenix-compile: 1 error, 1 note; nothing written\n$/,
  );
  noInternalError(r);
  assert.is(fs.readFileSync(path.join(w, 'out'), 'utf8'), 'not a folder\n');
  const c = runBin(['--check'], w);
  assert.is(c.code, 1);
  assert.match(c.stderr, /out is a file, not a folder/);
});

test('an out/ that is a symbolic link: refused (the swap would replace the link)', () => {
  const w = configRepo(EXAMPLE);
  fs.mkdirSync(path.join(w, 'real'));
  fs.symlinkSync('real', path.join(w, 'out'));
  const r = runBin([], w);
  assert.is(r.code, 1);
  assert.match(
    r.stderr,
    /out is a symbolic link; the output folder is replaced by renaming a new one into place, which would replace the link itself: pass the folder it points to \(--out .*\/real\) \[PHX210\]/,
  );
  assert.ok(fs.lstatSync(path.join(w, 'out')).isSymbolicLink());
});

/** Runs `script` (a shell script) in a private mount namespace (unshare -m), so the mounts it makes vanish with it. */
function inMountNamespace(script: string, cwd: string): RunResult {
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-euc', script, 'sh', process.execPath, BIN], { cwd, encoding: 'utf8' });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const canMount = IS_ROOT && spawnSync('unshare', ['--mount', 'true']).status === 0;
if (!canMount) {
  test('mount namespaces (read-only and other-file-system out/) can run (required when CI=true)', () => {
    console.log(`\nSKIPPED read-only and other-file-system output folders: needs root and unshare --mount`);
    if (process.env.CI === 'true') assert.unreachable('CI=true but unshare --mount is not available');
  });
}

if (canMount)
  test('an unwritable output place (a read-only bind mount; root ignores modes, not a read-only mount): exit 1, clear message', () => {
    const w = configRepo(EXAMPLE);
    fs.mkdirSync(path.join(w, 'ro'));
    // rename(2) and open(2) fail with EROFS on a read-only mount whoever the caller is (man 2 rename).
    const r = inMountNamespace('mount --bind ro ro && mount -o remount,bind,ro ro && "$1" "$2" --out ro/out', w);
    assert.is(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `\\nro/out: error: cannot write the folder that holds ro/out \\(${w}/ro\\): read-only file system \\(EROFS\\) \\[PHX210\\]\\nphoenix-compile: 1 error, 1 note; nothing written\\n$`,
      ),
    );
    noInternalError(r);
    assert.equal(fs.readdirSync(path.join(w, 'ro')), []);
  });

if (canMount)
  test('an out/ on another file system than its parent (a mount point): exit 1, the rename cannot cross it', () => {
    const w = configRepo(EXAMPLE);
    assert.is(runBin([], w).code, 0);
    fs.rmSync(path.join(w, 'out'), { recursive: true });
    fs.mkdirSync(path.join(w, 'out'));
    const r = inMountNamespace('mount -t tmpfs phx-test out; rc=0; "$1" "$2" || rc=$?; echo "exit $rc" >&2; ls -A out >&2', w);
    assert.match(
      r.stderr,
      /\nout: error: out is on another file system than its parent \(a mount point\): the new set is built beside it and renamed into place, and a rename cannot cross file systems; compile into a folder inside the mount \(for example --out out\/out\) or the parent's file system \[PHX210\]\nphoenix-compile: 1 error, 1 note; nothing written\nexit 1\n$/,
    );
    noInternalError(r);
  });

if (IS_ROOT)
  test('as an unprivileged user: an output folder it may not write, and a config it may not read, get plain messages', () => {
    const w = configRepo(EXAMPLE);
    fs.chmodSync(w, 0o755); // nobody may enter and read, not write
    const asNobody = (args: string[]) => {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: w, uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: '/' } });
      return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
    };
    const r = asNobody([]);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`\\nout: error: cannot write the folder that holds out \\(${w}\\): permission denied \\(EACCES\\) \\[PHX210\\]\\n`));
    noInternalError(r);
    assert.equal(fs.readdirSync(w), ['phoenix_lxc_configs.json']);
    fs.chmodSync(path.join(w, 'phoenix_lxc_configs.json'), 0o600);
    const u = asNobody([]);
    assert.is(u.code, 1);
    assert.is(u.stderr, 'phoenix-compile: cannot read the config phoenix_lxc_configs.json: permission denied (EACCES)\n');
  });

// -------------------------------------------------------------------------------------------
// One pass

test('one pass: a type error in one CTID, a duplicate IP between two others and a misspelt vLLM key in a fourth, all in one run', () => {
  const w = configRepo();
  edit(w, (d) => {
    d.lxc_configs['957'].memory_mb = '2048';
    d.lxc_configs['952'].network_config.ip = d.lxc_configs['950'].network_config.ip;
    const mc = d.lxc_configs['951'].vllm_engine_config.ModelConfig;
    mc.max_model_length = mc.max_model_len;
    delete mc.max_model_len;
  });
  const r = runBin([], w);
  assert.is(r.code, 1);
  const errors = r.stderr.split('\n').filter((l) => /: error: /.test(l));
  assert.equal(
    errors.map((l) => /CTID (\d+): .*\[(PHX\d+)\]$/.exec(l)!.slice(1).join(' ')),
    ['951 PHX020', '952 PHX106', '957 PHX010'],
  );
  assert.match(errors[0], /max_model_length/);
  assert.match(r.stderr, /\nphoenix-compile: 3 errors, (?:\d+ warnings?, )?\d+ notes?; nothing written\n$/);
  assert.not.ok(fs.existsSync(path.join(w, 'out')));
});

test('one pass: a template that fails the schema leaves its clones out of the checks that need it; other CTIDs are still checked', () => {
  const w = configRepo();
  edit(w, (d) => {
    // 950, 951 and 952 clone 920: checked through it they would lack the vllm feature (PHX112).
    d.lxc_configs['920'].features = 'vllm';
    d.lxc_configs['960'].mac_address = d.lxc_configs['957'].mac_address; // independent of 920
  });
  const r = runBin([], w);
  assert.is(r.code, 1);
  const errors = r.stderr.split('\n').filter((l) => /: error: /.test(l));
  assert.equal(
    errors.map((l) => /CTID (\d+): .*\[(PHX\d+)\]$/.exec(l)!.slice(1).join(' ')),
    ['920 PHX010', '960 PHX107'],
  );
});

// -------------------------------------------------------------------------------------------
// The command line's conventions

test('--help for every command, exit 0; explain --help is not an error', () => {
  const w = configRepo(EXAMPLE);
  for (const [args, usage] of [
    [['--help'], 'Usage: phoenix-compile [options]'],
    [['explain', '--help'], 'Usage: phoenix-compile explain CTID'],
    [['diff', '--help'], 'Usage: phoenix-compile diff'],
    [['migrate', '--help'], 'Usage: phoenix-compile migrate'],
    [['schema', '--help'], 'Usage: phoenix-compile schema'],
    [['explain', '-h'], 'Usage: phoenix-compile explain CTID'],
  ] as const) {
    const r = runBin([...args], w);
    assert.is(r.code, 0, args.join(' '));
    assert.ok(r.stdout.startsWith(usage), `${args.join(' ')}: ${r.stdout.slice(0, 80)}`);
    assert.is(r.stderr, '');
  }
});

test('explain 999: says the CTID is not in the file, without blaming --only or errors', () => {
  const w = configRepo(EXAMPLE);
  const r = runBin(['explain', '999'], w);
  assert.is(r.code, 1);
  assert.is(r.stderr, 'phoenix-compile explain: CTID 999 is not in lxc_configs of phoenix_lxc_configs.json (it has 900, 901, 921)\n');
  assert.is(r.stdout, '');
});

test('a missing config and a config that is a folder: plain messages', () => {
  const w = configRepo(EXAMPLE);
  const r = runBin(['--config', 'nope.json'], w);
  assert.is(r.stderr, 'phoenix-compile: cannot read the config nope.json: no such file or folder (ENOENT)\n');
  assert.is(r.code, 1);
  fs.mkdirSync(path.join(w, 'dir.json'));
  assert.is(runBin(['--config', 'dir.json'], w).stderr, 'phoenix-compile: cannot read the config dir.json: is a folder, not a file (EISDIR)\n');
  assert.is(
    runBin(['explain', '921', '--config', 'nope.json'], w).stderr,
    'phoenix-compile: cannot read the config nope.json: no such file or folder (ENOENT)\n',
  );
  assert.match(
    runBin(['diff', 'nope.json', 'phoenix_lxc_configs.json'], w).stderr,
    /^phoenix-compile diff: cannot read the old config nope\.json: no such file or folder \(ENOENT\)\n$/,
  );
});

/**
 * The example with one error (gpu_memory_utilization 1.5 in 921, a vLLM check) on top of its note
 * and a warning (torch_channel nightly, PHX032; the example itself compiles without one).
 */
function withOneError(): string {
  const w = configRepo(EXAMPLE);
  edit(w, (d) => {
    d.lxc_configs['921'].vllm_engine_config.CacheConfig.gpu_memory_utilization = 1.5;
    d.lxc_configs['921'].vllm_install = { ...(d.lxc_configs['921'].vllm_install ?? {}), torch_channel: 'nightly' };
  });
  return w;
}

test('errors are printed last, then a summary line; --quiet prints errors only', () => {
  const w = withOneError();
  const r = runBin([], w);
  assert.is(r.code, 1);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(
    lines.map((l) => (/^phoenix-compile: /.test(l) ? l : / (error|warning|note): /.exec(l)![1])),
    ['note', 'warning', 'error', 'phoenix-compile: 1 error, 1 warning, 1 note; nothing written'],
  );
  const q = runBin(['--quiet'], w);
  assert.is(q.code, 1);
  assert.equal(
    q.stderr
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^.*: error: .*$/, 'error')),
    ['error', 'phoenix-compile: 1 error, 1 warning, 1 note; nothing written'],
  );
  // --strict makes a warning fail the compile like an error: --quiet still shows it (not the note).
  const warned = configRepo(EXAMPLE);
  edit(warned, (d) => {
    d.lxc_configs['921'].vllm_install = { ...(d.lxc_configs['921'].vllm_install ?? {}), torch_channel: 'nightly' };
  });
  const strict = runBin(['--strict', '-q'], warned);
  assert.is(strict.code, 1);
  assert.equal(
    strict.stderr
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^.*: warning: .*$/, 'warning')),
    ['warning', 'phoenix-compile: 1 warning, 1 note; --strict makes warnings fail the compile; nothing written'],
  );
  // Success: --quiet prints nothing at all.
  const ok = configRepo(EXAMPLE);
  const s = runBin(['-q'], ok);
  assert.is(s.code, 0, s.stderr);
  assert.is(s.stderr + s.stdout, '');
  assert.match(runBin([], ok).stderr, /\nphoenix-compile: 1 note; out already up to date \(19 files\)\n$/);
});

test('--format json: one object per diagnostic per line on stdout; --format github: annotations', () => {
  const w = withOneError();
  // The text format is the reference: each JSON object and each annotation says the same as its line.
  const text = runBin([], w).stderr.trimEnd().split('\n').slice(0, -1);
  const fields = text.map((l) => {
    const m = /^(phoenix_lxc_configs\.json):(\d+):(\d+): (note|warning|error): CTID (\d+): (\$\.[^:]+): (.*) \[(PHX\d+)\]$/.exec(l);
    assert.ok(m, l);
    return { file: m![1], line: Number(m![2]), col: Number(m![3]), severity: m![4], ctid: m![5], path: m![6], message: m![7], code: m![8] };
  });
  assert.equal(
    fields.map((f) => [f.severity, f.code]),
    [
      ['note', 'PHX031'],
      ['warning', 'PHX032'],
      ['error', fields[2].code],
    ],
  );
  assert.match(fields[2].message, /gpu_memory_utilization/);
  const j = runBin(['--format', 'json'], w);
  assert.is(j.code, 1);
  const objs = j.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(
    objs,
    fields.map((f) => ({ severity: f.severity, code: f.code, message: f.message, file: f.file, line: f.line, col: f.col, path: f.path, ctid: f.ctid })),
  );
  assert.is(j.stderr, 'phoenix-compile: 1 error, 1 warning, 1 note; nothing written\n');
  const g = runBin(['--format', 'github'], w);
  assert.is(g.code, 1);
  assert.equal(
    g.stdout.trimEnd().split('\n'),
    fields.map(
      (f) =>
        `::${f.severity === 'note' ? 'notice' : f.severity} file=${f.file},line=${f.line},col=${f.col},title=phoenix-compile ${f.code}::CTID ${f.ctid}: ${f.path}: ${f.message}`,
    ),
  );
  assert.match(runBin(['--format', 'xml'], w).stderr, /--format takes text, json, github, not "xml"/);
});

/**
 * How the GitHub runner reads a workflow command line (actions/runner
 * src/Runner.Common/ActionCommand.cs at 258d6c85, TryParseV2 :50-118): leading space trimmed, `::`
 * then the command and properties up to the next `::`, properties split on ',' then at the first
 * '=', each unescaped by _escapePropertyMappings (:25-32), the data by _escapeDataMappings (:18-23),
 * in that order (%25 last).
 */
function runnerParse(line: string): { command: string; props: Record<string, string>; data: string } | undefined {
  const m = line.trimStart();
  if (!m.startsWith('::')) return undefined;
  const end = m.indexOf('::', 2);
  if (end < 0) return undefined;
  const info = m.slice(2, end);
  const sp = info.indexOf(' ');
  const command = sp < 0 ? info : info.slice(0, sp);
  const props: Record<string, string> = {};
  const unProp = (s: string) => s.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%3A', ':').replaceAll('%2C', ',').replaceAll('%25', '%');
  if (sp > 0)
    for (const p of info
      .slice(sp + 1)
      .trim()
      .split(',')
      .filter(Boolean)) {
      const eq = p.indexOf('=');
      if (eq > 0 && eq < p.length - 1) props[p.slice(0, eq)] = unProp(p.slice(eq + 1));
    }
  const data = m
    .slice(end + 2)
    .replaceAll('%0D', '\r')
    .replaceAll('%0A', '\n')
    .replaceAll('%25', '%');
  return { command, props, data };
}

test("GitHub escaping: %, CR and LF in data; also ',' and ':' in properties; the runner reads back exactly what was meant", () => {
  assert.is(escapeData('100% done\r\nnext'), '100%25 done%0D%0Anext');
  assert.is(escapeProperty('a,b:c%0A\n'), 'a%2Cb%3Ac%250A%0A');
  const f: Finding = {
    severity: 'error',
    code: 'PHX010',
    file: 'cfg,v:2%25.json',
    line: 3,
    col: 7,
    message: 'bad\n::error::injected %0A value, really: yes\r',
  };
  const line = githubFinding(f);
  assert.not.match(line, /[\r\n]/, 'one line');
  const parsed = runnerParse(line)!;
  assert.equal(parsed, { command: 'error', props: { file: 'cfg,v:2%25.json', line: '3', col: '7', title: 'phoenix-compile PHX010' }, data: f.message });
});

test('github format: a diff is printed between ::stop-commands:: and its token, so no line of it acts as a command', () => {
  const text = ['--- a/x', '+++ b/x', '@@ -1 +1 @@', ' ::error::from a generated file', '-::warning::old', '+::set-output name=x::new'].join('\n');
  const token = `phx-${sha256(text)}`;
  const lines = githubVerbatim(text, token);
  // The runner's loop (ActionCommandManager.cs:84-128): after stop-commands only the token resumes.
  let stopped: string | undefined;
  const processed: string[] = [];
  for (const l of lines) {
    const c = runnerParse(l);
    if (!c) continue;
    if (stopped !== undefined) {
      if (c.command === stopped) stopped = undefined;
      continue;
    }
    if (c.command === 'stop-commands') stopped = c.data;
    else processed.push(l);
  }
  assert.equal(processed, []);
  assert.is(stopped, undefined, 'resumed at the end');
  assert.not.ok(text.includes(token));
});

test('colour on a terminal only, and not with NO_COLOR', () => {
  const w = withOneError();
  const viaTty = (env: NodeJS.ProcessEnv) =>
    spawnSync('script', ['-qec', `${process.execPath} ${BIN}`, '/dev/null'], { cwd: w, encoding: 'utf8', env: { ...process.env, NO_COLOR: '', ...env } });
  const tty = viaTty({});
  assert.is(tty.status, 1, tty.stdout);
  assert.match(tty.stdout, /\u001b\[1mphoenix_lxc_configs\.json:\d+:\d+:\u001b\[0m \u001b\[1m\u001b\[31merror:\u001b\[0m CTID 921: /);
  assert.match(tty.stdout, /phoenix-compile: \u001b\[1m\u001b\[31m1 error, 1 warning, 1 note\u001b\[0m; nothing written/);
  const noColor = viaTty({ NO_COLOR: '1' });
  assert.is(noColor.status, 1);
  assert.not.match(noColor.stdout, /\u001b\[/);
  assert.match(noColor.stdout, /: error: CTID 921: /);
  const piped = runBin([], w);
  assert.not.match(piped.stderr, /\u001b\[/);
});

test('phoenix-compile schema prints the JSON Schema; --path names the installed copy', () => {
  const w = configRepo(EXAMPLE);
  const r = runBin(['schema'], w);
  assert.is(r.code, 0);
  const file = path.join(ROOT, 'schema', 'phoenix_lxc_configs.schema.json');
  assert.equal(JSON.parse(r.stdout), JSON.parse(fs.readFileSync(file, 'utf8')));
  assert.is(runBin(['schema', '--path'], w).stdout, `${file}\n`);
});

test.run();
