/**
 * THE CONTRACT between the compiler and emit/: a typed per-CTID model of everything that will be
 * emitted. Emitters read only this model (never files, never the raw config) and make no
 * decisions: every choice (flags, environment, API key, storage pool, addresses) is made by the
 * planners (plan/*.ts) and written here.
 */
import type { Container } from '../generated/config-types';
import type { Origin } from '../resolve';
import type { SettingSource } from '../vllm/settings';
import type { ClusterNodeInfo, CrossNodeClonePlan } from './cluster';
import type { GpuUse, HostGpu } from './gpus';

export interface SourceInfo {
  /** The config file as named in headers and the manifest: relative to the output folder's parent. */
  file: string;
  sha256: string;
  /** The command that regenerates the output, shown in every header. */
  regenerate: string;
}

/** A warning or note of the compile, without its position (so unrelated edits do not churn out/). */
export interface Notice {
  severity: 'warning' | 'note';
  code: string;
  ctid?: string;
  path: string;
  message: string;
}

/** Why a CTID must come after another one when creating the fleet. */
export interface Need {
  ctid: string;
  why: 'clone source' | 'dependency' | 'shared volume';
  /** The volume name, for 'shared volume'. */
  volume?: string;
}

export interface FleetPlan {
  compiler: { name: string; version: string };
  source: SourceInfo;
  containers: ContainerPlan[];
  /** The selected CTIDs in the order to create them (compiler/plan/order.ts). */
  createOrder: string[];
  /** The compile's warnings and notes for the selected CTIDs. */
  notices: Notice[];
  /** The host's GPUs (host_gpus, or the schema's default: the plan's two RTX 5060 Ti). */
  hostGpus: HostGpu[];
  /** What the selected CTIDs claim of each GPU (plan/gpus.ts); in a cluster, per node and GPU. */
  gpuBudget: GpuUse[];
  /** The Proxmox VE cluster (top-level `nodes`); absent for one host. */
  cluster?: ClusterPlan;
}

/** The cluster's nodes (plan/cluster.ts), for routing (out/phoenix, out/cluster.sh) and FLEET.md. */
export interface ClusterPlan {
  nodes: ClusterNodeInfo[];
}

export interface ContainerPlan {
  ctid: string;
  /** The hostname (`name`). */
  name: string;
  /** The cluster node it lives on (only in a cluster). */
  node?: string;
  /** The effective configuration after clone inheritance, keys in canonical order. */
  effective: Container;
  /** This CTID and its clone ancestors. */
  chain: string[];
  /** The vLLM server this CTID runs, if any. */
  vllm?: VllmPlan;
  /** What create.sh does on the host. */
  host: HostPlan;
  /** The CTIDs to create (or start) before this one, and why. */
  needs: Need[];
  /** Where each effective value comes from (for explain). */
  origin: Record<string, Origin>;
  featureOrigin: Record<string, Origin>;
}

// ---------------------------------------------------------------------------------------------
// The host side: create.sh

export type Define =
  | { mode: 'clone'; source: string; snapshot: string; hostname: string; storage?: string; across?: CrossNodeClonePlan }
  | { mode: 'create'; template: string; hostname: string; storage: string; rootfsGb: number; memory: number; cores: number; unprivileged: boolean };

export interface FeatureStep {
  /** 1-based position in the CTID's own feature list. */
  index: number;
  name: string;
  /** out/<ctid>/features/<file>, or the user's installer for features without a built-in script. */
  file: string;
  builtin: boolean;
}

export interface DeclaredCheck {
  kind: 'health_check' | 'integration_test' | 'health_command';
  name: string;
  /** Script path relative to the scripts folder, or a host command line for health_check.command. */
  path: string;
}

export interface NvidiaPlan {
  driverVersion?: string;
  runfileUrl?: string;
  repoUrl?: string;
  /** CUDA toolkit version, MAJOR.MINOR. */
  cudaVersion: string;
}

/** A folder's owner as create.sh checks and sets it: `stat -c STAT` must print WANT, else `chown CHOWN`. */
export interface OwnerPlan {
  stat: string;
  want: string;
  chown: string;
}

export type MountPlan =
  /** A new volume on `pool` this CTID allocates (pct set --mpN POOL:SIZE,mp=PATH). */
  | { mp: string; kind: 'volume'; name: string; pool: string; sizeGb: number; path: string; owner?: OwnerPlan; sharedWith: string[] }
  /** The volume `name` that CTID `from.ctid` allocated as its `from.mp` (mounted at `from.path` there), mounted here too. */
  | { mp: string; kind: 'shared'; name: string; pool: string; path: string; owner?: OwnerPlan; from: { ctid: string; mp: string; path: string } }
  /** A host folder (created when missing), its owner in host ids. */
  | { mp: string; kind: 'bind' | 'device'; hostPath: string; path: string; owner?: OwnerPlan };

/**
 * A guest create.sh asks about: a CTID of the file (pct status), an external guest (pct status,
 * else qm status), or in a cluster any guest on any node (pvesh, through cluster.sh).
 */
export interface DependencyCheck {
  id: string;
  kind: 'ct' | 'guest' | 'cluster';
}

export interface HostPlan {
  define: Define;
  /** `pct set` options, in a fixed order, as [option, value] pairs. */
  settings: [string, string][];
  gpus: number[];
  /** Device passthrough for the assigned GPUs: `pct set --devN path`. */
  devices: [string, string][];
  /** The CTID's own mount points, in mpN order; each added only when mpN is absent. */
  mounts: MountPlan[];
  /**
   * Raw LXC lines for the current configuration of /etc/pve/lxc/<ctid>.conf, as [key, value] the
   * way Proxmox stores them; each added when the current configuration lacks it.
   */
  lxcLines: [string, string][];
  /** Guests that must be running before create.sh changes anything. */
  dependencies: DependencyCheck[];
  features: FeatureStep[];
  app: { kind: 'vllm' } | { kind: 'script'; script: string } | { kind: 'none' };
  /** The template snapshot this CTID takes at the end of create.sh. */
  snapshot?: string;
  /** The storage pool create.sh checks with pvesm ('' when the config names none). */
  storagePool: string;
  scriptsDir: string;
  checks: DeclaredCheck[];
  nvidia: NvidiaPlan;
  /** The container's IPv4 address without the prefix length, and as written (with it). */
  ip?: string;
  ipCidr?: string;
  /** net0's MAC address as written in the config. */
  mac?: string;
  startAtBoot: boolean;
}

// ---------------------------------------------------------------------------------------------
// The vLLM server

export interface PlannedSetting {
  /** vLLM's argparse destination (the config key). */
  dest: string;
  /** The value as the config writes it. */
  value: unknown;
  /** What vLLM's parser makes of it, as plain JSON ("32K" is 32768). */
  parsed: unknown;
  /** The argv items it becomes. */
  tokens: string[];
  /** Where it is written (for positions in messages and `explain`). */
  path: (string | number)[];
  /** The CTID whose config holds it. */
  layer: string;
  source: SettingSource;
  flag: string;
  /** vLLM's own group for the flag, and the group name the config would use. */
  vllmGroup: string;
  group: string;
}

export interface EnvVar {
  name: string;
  value: string;
  why: string;
}

export interface VllmInstallPlan {
  venv: string;
  python: string;
  vllmVersion: string;
  torchIndexUrl: string;
  torchCuda: string;
  /** What the feature script passes to pip for PyTorch, and whether with --pre. */
  torchPackages: string[];
  torchPre: boolean;
  flashinfer: boolean;
  flashinferRepo: string;
  flashinferTag: string;
  /** flashinfer.__version__ expected after the build (the tag without its v). */
  flashinferVersion: string;
  flashinferSrc: string;
  torchCudaArchList: string;
}

export interface VllmServicePlan {
  /** The unit's folder in the container, its file name, its drop-in folder and the sampler-off drop-in (folder/file). */
  unitDir: string;
  unitName: string;
  dropInDir: string;
  dropInFile: string;
  samplerOffDropIn: string;
  description: string;
  workingDirectory: string;
  env: EnvVar[];
  unset: string[];
  /** Seconds. */
  restartSec: number;
  /** Seconds. */
  startTimeoutSec: number;
  samplerOn: boolean;
  /** EnvironmentFile= of the unit (the container's secrets file), when secrets are declared. */
  environmentFile?: string;
}

/**
 * Secrets of one server (compiler/vllm/secrets.ts): the config declares names; deploy.sh reads the
 * values on the host from hostDir/hostFiles (first file that sets a name wins), writes exactly the
 * declared names to containerFile (mode 0600, root) and the unit reads it with EnvironmentFile=.
 */
export interface VllmSecretsPlan {
  /** The declared names, sorted (the order of the container's file); empty when none are declared. */
  names: string[];
  /** The host's secrets folder (secrets_dir; deploy.sh lets PHOENIX_SECRETS_DIR override it). */
  hostDir: string;
  /** File names in hostDir, in the order deploy.sh reads them: the CTID's own, then the shared one. */
  hostFiles: string[];
  /** In the container: the folder deploy.sh creates (mode 0700) and the file it writes. */
  containerDir: string;
  containerFile: string;
  /** VLLM_API_KEY is declared: the server requires a key on /v1; verify.sh and benchmark.sh read it from containerFile at run time. */
  apiKey: boolean;
}

export interface VllmPlan {
  version: string;
  settings: PlannedSetting[];
  argv: string[];
  model: string;
  servedModelName: string;
  host: string;
  port: number;
  quantization?: string;
  kvCacheDtype?: string;
  /** Fraction of each GPU's memory, (0, 1]. */
  gpuMemoryUtilization: number;
  tensorParallelSize: number;
  pipelineParallelSize: number;
  gpus: HostGpu[];
  /** The secrets the server gets through the unit's EnvironmentFile= (names only, never values). */
  secrets: VllmSecretsPlan;
  /** An embedding (pooling) model: verify.sh asks /v1/embeddings instead of a completion. */
  embedding: boolean;
  /** FP8 KV cache, and FP8 weights: verify.sh looks for vLLM's lines for each. */
  kvCacheFp8: boolean;
  quantizationFp8: boolean;
  install: VllmInstallPlan;
  service: VllmServicePlan;
  logLines: Record<string, string>;
  /** benchmark.sh's request set (vllm_benchmark with its defaults; wait in seconds). */
  benchmark: { requests: number; maxTokens: number; prompts: string[]; expectedGain: number; waitSeconds: number };
}
