/** The emitters, in one list: pure functions from the plan to files, one module per artifact. */
import type { ContainerPlan, FleetHeader, FleetPlan } from '../compiler/plan/model';
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

/** A container's files, in path order (emitted from its plan and the fleet's header fields). */
export function emitContainer(c: ContainerPlan, fleet: FleetHeader): Artifact[] {
  const files: Artifact[] = [];
  for (const e of containerEmitters) files.push(...e(c, fleet));
  return files.sort(byPath);
}

/** The fleet-wide files (out/phoenix, cluster.sh, FLEET.md), in path order. */
export function emitFleetFiles(fleet: FleetPlan): Artifact[] {
  const files: Artifact[] = [];
  for (const e of fleetEmitters) files.push(...e(fleet));
  return files.sort(byPath);
}

/** Code-unit order (the output's path order). */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function byPath(a: Artifact, b: Artifact): number {
  return byText(a.path, b.path);
}
