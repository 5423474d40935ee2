/**
 * What the output folder may be, and what a compile keeps of it. Every compile builds the new set
 * beside the folder and renames it into place (compiler/write/output.ts), so the folder is replaced
 * as a whole: it must not be the root, a repository's folder (.git), the current folder or one
 * that holds the config (compiler/write/target.ts notAnOutputFolder); `--out ''` is a usage error.
 * What the manifest does not own is carried into the new set: files and symbolic links, and
 * folders of one's own, empty ones too, each with its mode; a named pipe cannot be carried and
 * refuses the compile before anything changes.
 *
 * Through the CLI in this process, on real folders: exit codes, the exact messages, and the
 * folder's contents (names, modes, bytes) before and after.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './lib/cli';
import { repoRoot, tmpDir } from './lib/paths';

const EXAMPLE = fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');
const NOTE = /^\S*c\.json:\d+:\d+: note: .*\[PHX031\]\n/;

/** Every entry below `dir` with its type, mode and (for files) bytes: what must not change. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(path.join(dir, r));
      const kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : st.isSymbolicLink() ? 'link' : 'other';
      const what = kind === 'file' ? fs.readFileSync(path.join(dir, r), 'utf8') : kind === 'link' ? fs.readlinkSync(path.join(dir, r)) : '';
      out.push(`${r} ${kind} ${(st.mode & 0o7777).toString(8)} ${what.length} ${what.slice(0, 40)}`);
      if (kind === 'dir') walk(r);
    }
  };
  walk('');
  return out;
}

function project(): string {
  const d = tmpDir('out-folder');
  fs.writeFileSync(path.join(d, 'c.json'), EXAMPLE);
  return d;
}

test("--out naming the root, a repository, the current folder or the config's folder: exit 1, the reason, nothing written", () => {
  const d = project();
  fs.mkdirSync(path.join(d, 'sub'));
  spawnSync('git', ['init', '-q', path.join(d, 'repo')]);
  fs.writeFileSync(path.join(d, 'repo', 'c.json'), EXAMPLE);
  const before = snapshot(d);
  const cases: [string, string[], string][] = [
    [
      d,
      ['--config', 'c.json', '--out', '/'],
      '/: error: / is the root folder; the output folder is replaced as a whole on every compile: pass a folder of its own, for example --out /out [PHX210]',
    ],
    [
      path.join(d, 'repo'),
      ['--config', 'c.json', '--out', '.'],
      ".: error: . holds .git (a repository's folder); the output folder is replaced as a whole on every compile: pass a folder of its own, for example --out out [PHX210]",
    ],
    [
      path.join(d, 'sub'),
      ['--config', '../c.json', '--out', '..'],
      `..: error: .. holds the config file (${path.join(d, 'c.json')}); the output folder is replaced as a whole on every compile: pass a folder of its own, for example --out ../out [PHX210]`,
    ],
    [
      path.join(d, 'sub'),
      ['--config', path.join(d, 'c.json'), '--out', '.'],
      `.: error: . holds the current folder (${path.join(d, 'sub')}); the output folder is replaced as a whole on every compile: pass a folder of its own, for example --out out [PHX210]`,
    ],
  ];
  for (const [cwd, args, message] of cases) {
    for (const extra of [[], ['--check']]) {
      const r = runCli([...args, ...extra], cwd);
      const tail = extra.length ? 'nothing compared' : 'nothing written';
      assert.is(r.code, 1, `${args.join(' ')} ${extra.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, NOTE);
      assert.ok(r.stderr.endsWith(`${message}\nphoenix-compile: 1 error, 1 note; ${tail}\n`), r.stderr);
    }
  }
  assert.equal(snapshot(d), before);
  const r = runCli(['--config', 'c.json', '--out', ''], d);
  assert.equal(
    [r.code, r.stderr],
    [1, "phoenix-compile: --out needs a folder name (an empty one would be the current folder)\nTry 'phoenix-compile --help'.\n"],
  );
  assert.equal(snapshot(d), before);
});

test('what the manifest does not own is carried into the new set: folders (empty ones too) with their modes, files, links', () => {
  const d = project();
  assert.is(runCli(['--config', 'c.json', '--out', 'out', '-q'], d).code, 0);
  const out = path.join(d, 'out');
  fs.mkdirSync(path.join(out, 'mine'), { mode: 0o700 });
  fs.chmodSync(path.join(out, 'mine'), 0o700);
  fs.mkdirSync(path.join(out, '921', 'notes', 'deep'), { recursive: true });
  fs.chmodSync(path.join(out, '921', 'notes'), 0o711);
  fs.writeFileSync(path.join(out, '921', 'notes', 'deep', 'n.txt'), 'kept\n');
  fs.symlinkSync('../FLEET.md', path.join(out, 'mine-link'));
  const mine = () => snapshot(out).filter((l) => /^(mine|921\/notes)/.test(l));
  const kept = mine();
  assert.equal(kept.length, 5);
  // a change to one CTID: the folder is swapped
  fs.writeFileSync(path.join(d, 'c.json'), EXAMPLE.replace('"memory_mb": 72000', '"memory_mb": 73000'));
  const r = runCli(['--config', 'c.json', '--out', 'out'], d);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, /out: [1-9]\d* written, 0 removed, \d+ unchanged\n$/);
  assert.equal(mine(), kept);
});

test('a named pipe in the folder cannot be carried: exit 1, nothing written, the folder as it was', () => {
  const d = project();
  assert.is(runCli(['--config', 'c.json', '--out', 'out', '-q'], d).code, 0);
  const out = path.join(d, 'out');
  assert.is(spawnSync('mkfifo', [path.join(out, '921', 'pipe')]).status, 0);
  const before = snapshot(out);
  fs.writeFileSync(path.join(d, 'c.json'), EXAMPLE.replace('"memory_mb": 72000', '"memory_mb": 73000'));
  const r = runCli(['--config', 'c.json', '--out', 'out'], d);
  assert.is(r.code, 1);
  assert.ok(
    r.stderr.endsWith(
      `out: error: ${path.join(out, '921', 'pipe')} is neither a file, a folder nor a symbolic link; the output folder is replaced as a whole, and this cannot be carried into the new set: move it away [PHX210]\nphoenix-compile: 1 error, 1 note; nothing written\n`,
    ),
    r.stderr,
  );
  assert.equal(snapshot(out), before);
  assert.equal(
    fs.readdirSync(d).filter((n) => n.startsWith('.out.')),
    [],
  );
});

test('inside a .git folder, or holding the home folder: refused, nothing written', () => {
  const d = project();
  spawnSync('git', ['init', '-q', d]);
  const before = snapshot(d);
  let r = runCli(['--config', 'c.json', '--out', '.git/out'], d);
  assert.is(r.code, 1);
  assert.ok(
    r.stderr.endsWith(
      ".git/out: error: .git/out is inside a repository's .git folder, which is git's own: pass a folder outside it [PHX210]\nphoenix-compile: 1 error, 1 note; nothing written\n",
    ),
    r.stderr,
  );
  const home = require('os').homedir() as string;
  r = runCli(['--config', path.join(d, 'c.json'), '--out', home], '/');
  assert.is(r.code, 1);
  assert.match(r.stderr, /error: \S+ holds the home folder \([^)]+\); the output folder is replaced as a whole on every compile/);
  assert.equal(snapshot(d), before);
});

test("the new folder takes the old one's mode, owner and group", () => {
  const d = project();
  const out = path.join(d, 'out');
  fs.mkdirSync(out);
  fs.chmodSync(out, 0o2750);
  const root = process.getuid?.() === 0;
  if (root) fs.chownSync(out, 65534, 65534);
  const was = fs.statSync(out);
  assert.is(runCli(['--config', 'c.json', '--out', 'out', '-q'], d).code, 0);
  const now = fs.statSync(out);
  assert.not.equal(now.ino, was.ino, 'the folder was replaced');
  assert.equal([now.mode & 0o7777, now.uid, now.gid], [0o2750, was.uid, was.gid]);
});

test('something else where the compile puts a file or a folder: PHX209 (compile and --check); --force replaces it, never writing through a link', () => {
  const d = project();
  assert.is(runCli(['--config', 'c.json', '--out', 'out', '-q'], d).code, 0);
  const out = path.join(d, 'out');
  // 900 moved away and linked back; 921/features a file; 921/deploy.sh a folder
  fs.renameSync(path.join(out, '900'), path.join(d, 'elsewhere'));
  fs.symlinkSync('../elsewhere', path.join(out, '900'));
  const elsewhere = snapshot(path.join(d, 'elsewhere'));
  fs.rmSync(path.join(out, '921', 'features'), { recursive: true });
  fs.writeFileSync(path.join(out, '921', 'features'), 'mine\n');
  fs.rmSync(path.join(out, '921', 'deploy.sh'));
  fs.mkdirSync(path.join(out, '921', 'deploy.sh'));
  const before = snapshot(out);
  const c = runCli(['--config', 'c.json', '--out', 'out', '--check', '-q'], d);
  assert.is(c.code, 2, c.stderr);
  const r = runCli(['--config', 'c.json', '--out', 'out', '-q'], d);
  assert.is(r.code, 1);
  assert.ok(
    r.stderr.endsWith(
      'out/900: error: out/900, out/921/deploy.sh, out/921/features are in the way: not written by phoenix-compile (not in out/manifest.json); nothing is replaced without --force [PHX209]\nphoenix-compile: 1 error, 1 note; nothing written\n',
    ),
    r.stderr,
  );
  assert.equal(snapshot(out), before);
  const f = runCli(['--config', 'c.json', '--out', 'out', '-q', '--force'], d);
  assert.is(f.code, 0, f.stderr);
  for (const p of ['900', '921/features']) assert.ok(fs.lstatSync(path.join(out, p)).isDirectory(), p);
  assert.ok(fs.lstatSync(path.join(out, '921', 'deploy.sh')).isFile());
  assert.equal(snapshot(path.join(d, 'elsewhere')), elsewhere, 'nothing written through the link');
  assert.is(runCli(['--config', 'c.json', '--out', 'out', '--check', '-q'], d).code, 0);
});

test.run();
