/**
 * The attention backend a CTID's server needs: one decision, two readers (the check stage reports
 * from it, the planner applies it). Facts from vLLM 0.10.2 (schema/vllm/0.10.2.facts.json):
 *
 *  - An FP8 KV cache stays on the V1 engine only on facts.fp8_kv_cache_native_capabilities with the
 *    default backend, or with VLLM_ATTENTION_BACKEND=FLASHINFER, or TRITON_ATTN_VLLM_V1 on
 *    compute capability >= 8.9; anything else falls back to V0 with a warning
 *    (vllm/platforms/cuda.py:521-561, vllm/engine/arg_utils.py:1465-1471).
 *  - A model with attention sinks (gpt-oss, facts.attention_sink_models) cannot run on FlashInfer
 *    off compute capability 10.0 (vllm/v1/attention/backends/flashinfer.py:300-305), nor on V0 at
 *    all (vllm/attention/layer.py:181-185); TRITON_ATTN_VLLM_V1 takes both sinks and an FP8 KV
 *    cache (vllm/v1/attention/backends/triton_attn.py:272-277, 360-362).
 *  - The compiler knows a model by its id only: a fine-tune of gpt-oss under another id looks like
 *    any model, so for it the choice is FLASHINFER and the user overrides it in
 *    vllm_service.environment (the README says so, and so does the note).
 */
import type { VllmFacts } from './catalog-types';

export type BackendChoice =
  /** No FP8 KV cache (or every assigned GPU keeps it on the default backend), no override needed. */
  | { kind: 'default' }
  /** The compiler sets VLLM_ATTENTION_BACKEND in the unit. */
  | { kind: 'set'; backend: 'FLASHINFER' | 'TRITON_ATTN_VLLM_V1'; sinks: boolean }
  /** FlashInfer would be needed, but vllm_install.flashinfer is false. */
  | { kind: 'needs-flashinfer' }
  /** The user's VLLM_ATTENTION_BACKEND works here. */
  | { kind: 'user' }
  /** The user's backend makes vLLM fall back to V0 for the FP8 KV cache. */
  | { kind: 'user-unsupported'; backend: string }
  /** The user's backend refuses the model's attention sinks. */
  | { kind: 'user-refuses-sinks'; backend: string }
  /** A model with attention sinks and an FP8 KV cache where no backend of vLLM 0.10.2 takes both. */
  | { kind: 'no-backend-for-sinks' };

export interface BackendInput {
  model: string | undefined;
  /** kv_cache_dtype, undefined when unset. */
  kvCacheDtype: string | undefined;
  /** The assigned GPUs' compute capabilities, "MAJOR.MINOR". */
  capabilities: readonly string[];
  /** VLLM_ATTENTION_BACKEND from vllm_service.environment, if set. */
  userBackend: string | undefined;
  /** vllm_install.flashinfer. */
  flashinferInstalled: boolean;
}

/** True when the model id is one of the known attention-sink models (facts.attention_sink_models). */
export function hasAttentionSinks(facts: VllmFacts, model: string | undefined): boolean {
  const id = (model ?? '').toLowerCase();
  return facts.attention_sink_models.value.some((p) => id.startsWith(p.toLowerCase()));
}

function capNumber(c: string): number {
  const [maj, min] = c.split('.').map(Number);
  return maj * 10 + min;
}

/** The backend decision; see the file comment for the facts it follows. */
export function attentionBackendChoice(facts: VllmFacts, input: BackendInput): BackendChoice {
  const sinks = hasAttentionSinks(facts, input.model);
  const fp8 = input.kvCacheDtype !== undefined && input.kvCacheDtype.startsWith('fp8');
  const native = new Set(facts.fp8_kv_cache_native_capabilities.value);
  const offNative = fp8 && !input.capabilities.every((c) => native.has(c));
  const tritonFp8 = input.capabilities.every((c) => capNumber(c) >= facts.triton_fp8_kv_min_capability.value);
  const user = input.userBackend;
  if (user !== undefined) {
    if (sinks && user.startsWith('FLASHINFER') && !input.capabilities.every((c) => facts.flashinfer_sinks_capabilities.value.includes(c)))
      return { kind: 'user-refuses-sinks', backend: user };
    if (!offNative) return { kind: 'user' };
    const works = facts.fp8_kv_cache_backends.value.includes(user) && (user !== 'TRITON_ATTN_VLLM_V1' || tritonFp8);
    return works ? { kind: 'user' } : { kind: 'user-unsupported', backend: user };
  }
  if (!offNative) return { kind: 'default' };
  if (sinks) return tritonFp8 ? { kind: 'set', backend: 'TRITON_ATTN_VLLM_V1', sinks: true } : { kind: 'no-backend-for-sinks' };
  return input.flashinferInstalled ? { kind: 'set', backend: 'FLASHINFER', sinks: false } : { kind: 'needs-flashinfer' };
}
