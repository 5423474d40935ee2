/**
 * Expected call lists of generated scripts, kept as fixture files under test/<suite>/ and compared
 * exactly. Update them (after reviewing what changed) with
 *
 *   PHX_UPDATE_CALLS=1 npx uvu dist/test <suite-file-pattern>
 *
 * which rewrites the fixture from the run and passes; review the diff with `git diff test/`.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as assert from 'uvu/assert';
import type { Call } from './fake-host';

type Kind = 'state' | 'other';

/** What a call is in deploy.sh's wait loop (it reads the unit's state once per pass). */
function kind(c: Call): Kind {
  const j = c.join(' ');
  if (/^pct exec \d+ -- systemctl show -p ActiveState -p SubState -p InvocationID /.test(j)) return 'state';
  return 'other';
}

/** Iterations of deploy.sh's wait loop that did not end it: how many there are depends on timing. */
const FAILED_POLLS: Kind[][] = [['state']];

/**
 * Calls in a stable form: `dir` (where the scripts ran from) becomes `$OUT`, a systemd invocation
 * ID becomes `$INVOCATION_ID`, a file made by mktemp (deploy.sh's secrets file before it is pushed)
 * becomes `$MKTEMP`, and the iterations of deploy.sh's wait loop that did not end it
 * (the service still loading) are left out, so the list does not depend on how fast the container
 * answered. Nothing else is changed.
 */
export function normalizeCalls(calls: Call[], dir: string): Call[] {
  const out = calls.map((c) =>
    c.map((a) =>
      a
        .split(dir)
        .join('$OUT')
        .replace(/\b[0-9a-f]{32}\b/g, '$INVOCATION_ID')
        .replace(/^\/tmp\/tmp\.[A-Za-z0-9]{10}$/, '$MKTEMP'),
    ),
  );
  const kinds = out.map(kind);
  const keep: Call[] = [];
  for (let i = 0; i < out.length;) {
    const failed = FAILED_POLLS.find((p) => p.every((k, n) => kinds[i + n] === k) && kinds[i + p.length] === 'state');
    if (failed) {
      i += failed.length;
      continue;
    }
    keep.push(out[i]!);
    i++;
  }
  return keep;
}

/** Compares against test/<file>, or writes it when PHX_UPDATE_CALLS=1. */
export function expectCallsFixture(file: string, actual: unknown): void {
  const text =
    JSON.stringify(actual, null, 1).replace(/\[\n\s+("[^\n]*"(,\n\s+"[^\n]*")*)\n\s+\]/g, (_m, inner: string) => `[${inner.replace(/,\n\s+/g, ', ')}]`) + '\n';
  if (process.env.PHX_UPDATE_CALLS === '1') {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return;
  }
  assert.ok(fs.existsSync(file), `${file} is missing: run with PHX_UPDATE_CALLS=1 to write it, then review it`);
  assert.fixture(text, fs.readFileSync(file, 'utf8'), `${file} differs (PHX_UPDATE_CALLS=1 rewrites it)`);
}

/** Is `sub` a subsequence of `all` (same order, gaps allowed)? */
export function isSubsequence(sub: Call[], all: Call[]): boolean {
  let j = 0;
  for (const c of all) if (j < sub.length && JSON.stringify(c) === JSON.stringify(sub[j])) j++;
  return j === sub.length;
}
