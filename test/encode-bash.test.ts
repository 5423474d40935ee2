import { spawnSync } from 'child_process';
import * as fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bashWord, EncodeError } from '../encode/bash';
import { hostileString, printableString, SEED } from './lib/arbitraries';

/** Runs one bash script that prints each encoded word NUL-terminated; returns what bash received. */
function throughBash(values: string[], locale = 'C.UTF-8'): string[] {
  const script = values.map((v) => `printf '%s\\0' ${bashWord(v)}`).join('\n') + '\n';
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', LC_ALL: locale },
  });
  assert.is(r.status, 0, r.stderr);
  const parts = r.stdout.split('\0');
  parts.pop();
  return parts;
}

test('bare and quoted forms', () => {
  assert.is(bashWord('abc-1.2/x:y,z=w+v@%_'), 'abc-1.2/x:y,z=w+v@%_');
  assert.is(bashWord(''), "''");
  assert.is(bashWord('a b'), "'a b'");
  assert.is(bashWord("it's"), `'it'"'"'s'`);
  assert.is(bashWord('$(id)'), "'$(id)'");
  assert.is(bashWord('-rf'), '-rf');
});

test('refuses NUL and line breaks with a message', () => {
  assert.throws(
    () => bashWord('a\0b'),
    (e: unknown) => e instanceof EncodeError && /NUL/.test((e as Error).message),
  );
  assert.throws(
    () => bashWord('a\nb'),
    (e: unknown) => e instanceof EncodeError && /line break/.test((e as Error).message),
  );
  assert.throws(
    () => bashWord('a\rb'),
    (e: unknown) => e instanceof EncodeError && /line break/.test((e as Error).message),
  );
});

test('hand-picked hostile values reach bash byte-exact', () => {
  const values = [
    '$(touch /tmp/pwned)',
    '`id`',
    '${HOME}',
    "'; rm -rf / #",
    '"',
    "'",
    '\\',
    ';',
    ' ; ',
    '%s%n',
    '*',
    '~root',
    '!!',
    'a\tb',
    '-e',
    'héllo wörld ✓ 😀',
    ' leading',
    'trailing ',
  ];
  assert.equal(throughBash(values), values);
});

test('property: 3000 printable Unicode strings round-trip through the real bash', () => {
  const samples = fc.sample(printableString, { seed: SEED, numRuns: 2000 });
  const hostile = fc.sample(hostileString, { seed: SEED + 1, numRuns: 1000 });
  const all = [...samples, ...hostile];
  for (let i = 0; i < all.length; i += 500) {
    const batch = all.slice(i, i + 500);
    // Single quotes are byte-literal in bash, whatever the locale: prove it under two.
    for (const locale of ['C.UTF-8', 'C']) {
      const got = throughBash(batch, locale);
      for (let j = 0; j < batch.length; j++) assert.is(got[j], batch[j], `value ${JSON.stringify(batch[j])} (LC_ALL=${locale})`);
    }
  }
});

test.run();
