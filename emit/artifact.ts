/** What an emitter returns: files keyed by their path inside the output folder. */
import type { ContainerPlan, FleetHeader, FleetPlan } from '../compiler/plan/model';
import type { OutputFile } from '../compiler/write/manifest';

export type Artifact = OutputFile & { kind: ArtifactKind };

/** Every artifact kind; the golden harness fails when a kind has no golden file. */
export const ARTIFACT_KINDS = [
  'container.json',
  'vllm.argv.json',
  'vllm_model_server.service',
  'sampler-off drop-in',
  'create.sh',
  'feature script',
  'deploy.sh',
  'verify.sh',
  'benchmark.sh',
  'phoenix dispatcher',
  'cluster helper',
  'FLEET.md',
] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** A container's files: from its plan and the header fields of the fleet (never other containers'). */
export type ContainerEmitter = (c: ContainerPlan, fleet: FleetHeader) => Artifact[];
export type FleetEmitter = (fleet: FleetPlan) => Artifact[];

/** Pretty JSON with a final newline: the one JSON style of every artifact. */
export function jsonText(v: unknown): string {
  return JSON.stringify(v, null, 2) + '\n';
}
