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
  /** The argparse `type=` function, by name (optional_type(int), human_readable_int, parse_dataclass(CompilationConfig), ...). */
  parser: string | null;
  /** The catalog's reading of whether `--flag None` gives None (see the oracle's catalog_accepts_none_disagreements). */
  accepts_none: boolean;
  /** Where the flag is added (file:line at the release commit). */
  source: string;
  /** The config dataclass field behind the flag, its declared type and line. */
  config_field?: string;
  field_type?: string;
  field_source?: string;
  /** The --no- form of a BooleanOptionalAction. */
  negative_flag?: string;
  /** A custom argparse action (LoRAParserAction). */
  action?: string;
  /** nargs='?' flags: the value without an argument. */
  const?: unknown;
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
  parser: { entrypoint: string; positionals: { dest: string; nargs: string; help: string; source: string }[] };
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
  /** Per quantization method, the --dtype values its get_supported_act_dtypes() allows (methods not listed take any). */
  quantization_act_dtypes: VllmFact<Record<string, string[]>>;
  /** bfloat16 needs at least this compute capability (as 80 for 8.0). */
  bfloat16_min_capability: VllmFact<number>;
  /** Below this capability (as 89 for 8.9) fp8 is weight-only on Marlin kernels. */
  fp8_marlin_below_capability: VllmFact<number>;
  /** The pydantic dataclasses vLLM's parser validates JSON arguments into (compiler/vllm/dataclass.ts). */
  /** Model id prefixes whose architecture has attention sinks (gpt-oss). */
  attention_sink_models: VllmFact<string[]>;
  /** Compute capabilities where the FlashInfer backend takes attention sinks (TRTLLM). */
  flashinfer_sinks_capabilities: VllmFact<string[]>;
  /** TRITON_ATTN_VLLM_V1 keeps an FP8 KV cache on V1 from this capability (as 89 for 8.9). */
  triton_fp8_kv_min_capability: VllmFact<number>;
  /** Names of newer vLLM that 0.10.2 does not know, with what it uses instead. */
  newer_vllm_names: VllmFact<{ engine_args: Record<string, string>; attention_backends: Record<string, string> }>;
  /** JSON flags whose value ModelConfig validates against a declared type at start-up. */
  json_argument_fields: VllmFact<Record<string, { field: string; type: string; source: string }>>;
  parse_dataclasses: VllmFact<Record<string, DataclassSpec>> & {
    enums: Record<string, { file: string; line: number; members: Record<string, number | number[]> }>;
  };
}

/** One config dataclass: where it is declared and the fields its __init__ takes. */
export interface DataclassSpec {
  file: string;
  line: number;
  fields: { name: string; type: string; default: unknown; line: number }[];
}
