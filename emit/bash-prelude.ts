/**
 * The opening every generated script shares: shebang, generated-file header, what the script
 * does and its exit codes, strict mode, and log/die helpers that stamp time and CTID.
 */
import type { FleetHeader } from '../compiler/plan/model';
import { bashWord } from '../encode/bash';
import { hashHeader } from './header';

export interface ScriptDoc {
  title: string;
  does: string[];
  usage?: string;
  exits: [number, string][];
  /** The script runs sibling files (HERE is its folder). Default true. */
  here?: boolean;
  /** Define need_tools (checks that host commands exist). */
  tools?: boolean;
  /** Define in_ct (a command inside the container, through pct exec). */
  inCt?: boolean;
  /** Define print_help (the header above: what the script does, its usage and exit codes), for -h/--help. */
  help?: boolean;
  /** Define now_cs (the host's monotonic clock, in hundredths of a second), for waits by the clock. */
  clock?: boolean;
  /** Define whole_number (checks a numeric argument), for options that take counts or seconds. */
  numbers?: boolean;
}

/**
 * now_cs: sets $now_cs to the host's monotonic clock in hundredths of a second, so that a script
 * that waits N seconds waits N seconds. The clock is /proc/uptime's first field, CLOCK_BOOTTIME
 * printed as "%lu.%02lu" (Linux fs/proc/uptime.c, uptime_proc_show; proc_uptime(5)): it never
 * steps when the wall clock is set. Not bash's SECONDS: that is the difference of two whole
 * wall-clock seconds (bash-5.2 variables.c:1369-1378 get_seconds, shell.c:469-470), so it
 * ticks at each wall-clock second and a deadline of SECONDS + N passes up to a second early
 * (verify.sh --wait 3 returned after 2.1 s). No fork: `read` is a builtin.
 */
const NOW_CS = [
  '# now_cs: the monotonic clock (/proc/uptime, CLOCK_BOOTTIME) in hundredths of a second, in $now_cs.',
  '# Not SECONDS: it counts whole wall-clock seconds, so SECONDS + N passes up to a second early.',
  'now_cs() {',
  '\tlocal up',
  '\tread -r up _ </proc/uptime',
  '\tnow_cs=$((10#${up%.*} * 100 + 10#${up#*.}))',
  '}',
];

/**
 * whole_number OPTION VALUE MIN: a usage error (exit 2) unless VALUE is a whole number of at least
 * MIN, in decimal without a leading zero and of at most 9 digits. bash's $((...)) and [ -lt ] read
 * "010" as octal 8 and "08" as an error ("value too great for base"), and a 20-digit number
 * overflows to a negative one (bash manual, ARITHMETIC EVALUATION: "Constants with a leading 0 are
 * interpreted as octal numbers"; integers are fixed-width); 9 digits of seconds is 31 years.
 */
const WHOLE_NUMBER = [
  '# whole_number OPTION VALUE MIN: VALUE must be a whole number >= MIN, without a leading zero',
  '# (bash reads 010 as octal 8) and of at most 9 digits; else a usage error.',
  'whole_number() {',
  '\tif [[ ! $2 =~ ^(0|[1-9][0-9]{0,8})$ ]] || [ "$2" -lt "$3" ]; then',
  '\t\tprintf -- \'%s takes a whole number of at least %s (digits only, no leading zero, at most 9), not "%s"\\n\' "$1" "$3" "$2" >&2',
  '\t\texit 2',
  '\tfi',
  '}',
];

export function scriptPrelude(fleet: FleetHeader, ctid: string | undefined, doc: ScriptDoc): string {
  const lines = ['#!/usr/bin/env bash', hashHeader(fleet, ctid).trimEnd(), '#', `# ${doc.title}`, '#'];
  for (const d of doc.does) lines.push(d ? `#   ${d}` : '#');
  if (doc.usage) lines.push('#', `# Usage: ${doc.usage}`);
  lines.push('#', '# Exit codes:');
  for (const [code, what] of doc.exits) lines.push(`#   ${code}  ${what}`);
  // Config values are single-quoted data (the bash encoder); a value holding $ or a backtick is
  // meant literally, which is what SC2016 would otherwise question.
  lines.push('# shellcheck disable=SC2016 # single-quoted config values are data, never expanded');
  lines.push('set -euo pipefail', '');
  if (ctid !== undefined) lines.push(`readonly CTID=${bashWord(ctid)}`);
  if (doc.here !== false) lines.push('HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)', 'readonly HERE');
  lines.push('');
  lines.push(
    'log() {',
    ctid !== undefined
      ? `\tprintf '%s [CTID %s] %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$CTID" "$*" >&2`
      : `\tprintf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2`,
    '}',
    'die() {',
    '\tlog "ERROR: $*"',
    '\texit 1',
    '}',
  );
  if (doc.tools)
    lines.push(
      '# The host tools this script runs, checked before the first step.',
      'need_tools() {',
      '\tlocal tool',
      '\tfor tool in "$@"; do',
      '\t\tcommand -v "$tool" >/dev/null 2>&1 || die "$tool not found: run this on the Proxmox host"',
      '\tdone',
      '}',
    );
  if (doc.help) lines.push('print_help() {', "\tsed -n '2,/^set -euo/p' \"${BASH_SOURCE[0]}\" | sed '$d'", '}');
  if (doc.inCt) lines.push('in_ct() {', '\tpct exec "$CTID" -- "$@"', '}');
  if (doc.clock) lines.push(...NOW_CS);
  if (doc.numbers) lines.push(...WHOLE_NUMBER);
  return lines.join('\n') + '\n';
}
