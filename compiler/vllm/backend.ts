/**
 * The attention backend an FP8 KV cache needs on the assigned GPUs. vLLM 0.10.2's default V1
 * backend supports an FP8 KV cache only on the capabilities in facts.fp8_kv_cache_native_capabilities;
 * elsewhere the V1 engine refuses it and vLLM falls back to V0 with a warning, unless
 * VLLM_ATTENTION_BACKEND names one of facts.fp8_kv_cache_backends
 * (vllm/platforms/cuda.py:522-561, is_kv_cache_dtype_supported; schema/vllm/0.10.2.facts.json).
 * The check stage reports from this choice and the planner applies it: one decision, two readers.
 */
import type { VllmFacts } from './catalog-types';

export type BackendChoice =
  /** No FP8 KV cache, or every assigned GPU supports it on the default backend. */
  | { kind: 'default' }
  /** The compiler sets VLLM_ATTENTION_BACKEND=FLASHINFER in the unit. */
  | { kind: 'set'; backend: 'FLASHINFER' }
  /** FlashInfer would be needed, but vllm_install.flashinfer is false. */
  | { kind: 'needs-flashinfer' }
  /** The user set a backend that supports an FP8 KV cache here. */
  | { kind: 'user' }
  /** The user set a backend with which vLLM falls back to V0. */
  | { kind: 'user-unsupported'; backend: string };

/**
 * @param kvCacheDtype the CTID's kv_cache_dtype (undefined when unset)
 * @param capabilities the assigned GPUs' compute capabilities, "MAJOR.MINOR"
 * @param userBackend VLLM_ATTENTION_BACKEND from vllm_service.environment, if set
 * @param flashinferInstalled vllm_install.flashinfer
 */
export function attentionBackendChoice(
  facts: VllmFacts,
  kvCacheDtype: string | undefined,
  capabilities: readonly string[],
  userBackend: string | undefined,
  flashinferInstalled: boolean,
): BackendChoice {
  const native = new Set(facts.fp8_kv_cache_native_capabilities.value);
  if (kvCacheDtype === undefined || !kvCacheDtype.startsWith('fp8') || capabilities.every((c) => native.has(c))) return { kind: 'default' };
  if (userBackend !== undefined)
    return facts.fp8_kv_cache_backends.value.includes(userBackend) ? { kind: 'user' } : { kind: 'user-unsupported', backend: userBackend };
  return flashinferInstalled ? { kind: 'set', backend: 'FLASHINFER' } : { kind: 'needs-flashinfer' };
}
