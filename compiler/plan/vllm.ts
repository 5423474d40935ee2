/**
 * Plans a CTID's vLLM server from checked input (check/vllm.ts has run): its settings along the
 * clone chain, the argv, the unit's environment, install pins and what the GPUs it runs on
 * decide. A total function: it reports nothing and decides everything the emitters print.
 */
import { DEFAULTS } from '../generated/defaults';
import type { ResolvedContainer } from '../resolve';
import { catalogFor, userGroup, VLLM_MODULE } from '../vllm/catalog';
import { attentionBackendChoice } from '../vllm/backend';
import { flagArgs } from '../vllm/argv';
import { installOf, ownSettings, runsVllm, serviceOf, VllmSetting } from '../vllm/settings';
import { toPlain } from '../vllm/py';
import { nodeOf } from './cluster';
import { hostGpus, parseGpuAssignment } from './gpus';
import type { Container, PhoenixLxcConfigs } from '../generated/config-types';
import type { EnvVar, PlannedSetting, VllmApi, VllmBenchmarkPlan, VllmInstallPlan, VllmPlan } from './model';
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
  const host = get<string>('host');
  const api = apiPlan(host, port, rc.effective.network_config?.ip);
  const readySeconds = Math.max(service.start_timeout_sec - READY_MARGIN_SEC, 1);
  const readyUrl = `${api.local}/health`;
  const backendName = env.find((e) => e.name === 'VLLM_ATTENTION_BACKEND')?.value ?? '';
  const backendLines = idx.catalog.attention_backend_log_lines;
  // An embedding server: runner pooling, or the pooling task/convert "embed" that selects it
  // (vllm/config/__init__.py:97-115 _RUNNER_TASKS/_RUNNER_CONVERTS, 665-700 task -> runner/convert).
  const embedding =
    eff.vllm_model_type === 'embedding' ||
    get<string>('runner') === 'pooling' ||
    get<string>('convert') === 'embed' ||
    ['embed', 'embedding'].includes(get<string>('task') ?? '');
  // Declared on this CTID only (never inherited: resolve.ts NOT_INHERITED); sorted so that the
  // container's file does not change when the config reorders them.
  const secretNames = [...(eff.secrets ?? [])].sort();
  return {
    version: idx.catalog.vllm_version,
    settings,
    argv,
    model,
    servedModelName,
    host: host ?? '0.0.0.0',
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
    embedding,
    kvCacheFp8: (kv ?? '').startsWith('fp8'),
    quantizationFp8: quant === 'fp8',
    install: planVllmInstall(eff),
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
      readiness: { url: readyUrl, seconds: readySeconds, argv: ['/bin/sh', '-c', READY_SCRIPT, 'vllm-ready', readyUrl, String(readySeconds)] },
      deployWaitSec: service.start_timeout_sec + DEPLOY_MARGIN_SEC,
      samplerOn: service.flashinfer_sampler,
      ...(secretNames.length ? { environmentFile: CONTAINER_SECRETS_FILE } : {}),
    },
    api,
    logLines: idx.catalog.log_lines,
    engineLines: {
      v1: idx.catalog.log_lines.engine_config_v1,
      v0: idx.catalog.log_lines.engine_config_v0,
      fallback: idx.catalog.log_lines.v0_fallback,
      backend: backendLines.by_name[backendName] ?? '',
      backendName,
      backendCommon: backendLines.common,
    },
    ...(embedding ? {} : { benchmark: benchmarkPlan(eff, model, get, env) }),
  };
}

/**
 * The readiness check (ExecStartPost=, `sh -c SCRIPT vllm-ready URL SECONDS`): until curl gets
 * a 2xx from vLLM's /health, it checks that vLLM ($MAINPID) still runs and that SECONDS have not
 * passed, then waits 2 s. Why it is needed, measured on systemd 252 (harness, 2026-11-30):
 * - vLLM binds its port before loading the model but listens only afterwards
 *   (vllm/entrypoints/openai/api_server.py:1904-1911, launcher.py:70), so /health is refused
 *   during the load, and a Type=simple unit is "active" as soon as the process was forked
 *   (systemd.service(5), Type=): "active" would not mean "serving".
 * - An ExecStartPost= command keeps the unit "activating" (SubState start-post) until it exits;
 *   a non-zero exit fails the start, and TimeoutStartSec= bounds each ExecStartPost= command on
 *   its own (a 5 s command with TimeoutStartSec=3 was killed after 3 s: "start-post operation
 *   timed out"); so the check stops a little earlier (READY_MARGIN_SEC) with its own message.
 * - When the main process dies during start-post, systemd does not stop the command: it ran
 *   to its deadline (15 s) before the start failed; hence the $MAINPID test (systemd passes
 *   $MAINPID to control processes, systemd.exec(5); measured: set for ExecStartPost=).
 * GET /health answers 200 once the engine is up (api_server.py:447-451) and needs no API key
 * (only /v1 paths do, api_server.py:1326-1358). curl is installed by the vllm feature.
 *
 * Its clock is the container's /proc/uptime in hundredths of a second (`now`), so the check
 * waits the SECONDS it says: `date +%s` counts whole wall-clock seconds, and a deadline of
 * `date +%s` + N passed up to a second early. /proc/uptime is monotonic: the kernel prints
 * CLOCK_BOOTTIME as "%lu.%02lu" (Linux fs/proc/uptime.c, uptime_proc_show); in a Proxmox
 * container lxcfs serves it as the age of the container's init, CLOCK_BOOTTIME based, "%.2lf"
 * (lxc/lxcfs src/proc_fuse.c at 07c90197, proc_uptime_read and get_reaper_age; older lxcfs
 * printed whole seconds with ".00" or ".0", which `now` reads too).
 * `now` takes the whole seconds and the first two digits of the fraction (padded), written
 * so that no operand of $((...)) starts with 0 (dash would read "08" as a bad octal number).
 */
const READY_SCRIPT =
  'now() { read -r up _ </proc/uptime; f=${up#*.}0; now=$((${up%.*}00 + 1${f%${f#??}} - 100)); }; ' +
  'now; end=$((now + $2 * 100)); ' +
  'until curl -fs -o /dev/null --max-time 5 "$1"; do ' +
  'kill -0 "$MAINPID" 2>/dev/null || { echo "vLLM exited before it answered on $1" >&2; exit 1; }; ' +
  'now; [ "$now" -lt "$end" ] || { echo "vLLM did not answer on $1 within $2 seconds" >&2; exit 1; }; ' +
  'sleep 2; done; echo "vLLM answers on $1"';
/** How much earlier than TimeoutStartSec= the readiness check gives up: curl's 5 s, the 2 s pause and slack. */
const READY_MARGIN_SEC = 15;
/** deploy.sh waits this much longer than TimeoutStartSec= (systemd's own steps around the start). */
const DEPLOY_MARGIN_SEC = 30;

/**
 * FlashInfer is built with `pip install --no-build-isolation`, so its build requirements must be
 * in the venv first (pip installs none of them then: pip's --no-build-isolation help, "Build
 * dependencies specified by PEP 518 must be already installed"): FlashInfer v0.3.1's
 * pyproject.toml:26-29 `requires = ["setuptools>=77", "packaging>=24"]` (its SPDX `license`
 * string, pyproject.toml:20, needs setuptools 77; measured on `git archive v0.3.1` with pip 23.2.1
 * and Python 3.11, 2026-11-30: setuptools 65.5.0 (a Python 3.11 venv's own) fails with
 * "configuration error: `project.license` must be valid exactly by one definition", 80.9.0
 * builds the wheel); ninja for
 * its JIT builds (setup.py:56-68 install_requires, custom_backend.py:11); wheel for the wheel
 * build. The setuptools upper bound is vLLM 0.10.2's own (requirements/common.txt:39, Python >
 * 3.11), so pip install vllm then keeps it.
 */
const FLASHINFER_BUILD_REQUIREMENTS = ['setuptools>=77.0.3,<80', 'packaging>=24.2', 'ninja', 'wheel'];

/**
 * FlashInfer's wheel takes CUTLASS and spdlog from these submodules (v0.3.1 pyproject.toml:66-88,
 * package-dir flashinfer.data.cutlass = 3rdparty/cutlass, flashinfer.data.spdlog =
 * 3rdparty/spdlog; .gitmodules); every JIT kernel compiles against them (flashinfer/jit/env.py:
 * CUTLASS_INCLUDE_DIRS, SPDLOG_INCLUDE_DIR; jit/cpp_ext.py:85-86). Measured: without them the
 * build still succeeds, but the wheel has no file under flashinfer/data/cutlass.
 * 3rdparty/composable_kernels is ROCm only.
 */
const FLASHINFER_SUBMODULES = ['3rdparty/cutlass', '3rdparty/spdlog'];

/**
 * What the vllm feature installs in the container's venv: from the CTID's vllm_install (inherited
 * from its clone source, as pct clone copies the disk) with the schema's defaults. Planned for
 * every CTID whose own features include vllm, with or without a server of its own: a template
 * installs vLLM for its clones. The torch pins come from the pinned vLLM's catalog.
 */
export function planVllmInstall(eff: Container): VllmInstallPlan {
  const install = installOf(eff);
  const cudaHome = serviceOf(eff).cuda_home;
  return {
    venv: install.venv,
    python: install.python,
    vllmVersion: install.vllm_version,
    torchCuda: install.torch_cuda,
    ...torchPlan(install, catalogFor(install.vllm_version)?.catalog.requirements?.pins ?? {}),
    buildRequirements: [...FLASHINFER_BUILD_REQUIREMENTS],
    flashinfer: install.flashinfer,
    flashinferRepo: install.flashinfer_repo,
    flashinferTag: install.flashinfer_tag,
    flashinferVersion: install.flashinfer_tag.replace(/^v/, ''),
    flashinferSrc: install.flashinfer_src,
    flashinferSubmodules: [...FLASHINFER_SUBMODULES],
    nvcc: `${cudaHome}/bin/nvcc`,
  };
}

/**
 * PyTorch for the venv. pinned: `torch==2.8.0 torchvision==0.23.0 torchaudio==2.8.0` (the pins
 * of vLLM's requirements/cuda.txt:9-12, in the catalog) from the CUDA index of torch_cuda;
 * `pip install vllm==0.10.2` then finds them satisfied (`==2.8.0` matches `2.8.0+cu128`: a
 * local version label is ignored when the specifier has none, PEP 440 "Version matching";
 * measured with pip's packaging) and keeps them. nightly: the plan's order, `--pre torch
 * torchvision torchaudio` from the nightly index, which that install replaces (PHX032). A
 * torch_index_url in the config wins.
 */
function torchPlan(
  install: ReturnType<typeof installOf>,
  pins: Record<string, string>,
): Pick<VllmInstallPlan, 'torchChannel' | 'torchIndexUrl' | 'torchRequirements' | 'torchPre' | 'torchPinned'> {
  const channel = install.torch_channel === 'nightly' ? 'nightly' : 'pinned';
  const cu = `cu${install.torch_cuda.replace('.', '')}`;
  const names = ['torch', 'torchvision', 'torchaudio'];
  return {
    torchChannel: channel,
    torchIndexUrl: install.torch_index_url ?? `https://download.pytorch.org/whl/${channel === 'nightly' ? 'nightly/' : ''}${cu}`,
    torchRequirements: channel === 'pinned' ? names.map((n) => (pins[n] ? `${n}==${pins[n]}` : n)) : names,
    torchPre: channel === 'nightly',
    torchPinned: pins.torch ?? '',
  };
}

/**
 * Where the scripts reach the API (model.ts VllmApi). vLLM binds `(host or "", port)` with
 * AF_INET6 for an IPv6 literal, else AF_INET (api_server.py:1858-1868, 1904-1911): no host, ""
 * or 0.0.0.0 is every IPv4 address, "::" every address (IPv4 too unless the kernel's
 * net.ipv6.bindv6only is set), "localhost" resolves to 127.0.0.1. Inside the container the
 * loopback address of that family reaches a wildcard bind. From the host only an address the
 * server listens on works: a loopback bind (127.0.0.0/8, ::1, localhost) is reachable only
 * inside the container, so deploy.sh and verify.sh then ask from there (pct exec ... curl).
 */
function apiPlan(host: string | undefined, port: number, cidr: string | undefined): VllmApi {
  const h = host ?? '';
  const ctIp = cidr && /^[0-9.]+\/[0-9]+$/.test(cidr) ? cidr.slice(0, cidr.indexOf('/')) : '';
  const wildcard4 = h === '' || h === '0.0.0.0';
  const bracket = (a: string): string => (a.includes(':') ? `[${a}]` : a);
  const localHost = wildcard4 || h === 'localhost' ? '127.0.0.1' : h === '::' ? '::1' : h;
  const local = `http://${bracket(localHost)}:${port}`;
  const fromHost = ctIp !== '' && (wildcard4 || h === '::' || h === ctIp);
  return { local, probeFrom: fromHost ? 'host' : 'container', probe: fromHost ? `http://${ctIp}:${port}` : local };
}

/** Names of the Hugging Face cache location the benchmark client shares with the server (huggingface_hub v0.34.3 constants.py:129-155). */
const HF_CACHE_ENV = ['HF_HOME', 'HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'XDG_CACHE_HOME'];

/**
 * benchmark.sh's client (model.ts VllmBenchmarkPlan). vllm bench serve builds its random prompts
 * with the tokenizer of --model (vllm/benchmarks/serve.py:1097, 1107-1109): the server's model,
 * its --tokenizer/--tokenizer-mode/--trust-remote-code, loaded from the server's Hugging Face
 * cache (the unit runs as root without User=, so no HOME: huggingface_hub expands "~" to root's
 * home, constants.py:129; systemd.exec(5) sets $HOME only with User=) with HF_HUB_OFFLINE=1
 * (constants.py:165): no download and no token needed.
 */
function benchmarkPlan(eff: Container, model: string, get: <T>(dest: string) => T | undefined, env: readonly EnvVar[]): VllmBenchmarkPlan {
  const b = { ...DEFAULTS.VllmBenchmark, ...(eff.vllm_benchmark ?? {}) };
  const tokenizerArgs: string[] = [];
  const tokenizer = get<string>('tokenizer');
  if (tokenizer !== undefined && tokenizer !== '') tokenizerArgs.push('--tokenizer', tokenizer);
  const mode = get<string>('tokenizer_mode');
  // vllm bench serve's --tokenizer-mode choices (vllm/benchmarks/serve.py:1004-1013)
  if (mode !== undefined && ['auto', 'slow', 'mistral', 'custom'].includes(mode) && mode !== 'auto') tokenizerArgs.push('--tokenizer-mode', mode);
  if (get<boolean>('trust_remote_code') === true) tokenizerArgs.push('--trust-remote-code');
  const clientEnv = ['HOME=/root', 'HF_HUB_OFFLINE=1'];
  for (const e of env) if (HF_CACHE_ENV.includes(e.name)) clientEnv.push(`${e.name}=${e.value}`);
  return {
    rounds: b.rounds,
    numPrompts: b.num_prompts,
    maxConcurrency: b.max_concurrency,
    randomInputLen: b.random_input_len,
    randomOutputLen: b.random_output_len,
    warmupPrompts: b.warmup_prompts,
    temperature: b.temperature,
    topP: b.top_p,
    topK: b.top_k,
    seed: b.seed,
    warmupSeed: b.seed === 2147483647 ? b.seed - 1 : b.seed + 1,
    expectedGain: b.expected_gain,
    runTimeoutSec: b.run_timeout_sec,
    model,
    tokenizerArgs,
    env: clientEnv,
  };
}
