/** The emitters, in one list: pure functions from the plan to files. */
import type { FleetPlan } from '../compiler/plan';
import type { Artifact, ContainerEmitter, FleetEmitter } from './artifact';
import { emitContainerJson } from './container-json';
import { emitVllmArgv } from './vllm-argv';
import { emitVllmUnit } from './vllm-unit';
import { emitDispatcher, emitScripts } from './scripts';
import { emitFleetMd } from './fleet-md';

const containerEmitters: ContainerEmitter[] = [emitContainerJson, emitVllmArgv, emitVllmUnit, emitScripts];
const fleetEmitters: FleetEmitter[] = [emitDispatcher, emitFleetMd];

export function emitAll(fleet: FleetPlan): Artifact[] {
  const out: Artifact[] = [];
  for (const c of fleet.containers) for (const e of containerEmitters) out.push(...e(c, fleet));
  for (const e of fleetEmitters) out.push(...e(fleet));
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
