/**
 * Crash safety of the output folder: a run of the real executable killed with SIGKILL at any point
 * leaves out/ holding exactly the complete old set or exactly the complete new set (or, killed
 * between the two renames, no out/ and the complete new set in `.out.phx-new`, which the next run
 * puts in place). Never a mix, never a partial file, and files the manifest does not own survive.
 *
 * Old set = config A (the example); new set = config B: cores and memory changed (files rewritten),
 * CTID 921 replaced by 922 (files removed and added), extra clones shifted (some removed, some added).
 * The expected trees are compiled into clean folders, with the same relative names as the work folder.
 */
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './lib/cli';
import { readTree, repoRoot, tmpDir } from './lib/paths';

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin', 'phoenix-compile.js');
const EXAMPLE = JSON.parse(fs.readFileSync(path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'));

type Tree = Map<string, { data: Buffer; mode: number }>;
type Which = 'a' | 'b';

/** Files the manifest does not own; they must survive every crash and recovery. */
const UNOWNED: Record<string, string> = { 'NOTES.md': 'my notes, not generated\n', '921/local.txt': 'kept beside generated files\n' };

// ---------------------------------------------------------------------------------------------
// Configs A and B

function clone921(ctid: number): Record<string, unknown> {
  const c = JSON.parse(JSON.stringify(EXAMPLE.lxc_configs['921']));
  const k = ctid - 900;
  const hex = (n: number) => (n & 255).toString(16).toUpperCase().padStart(2, '0');
  c.name = `vllm-${ctid}`;
  c.network_config.ip = `10.0.${1 + (k >> 8)}.${k & 255}/16`;
  c.mac_address = `52:54:01:00:${hex(k >> 8)}:${hex(k)}`;
  c.vllm_engine_config.ServerConfig.port = 8000 + k;
  c.vllm_engine_config.ServerConfig.served_model_name = `m-${ctid}`;
  return c;
}

/** A: the example plus `extra` clones of 921 (CTIDs 930...). B: see the file comment. */
function configText(which: Which, extra: number): string {
  const cfg = JSON.parse(JSON.stringify(EXAMPLE));
  const lxc = cfg.lxc_configs;
  const shift = which === 'a' ? 0 : Math.ceil(extra / 4);
  for (let i = shift; i < extra + shift; i++) lxc[String(930 + i)] = clone921(930 + i);
  if (which === 'b') {
    lxc['900'].cores = 4;
    lxc['901'].memory_mb = 4096;
    lxc['922'] = clone921(922);
    delete lxc['921'];
  }
  return JSON.stringify(cfg, null, 2) + '\n';
}

/**
 * A work folder: a.json, b.json and out/ holding the unowned files (out/ compiled from A unless told).
 * The runs below switch between the two configs, so they pass --force (out/ compiled from the other).
 */
function workFolder(extra: number, compileA = true): string {
  const w = tmpDir('crash');
  fs.writeFileSync(path.join(w, 'a.json'), configText('a', extra));
  fs.writeFileSync(path.join(w, 'b.json'), configText('b', extra));
  if (!compileA) return w;
  for (const [p, text] of Object.entries(UNOWNED)) {
    fs.mkdirSync(path.dirname(path.join(w, 'out', p)), { recursive: true });
    fs.writeFileSync(path.join(w, 'out', p), text);
  }
  const r = runCli(['--config', 'a.json', '--out', 'out'], w);
  assert.is(r.code, 0, r.stderr);
  return w;
}

/** The complete trees of A and B, each compiled into a clean folder over the unowned files. */
function expectedTrees(extra: number): Record<Which, Tree> {
  const res = {} as Record<Which, Tree>;
  for (const which of ['a', 'b'] as const) {
    const w = workFolder(extra, true);
    if (which === 'b') {
      fs.rmSync(path.join(w, 'out'), { recursive: true });
      for (const [p, text] of Object.entries(UNOWNED)) {
        fs.mkdirSync(path.dirname(path.join(w, 'out', p)), { recursive: true });
        fs.writeFileSync(path.join(w, 'out', p), text);
      }
      const r = runCli(['--config', 'b.json', '--out', 'out'], w);
      assert.is(r.code, 0, r.stderr);
    }
    res[which] = readTree(path.join(w, 'out'));
    fs.rmSync(w, { recursive: true, force: true });
  }
  assert.ok(diff(res.a, res.b) !== undefined, 'A and B must differ');
  return res;
}

// ---------------------------------------------------------------------------------------------
// Tree comparison

/** undefined when the trees are identical (paths, bytes, modes), else the first difference. */
function diff(actual: Tree, expected: Tree): string | undefined {
  for (const [p, f] of expected) {
    const g = actual.get(p);
    if (!g) return `missing ${p}`;
    if (!g.data.equals(f.data)) return `${p} has other bytes`;
    if (g.mode !== f.mode) return `${p} has mode ${g.mode.toString(8)}, not ${f.mode.toString(8)}`;
  }
  for (const p of actual.keys()) if (!expected.has(p)) return `extra file ${p}`;
  return undefined;
}

/** Which complete set the folder holds, or a description of the mix. */
function classify(dir: string, exp: Record<Which, Tree>): Which | string {
  const t = readTree(dir);
  const da = diff(t, exp.a);
  if (da === undefined) return 'a';
  const db = diff(t, exp.b);
  if (db === undefined) return 'b';
  return `neither A (${da}) nor B (${db})`;
}

const sib = (w: string, kind: 'new' | 'old') => path.join(w, `.out.phx-${kind}`);
const exists = (p: string) => fs.existsSync(p);

function assertUnownedSurvive(dir: string, when: string): void {
  for (const [p, text] of Object.entries(UNOWNED)) {
    assert.is(fs.readFileSync(path.join(dir, p), 'utf8'), text, `${when}: unowned ${p} survives`);
  }
}

function assertClean(w: string, exp: Record<Which, Tree>, want: Which, when: string): void {
  assert.is(classify(path.join(w, 'out'), exp), want, `${when}: out/ is exactly ${want.toUpperCase()}`);
  assert.not.ok(exists(sib(w, 'new')), `${when}: no .out.phx-new left`);
  assert.not.ok(exists(sib(w, 'old')), `${when}: no .out.phx-old left`);
  assertUnownedSurvive(path.join(w, 'out'), when);
}

// ---------------------------------------------------------------------------------------------
// Running the real executable

/** Like runBin (test/lib/cli.ts), but keeps the signal that ended the process. */
function runReal(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): { code: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

function compileReal(w: string, which: Which, when: string): void {
  const r = runReal(['--config', `${which}.json`, '--out', 'out', '--force'], w, { PHOENIX_COMPILE_CRASH_AT: '' });
  assert.is(r.code, 0, `${when}: ${r.stderr}`);
}

/** Spawns a compile and SIGKILLs it after `delayMs`; resolves with how it ended and how long it ran. */
function killAfter(w: string, which: Which, delayMs: number): Promise<{ killed: boolean; code: number | null; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [BIN, '--config', `${which}.json`, '--out', 'out', '--force'], {
      cwd: w,
      env: { ...process.env, PHOENIX_COMPILE_CRASH_AT: '' },
      stdio: 'ignore',
    });
    const timer = delayMs >= 0 ? setTimeout(() => child.kill('SIGKILL'), delayMs) : undefined;
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', code, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
  });
}

/** A small seeded PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// Deterministic crash points

const SMALL = expectedTrees(0);

for (const point of ['staged', 'between-renames', 'swapped'] as const) {
  for (const next of ['b', 'a'] as const) {
    test(`SIGKILL at ${point} (A -> B): out/ is complete A or B; a run with ${next.toUpperCase()} then yields exactly ${next.toUpperCase()}`, () => {
      const w = workFolder(0);
      assertClean(w, SMALL, 'a', 'before');
      const r = runReal(['--config', 'b.json', '--out', 'out', '--force'], w, { PHOENIX_COMPILE_CRASH_AT: point });
      assert.is(r.signal, 'SIGKILL', `killed by SIGKILL at ${point} (exit ${r.code}: ${r.stderr})`);

      const out = path.join(w, 'out');
      if (point === 'between-renames') {
        // The only state without out/: the complete new set waits beside it.
        assert.not.ok(exists(out), 'out/ was renamed away');
        assert.is(classify(sib(w, 'new'), SMALL), 'b', '.out.phx-new holds the complete B set');
        assert.is(classify(sib(w, 'old'), SMALL), 'a', '.out.phx-old holds the complete A set');
      } else {
        const got = classify(out, SMALL);
        assert.is(got, point === 'staged' ? 'a' : 'b', `out/ after a kill at ${point}`);
        assertUnownedSurvive(out, `after the kill at ${point}`);
        if (point === 'staged') assert.is(classify(sib(w, 'new'), SMALL), 'b', 'the staged set was complete');
      }

      compileReal(w, next, `recovery run with ${next}`);
      assertClean(w, SMALL, next, `after the recovery run with ${next.toUpperCase()}`);
      // And once more: nothing left to do, nothing changes.
      compileReal(w, next, 'second run');
      assertClean(w, SMALL, next, 'after a second run');
      fs.rmSync(w, { recursive: true, force: true });
    });
  }
}

test('a first run (no out/ yet) killed once staged leaves no out/; the next run compiles cleanly', () => {
  const w = workFolder(0, false);
  const r = runReal(['--config', 'b.json', '--out', 'out', '--force'], w, { PHOENIX_COMPILE_CRASH_AT: 'staged' });
  assert.is(r.signal, 'SIGKILL');
  assert.not.ok(exists(path.join(w, 'out')), 'no out/ appears before the swap');
  compileReal(w, 'a', 'first complete run');
  assert.not.ok(exists(sib(w, 'new')), 'the stale staging folder is gone');
  const t = readTree(path.join(w, 'out'));
  for (const p of Object.keys(UNOWNED)) t.delete(p);
  const want = new Map(SMALL.a);
  for (const p of Object.keys(UNOWNED)) want.delete(p);
  assert.is(diff(t, want), undefined);
  fs.rmSync(w, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Random kills

const KILLS = 36;
const SEED = 0x5eed_c0de;

test(`${KILLS} SIGKILLs at random moments (seed ${SEED}): out/ is always exactly A or exactly B`, async () => {
  // More CTIDs, so the write phase is a bigger target: about 60 more generated files whatever the
  // number of artifacts per CTID (keeps the suite's time steady as emitters are added).
  const perCtid = Math.max(1, [...SMALL.a.keys()].filter((p) => /^9[0-9]{2}\//.test(p) && !(p in UNOWNED)).length / 3);
  const EXTRA = Math.max(8, Math.min(60, Math.round(60 / perCtid)));
  const exp = expectedTrees(EXTRA);
  const w = workFolder(EXTRA);
  const out = path.join(w, 'out');
  assertClean(w, exp, 'a', 'start');

  // How long a run lives, and when it reaches the swap (the interesting moment).
  let lifetime = 0;
  for (const which of ['b', 'a', 'b', 'a'] as const) {
    const r = await killAfter(w, which, -1);
    assert.is(r.code, 0);
    lifetime = Math.max(lifetime, r.ms);
  }
  let stagedAt = Infinity;
  for (let i = 0; i < 2; i++) {
    const t0 = process.hrtime.bigint();
    assert.is(runReal(['--config', 'b.json', '--out', 'out', '--force'], w, { PHOENIX_COMPILE_CRASH_AT: 'staged' }).signal, 'SIGKILL');
    stagedAt = Math.min(stagedAt, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  compileReal(w, 'a', 'reset');
  assertClean(w, exp, 'a', 'reset');

  const rnd = prng(SEED);
  const N = Math.ceil(lifetime * 1.2);
  const seen = { kept: 0, staging: 0, replaced: 0, between: 0, finished: 0 };
  let cur: Which = 'a';
  for (let i = 0; i < KILLS; i++) {
    const target: Which = cur === 'a' ? 'b' : 'a';
    // Half the kills anywhere in the process lifetime, half around the swap.
    const delay = i % 2 === 0 ? rnd() * N : stagedAt * (0.9 + rnd() * 0.3);
    const r = await killAfter(w, target, Math.round(delay));
    const when = `kill #${i} after ${Math.round(delay)} ms (${cur.toUpperCase()} -> ${target.toUpperCase()}, ${r.killed ? 'killed' : 'finished'})`;
    if (!r.killed) assert.is(r.code, 0, when);

    if (!exists(out)) {
      // Killed between the two renames: the complete new set waits in .out.phx-new.
      seen.between++;
      assert.is(classify(sib(w, 'new'), exp), target, `${when}: .out.phx-new holds the complete new set`);
      compileReal(w, target, `${when}: recovery run`);
      assertClean(w, exp, target, `${when}: after one recovery run`);
      cur = target;
      continue;
    }
    const got = classify(out, exp);
    assert.ok(got === 'a' || got === 'b', `${when}: ${got}`);
    assertUnownedSurvive(out, when);
    if (!r.killed) {
      assert.is(got, target, when);
      seen.finished++;
    } else if (got === cur) {
      seen.kept++;
      if (exists(sib(w, 'new'))) seen.staging++; // killed while the new set was being staged
    } else seen.replaced++;
    cur = got as Which;
  }
  compileReal(w, cur, 'final run');
  assertClean(w, exp, cur, 'final run');
  console.log(
    `      crash: ${EXTRA} extra CTIDs, ${KILLS} kills over 0-${N} ms (swap at ~${Math.round(stagedAt)} ms): ` +
      `old set kept ${seen.kept} (${seen.staging} of them mid-staging), new set in place ${seen.replaced}, between renames ${seen.between}, run finished first ${seen.finished}`,
  );
  fs.rmSync(w, { recursive: true, force: true });
});

test.run();
