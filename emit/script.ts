/**
 * What every generated script shares: an executable Artifact, the exit codes of a step script,
 * and the prelude (emit/bash-prelude.ts) filled in for one CTID.
 */
import type { ContainerPlan, FleetHeader } from '../compiler/plan/model';
import type { Artifact } from './artifact';
import { scriptPrelude } from './bash-prelude';

/** Exit codes of a script that runs steps (create.sh, feature scripts). */
export const EXITS_STEP: [number, string][] = [
  [0, 'done (or nothing to do)'],
  [1, 'a step failed; the log line before says which'],
];

/** An executable file of the output (mode 0755). */
export function script(kind: Artifact['kind'], path: string, content: string): Artifact {
  return { kind, path, mode: 0o755, content };
}

/** What a per-CTID script's prelude says and defines, beyond its title and what it does. */
export interface CtidScriptDoc {
  /** Its usage line; with one, print_help is defined (-h/--help). */
  usage?: string;
  /** Its exit codes. Default EXITS_STEP. */
  exits?: [number, string][];
  /** The script runs sibling files (HERE is its folder). Default true. */
  here?: boolean;
  /** The script waits by the clock (now_cs). Default false. */
  clock?: boolean;
  /** The script takes counts or seconds as options (whole_number). Default false. */
  numbers?: boolean;
}

/**
 * The prelude of a per-CTID script: in_ct and need_tools always (every per-CTID script acts
 * inside its container through pct), the rest as `doc` says.
 */
export function ctidPrelude(fleet: FleetHeader, c: ContainerPlan, title: string, does: string[], doc: CtidScriptDoc = {}): string {
  const { usage, exits = EXITS_STEP, here = true, clock = false, numbers = false } = doc;
  return scriptPrelude(fleet, c.ctid, {
    title,
    does,
    exits,
    here,
    tools: true,
    inCt: true,
    clock,
    numbers,
    help: usage !== undefined,
    ...(usage ? { usage } : {}),
  });
}
