/**
 * Plans a CTID's vLLM server from checked input (check/vllm.ts has run): its settings along the
 * clone chain, the argv, the unit's environment, install pins and what the GPUs it runs on
 * decide. A total function: it reports nothing and decides everything the emitters print.
 */
import { DEFAULTS } from '../generated/defaults';
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { catalogFor, userGroup, VLLM_MODULE } from '../vllm/catalog';
import { attentionBackendChoice } from '../vllm/backend';
import { flagArgs } from '../vllm/argv';
import { installOf, ownSettings, runsVllm, serviceOf, VllmSetting } from '../vllm/settings';
import { toPlain } from '../vllm/py';
import { nodeOf } from './cluster';
import { hostGpus, parseGpuAssignment } from './gpus';
import type { EnvVar, PlannedSetting, VllmPlan } from './model';
import { CONTAINER_SECRETS_DIR, CONTAINER_SECRETS_FILE, ctidSecretsFile, secretsDir, SHARED_SECRETS_FILE } from '../vllm/secrets';

/**
 * The unit, as the user's application script names it, in the system unit folder; its drop-ins
 * in NAME.d/ (systemd.unit(5), "drop-in" directories).
 */
const UNIT_DIR = '/etc/systemd/system';
const UNIT_NAME = 'vllm_model_server.service';
const SAMPLER_OFF_FILE = '50-sampler-off.conf';

/** The vLLM server of a CTID whose application_script is the vLLM one; undefined for any other. */
export function planVllm(doc: PhoenixLxcConfigs, rc: ResolvedContainer): VllmPlan | undefined {
  const eff = rc.effective;
  if (!runsVllm(eff)) return undefined;
  const install = installOf(eff);
  const idx = catalogFor(install.vllm_version)!;
  const merged = ownSettings(idx, rc);
  // What vLLM's parser makes of each setting ("32K" is 32768), as plain JSON.
  const get = <T>(dest: string): T | undefined => {
    const s = merged.get(dest);
    return s === undefined ? undefined : (toPlain(s.parsed) as T);
  };
  const model = get<string>('model')!;

  const assigned = parseGpuAssignment(eff.gpu_assignment);
  const gpus = hostGpus(doc, nodeOf(doc, rc.ctid)).filter((g) => assigned.includes(g.index));
  const caps = [...new Set(gpus.map((g) => g.capability))].sort();
  const service = serviceOf(eff);
  const kv = get<string>('kv_cache_dtype');
  const quant = get<string>('quantization');
  const userEnv = { ...(service.environment ?? {}) } as Record<string, string>;
  const backend = attentionBackendChoice(idx.facts, {
    model,
    kvCacheDtype: kv,
    capabilities: caps,
    userBackend: userEnv.VLLM_ATTENTION_BACKEND,
    flashinferInstalled: install.flashinfer,
  });

  // The environment block: the managed variables, then the configured ones by name.
  const cudaHome = service.cuda_home;
  const env: EnvVar[] = [
    { name: 'CUDA_HOME', value: cudaHome, why: 'CUDA toolkit for FlashInfer JIT kernels' },
    { name: 'LD_LIBRARY_PATH', value: service.ld_library_path ?? `${cudaHome}/lib64`, why: 'CUDA libraries' },
    { name: 'PATH', value: `${install.venv}/bin:${cudaHome}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`, why: 'the venv and CUDA first' },
    {
      name: 'VLLM_USE_FLASHINFER_SAMPLER',
      value: service.flashinfer_sampler ? '1' : '0',
      why: 'FlashInfer top-p/top-k sampler on (1) or off (0); vLLM parses it with int()',
    },
  ];
  const extraEnv: Record<string, { value: string; why: string }> = {};
  for (const [name, value] of Object.entries(userEnv)) extraEnv[name] = { value, why: 'configured' };
  if (backend.kind === 'set')
    extraEnv.VLLM_ATTENTION_BACKEND = {
      value: backend.backend,
      why: backend.sinks
        ? 'attention sinks and an FP8 KV cache on this GPU (see notes)'
        : 'FP8 KV cache on this GPU (see notes); a model with attention sinks that the compiler does not know by id (a gpt-oss fine-tune) needs TRITON_ATTN_VLLM_V1: set it in vllm_service.environment',
    };
  for (const name of Object.keys(extraEnv).sort()) env.push({ name, ...extraEnv[name] });

  const pins = idx.catalog.requirements?.pins ?? {};
  const torchNames = ['torch', 'torchvision', 'torchaudio'];
  const torchPackages = install.torch_pin ? torchNames.map((n) => (pins[n] ? `${n}==${pins[n]}` : n)) : torchNames;

  const ordered = [...merged.values()];
  const argv = [`${install.venv}/bin/python`, '-m', VLLM_MODULE, ...flagArgs(idx, ordered)];
  const orderIndex = (s: VllmSetting) => (s.dest === 'model' ? -1 : idx.byDest.get(s.dest)!.help_order);
  const settings: PlannedSetting[] = ordered
    .sort((a, b) => orderIndex(a) - orderIndex(b))
    .map((s) => {
      const f = idx.byDest.get(s.dest)!;
      return {
        dest: s.dest,
        value: s.value,
        parsed: toPlain(s.parsed),
        tokens: s.tokens,
        path: s.path,
        layer: s.layer,
        source: s.source,
        flag: f.flag,
        vllmGroup: f.group,
        group: userGroup(f),
      };
    });
  // vllm/entrypoints/openai/api_server.py:1666-1679: the API serves every --served-model-name, the
  // first is the model's name in the engine; without the flag, the model itself.
  const served = get<(string | null)[]>('served_model_name');
  const servedModelName = served === undefined ? model : (served[0] ?? 'None');
  const port = get<number>('port') ?? (idx.byDest.get('port')?.default as number | undefined) ?? 8000;
  const bench = { ...DEFAULTS.VllmBenchmark, ...(eff.vllm_benchmark ?? {}) };
  // Declared on this CTID only (never inherited: resolve.ts NOT_INHERITED); sorted so that the
  // container's file does not change when the config reorders them.
  const secretNames = [...(eff.secrets ?? [])].sort();
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
    gpuMemoryUtilization: get<number>('gpu_memory_utilization') ?? (idx.byDest.get('gpu_memory_utilization')?.default as number | undefined) ?? 0.9,
    tensorParallelSize: get<number>('tensor_parallel_size') ?? 1,
    pipelineParallelSize: get<number>('pipeline_parallel_size') ?? 1,
    gpus,
    secrets: {
      names: secretNames,
      hostDir: secretsDir(doc),
      hostFiles: [ctidSecretsFile(rc.ctid), SHARED_SECRETS_FILE],
      containerDir: CONTAINER_SECRETS_DIR,
      containerFile: CONTAINER_SECRETS_FILE,
      apiKey: secretNames.includes('VLLM_API_KEY'),
    },
    embedding: eff.vllm_model_type === 'embedding' || get<string>('runner') === 'pooling',
    kvCacheFp8: (kv ?? '').startsWith('fp8'),
    quantizationFp8: quant === 'fp8',
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
      unitDir: UNIT_DIR,
      unitName: UNIT_NAME,
      dropInDir: `${UNIT_NAME}.d`,
      dropInFile: SAMPLER_OFF_FILE,
      samplerOffDropIn: `${UNIT_NAME}.d/${SAMPLER_OFF_FILE}`,
      description: `vLLM OpenAI server for CTID ${rc.ctid} (${servedModelName})`,
      workingDirectory: install.venv,
      env,
      unset: [...(service.unset_environment ?? [])].sort(),
      restartSec: service.restart_sec,
      startTimeoutSec: service.start_timeout_sec,
      samplerOn: service.flashinfer_sampler,
      ...(secretNames.length ? { environmentFile: CONTAINER_SECRETS_FILE } : {}),
    },
    logLines: idx.catalog.log_lines,
    benchmark: {
      requests: bench.requests,
      maxTokens: bench.max_tokens,
      prompts: [...bench.prompts],
      expectedGain: bench.expected_gain,
      waitSeconds: bench.wait_seconds,
    },
  };
}
