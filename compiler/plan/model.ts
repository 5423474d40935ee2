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

/**
 * The plan of the fleet. `C`: what it holds of each container: the whole ContainerPlan (the
 * in-memory compile, for explain and tests), or a ContainerSummary (the streaming compile lets each
 * container's plan go once its files are emitted, and keeps what the fleet-wide files read).
 */
export interface FleetPlan<C extends ContainerSummary = ContainerSummary> {
  compiler: { name: string; version: string };
  source: SourceInfo;
  containers: C[];
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

/** What every generated file's header names: the compiler and the config (emit/header.ts). */
export type FleetHeader = Pick<FleetPlan, 'compiler' | 'source'>;

/**
 * What the fleet-wide files (FLEET.md, out/phoenix, out/cluster.sh) read of a container: a
 * ContainerPlan is one; plan/fleet.ts `summarize` keeps only this much of it.
 */
export interface ContainerSummary {
  ctid: string;
  name: string;
  node?: string;
  needs: Need[];
  host: Pick<HostPlan, 'define' | 'dependencies' | 'app' | 'snapshot' | 'ipCidr' | 'mac'> & { features: Pick<FeatureStep, 'name'>[] };
  vllm?: Pick<VllmPlan, 'port' | 'servedModelName' | 'quantization' | 'kvCacheDtype'>;
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
  /** What its own vllm feature installs (also without a server: a template installs vLLM for its clones). */
  vllmInstall?: VllmInstallPlan;
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
  torchCuda: string;
  /**
   * pinned: the torch, torchvision and torchaudio the pinned vLLM requires, which its install
   * keeps; nightly: the plan's order (newest nightly first), which its install replaces.
   */
  torchChannel: 'pinned' | 'nightly';
  torchIndexUrl: string;
  /** pip requirements for PyTorch (`torch==2.8.0`, ... or bare names for nightly), and whether with --pre. */
  torchRequirements: string[];
  torchPre: boolean;
  /** torch version `pip install vllm==VERSION` requires (its requirements/cuda.txt), '' when the catalog has none. */
  torchPinned: string;
  /** pip requirements installed before FlashInfer's build without build isolation (its [build-system] and build backend needs). */
  buildRequirements: string[];
  flashinfer: boolean;
  flashinferRepo: string;
  flashinferTag: string;
  /** flashinfer.__version__ expected after the build (the tag without its v). */
  flashinferVersion: string;
  flashinferSrc: string;
  /** The git submodules FlashInfer's wheel packages (its pyproject package-dir), checked out before the build. */
  flashinferSubmodules: string[];
  /** The nvcc FlashInfer's just-in-time kernel builds run inside the container (<cuda_home>/bin/nvcc). */
  nvcc: string;
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
  /** Seconds: TimeoutStartSec=, and how long deploy.sh waits for the start to finish. */
  startTimeoutSec: number;
  /**
   * The readiness check, ExecStartPost=: polls `url` inside the container until vLLM answers,
   * fails when vLLM exits first or after `seconds` (a little under startTimeoutSec, so it says
   * why before systemd's timeout kills it). `argv` is the command line.
   */
  readiness: { url: string; seconds: number; argv: string[] };
  /** Seconds deploy.sh waits for a start to finish: startTimeoutSec and a margin for systemd's own steps. */
  deployWaitSec: number;
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

/**
 * Where the scripts reach vLLM's API. `local`: the base URL inside the container (the readiness
 * check and the benchmark client run there). `probe`: where deploy.sh and verify.sh send their
 * requests from, the host (at the CTID's address) or, for a server bound to loopback or a CTID
 * without a static address, the container itself through `pct exec ... curl`.
 */
export interface VllmApi {
  local: string;
  probeFrom: 'host' | 'container';
  probe: string;
}

/** What verify.sh looks for in vLLM's journal to tell the V1 engine from a V0 fallback. */
export interface VllmEngineLines {
  /** Logged by the V1 engine core at start (vllm/v1/engine/core.py). */
  v1: string;
  /** Logged by the V0 engine (vllm/engine/llm_engine.py). */
  v0: string;
  /** Contained in both V0-fallback messages (vllm/engine/arg_utils.py). */
  fallback: string;
  /** The attention backend line of the planned VLLM_ATTENTION_BACKEND (vllm/platforms/cuda.py), or '' when vLLM picks by compute capability. */
  backend: string;
  /** The backend variable's value ('' when unset). */
  backendName: string;
  /** Text every V1 attention backend line contains (for the default choice). */
  backendCommon: string;
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
  api: VllmApi;
  logLines: Record<string, string>;
  engineLines: VllmEngineLines;
  /** benchmark.sh; none for an embedding model (it samples no tokens, so there is no sampler to compare). */
  benchmark?: VllmBenchmarkPlan;
}

/**
 * benchmark.sh: vllm bench serve (vLLM's own client, in the venv inside the container) with the
 * random dataset, in `rounds` alternating on/off rounds, each after a restart.
 */
export interface VllmBenchmarkPlan {
  rounds: number;
  numPrompts: number;
  maxConcurrency: number;
  randomInputLen: number;
  randomOutputLen: number;
  warmupPrompts: number;
  temperature: number;
  topP: number;
  topK: number;
  seed: number;
  /** Seed of the warm-up runs' prompts (differs from `seed`, so they do not warm the prefix cache for the timed prompts). */
  warmupSeed: number;
  expectedGain: number;
  /** Seconds one vllm bench serve run may take. */
  runTimeoutSec: number;
  /** --model (the tokenizer id; the server's model) and the flags the client needs to load the same tokenizer. */
  model: string;
  tokenizerArgs: string[];
  /** The client's environment inside the container (NAME=value): the server's Hugging Face cache, offline. */
  env: string[];
}
