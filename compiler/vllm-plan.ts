/**
 * Plans a CTID's vLLM server: its settings along the clone chain, the argv, the unit's
 * environment, install pins and what the GPUs it runs on allow. Reports problems through the
 * shared Reporter, each at the place the value is written.
 */
import { DEFAULTS } from './generated/defaults';
import type { Container, PhoenixLxcConfigs } from './generated/config-types';
import { HostGpu, hostGpus, parseGpuAssignment, Reporter } from './fleet-checks';
import type { PathSeg } from './jsonpath';
import type { ResolvedContainer } from './resolve';
import { nearest } from './suggest';
import { catalogFor, CatalogIndex, SUPPORTED_VLLM_VERSIONS, userGroup } from './vllm-catalog';
import { collectLayer, flagArgs, hasVllmSettings, VLLM_APP_SCRIPT, VLLM_MODULE, VllmSetting } from './vllm';
import { systemdRefusal } from '../emit/encode/systemd';

export interface PlannedSetting extends VllmSetting {
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
  gpuMemoryUtilization: number;
  tensorParallelSize: number;
  pipelineParallelSize: number;
  gpus: HostGpu[];
  install: {
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
  };
  service: {
    description: string;
    workingDirectory: string;
    env: EnvVar[];
    unset: string[];
    restartSec: number;
    startTimeoutSec: number;
    samplerOn: boolean;
  };
  logLines: Record<string, string>;
  /** benchmark.sh's request set (vllm_benchmark with its defaults). */
  benchmark: { requests: number; maxTokens: number; prompts: string[]; expectedGain: number; waitSeconds: number };
}

/** Variables the unit always sets from dedicated keys. */
const MANAGED_ENV = ['CUDA_HOME', 'LD_LIBRARY_PATH', 'PATH', 'VLLM_USE_FLASHINFER_SAMPLER'];
/** FP8 KV cache on the default V1 attention backend: only these capabilities (vllm/platforms/cuda.py). */
const FP8_KV_NATIVE = new Set(['9.0', '10.0']);

export function runsVllm(c: Container): boolean {
  return c.application_script === VLLM_APP_SCRIPT;
}

export function planVllm(doc: PhoenixLxcConfigs, all: Map<string, ResolvedContainer>, rc: ResolvedContainer, r: Reporter): VllmPlan | undefined {
  const eff = rc.effective;
  const C = (...rest: PathSeg[]): PathSeg[] => ['lxc_configs', rc.ctid, ...rest];
  const layerPath = (key: string, ...rest: PathSeg[]): PathSeg[] => {
    const o = rc.origin[key];
    return ['lxc_configs', o?.kind === 'inherited' ? o.from : rc.ctid, key, ...rest];
  };
  const hasOwnSettings = hasVllmSettings(rc.own);
  if (!runsVllm(eff)) {
    // Still check what it writes against the catalog, so a typo is caught before it is used.
    const own = catalogFor({ ...DEFAULTS.VllmInstall, ...(eff.vllm_install ?? {}) }.vllm_version);
    if (hasOwnSettings && own) collectLayer(own, rc.ctid, rc.own, r);
    if (hasOwnSettings) r.report('note', 'PHX026', C(), `has vLLM settings but its application_script is not ${VLLM_APP_SCRIPT}; no vLLM server is generated`, { key: true });
    return undefined;
  }
  const install = { ...DEFAULTS.VllmInstall, ...(eff.vllm_install ?? {}) };
  const idx = catalogFor(install.vllm_version);
  if (!idx) {
    r.report('error', 'PHX028', eff.vllm_install?.vllm_version !== undefined ? layerPath('vllm_install', 'vllm_version') : C('application_script'), `no flag catalog for vLLM ${install.vllm_version}; this compiler knows ${SUPPORTED_VLLM_VERSIONS.join(', ')}`);
    return undefined;
  }

  // Settings per layer (ancestors first); nearer layers win argument by argument.
  const merged = new Map<string, VllmSetting>();
  for (const layer of [...rc.chain].reverse()) {
    const c = all.get(layer)?.own;
    if (!c) continue;
    for (const s of collectLayer(idx, layer, c, r)) merged.set(s.dest, s);
  }
  const get = <T>(dest: string): T | undefined => merged.get(dest)?.value as T | undefined;
  const pathOf = (dest: string): PathSeg[] => merged.get(dest)?.path ?? C('application_script');
  const model = get<string>('model');
  if (model === undefined) {
    r.report('error', 'PHX026', C('application_script'), `runs ${VLLM_APP_SCRIPT} but no model is configured (vllm_engine_config.ModelConfig.model)`);
    return undefined;
  }

  // Cross-field checks.
  const assigned = parseGpuAssignment(eff.gpu_assignment);
  const gpus = hostGpus(doc).filter((g) => assigned.includes(g.index));
  const tp = get<number>('tensor_parallel_size') ?? 1;
  const pp = get<number>('pipeline_parallel_size') ?? 1;
  if (assigned.length === 0) {
    r.report('error', 'PHX025', eff.gpu_assignment !== undefined ? layerPath('gpu_assignment') : C('application_script'), 'a vLLM server needs at least one GPU, but gpu_assignment assigns none');
  } else if (tp * pp > assigned.length) {
    r.report('error', 'PHX025', pathOf(merged.has('tensor_parallel_size') ? 'tensor_parallel_size' : 'pipeline_parallel_size'), `tensor_parallel_size ${tp} x pipeline_parallel_size ${pp} needs ${tp * pp} GPUs, but gpu_assignment ${JSON.stringify(eff.gpu_assignment)} gives ${assigned.length}`);
  }
  const util = get<number>('gpu_memory_utilization');
  if (util !== undefined && !(util > 0 && util <= 1)) r.report('error', 'PHX025', pathOf('gpu_memory_utilization'), `gpu_memory_utilization must be in (0, 1], found ${util}`);
  const port = get<number>('port') ?? (idx.byDest.get('port')?.default as number | undefined) ?? 8000;
  if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) r.report('error', 'PHX025', pathOf('port'), `port must be 1-65535, found ${port}`);
  const maxLen = get<number>('max_model_len');
  if (maxLen !== undefined && !(maxLen >= 1 && maxLen <= 2147483647)) r.report('error', 'PHX025', pathOf('max_model_len'), `max_model_len must be a positive 32-bit integer, found ${maxLen}`);
  const quant = get<string>('quantization');
  const dtype = get<string>('dtype') ?? 'auto';
  if (quant === 'fp8' && !['auto', 'bfloat16', 'half', 'float16'].includes(dtype)) {
    r.report('error', 'PHX025', pathOf('dtype'), `fp8 quantization needs 16-bit activations: dtype auto, bfloat16, half or float16, not ${JSON.stringify(dtype)}`);
  }

  const service = { ...DEFAULTS.VllmService, ...(eff.vllm_service ?? {}) };
  const minCap = gpus.length ? Math.min(...gpus.map((g) => capNum(g.capability))) : undefined;
  const caps = [...new Set(gpus.map((g) => g.capability))].sort();
  if (quant !== undefined && minCap !== undefined) {
    const need = idx.quantMethods.get(quant);
    if (need != null && minCap < need) {
      r.report('error', 'PHX025', pathOf('quantization'), `quantization ${quant} needs compute capability ${capText(need)} or higher, but the assigned GPUs have ${capText(minCap)} (${gpus.map((g) => `GPU ${g.index}: ${g.model}`).join(', ')})`);
    } else if (quant === 'fp8' && minCap < 89) {
      r.report('warning', 'PHX025', pathOf('quantization'), `fp8 on compute capability ${capText(minCap)} runs weight-only (Marlin kernels), without FP8 compute`);
    }
  }
  const kv = get<string>('kv_cache_dtype');
  const extraEnv = { ...(service.environment ?? {}) } as Record<string, string>;
  if (kv !== undefined && kv.startsWith('fp8') && caps.some((c) => !FP8_KV_NATIVE.has(c))) {
    const userBackend = extraEnv.VLLM_ATTENTION_BACKEND;
    if (userBackend === undefined) {
      if (install.flashinfer) {
        extraEnv.VLLM_ATTENTION_BACKEND = 'FLASHINFER';
        const note = `kv_cache_dtype ${kv} on compute capability ${caps.join(', ')}: vLLM ${idx.catalog.vllm_version}'s default V1 attention backend supports an FP8 KV cache only on 9.0 and 10.0 and would silently fall back to the V0 engine, so the unit sets VLLM_ATTENTION_BACKEND=FLASHINFER`;
        r.report('note', 'PHX031', pathOf('kv_cache_dtype'), note, { ctid: rc.ctid });
      } else {
        r.report('error', 'PHX025', pathOf('kv_cache_dtype'), `kv_cache_dtype ${kv} on compute capability ${caps.join(', ')} needs the FlashInfer attention backend (vLLM ${idx.catalog.vllm_version} otherwise falls back to the V0 engine), but vllm_install.flashinfer is false`);
      }
    } else if (!['FLASHINFER', 'TRITON_ATTN_VLLM_V1'].includes(userBackend)) {
      r.report('warning', 'PHX025', layerPath('vllm_service', 'environment', 'VLLM_ATTENTION_BACKEND'), `VLLM_ATTENTION_BACKEND=${userBackend} with an FP8 KV cache on compute capability ${caps.join(', ')}: vLLM falls back to the V0 engine unless it is FLASHINFER or TRITON_ATTN_VLLM_V1`);
    }
  }

  // The environment block.
  const cudaHome = service.cuda_home;
  const env: { name: string; value: string; why: string }[] = [
    { name: 'CUDA_HOME', value: cudaHome, why: 'CUDA toolkit for FlashInfer JIT kernels' },
    { name: 'LD_LIBRARY_PATH', value: service.ld_library_path ?? `${cudaHome}/lib64`, why: 'CUDA libraries' },
    { name: 'PATH', value: `${install.venv}/bin:${cudaHome}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, why: 'the venv and CUDA first' },
    { name: 'VLLM_USE_FLASHINFER_SAMPLER', value: service.flashinfer_sampler ? '1' : '0', why: 'FlashInfer top-p/top-k sampler on (1) or off (0); vLLM parses it with int()' },
  ];
  for (const name of Object.keys(extraEnv).sort()) {
    const at = eff.vllm_service?.environment?.[name] !== undefined ? layerPath('vllm_service', 'environment', name) : pathOf('kv_cache_dtype');
    if (MANAGED_ENV.includes(name)) {
      r.report('error', 'PHX030', at, `${name} is set by its own key (vllm_service.${name === 'PATH' ? 'the venv and cuda_home' : name === 'VLLM_USE_FLASHINFER_SAMPLER' ? 'flashinfer_sampler' : name.toLowerCase()}), not in environment`, { key: true });
      continue;
    }
    if (name.startsWith('VLLM_') && !idx.envNames.has(name)) {
      const guess = nearest(name, idx.envNames);
      r.report('error', 'PHX030', at, `${name} is not an environment variable of vLLM ${idx.catalog.vllm_version}` + (guess ? `; did you mean ${guess}?` : ''), { key: true });
      continue;
    }
    const problem = envValueProblem(idx, name, extraEnv[name]);
    if (problem) {
      r.report('error', 'PHX030', at, problem);
      continue;
    }
    env.push({ name, value: extraEnv[name], why: name === 'VLLM_ATTENTION_BACKEND' && eff.vllm_service?.environment?.[name] === undefined ? 'FP8 KV cache on this GPU (see notes)' : 'configured' });
  }
  const unset = [...(service.unset_environment ?? [])].sort();
  for (const name of unset) {
    if (env.some((e) => e.name === name)) {
      r.report('error', 'PHX030', layerPath('vllm_service', 'unset_environment'), `${name} is both set and unset; systemd applies UnsetEnvironment= last, so the unit's own value would be removed`);
    }
  }
  for (const p of ['venv', 'python', 'flashinfer_src'] as const) {
    const why = systemdRefusal(install[p]);
    if (why || /\s|["'\\%$]/.test(install[p])) r.report('error', 'PHX030', layerPath('vllm_install', p), `${p} ${JSON.stringify(install[p])}: paths with white space, quotes, backslashes, % or $ are not supported`);
    // The venv is the unit's WorkingDirectory=: systemd refuses one with a '..' component, and then the unit does not load.
    else if (p === 'venv' && /(^|\/)\.\.(\/|$)/.test(install[p])) r.report('error', 'PHX030', layerPath('vllm_install', p), `${p} ${JSON.stringify(install[p])}: '..' path components are not supported (the venv is the unit's WorkingDirectory=, which systemd refuses as "not normalized", so the unit would not load)`);
  }

  const pins = idx.catalog.requirements?.pins ?? {};
  const torchNames = ['torch', 'torchvision', 'torchaudio'];
  const torchPackages = install.torch_pin ? torchNames.map((n) => (pins[n] ? `${n}==${pins[n]}` : n)) : torchNames;
  if (!install.torch_pin && pins.torch) {
    r.report(
      'warning',
      'PHX032',
      eff.vllm_install?.torch_index_url !== undefined ? layerPath('vllm_install', 'torch_index_url') : C('application_script'),
      `pip install vllm==${install.vllm_version} requires torch==${pins.torch} (${idx.catalog.requirements!.file} of the release), so it replaces the newest torch installed from ${install.torch_index_url}, after FlashInfer was built against it; set vllm_install.torch_pin to true (and a torch_index_url that has ${pins.torch}, such as https://download.pytorch.org/whl/cu128)`,
      { ctid: rc.ctid },
    );
  }

  const python = `${install.venv}/bin/python`;
  const ordered = [...merged.values()];
  const argv = [python, '-m', VLLM_MODULE, ...flagArgs(idx, ordered)];
  const orderIndex = (s: VllmSetting) => (s.dest === 'model' ? -1 : idx.byDest.get(s.dest)!.help_order);
  const settings: PlannedSetting[] = ordered
    .sort((a, b) => orderIndex(a) - orderIndex(b))
    .map((s) => {
      const f = idx.byDest.get(s.dest)!;
      return { ...s, flag: f.flag, vllmGroup: f.group, group: userGroup(f) };
    });
  const served = get<string | string[]>('served_model_name');
  const servedModelName = served === undefined ? model : Array.isArray(served) ? served[0] : served;
  return {
    version: idx.catalog.vllm_version,
    settings,
    argv,
    model,
    servedModelName,
    host: get<string>('host') ?? '0.0.0.0',
    port,
    ...(quant !== undefined ? { quantization: quant } : {}),
    ...(kv !== undefined ? { kvCacheDtype: kv } : {}),
    gpuMemoryUtilization: util ?? ((idx.byDest.get('gpu_memory_utilization')?.default as number | undefined) ?? 0.9),
    tensorParallelSize: tp,
    pipelineParallelSize: pp,
    gpus,
    install: {
      venv: install.venv,
      python: install.python,
      vllmVersion: install.vllm_version,
      torchIndexUrl: install.torch_index_url,
      torchCuda: install.torch_cuda,
      torchPackages,
      torchPre: !install.torch_pin,
      flashinfer: install.flashinfer,
      flashinferRepo: install.flashinfer_repo,
      flashinferTag: install.flashinfer_tag,
      flashinferVersion: install.flashinfer_tag.replace(/^v/, ''),
      flashinferSrc: install.flashinfer_src,
      torchCudaArchList: caps.join(';'),
    },
    service: {
      description: `vLLM OpenAI server for CTID ${rc.ctid} (${servedModelName})`,
      workingDirectory: install.venv,
      env,
      unset,
      restartSec: service.restart_sec,
      startTimeoutSec: service.start_timeout_sec,
      samplerOn: service.flashinfer_sampler,
    },
    logLines: idx.catalog.log_lines,
    benchmark: (({ requests, max_tokens, prompts, expected_gain, wait_seconds }) => ({ requests, maxTokens: max_tokens, prompts: [...prompts], expectedGain: expected_gain, waitSeconds: wait_seconds }))({ ...DEFAULTS.VllmBenchmark, ...(eff.vllm_benchmark ?? {}) }),
  };
}

function envValueProblem(idx: CatalogIndex, name: string, value: string): string | undefined {
  const why = systemdRefusal(value);
  if (why) return `${name}: the value ${why}`;
  const spec = idx.catalog.env.find((e) => e.name === name);
  if (!spec) return undefined;
  if (spec.choices && !spec.choices.includes(value)) return `${name}=${value} is not one of ${spec.choices.join(', ')}`;
  if ((spec.syntax === 'int_bool' || spec.syntax === 'int') && !/^-?[0-9]+$/.test(value)) return `${name} is read with int() by vLLM: ${JSON.stringify(value)} would crash the server at start; use an integer such as 0 or 1`;
  if (spec.syntax === 'float' && !Number.isFinite(Number(value))) return `${name} must be a number, not ${JSON.stringify(value)}`;
  return undefined;
}

function capNum(c: string): number {
  const [maj, min] = c.split('.').map(Number);
  return maj * 10 + min;
}

function capText(n: number): string {
  return `${Math.floor(n / 10)}.${n % 10}`;
}
