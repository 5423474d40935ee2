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
}

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
  return lines.join('\n') + '\n';
}
