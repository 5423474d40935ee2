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

/**
 * The prelude of a per-CTID script: in_ct always (every per-CTID script acts inside its
 * container), print_help when it has a usage line. `here`: the script runs sibling files.
 */
export function ctidPrelude(
  fleet: FleetHeader,
  c: ContainerPlan,
  title: string,
  does: string[],
  usage?: string,
  exits: [number, string][] = EXITS_STEP,
  here = true,
): string {
  return scriptPrelude(fleet, c.ctid, { title, does, exits, here, tools: true, inCt: true, help: usage !== undefined, ...(usage ? { usage } : {}) });
}
