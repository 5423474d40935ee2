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
 * Every file of the plan, sorted by path. `only.ctids`: emit the per-CTID files of these CTIDs
 * only (--only plans the whole fleet for the fleet-wide files); `only.fleet` false: no fleet-wide
 * files (FLEET.md, phoenix).
 */
export function emitAll(fleet: FleetPlan, only: { ctids?: ReadonlySet<string> | undefined; fleet?: boolean } = {}): Artifact[] {
  const out: Artifact[] = [];
  for (const c of fleet.containers) {
    if (only.ctids && !only.ctids.has(c.ctid)) continue;
    for (const e of containerEmitters) out.push(...e(c, fleet));
  }
  if (only.fleet !== false) for (const e of fleetEmitters) out.push(...e(fleet));
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
