/**
 * The numeric options of the generated deploy.sh, verify.sh and benchmark.sh (whole_number in
 * emit/bash-prelude.ts), through the real bash: a value is taken only when it is a whole number in
 * decimal, at least the option's minimum, without a leading zero and of at most 9 digits. bash's
 * arithmetic reads "010" as octal 8 (so `--timeout 010` waited 8 s) and "08" as an error, and a
 * 20-digit number overflows; `timeout 0` and `curl --max-time 0` mean no limit at all.
 *
 * A refused value: exit 2 and one line naming the option, its minimum and the value, before any
 * host command runs (a pct on PATH that records its calls must see none). A taken value: the script
 * goes on to its first step, the check for its host tools, which fails here (no pct on PATH, exit 1).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, tmpDir } from './lib/paths';

const DIR = path.join(repoRoot(), 'out', '921');
const work = tmpDir('script-args');
/** A folder whose pct records that it ran: a refused value must stop the script before. */
const withPct = path.join(work, 'with-pct');
fs.mkdirSync(withPct);
const calls = path.join(work, 'pct-calls');
fs.writeFileSync(path.join(withPct, 'pct'), `#!/bin/sh\necho "$*" >> '${calls}'\nexit 1\n`, { mode: 0o755 });
/** A folder with only what the scripts need before their first host tool. */
const noPct = path.join(work, 'no-pct');
fs.mkdirSync(noPct);
for (const tool of ['dirname', 'date', 'sed'])
  fs.symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), path.join(noPct, tool));

function script(name: string, args: string[], pathDir: string) {
  return spawnSync('/bin/bash', [path.join(DIR, name), ...args], { encoding: 'utf8', env: { PATH: pathDir, HOME: work } });
}

const REFUSED = ['', '0', '00', '010', '08', '-1', '+5', '5x', '1e3', ' 5', '0x10', '1000000000', '99999999999999999999'];
const OPTIONS: [string, string, number][] = [
  ['deploy.sh', '--timeout', 1],
  ['verify.sh', '--timeout', 1],
  ['verify.sh', '--wait', 0],
  ['benchmark.sh', '--rounds', 1],
  ['benchmark.sh', '--num-prompts', 1],
  ['benchmark.sh', '--max-concurrency', 1],
  ['benchmark.sh', '--warmup-prompts', 1],
  ['benchmark.sh', '--timeout', 1],
];

test('a value that is not a decimal whole number of at most 9 digits, or below the minimum, is a usage error before anything runs', () => {
  for (const [name, option, min] of OPTIONS)
    for (const value of REFUSED) {
      if (value === '0' && min === 0) continue;
      fs.rmSync(calls, { force: true });
      const r = script(name, [option, value], `${withPct}:/usr/bin:/bin`);
      const what = `${name} ${option} ${JSON.stringify(value)}`;
      assert.is(r.status, 2, `${what}: ${r.stderr}`);
      assert.is(r.stderr, `${option} takes a whole number of at least ${min} (digits only, no leading zero, at most 9), not ${JSON.stringify(value)}\n`, what);
      assert.is(r.stdout, '', what);
      assert.not.ok(fs.existsSync(calls), `${what}: pct ran`);
    }
});

test('a decimal whole number from the minimum to 999999999 is taken (the script goes on to check its host tools)', () => {
  for (const [name, option, min] of OPTIONS)
    for (const value of [String(min), '7', '10', '999999999']) {
      const r = script(name, [option, value], noPct);
      const what = `${name} ${option} ${value}`;
      assert.is(r.status, 1, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /\[CTID 921\] ERROR: pct not found: run this on the Proxmox host\n$/, what);
    }
});

test('deploy.sh: --sampler-off with --sampler-on is a usage error; the same one twice is taken', () => {
  fs.rmSync(calls, { force: true });
  const r = script('deploy.sh', ['--sampler-off', '--sampler-on'], `${withPct}:/usr/bin:/bin`);
  assert.equal([r.status, r.stderr], [2, '--sampler-off and --sampler-on: use one of them\n']);
  assert.not.ok(fs.existsSync(calls), 'pct ran');
  const twice = script('deploy.sh', ['--sampler-on', '--sampler-on'], noPct);
  assert.is(twice.status, 1, twice.stderr);
  assert.match(twice.stderr, /ERROR: pct not found/);
});

test.run();
