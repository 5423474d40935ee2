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
  /** Packages vLLM's CUDA wheel pins exactly (requirements/cuda.txt). */
  requirements?: { file: string; pins: Record<string, string> };
}
