/**
 * Stage 4, check the vLLM servers: every rule a named function over one CTID's merged vLLM
 * settings, its GPUs and its unit settings, each citing the vLLM (or systemd) source it follows.
 * Rules report through the Reporter; the planner (plan/vllm.ts) later builds the server from the
 * same settings and assumes these rules passed.
 */
import type { Container, PhoenixLxcConfigs } from '../generated/config-types';
import type { Reporter } from '../diagnostics';
import type { ResolvedContainer } from '../resolve';
import type { PathSeg } from '../util/jsonpath';
import { nearest } from '../util/suggest';
import { nodeOf } from '../plan/cluster';
import { capabilityNumber, capabilityText, HostGpu, hostGpus, parseGpuAssignment } from '../plan/gpus';
import { catalogFor, CatalogIndex, SUPPORTED_VLLM_VERSIONS, VLLM_APP_SCRIPT } from '../vllm/catalog';
import { attentionBackendChoice } from '../vllm/backend';
import { collectLayer, hasVllmSettings, installOf, MANAGED_ENV, mergeSettings, runsVllm, serviceOf, VllmSetting } from '../vllm/settings';
import { systemdRefusal } from '../../encode/systemd';
import { DEFAULTS } from '../generated/defaults';

/** What every rule sees. */
interface VllmCheck {
  r: Reporter;
  rc: ResolvedContainer;
  eff: Container;
  idx: CatalogIndex;
  settings: Map<string, VllmSetting>;
  install: ReturnType<typeof installOf>;
  service: ReturnType<typeof serviceOf>;
  assigned: number[];
  gpus: HostGpu[];
  /** Distinct compute capabilities of the assigned GPUs, sorted. */
  caps: string[];
  get<T>(dest: string): T | undefined;
  /** Where a setting is written (or the application_script line when it is not). */
  pathOf(dest: string): PathSeg[];
  /** Where a top-level key of the effective config is written (this CTID or the ancestor it comes from). */
  layerPath(key: string, ...rest: PathSeg[]): PathSeg[];
  ctidPath(...rest: PathSeg[]): PathSeg[];
  /** The CUDA toolkit version the nvidia feature installs (cuda_version). */
  cudaVersion: string;
}

const RULES: ((c: VllmCheck) => void)[] = [
  parallelFitsAssignedGpus,
  gpuMemoryUtilizationInRange,
  portInRange,
  maxModelLenInRange,
  fp8NeedsHalfActivations,
  quantizationCapability,
  fp8KvCacheBackend,
  serviceEnvironment,
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
  const settings = mergeSettings(idx, rc, all, r);
  if (!settings.has('model')) {
    r.report('error', 'PHX026', ctidPath('application_script'), `runs ${VLLM_APP_SCRIPT} but no model is configured (vllm_engine_config.ModelConfig.model)`);
    return;
  }
  const assigned = parseGpuAssignment(eff.gpu_assignment);
  const gpus = hostGpus(doc, nodeOf(doc, rc.ctid)).filter((g) => assigned.includes(g.index));
  const c: VllmCheck = {
    r,
    rc,
    eff,
    idx,
    settings,
    install,
    service: serviceOf(eff),
    assigned,
    gpus,
    caps: [...new Set(gpus.map((g) => g.capability))].sort(),
    get: <T>(dest: string) => settings.get(dest)?.value as T | undefined,
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
 * tensor_parallel_size x pipeline_parallel_size GPUs are needed (vllm/config/parallel.py,
 * ParallelConfig.world_size); the container sees only the GPUs passed through to it.
 */
function parallelFitsAssignedGpus(c: VllmCheck): void {
  const tp = c.get<number>('tensor_parallel_size') ?? 1;
  const pp = c.get<number>('pipeline_parallel_size') ?? 1;
  if (c.assigned.length === 0) {
    c.r.report(
      'error',
      'PHX025',
      c.eff.gpu_assignment !== undefined ? c.layerPath('gpu_assignment') : c.ctidPath('application_script'),
      'a vLLM server needs at least one GPU, but gpu_assignment assigns none',
    );
  } else if (tp * pp > c.assigned.length) {
    c.r.report(
      'error',
      'PHX025',
      c.pathOf(c.settings.has('tensor_parallel_size') ? 'tensor_parallel_size' : 'pipeline_parallel_size'),
      `tensor_parallel_size ${tp} x pipeline_parallel_size ${pp} needs ${tp * pp} GPUs, but gpu_assignment ${JSON.stringify(c.eff.gpu_assignment)} gives ${c.assigned.length}`,
    );
  }
}

/** vllm/config/cache.py CacheConfig._verify_args: gpu_memory_utilization must be in (0, 1]. */
function gpuMemoryUtilizationInRange(c: VllmCheck): void {
  const util = c.get<number>('gpu_memory_utilization');
  if (util !== undefined && !(util > 0 && util <= 1))
    c.r.report('error', 'PHX025', c.pathOf('gpu_memory_utilization'), `gpu_memory_utilization must be in (0, 1], found ${util}`);
}

/** A TCP port is 1-65535 (the server binds it with uvicorn). */
function portInRange(c: VllmCheck): void {
  const port = c.get<number>('port');
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535))
    c.r.report('error', 'PHX025', c.pathOf('port'), `port must be 1-65535, found ${port}`);
}

/** max_model_len is a positive 32-bit integer. */
function maxModelLenInRange(c: VllmCheck): void {
  const maxLen = c.get<number>('max_model_len');
  if (maxLen !== undefined && !(maxLen >= 1 && maxLen <= 2147483647))
    c.r.report('error', 'PHX025', c.pathOf('max_model_len'), `max_model_len must be a positive 32-bit integer, found ${maxLen}`);
}

/** fp8 runs with 16-bit activations only (facts.fp8_activation_dtypes). */
function fp8NeedsHalfActivations(c: VllmCheck): void {
  const dtype = c.get<string>('dtype') ?? 'auto';
  if (c.get<string>('quantization') === 'fp8' && !c.idx.facts.fp8_activation_dtypes.value.includes(dtype)) {
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('dtype'),
      `fp8 quantization needs 16-bit activations: dtype auto, bfloat16, half or float16, not ${JSON.stringify(dtype)}`,
    );
  }
}

/**
 * Each quantization method's get_min_capability (catalog quantization_methods); fp8 below
 * facts.fp8_marlin_below_capability runs weight-only on Marlin kernels.
 */
function quantizationCapability(c: VllmCheck): void {
  const quant = c.get<string>('quantization');
  if (quant === undefined || c.gpus.length === 0) return;
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

/** An FP8 KV cache off the natively supported capabilities needs a backend that supports it (vllm/backend.ts). */
function fp8KvCacheBackend(c: VllmCheck): void {
  const kv = c.get<string>('kv_cache_dtype');
  const userBackend = c.service.environment?.VLLM_ATTENTION_BACKEND;
  const choice = attentionBackendChoice(c.idx.facts, kv, c.caps, userBackend, c.install.flashinfer);
  const caps = c.caps.join(', ');
  const version = c.idx.catalog.vllm_version;
  if (choice.kind === 'set') {
    const note = `kv_cache_dtype ${kv} on compute capability ${caps}: vLLM ${version}'s default V1 attention backend supports an FP8 KV cache only on 9.0 and 10.0 and would fall back to the V0 engine (vLLM logs a warning, "--kv-cache-dtype is not supported by the V1 Engine. Falling back to V0."), so the unit sets VLLM_ATTENTION_BACKEND=FLASHINFER and verify.sh checks for the V1 engine`;
    c.r.report('note', 'PHX031', c.pathOf('kv_cache_dtype'), note, { ctid: c.rc.ctid });
  } else if (choice.kind === 'needs-flashinfer') {
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('kv_cache_dtype'),
      `kv_cache_dtype ${kv} on compute capability ${caps} needs the FlashInfer attention backend (vLLM ${version} otherwise falls back to the V0 engine), but vllm_install.flashinfer is false`,
    );
  } else if (choice.kind === 'user-unsupported') {
    c.r.report(
      'warning',
      'PHX025',
      c.layerPath('vllm_service', 'environment', 'VLLM_ATTENTION_BACKEND'),
      `VLLM_ATTENTION_BACKEND=${choice.backend} with an FP8 KV cache on compute capability ${caps}: vLLM falls back to the V0 engine unless it is FLASHINFER or TRITON_ATTN_VLLM_V1`,
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
 * systemd applies UnsetEnvironment= after every Environment= (systemd.exec(5), measured on 252:
 * REFERENCE.md), so a name both set and unset would lose the unit's own value.
 */
function unsetNotSet(c: VllmCheck): void {
  const set = new Set([...MANAGED_ENV, ...Object.keys(c.service.environment ?? {})]);
  if (
    attentionBackendChoice(c.idx.facts, c.get<string>('kv_cache_dtype'), c.caps, c.service.environment?.VLLM_ATTENTION_BACKEND, c.install.flashinfer).kind ===
    'set'
  )
    set.add('VLLM_ATTENTION_BACKEND');
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
  const uds = c.get<string>('uds');
  if (uds !== undefined && uds !== '')
    c.r.report(
      'error',
      'PHX025',
      c.pathOf('uds'),
      "uds: vLLM would listen on a Unix socket, but the unit's readiness check and the scripts reach it over TCP at host:port; remove uds",
    );
  const key = c.get<string>('ssl_keyfile');
  const cert = c.get<string>('ssl_certfile');
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
  const maxLen = c.get<number>('max_model_len');
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

/** How vLLM reads the variable (catalog env entry from vllm/envs.py): choices and int()/float() parsing. */
function envValueProblem(idx: CatalogIndex, name: string, value: string): string | undefined {
  const why = systemdRefusal(value);
  if (why) return `${name}: the value ${why}`;
  const spec = idx.catalog.env.find((e) => e.name === name);
  if (!spec) return undefined;
  if (spec.choices && !spec.choices.includes(value)) return `${name}=${value} is not one of ${spec.choices.join(', ')}`;
  if ((spec.syntax === 'int_bool' || spec.syntax === 'int') && !/^-?[0-9]+$/.test(value))
    return `${name} is read with int() by vLLM: ${JSON.stringify(value)} would crash the server at start; use an integer such as 0 or 1`;
  if (spec.syntax === 'float' && !Number.isFinite(Number(value))) return `${name} must be a number, not ${JSON.stringify(value)}`;
  return undefined;
}
