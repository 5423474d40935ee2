/** Shape of the vLLM flag catalog data file (schema/vllm/<version>.json). */
export type VllmFlagKind = 'bool_pair' | 'store_true' | 'int' | 'float' | 'string' | 'json' | 'json_or_string' | 'list' | 'append';

export interface VllmFlag {
  dest: string;
  flag: string;
  aliases: string[];
  group: string;
  kind: VllmFlagKind;
  nargs: string | null;
  item_kind: string | null;
  choices: (string | number)[] | null;
  default: unknown;
  deprecated: boolean | string;
  human_readable?: boolean;
  help_order: number;
  help?: string;
}

export interface VllmQuantMethod {
  name: string;
  min_capability: number | null;
  source_file?: string;
}

export interface VllmEnvVar {
  name: string;
  syntax: string;
  default?: unknown;
  choices?: string[];
}

export interface VllmCatalog {
  vllm_version: string;
  source: { repository: string; commit: string; files: string[] };
  flags: VllmFlag[];
  quantization_methods: VllmQuantMethod[];
  env: VllmEnvVar[];
  attention_backends?: string[];
  log_lines: Record<string, string>;
  /** What vLLM logs on the V1 engine for the attention backend it picks (vllm/platforms/cuda.py). */
  attention_backend_log_lines: VllmAttentionBackendLines;
  /** Packages vLLM's CUDA wheel pins exactly (requirements/cuda.txt). */
  requirements?: { file: string; pins: Record<string, string> };
}

/**
 * CudaPlatform.get_attn_backend_cls's V1 log lines: `by_name` for each VLLM_ATTENTION_BACKEND
 * value that selects a backend by name; any other value (or none) takes the default choice by
 * compute capability, whose lines (`default_choice`) all contain `common`.
 */
export interface VllmAttentionBackendLines {
  by_name: Record<string, string>;
  where: Record<string, string>;
  default_choice: Record<string, { message: string; where: string[] }>;
  common: string;
}

/** One hand-read fact about vLLM, with the lines of the release source it comes from. */
export interface VllmFact<T> {
  value: T;
  source: string[];
  note: string;
}

/** schema/vllm/<version>.facts.json. */
export interface VllmFacts {
  vllm_version: string;
  commit: string;
  /** Compute capabilities on which the default V1 attention backend supports an FP8 KV cache. */
  fp8_kv_cache_native_capabilities: VllmFact<string[]>;
  /** VLLM_ATTENTION_BACKEND values that support an FP8 KV cache elsewhere. */
  fp8_kv_cache_backends: VllmFact<string[]>;
  /** --dtype values fp8 quantization runs with (16-bit activations). */
  fp8_activation_dtypes: VllmFact<string[]>;
  /** Below this capability (as 89 for 8.9) fp8 is weight-only on Marlin kernels. */
  fp8_marlin_below_capability: VllmFact<number>;
}
