/** The emitters, in one list: pure functions from the plan to files, one module per artifact. */
import type { FleetPlan } from '../compiler/plan/model';
import type { Artifact, ContainerEmitter, FleetEmitter } from './artifact';
import { emitBenchmarkSh } from './benchmark-sh';
import { emitClusterSh } from './cluster-sh';
import { emitContainerJson } from './container-json';
import { emitCreateSh } from './create-sh';
import { emitDeploySh } from './deploy-sh';
import { emitFeatureScripts } from './feature-scripts';
import { emitFleetMd } from './fleet-md';
import { emitPhoenix } from './phoenix';
import { emitVerifySh } from './verify-sh';
import { emitVllmArgv } from './vllm-argv';
import { emitVllmUnit } from './vllm-unit';

const containerEmitters: ContainerEmitter[] = [
  emitContainerJson,
  emitVllmArgv,
  emitVllmUnit,
  emitCreateSh,
  emitFeatureScripts,
  emitDeploySh,
  emitVerifySh,
  emitBenchmarkSh,
];
const fleetEmitters: FleetEmitter[] = [emitPhoenix, emitClusterSh, emitFleetMd];

/**
 * Emits the plan's files into `sink` one container at a time, in the output's path order
 * (containers by CTID as text, each one's files by path, then the fleet's files), so a caller
 * can write each file and let it go: what is held at once is one container's files, not the
 * fleet's. `only.ctids`: emit the per-CTID files of these CTIDs only (--only plans the whole fleet
 * for the fleet-wide files); `only.fleet` false: no fleet-wide files (FLEET.md, phoenix). Throws
 * EncodeError (encode/text.ts) when a value cannot be encoded.
 */
export function emitFleet(fleet: FleetPlan, sink: (file: Artifact) => void, only: EmitSelection = {}): void {
  const containers = [...fleet.containers].sort((a, b) => byText(a.ctid, b.ctid));
  for (const c of containers) {
    if (only.ctids && !only.ctids.has(c.ctid)) continue;
    const files: Artifact[] = [];
    for (const e of containerEmitters) files.push(...e(c, fleet));
    for (const f of files.sort(byPath)) sink(f);
  }
  if (only.fleet === false) return;
  const files: Artifact[] = [];
  for (const e of fleetEmitters) files.push(...e(fleet));
  for (const f of files.sort(byPath)) sink(f);
}

export interface EmitSelection {
  ctids?: ReadonlySet<string> | undefined;
  fleet?: boolean;
}

/** Every file of the plan, in path order (emitFleet into an array). */
export function emitAll(fleet: FleetPlan, only: EmitSelection = {}): Artifact[] {
  const out: Artifact[] = [];
  emitFleet(fleet, (f) => out.push(f), only);
  return out;
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPath(a: Artifact, b: Artifact): number {
  return byText(a.path, b.path);
}
