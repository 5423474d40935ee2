/**
 * The staging folder's operations (compiler/write/stage.ts): past the first files a worker thread
 * does them; what it writes is what was asked (bytes, exact mode whatever the umask), in order
 * (a folder before the files in it), and its first error reaches the main thread.
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openOutput } from '../compiler/write/output';
import { openStager } from '../compiler/write/stage';
import { tmpDir } from './lib/paths';

const N = 1000; // well past the point where the worker takes over

test(`${N} files in folders made along the way: bytes and modes exact, also under umask 077`, () => {
  const old = process.umask(0o077);
  try {
    const dir = tmpDir('stage');
    const s = openStager();
    for (let i = 0; i < N; i++) {
      if (i % 10 === 0) s.mkdir(path.join(dir, `d${i / 10}`));
      s.write(path.join(dir, `d${Math.floor(i / 10)}`, `f${i}`), Buffer.from(`file ${i}\n`.repeat(i % 7)), i % 2 ? 0o755 : 0o644);
    }
    s.link(path.join(dir, 'd0', 'f1'), path.join(dir, 'd0', 'f1-link'));
    s.drain();
    s.close();
    for (let i = 0; i < N; i++) {
      const p = path.join(dir, `d${Math.floor(i / 10)}`, `f${i}`);
      assert.is(fs.readFileSync(p, 'utf8'), `file ${i}\n`.repeat(i % 7), p);
      assert.is(fs.statSync(p).mode & 0o777, i % 2 ? 0o755 : 0o644, p);
    }
    assert.is(fs.statSync(path.join(dir, 'd0', 'f1-link')).ino, fs.statSync(path.join(dir, 'd0', 'f1')).ino, 'a hard link');
    fs.rmSync(dir, { recursive: true, force: true });
  } finally {
    process.umask(old);
  }
});

test("the worker's first error is thrown on the main thread, with its code", () => {
  const dir = tmpDir('stage');
  const s = openStager();
  for (let i = 0; i < N; i++) s.write(path.join(dir, `f${i}`), Buffer.from('x'), 0o644);
  s.write(path.join(dir, 'missing-folder', 'f'), Buffer.from('x'), 0o644);
  s.write(path.join(dir, 'f0'), Buffer.from('exists'), 0o644); // exclusive create: EEXIST, but the first error wins
  let err: NodeJS.ErrnoException | undefined;
  try {
    s.drain();
  } catch (e) {
    err = e as NodeJS.ErrnoException;
  }
  s.close();
  assert.ok(err, 'drain threw');
  assert.is(err!.code, 'ENOENT');
  assert.match(err!.message, 'missing-folder');
  assert.is(fs.readFileSync(path.join(dir, 'f0'), 'utf8'), 'x', 'nothing after the error was done');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('files the manifest does not own survive a write, whatever their names ("constructor", "__proto__")', () => {
  const dir = tmpDir('stage');
  const out = path.join(dir, 'out');
  const put = (files: Record<string, string>) => {
    const w = openOutput(out);
    for (const [p, text] of Object.entries(files)) w.add({ path: p, content: text, mode: 0o644 }, Buffer.from(text), 'sha-of-' + text);
    const entries = Object.fromEntries(Object.entries(files).map(([p, text]) => [p, { sha256: 'sha-of-' + text, mode: '0644' }]));
    return w.finish(JSON.stringify({ files: entries }) + '\n');
  };
  put({ '1/a.txt': 'one\n' });
  for (const name of ['constructor', '__proto__', 'toString']) fs.writeFileSync(path.join(out, name), `mine: ${name}\n`);
  const r = put({ '1/a.txt': 'two\n' });
  assert.equal(r.written, ['1/a.txt', 'manifest.json']);
  for (const name of ['constructor', '__proto__', 'toString']) assert.is(fs.readFileSync(path.join(out, name), 'utf8'), `mine: ${name}\n`, name);
  fs.rmSync(dir, { recursive: true, force: true });
});

test.run();
