/**
 * Stage 4, check the vLLM servers: every rule a named function over one CTID's own vLLM settings
 * (as vLLM's parser reads them: compiler/vllm/settings.ts), its GPUs, its container and its unit,
 * each citing the vLLM (or systemd, Proxmox) source it follows, at vLLM's release commit
 * 26b999c71ab28ae9708329003007979530638f79. Many of vLLM 0.10.2's start-up failures are not
 * explicit checks but crashes after the parse (a ZeroDivisionError, an executor that is never
 * chosen, a server that refuses every request); the rules below refuse those values at compile
 * time and cite the place where vLLM would fail. The README ("vLLM rules and their sources") lists
 * them. The planner (plan/vllm.ts) builds the server from the same settings and assumes these
 * rules passed.
 */
import type { Container, PhoenixLxcConfigs } from '../generated/config-types';
import type { Reporter } from '../diagnostics';
import type { ResolvedContainer } from '../resolve';
import type { PathSeg } from '../util/jsonpath';
import { nearest } from '../util/suggest';
import { nodeOf } from '../plan/cluster';
import { capabilityNumber, capabilityText, HostGpu, hostGpus, parseGpuAssignment } from '../plan/gpus';
import { catalogFor, CatalogIndex, SUPPORTED_VLLM_VERSIONS, VLLM_APP_SCRIPT } from '../vllm/catalog';
import { attentionBackendChoice, BackendChoice, hasAttentionSinks } from '../vllm/backend';
import { collectLayer, hasVllmSettings, installOf, MANAGED_ENV, ownSettings, runsVllm, serviceOf, VllmSetting } from '../vllm/settings';
import { isFloat, isInt, PyError, pyFloatOf, pyIntOf, PyValue } from '../vllm/py';
import { systemdRefusal } from '../../encode/systemd';
import { DEFAULTS } from '../generated/defaults';

/** What every rule sees. */
interface VllmCheck {
  r: Reporter;
  rc: ResolvedContainer;
  eff: Container;
  idx: CatalogIndex;
  /** The CTID's own settings (a clone never takes its template's: compiler/resolve.ts). */
  settings: Map<string, VllmSetting>;
  install: ReturnType<typeof installOf>;
  service: ReturnType<typeof serviceOf>;
  assigned: number[];
  gpus: HostGpu[];
  /** Distinct compute capabilities of the assigned GPUs, sorted. */
  caps: string[];
  backend: BackendChoice;
  /** What vLLM's parser made of a setting (undefined when it is not set). */
  value(dest: string): PyValue | undefined;
  /** A numeric setting as a number (an int beyond 2^53 rounded), or undefined. */
  num(dest: string): number | undefined;
  /** Where a setting is written (or the application_script line when it is not). */
  pathOf(dest: string): PathSeg[];
  /** Where a top-level key of the effective config is written (this CTID or the ancestor it comes from). */
  layerPath(key: string, ...rest: PathSeg[]): PathSeg[];
  ctidPath(...rest: PathSeg[]): PathSeg[];
  /** The CUDA toolkit version the nvidia feature installs (cuda_version). */
  cudaVersion: string;
}

const RULES: ((c: VllmCheck) => void)[] = [
  poolingModelDeclared,
  modelNotEmpty,
  servedModelNameNotNone,
  parallelSizesAtLeastOne,
  parallelFitsAssignedGpus,
  sequenceCountsAtLeastOne,
  batchedTokensCoverSequences,
  jsonArgumentsFitTheirFields,
  gpuMemoryUtilizationInRange,
  cpuOffloadNotNegative,
  swapSpaceFitsContainerMemory,
  loraLimits,
  portInRange,
  quantizationActivationDtype,
  bfloat16NeedsCapability,
  quantizationCapability,
  attentionBackendFits,
  serviceEnvironment,
  vllmPortIsNotTheApiPort,
  unsetNotSet,
  installPaths,
  torchPinned,
  nvccWhereFlashInferLooks,
  benchmarkFitsModelLen,
  servesPlainTcp,
];

/** Checks one CTID's vLLM settings and server. */
export function checkVllm(doc: PhoenixLxcConfigs, all: ReadonlyMap<string, ResolvedContainer>, rc: ResolvedContainer, r: Reporter): void {
  const eff = rc.effective;
  const ctidPath = (...rest: PathSeg[]): PathSeg[] => ['lxc_configs', rc.ctid, ...rest];
  if (!runsVllm(eff)) {
    settingsOutsideVllmServer(rc, r);
    cloneCarriesTemplateUnit(rc, all, r);
    installedVersionKnown(rc, r);
    return;
  }
  const install = installOf(eff);
  const idx = catalogFor(install.vllm_version);
  const layerPath = (key: string, ...rest: PathSeg[]): PathSeg[] => {
    const o = rc.origin[key];
    return ['lxc_configs', o?.kind === 'inherited' ? o.from : rc.ctid, key, ...rest];
  };
  if (!idx) {
    r.report(
      'error',
      'PHX028',
      eff.vllm_install?.vllm_version !== undefined ? layerPath('vllm_install', 'vllm_version') : ctidPath('application_script'),
      `no flag catalog for vLLM ${install.vllm_version}; this compiler knows ${SUPPORTED_VLLM_VERSIONS.join(', ')}`,
    );
    return;
  }
  const settings = ownSettings(idx, rc, r);
  if (!settings.has('model')) {
    r.report(
      'error',
      'PHX026',
      ctidPath('application_script'),
      `runs ${VLLM_APP_SCRIPT} but no model is configured (vllm_engine_config.ModelConfig.model)` +
        (rc.chain.length > 1 ? `; a clone does not take its template's vLLM settings (the application script reads .lxc_configs[${rc.ctid}] only)` : ''),
    );
    return;
  }
  const assigned = parseGpuAssignment(eff.gpu_assignment);
  const gpus = hostGpus(doc, nodeOf(doc, rc.ctid)).filter((g) => assigned.includes(g.index));
  const caps = [...new Set(gpus.map((g) => g.capability))].sort();
  const service = serviceOf(eff);
  const value = (dest: string) => settings.get(dest)?.parsed;
  const c: VllmCheck = {
    r,
    rc,
    eff,
    idx,
    settings,
    install,
    service,
    assigned,
    gpus,
    caps,
    backend: attentionBackendChoice(idx.facts, {
      model: value('model') as string,
      kvCacheDtype: value('kv_cache_dtype') as string | undefined,
      capabilities: caps,
      userBackend: service.environment?.VLLM_ATTENTION_BACKEND,
      flashinferInstalled: install.flashinfer,
    }),
    value,
    num: (dest) => {
      const v = value(dest);
      return isInt(v) ? Number(v.v) : isFloat(v) ? v.v : undefined;
    },
    pathOf: (dest) => settings.get(dest)?.path ?? ctidPath('application_script'),
    layerPath,
    ctidPath,
    cudaVersion: doc.cuda_version ?? DEFAULTS.root.cuda_version,
  };
  for (const rule of RULES) rule(c);
}

/** A CTID that does not run the vLLM script: its settings are still checked, and it is told they do nothing. */
function settingsOutsideVllmServer(rc: ResolvedContainer, r: Reporter): void {
  if (!hasVllmSettings(rc.own)) return;
  const own = catalogFor(installOf(rc.effective).vllm_version);
  if (own) collectLayer(own, rc.ctid, rc.own, r);
  r.report('note', 'PHX026', ['lxc_configs', rc.ctid], `has vLLM settings but its application_script is not ${VLLM_APP_SCRIPT}; no vLLM server is generated`, {
    key: true,
  });
}

/**
 * vLLM picks the runner from the model's architecture in its config.json when runner, convert and
 * task are unset (vllm/config/__init__.py:714, 926-960 _get_runner_type/_get_default_runner_type for runner "auto"), which the compiler cannot read. A
 * model whose id names it an embedding model is most likely served as one; verify.sh asks
 * /v1/embeddings only when the config says so, so say how.
 */
function poolingModelDeclared(c: VllmCheck): void {
  const model = c.value('model');
  if (typeof model !== 'string' || !/embed/i.test(model) || c.eff.vllm_model_type !== undefined) return;
  if (['runner', 'convert', 'task'].some((k) => c.value(k) !== undefined)) return;
  c.r.report(
    'note',
    'PHX035',
    c.pathOf('model'),
    `${JSON.stringify(model)} looks like an embedding model, which vLLM 0.10.2 serves as a pooling model when its config.json says so (vllm/config/__init__.py:926-960); the compiler cannot read that, so verify.sh will ask /v1/completions: set "runner": "pooling" (ModelConfig) to have it check /v1/embeddings`,
  );
}

/**
 * A CTID whose own features include vllm installs vLLM without serving it (a template for its
 * clones): the pins it installs come from the flag catalog of the version, which must exist.
 */
function installedVersionKnown(rc: ResolvedContainer, r: Reporter): void {
  if (!(rc.own.features ?? []).includes('vllm')) return;
  const version = installOf(rc.effective).vllm_version;
  if (catalogFor(version)) return;
  const o = rc.origin.vllm_install;
  const at: PathSeg[] =
    rc.effective.vllm_install?.vllm_version !== undefined
      ? ['lxc_configs', o?.kind === 'inherited' ? o.from : rc.ctid, 'vllm_install', 'vllm_version']
      : ['lxc_configs', rc.ctid, 'features'];
  r.report('error', 'PHX028', at, `no flag catalog for vLLM ${version}; this compiler knows ${SUPPORTED_VLLM_VERSIONS.join(', ')}`);
}

/**
 * A clone starts from its template's disk (pct clone copies the root file system: pve-container
 * src/PVE/API2/LXC.pm:2064-2123). A template that runs the vLLM server has the unit enabled when
 * create.sh takes its snapshot (deploy.sh runs before the snapshot), so a clone that declares no
 * vLLM server of its own boots the template's server: its model, its port, its GPU memory.
 */
function cloneCarriesTemplateUnit(rc: ResolvedContainer, all: ReadonlyMap<string, ResolvedContainer>, r: Reporter): void {
  const from = rc.chain.slice(1).find((id) => {
    const t = all.get(id);
    return t !== undefined && runsVllm(t.own);
  });
  if (from === undefined) return;
  const t = all.get(from)!;
  const idx = catalogFor(installOf(t.effective).vllm_version);
  const model = idx ? ownSettings(idx, t).get('model')?.parsed : undefined;
  r.report(
    'warning',
    'PHX033',
    ['lxc_configs', rc.ctid, 'clone_from_ctid'],
    `is cloned from ${from === rc.chain[1] ? from : `${rc.chain[1]}, a clone of ${from}`}, which runs a vLLM server: the clone's disk carries ${from}'s enabled vllm_model_server.service, so CTID ${rc.ctid} starts ${typeof model === 'string' ? `${model} ` : ''}when it boots, although its own config declares no vLLM server (a clone does not take its template's vLLM settings). Give CTID ${rc.ctid} its own "application_script": "${VLLM_APP_SCRIPT}" and vllm_engine_config, or disable the unit in it (pct exec ${rc.ctid} -- systemctl disable --now vllm_model_server.service)`,
    { key: true },
  );
}

/**
 * An empty model name parses (`--model ''`), and vLLM then resolves Path('') = the working
 * directory (the venv here) as the model: vllm/transformers_utils/config.py:342-345, refused at
 * :519-551 ("Invalid repository ID or local directory specified: ''") unless a config.json is there.
 */
function modelNotEmpty(c: VllmCheck): void {
  const m = c.value('model');
  if (typeof m === 'string' && m.trim() === '')
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('model'),
      `model ${JSON.stringify(m)} is empty: vLLM 0.10.2 would look for a model in its working directory (vllm/transformers_utils/config.py:342-345) and refuse it at start-up ("Invalid repository ID or local directory specified", :519-551); name a Hugging Face repository or a local folder`,
    );
}

/**
 * `--served-model-name ''` and `--served-model-name None` parse to [None] (optional_type,
 * vllm/engine/arg_utils.py:84-86); vLLM then serves the model under the name None
 * (vllm/config/__init__.py:2949-2962, vllm/entrypoints/openai/api_server.py:1666-1679), which no
 * client asks for. Almost certainly not what was meant.
 */
function servedModelNameNotNone(c: VllmCheck): void {
  const v = c.value('served_model_name');
  if (Array.isArray(v) && v.some((x) => x === null))
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('served_model_name'),
      `vLLM reads "" and "None" in served_model_name as None (vllm/engine/arg_utils.py:84-86) and would then serve the model under the name None (vllm/config/__init__.py:2949-2962); leave served_model_name out to serve it under its model name`,
    );
}

/**
 * vLLM 0.10.2 has no explicit check that the parallel sizes are at least 1 (no ge= anywhere
 * under vllm/config/); instead:
 *  - tensor_parallel_size 0: ZeroDivisionError in `total_num_attention_heads % tensor_parallel_size`
 *    (vllm/config/__init__.py:1354, ModelConfig.verify_with_parallel_config, from
 *    VllmConfig.__post_init__ :3337);
 *  - a world size (pipeline x tensor) below 1: no executor backend is chosen
 *    (vllm/config/parallel.py:375-411) and the engine raises "Unknown distributed executor
 *    backend: None" (vllm/v1/executor/abstract.py:62);
 *  - data_parallel_size 0: data_parallel_size_local becomes 0 (vllm/engine/arg_utils.py:1257) and
 *    ParallelConfig refuses "data_parallel_rank (0) must be in the range [0, 0)"
 *    (vllm/config/parallel.py:322-332).
 */
function parallelSizesAtLeastOne(c: VllmCheck): void {
  const noExecutor =
    'no executor is chosen for a world size below 1 (vllm/config/parallel.py:375-411) and the engine fails with "Unknown distributed executor backend: None" (vllm/v1/executor/abstract.py:62)';
  const where = (dest: string, n: number): string =>
    dest === 'tensor_parallel_size' && n === 0
      ? 'ZeroDivisionError in total_num_attention_heads % tensor_parallel_size, vllm/config/__init__.py:1354'
      : dest === 'data_parallel_size'
        ? '"data_parallel_rank (0) must be in the range [0, 0)", vllm/config/parallel.py:322-332'
        : noExecutor;
  for (const dest of ['tensor_parallel_size', 'pipeline_parallel_size', 'data_parallel_size']) {
    const n = c.num(dest);
    if (n !== undefined && !(n >= 1))
      c.r.report(
        'error',
        'PHX034',
        c.pathOf(dest),
        `${dest} must be at least 1, found ${n}: vLLM 0.10.2 has no check for it and fails at start-up instead (${where(dest, n)})`,
      );
  }
}

/**
 * tensor_parallel_size x pipeline_parallel_size GPUs (ParallelConfig.world_size,
 * vllm/config/parallel.py:314-315) must be visible to the server; the container sees only the GPUs
 * passed through to it. With fewer, vLLM 0.10.2 picks the Ray backend (vllm/config/parallel.py:375-392)
 * and waits up to 1800 s for a placement group that never comes (vllm/executor/ray_utils.py:249-256,
 * 347-355).
 */
function parallelFitsAssignedGpus(c: VllmCheck): void {
  const tp = c.num('tensor_parallel_size') ?? 1;
  const pp = c.num('pipeline_parallel_size') ?? 1;
  const dp = c.num('data_parallel_size') ?? 1;
  if (c.assigned.length === 0) {
    c.r.report(
      'error',
      'PHX025',
      c.eff.gpu_assignment !== undefined ? c.layerPath('gpu_assignment') : c.ctidPath('application_script'),
      'a vLLM server needs at least one GPU, but gpu_assignment assigns none',
    );
  } else if (tp >= 1 && pp >= 1 && dp >= 1 && tp * pp * dp > c.assigned.length) {
    // One node: each data-parallel rank runs its own TP x PP workers (ParallelConfig.world_size_across_dp, vllm/config/parallel.py:179-183).
    const dpText = dp > 1 ? ` x data_parallel_size ${dp}` : '';
    c.r.report(
      'error',
      'PHX025',
      c.pathOf(
        dp > 1 && tp * pp <= c.assigned.length
          ? 'data_parallel_size'
          : c.settings.has('tensor_parallel_size')
            ? 'tensor_parallel_size'
            : 'pipeline_parallel_size',
      ),
      `tensor_parallel_size ${tp} x pipeline_parallel_size ${pp}${dpText} needs ${tp * pp * dp} GPUs, but gpu_assignment ${JSON.stringify(c.eff.gpu_assignment)} gives ${c.assigned.length} ${dp > 1 && tp * pp <= c.assigned.length ? '(vLLM 0.10.2 gives each data-parallel rank its own slice of the GPUs and fails when the slice runs past them: "Error setting CUDA_VISIBLE_DEVICES", vllm/v1/engine/utils.py:173-193)' : '(vLLM 0.10.2 would wait 1800 s for a Ray placement group, vllm/executor/ray_utils.py:347-355)'}`,
    );
  }
}

/**
 * max_num_seqs, max_num_batched_tokens and max_model_len below 1 pass vLLM 0.10.2's config checks
 * (vllm/config/scheduler.py:250-302 has no lower bound for them); then:
 *  - max_num_seqs or max_num_batched_tokens 0: the memory profile's dummy batch divides by
 *    min(tokens, max_num_seqs) = 0, a ZeroDivisionError (vllm/v1/worker/gpu_model_runner.py:2702-2703,
 *    from the profile run at :3030-3031);
 *  - max_model_len below 1: the server starts and refuses every request, "This model's maximum
 *    context length is ..." (vllm/entrypoints/openai/serving_engine.py:673-679).
 */
function sequenceCountsAtLeastOne(c: VllmCheck): void {
  const why: Record<string, string> = {
    max_num_seqs: 'the memory profile at start-up divides by it (ZeroDivisionError, vllm/v1/worker/gpu_model_runner.py:2702-2703)',
    max_num_batched_tokens: 'the memory profile at start-up divides by it (ZeroDivisionError, vllm/v1/worker/gpu_model_runner.py:2702-2703)',
    max_model_len: 'the server would refuse every request as longer than the context (vllm/entrypoints/openai/serving_engine.py:673-679)',
  };
  for (const dest of Object.keys(why)) {
    const n = c.num(dest);
    if (n !== undefined && !(n >= 1))
      c.r.report('error', 'PHX034', c.pathOf(dest), `${dest} must be at least 1, found ${n}: vLLM 0.10.2 accepts it, and then ${why[dest]}`);
  }
}

/**
 * SchedulerConfig.__post_init__ (vllm/config/scheduler.py:262-266), always applied:
 * "max_num_batched_tokens (B) must be greater than or equal to max_num_seqs (S)." Checked when
 * both are written (their defaults depend on the GPU's memory: vllm/engine/arg_utils.py:1669-1743).
 */
function batchedTokensCoverSequences(c: VllmCheck): void {
  const b = c.num('max_num_batched_tokens');
  const s = c.num('max_num_seqs');
  if (b !== undefined && s !== undefined && b >= 1 && s >= 1 && b < s)
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('max_num_batched_tokens'),
      `vLLM 0.10.2 refuses this at start-up: "max_num_batched_tokens (${b}) must be greater than or equal to max_num_seqs (${s})." (vllm/config/scheduler.py:262-266)`,
    );
}

/**
 * The JSON flags take any JSON text on the command line (json.loads: 3, [1] and "x" parse), but
 * ModelConfig, a pydantic dataclass (vllm/config/__init__.py:274-276), validates the declared type
 * of each when the engine config is built (vllm/engine/arg_utils.py:1097-1140), before anything is
 * downloaded: facts.json_argument_fields, probed with the release tree's ModelConfig.
 */
function jsonArgumentsFitTheirFields(c: VllmCheck): void {
  for (const [dest, f] of Object.entries(c.idx.facts.json_argument_fields.value)) {
    const v = c.value(dest);
    if (v === undefined) continue;
    const problems = c.idx.parser.dataclasses.fieldProblems(f.type, v);
    if (problems.length)
      c.r.report(
        'error',
        'PHX034',
        c.pathOf(dest),
        `vLLM 0.10.2 reads it, then refuses it at start-up: ${f.field} is ${f.type} (${f.source}), and pydantic says: ${problems.join('; ')}`,
      );
  }
}

/**
 * gpu_memory_utilization: CacheConfig refuses a value above 1.0 (vllm/config/cache.py:163-166;
 * its message says "less than 1.0" but 1.0 passes). Zero, a negative value and NaN pass that
 * check and fail after the model has loaded: the KV cache gets no memory, "No available memory for
 * the cache blocks" (vllm/v1/core/kv_cache_utils.py:690-693, from vllm/v1/worker/gpu_worker.py:279-280),
 * unless kv_cache_memory_bytes sizes the cache instead.
 */
function gpuMemoryUtilizationInRange(c: VllmCheck): void {
  const util = c.num('gpu_memory_utilization');
  if (util === undefined) return;
  if (util > 1)
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('gpu_memory_utilization'),
      `gpu_memory_utilization must be at most 1, found ${util}: vLLM 0.10.2 refuses it at start-up (vllm/config/cache.py:163-166)`,
    );
  else if (!(util > 0) && !c.settings.has('kv_cache_memory_bytes'))
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('gpu_memory_utilization'),
      `gpu_memory_utilization must be above 0, found ${util}: vLLM 0.10.2 accepts it and fails after loading the model, "No available memory for the cache blocks" (vllm/v1/core/kv_cache_utils.py:690-693)`,
    );
}

/** CacheConfig._verify_args: "CPU offload space must be non-negative" (vllm/config/cache.py:159-161). */
function cpuOffloadNotNegative(c: VllmCheck): void {
  const gb = c.num('cpu_offload_gb');
  if (gb !== undefined && gb < 0)
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('cpu_offload_gb'),
      `cpu_offload_gb must not be negative, found ${gb}: vLLM 0.10.2 refuses it at start-up (vllm/config/cache.py:159-161)`,
    );
}

/**
 * CacheConfig.verify_with_parallel_config (vllm/config/cache.py:198-214, run from
 * VllmConfig.__post_init__ :3341 on V0 and V1 alike): swap_space GiB (default 4, :50) times
 * tensor_parallel_size (not pipeline) is compared with the memory the process sees,
 * psutil.virtual_memory().total (vllm/utils/__init__.py:508-510): refused above 70%, a warning
 * above 40%, both strict. In a Proxmox container that total is the container's memory: psutil reads
 * MemTotal from /proc/meminfo, which lxcfs reports as min(host, cgroup memory.max)
 * (lxcfs v6.0.5 src/proc_fuse.c:1367, 1388-1395), and pve-container sets memory.max to memory_mb
 * MiB (src/PVE/LXC.pm:821-828). memory_mb unset is Proxmox's default, 512 MiB
 * (src/PVE/LXC/Config.pm:594-600).
 */
function swapSpaceFitsContainerMemory(c: VllmCheck): void {
  const swapGiB = c.num('swap_space') ?? (c.idx.byDest.get('swap_space')?.default as number | undefined) ?? 4;
  const tp = c.num('tensor_parallel_size') ?? 1;
  if (!(tp >= 1)) return;
  const memoryMiB = c.eff.memory_mb ?? 512;
  const used = swapGiB * 1024 * tp;
  const fmt = (mib: number) => (mib / 1024).toFixed(2);
  const memWhere = c.eff.memory_mb !== undefined ? `memory_mb ${memoryMiB}` : `Proxmox's default memory, 512 MiB`;
  const what = `swap_space ${swapGiB} GiB${c.settings.has('swap_space') ? '' : " (vLLM's default)"} x tensor_parallel_size ${tp} = ${fmt(used)} GiB of the container's ${fmt(memoryMiB)} GiB (${memWhere})`;
  const at = c.settings.has('swap_space')
    ? c.pathOf('swap_space')
    : c.eff.memory_mb !== undefined
      ? c.layerPath('memory_mb')
      : c.ctidPath('application_script');
  if (used > 0.7 * memoryMiB)
    c.r.report(
      'error',
      'PHX025',
      at,
      `${what} is more than 70%: vLLM 0.10.2 refuses to start, "Too large swap space" (vllm/config/cache.py:198-212); give the container more memory or lower swap_space (the V1 engine does not use it)`,
    );
  else if (used > 0.4 * memoryMiB)
    c.r.report(
      'warning',
      'PHX025',
      at,
      `${what} is more than 40%: vLLM 0.10.2 warns "Possibly too large swap space" at start-up (vllm/config/cache.py:213-214)`,
    );
}

/**
 * LoRAConfig.__post_init__ (vllm/config/lora.py:104-121), built only with enable_lora
 * (vllm/engine/arg_utils.py:1379-1388): max_lora_rank must be one of vLLM's ranks, max_loras at
 * least 1, max_cpu_loras (a value of 0 or less is dropped first) at least max_loras.
 */
function loraLimits(c: VllmCheck): void {
  if (c.value('enable_lora') !== true) return;
  const rank = c.num('max_lora_rank');
  const ranks = [8, 16, 32, 64, 128, 256, 320, 512];
  if (rank !== undefined && !ranks.includes(rank))
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('max_lora_rank'),
      `vLLM 0.10.2 refuses this at start-up: "max_lora_rank (${rank}) must be one of (${ranks.join(', ')})." (vllm/config/lora.py:104-109)`,
    );
  const loras = c.num('max_loras') ?? 1;
  if (loras < 1)
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('max_loras'),
      `vLLM 0.10.2 refuses this at start-up: "max_loras (${loras}) must be >= 1." (vllm/config/lora.py:114-115)`,
    );
  const cpu = c.num('max_cpu_loras');
  if (cpu !== undefined && cpu > 0 && cpu < loras)
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('max_cpu_loras'),
      `vLLM 0.10.2 refuses this at start-up: "max_cpu_loras (${cpu}) must be >= max_loras (${loras})" (vllm/config/lora.py:118-121)`,
    );
}

/**
 * --port is an int with no range check in vLLM (vllm/entrypoints/openai/cli_args.py:69-183); the
 * API socket is bound before the engine starts (vllm/entrypoints/openai/api_server.py:1858-1868),
 * and Python refuses a port outside 0-65535 there ("bind(): port must be 0-65535"); port 0 binds a
 * random port, which verify.sh and benchmark.sh could not find.
 */
function portInRange(c: VllmCheck): void {
  const port = c.num('port');
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
    c.r.report(
      'error',
      'PHX034',
      c.pathOf('port'),
      `port must be 1-65535, found ${port}: vLLM binds it before anything else (vllm/entrypoints/openai/api_server.py:1858-1868)${port === 0 ? ', and 0 would be a random port the generated scripts cannot reach' : ' and Python refuses it there'}`,
    );
}

/** --dtype's aliases as torch names them: half is float16, float is float32 (vllm/config/__init__.py, _STR_DTYPE_TO_TORCH_DTYPE). */
function torchDtypeName(dtype: string): string {
  return dtype === 'half' ? 'float16' : dtype === 'float' ? 'float32' : dtype;
}

/**
 * An explicit --dtype must be one the quantization method computes with (facts.quantization_act_dtypes,
 * each method's get_supported_act_dtypes); vLLM refuses it while building the engine config
 * (vllm/config/__init__.py:3293-3298). --dtype auto resolves from the checkpoint and is not judged.
 */
function quantizationActivationDtype(c: VllmCheck): void {
  const quant = c.value('quantization');
  const dtype = c.value('dtype');
  if (typeof quant !== 'string' || typeof dtype !== 'string' || dtype === 'auto') return;
  const allowed = c.idx.facts.quantization_act_dtypes.value[quant];
  if (!allowed || allowed.includes(torchDtypeName(dtype))) return;
  c.r.report(
    'error',
    'PHX025',
    c.pathOf('dtype'),
    `quantization ${quant} computes with ${allowed.join(' or ')} activations, not ${JSON.stringify(dtype)}: vLLM 0.10.2 refuses it at start-up, "torch.${torchDtypeName(dtype)} is not supported for quantization method ${quant}" (vllm/config/__init__.py:3293-3298)`,
  );
}

/** bfloat16 below compute capability 8.0: the V1 GPU worker refuses it as it starts (facts.bfloat16_min_capability). */
function bfloat16NeedsCapability(c: VllmCheck): void {
  if (c.value('dtype') !== 'bfloat16' || c.gpus.length === 0) return;
  const need = c.idx.facts.bfloat16_min_capability.value;
  const low = c.gpus.filter((g) => capabilityNumber(g.capability) < need);
  if (low.length === 0) return;
  c.r.report(
    'error',
    'PHX025',
    c.pathOf('dtype'),
    `dtype bfloat16 needs compute capability ${capabilityText(need)} or higher, but ${low.map((g) => `GPU ${g.index} (${g.model}) has ${g.capability}`).join(', ')}: vLLM 0.10.2 refuses it at start-up, "Bfloat16 is only supported on GPUs with compute capability of at least 8.0" (vllm/platforms/cuda.py:563-579, from vllm/v1/worker/gpu_worker.py:170); use float16 (half)`,
  );
}

/**
 * Each quantization method's get_min_capability (catalog quantization_methods); fp8 below
 * facts.fp8_marlin_below_capability runs weight-only on Marlin kernels.
 */
function quantizationCapability(c: VllmCheck): void {
  const quant = c.value('quantization');
  if (typeof quant !== 'string' || c.gpus.length === 0) return;
  const minCap = Math.min(...c.gpus.map((g) => capabilityNumber(g.capability)));
  const need = c.idx.quantMethods.get(quant);
  if (need != null && minCap < need) {
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('quantization'),
      `quantization ${quant} needs compute capability ${capabilityText(need)} or higher, but the assigned GPUs have ${capabilityText(minCap)} (${c.gpus.map((g) => `GPU ${g.index}: ${g.model}`).join(', ')})`,
    );
  } else if (quant === 'fp8' && minCap < c.idx.facts.fp8_marlin_below_capability.value) {
    c.r.report(
      'warning',
      'PHX025',
      c.pathOf('quantization'),
      `fp8 on compute capability ${capabilityText(minCap)} runs weight-only (Marlin kernels), without FP8 compute`,
    );
  }
}

/** The attention backend for an FP8 KV cache and for models with attention sinks (compiler/vllm/backend.ts). */
function attentionBackendFits(c: VllmCheck): void {
  const kv = c.value('kv_cache_dtype') as string | undefined;
  const model = c.value('model') as string;
  const caps = c.caps.join(', ');
  const version = c.idx.catalog.vllm_version;
  const userAt = () => c.layerPath('vllm_service', 'environment', 'VLLM_ATTENTION_BACKEND');
  const choice = c.backend;
  if (choice.kind === 'set' && choice.backend === 'FLASHINFER') {
    const note = `kv_cache_dtype ${kv} on compute capability ${caps}: vLLM ${version}'s default V1 attention backend supports an FP8 KV cache only on 9.0 and 10.0 and would fall back to the V0 engine (vLLM logs a warning, "--kv-cache-dtype is not supported by the V1 Engine. Falling back to V0."), so the unit sets VLLM_ATTENTION_BACKEND=FLASHINFER and verify.sh checks for the V1 engine`;
    c.r.report('note', 'PHX031', c.pathOf('kv_cache_dtype'), note, { ctid: c.rc.ctid });
  } else if (choice.kind === 'set') {
    c.r.report(
      'note',
      'PHX031',
      c.pathOf('kv_cache_dtype'),
      `${JSON.stringify(model)} has attention sinks (gpt-oss: vllm/model_executor/models/gpt_oss.py:109-120), which FlashInfer refuses off compute capability 10.0 (vllm/v1/attention/backends/flashinfer.py:300-305), and kv_cache_dtype ${kv} on compute capability ${caps} needs a backend other than the default to stay on the V1 engine (vllm/platforms/cuda.py:521-561): the unit sets VLLM_ATTENTION_BACKEND=TRITON_ATTN_VLLM_V1, which takes both (vllm/v1/attention/backends/triton_attn.py:272-277)`,
      { ctid: c.rc.ctid },
    );
  } else if (choice.kind === 'needs-flashinfer') {
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('kv_cache_dtype'),
      `kv_cache_dtype ${kv} on compute capability ${caps} needs the FlashInfer attention backend (vLLM ${version} otherwise falls back to the V0 engine), but vllm_install.flashinfer is false; install FlashInfer, or set vllm_service.environment.VLLM_ATTENTION_BACKEND to TRITON_ATTN_VLLM_V1 (compute capability 8.9 and up)`,
    );
  } else if (choice.kind === 'no-backend-for-sinks') {
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('kv_cache_dtype'),
      `${JSON.stringify(model)} has attention sinks (vllm/model_executor/models/gpt_oss.py:109-120) and kv_cache_dtype ${kv} on compute capability ${caps}: no attention backend of vLLM ${version} takes both there (FlashInfer refuses sinks off 10.0, vllm/v1/attention/backends/flashinfer.py:300-305; Triton keeps an FP8 KV cache only from 8.9, vllm/platforms/cuda.py:557-560; the V0 fallback cannot build sinks, vllm/attention/layer.py:181-185); use kv_cache_dtype auto`,
    );
  } else if (choice.kind === 'user-refuses-sinks') {
    c.r.report(
      'error',
      'PHX030',
      userAt(),
      `VLLM_ATTENTION_BACKEND=${choice.backend} with ${JSON.stringify(model)}, a model with attention sinks, on compute capability ${caps}: FlashInfer refuses sinks there, "FlashInfer backend currently does not support attention sinks" (vllm/v1/attention/backends/flashinfer.py:300-305); use TRITON_ATTN_VLLM_V1`,
    );
  } else if (choice.kind === 'user-unsupported' && c.idx.catalog.attention_backends?.includes(choice.backend) !== false) {
    c.r.report(
      'warning',
      'PHX025',
      userAt(),
      `VLLM_ATTENTION_BACKEND=${choice.backend} with an FP8 KV cache on compute capability ${caps}: vLLM falls back to the V0 engine unless it is FLASHINFER or TRITON_ATTN_VLLM_V1 (the latter from compute capability 8.9)` +
        (hasAttentionSinks(c.idx.facts, model) ? `, and V0 cannot run ${JSON.stringify(model)} (attention sinks, vllm/attention/layer.py:181-185)` : ''),
    );
  }
}

/** Names of vllm_service.environment the unit may carry, with the reasons it may not (vllm/envs.py). */
function serviceEnvironment(c: VllmCheck): void {
  const env = c.service.environment ?? {};
  for (const name of Object.keys(env).sort()) {
    const at = c.layerPath('vllm_service', 'environment', name);
    if (MANAGED_ENV.includes(name)) {
      c.r.report(
        'error',
        'PHX030',
        at,
        `${name} is set by its own key (vllm_service.${name === 'PATH' ? 'the venv and cuda_home' : name === 'VLLM_USE_FLASHINFER_SAMPLER' ? 'flashinfer_sampler' : name.toLowerCase()}), not in environment`,
        { key: true },
      );
    } else if (name.startsWith('VLLM_') && !c.idx.envNames.has(name)) {
      const guess = nearest(name, c.idx.envNames);
      c.r.report(
        'error',
        'PHX030',
        at,
        `${name} is not an environment variable of vLLM ${c.idx.catalog.vllm_version}` + (guess ? `; did you mean ${guess}?` : ''),
        { key: true },
      );
    } else {
      const problem = envValueProblem(c.idx, name, env[name]);
      if (problem) c.r.report('error', 'PHX030', at, problem);
    }
  }
}

/**
 * VLLM_PORT is vLLM's internal base port, not the API port (vllm/envs.py:317-322; vLLM's own
 * docs/configuration/env_vars.md:5-6: "If you use --host $VLLM_HOST_IP and --port $VLLM_PORT to
 * start the API server, it will not work"). Equal to --port, the engine's port probe
 * (vllm/utils/__init__.py:952-963) finds the API socket bound and moves on to the next port; with
 * data_parallel_size above 1, vLLM 0.10.2 asks for five ports and, with VLLM_PORT set, loops
 * forever (vllm/utils/__init__.py:944-949, fixed after 0.10.2 by vLLM PR #36191).
 */
function vllmPortIsNotTheApiPort(c: VllmCheck): void {
  const raw = c.service.environment?.VLLM_PORT;
  if (raw === undefined) return;
  let port: bigint;
  try {
    port = pyIntOf(raw);
  } catch {
    return; // serviceEnvironment refuses it
  }
  const at = c.layerPath('vllm_service', 'environment', 'VLLM_PORT');
  const api = c.num('port') ?? (c.idx.byDest.get('port')?.default as number | undefined) ?? 8000;
  if (Number(port) === api)
    c.r.report(
      'warning',
      'PHX030',
      at,
      `VLLM_PORT ${raw} equals the API port (port ${api}): VLLM_PORT is vLLM's internal base port, not the API port, and vLLM's docs say this will not work (docs/configuration/env_vars.md:5-6); vLLM 0.10.2 finds ${api} taken by its own API socket and moves on to ${api + 1} (vllm/utils/__init__.py:952-963). Leave VLLM_PORT out, or pick a port nothing else uses`,
    );
  const dp = c.num('data_parallel_size') ?? 1;
  if (dp > 1)
    c.r.report(
      'error',
      'PHX030',
      at,
      `VLLM_PORT with data_parallel_size ${dp}: vLLM 0.10.2 asks for five open ports and, with VLLM_PORT set, gets the same one every time and loops forever (vllm/utils/__init__.py:944-949; fixed after 0.10.2 by vLLM PR #36191); leave VLLM_PORT out`,
    );
}

/**
 * systemd applies UnsetEnvironment= after every Environment= (systemd.exec(5), measured on 252:
 * REFERENCE.md), so a name both set and unset would lose the unit's own value.
 */
function unsetNotSet(c: VllmCheck): void {
  const set = new Set([...MANAGED_ENV, ...Object.keys(c.service.environment ?? {})]);
  if (c.backend.kind === 'set') set.add('VLLM_ATTENTION_BACKEND');
  for (const name of [...(c.service.unset_environment ?? [])].sort()) {
    if (set.has(name))
      c.r.report(
        'error',
        'PHX030',
        c.layerPath('vllm_service', 'unset_environment'),
        `${name} is both set and unset; systemd applies UnsetEnvironment= last, so the unit's own value would be removed`,
      );
  }
}

/**
 * The venv, interpreter and FlashInfer paths go into unit settings and scripts: no white space,
 * quotes, backslashes, % or $; the venv is the unit's WorkingDirectory=, which systemd refuses
 * with a '..' component ("not normalized"), and then the unit does not load.
 */
function installPaths(c: VllmCheck): void {
  for (const p of ['venv', 'python', 'flashinfer_src'] as const) {
    const value = c.install[p];
    const why = systemdRefusal(value);
    if (why || /\s|["'\\%$]/.test(value))
      c.r.report(
        'error',
        'PHX030',
        c.layerPath('vllm_install', p),
        `${p} ${JSON.stringify(value)}: paths with white space, quotes, backslashes, % or $ are not supported`,
      );
    else if (p === 'venv' && /(^|\/)\.\.(\/|$)/.test(value))
      c.r.report(
        'error',
        'PHX030',
        c.layerPath('vllm_install', p),
        `${p} ${JSON.stringify(value)}: '..' path components are not supported (the venv is the unit's WorkingDirectory=, which systemd refuses as "not normalized", so the unit would not load)`,
      );
  }
}

/**
 * torch_channel nightly (the plan's order): the nightly torch is installed first, then
 * `pip install vllm==VERSION` requires the torch of its requirements/cuda.txt (in the catalog,
 * torch==2.8.0 for 0.10.2) and replaces the nightly with it: `==2.8.0` does not match a
 * `2.9.0.devYYYYMMDD+cu128` (PEP 440; measured with pip's packaging). FlashInfer installs in JIT
 * mode (no AOT ops without FLASHINFER_CUDA_ARCH_LIST and `python -m flashinfer.aot`, FlashInfer
 * v0.3.1 setup.py:27-29, aot.py:642-643) and compiles its kernels at vLLM's first start, against
 * the torch then in the venv; so what goes wrong is the replaced torch, not a prebuilt FlashInfer.
 */
function torchPinned(c: VllmCheck): void {
  const pins = c.idx.catalog.requirements?.pins ?? {};
  if (c.install.torch_channel !== 'nightly' || !pins.torch) return;
  c.r.report(
    'warning',
    'PHX032',
    c.layerPath('vllm_install', 'torch_channel'),
    `torch_channel nightly installs the newest nightly torch first, but pip install vllm==${c.install.vllm_version} requires torch==${pins.torch} (${c.idx.catalog.requirements!.file} of the release) and replaces the nightly with ${pins.torch}: the venv ends up with torch ${pins.torch}, not a nightly, after downloading both; torch_channel "pinned" (the default) installs ${pins.torch} directly`,
    { ctid: c.rc.ctid },
  );
}

/**
 * FlashInfer installs in JIT mode and compiles its kernels at vLLM's first start with nvcc from
 * CUDA_HOME (FlashInfer v0.3.1 flashinfer/jit/cpp_ext.py:37-49, 173-175; CUDA_HOME is the unit's
 * vllm_service.cuda_home). The nvidia feature installs NVIDIA's cuda-toolkit-X-Y package, which
 * puts the toolkit in /usr/local/cuda-X.Y (NVIDIA CUDA Installation Guide for Linux,
 * "Post-installation Actions": PATH=/usr/local/cuda-12.8/bin; /usr/local/cuda is the alternatives
 * link to it). Another cuda_home is a toolkit the config must bring itself (a warning).
 */
function nvccWhereFlashInferLooks(c: VllmCheck): void {
  if (!c.install.flashinfer || !(c.eff.features ?? []).includes('nvidia')) return;
  const home = c.service.cuda_home.replace(/\/+$/, '');
  const installed = `/usr/local/cuda-${c.cudaVersion}`;
  if (home === installed || home === '/usr/local/cuda') return;
  c.r.report(
    'warning',
    'PHX025',
    c.eff.vllm_service?.cuda_home !== undefined ? c.layerPath('vllm_service', 'cuda_home') : c.ctidPath('application_script'),
    `FlashInfer compiles its kernels at vLLM's first start with ${home}/bin/nvcc, but the nvidia feature installs CUDA ${c.cudaVersion} into ${installed}: set vllm_service.cuda_home to ${installed} (or install that toolkit yourself)`,
    { ctid: c.rc.ctid },
  );
}

/**
 * The unit's readiness check, deploy.sh, verify.sh and benchmark.sh reach vLLM over plain HTTP
 * at host:port. With --uds vLLM listens on a Unix socket instead (api_server.py:1907-1908,
 * 1923-1924); with --ssl-keyfile and --ssl-certfile it speaks HTTPS (api_server.py:1927-1930,
 * 1984), and the readiness check would never get an answer, so the unit would never start.
 */
function servesPlainTcp(c: VllmCheck): void {
  const uds = c.value('uds') as string | undefined;
  if (uds !== undefined && uds !== '')
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('uds'),
      "uds: vLLM would listen on a Unix socket, but the unit's readiness check and the scripts reach it over TCP at host:port; remove uds",
    );
  const key = c.value('ssl_keyfile') as string | undefined;
  const cert = c.value('ssl_certfile') as string | undefined;
  if (key && cert)
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('ssl_certfile'),
      "ssl_keyfile and ssl_certfile: vLLM would serve HTTPS, but the unit's readiness check and the scripts speak plain HTTP; terminate TLS in front of vLLM (the user's Traefik) instead",
    );
}

/**
 * vllm_benchmark: every request asks for random_input_len prompt tokens and random_output_len
 * new ones; vLLM refuses a request whose input plus max_tokens exceeds max_model_len
 * (vllm/entrypoints/openai/serving_engine.py:674-687), so every timed request would fail.
 */
function benchmarkFitsModelLen(c: VllmCheck): void {
  const maxLen = c.num('max_model_len');
  if (maxLen === undefined) return;
  const b = c.eff.vllm_benchmark ?? {};
  const input = b.random_input_len ?? DEFAULTS.VllmBenchmark.random_input_len;
  const output = b.random_output_len ?? DEFAULTS.VllmBenchmark.random_output_len;
  const at =
    b.random_input_len !== undefined
      ? c.layerPath('vllm_benchmark', 'random_input_len')
      : b.random_output_len !== undefined
        ? c.layerPath('vllm_benchmark', 'random_output_len')
        : c.pathOf('max_model_len');
  if (input + output > maxLen)
    c.r.report(
      'error',
      'PHX025',
      at,
      `vllm_benchmark asks for ${input} prompt tokens plus ${output} generated ones, more than max_model_len ${maxLen}: vLLM would refuse every benchmark request`,
    );
}

/**
 * How vLLM reads the variable (catalog env entry from vllm/envs.py): choices (did-you-mean, and
 * the names of newer vLLM: facts.newer_vllm_names), int() and float() as Python reads them, and
 * VLLM_PORT's own reader (vllm/envs.py:206-232).
 */
function envValueProblem(idx: CatalogIndex, name: string, value: string): string | undefined {
  const why = systemdRefusal(value);
  if (why) return `${name}: the value ${why}`;
  const spec = idx.catalog.env.find((e) => e.name === name);
  if (!spec) return undefined;
  if (spec.choices && !spec.choices.includes(value)) {
    const newer = name === 'VLLM_ATTENTION_BACKEND' ? idx.facts.newer_vllm_names.value.attention_backends[value] : undefined;
    const sameLetters = spec.choices.find((ch) => ch.toLowerCase() === value.toLowerCase());
    const guess = newer ?? sameLetters ?? nearest(value, spec.choices);
    return (
      `${name}=${value} is not one of vLLM ${idx.catalog.vllm_version}'s choices` +
      (guess ? `; did you mean ${guess}?` : ` (${spec.choices.join(', ')})`) +
      (newer
        ? ` (${value} is a newer vLLM's name for it: vLLM PR #25489 dropped the _VLLM_V1 suffixes after ${idx.catalog.vllm_version})`
        : sameLetters
          ? ' (vLLM compares the name exactly, case included: vllm/attention/selector.py:21-32)'
          : '')
    );
  }
  if (name === 'VLLM_PORT') return vllmPortProblem(value);
  if (spec.syntax === 'int_bool' || spec.syntax === 'int') {
    try {
      pyIntOf(value);
    } catch {
      return `${name} is read with int() by vLLM: ${JSON.stringify(value)} would crash the server at start; use an integer such as 0 or 1`;
    }
  }
  if (spec.syntax === 'float') {
    try {
      pyFloatOf(value);
    } catch {
      return `${name} is read with float() by vLLM, which refuses ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

/** get_vllm_port (vllm/envs.py:206-232): int(), and a URI (urlparse finds a scheme) gets its own message. */
function vllmPortProblem(value: string): string | undefined {
  try {
    pyIntOf(value);
    return undefined;
  } catch (e) {
    if (!(e instanceof PyError)) throw e;
  }
  const what = `VLLM_PORT is vLLM's internal base port for its own processes (vllm/envs.py:317-322), not the API port: the API port is ServerConfig.port (--port)`;
  // urllib.parse.urlsplit: leading C0 controls and spaces and any tab, CR or LF removed, a scheme
  // is the text before the first ':' when it starts with an ASCII letter and holds only letters,
  // digits, '+', '-' and '.' (CPython 3.11.7 Lib/urllib/parse.py:80-83, 475-491).
  const url = value.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\r\n]/g, '');
  const colon = url.indexOf(':');
  if (colon > 0 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(url.slice(0, colon)))
    return `${what}. ${JSON.stringify(value)} is a URI, as Kubernetes service links set VLLM_PORT for a service named vllm (docs/configuration/env_vars.md:7-8); vLLM 0.10.2 refuses it when the engine starts: "VLLM_PORT '${value}' appears to be a URI" (vllm/envs.py:224-230). Leave VLLM_PORT out, or give a port number`;
  return `${what}. vLLM 0.10.2 reads it with int() and refuses ${JSON.stringify(value)} when the engine starts: "VLLM_PORT '${value}' must be a valid integer" (vllm/envs.py:231-232)`;
}
