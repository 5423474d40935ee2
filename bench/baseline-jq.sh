#!/usr/bin/env bash
# Baseline for the benchmark: what the plan's shell approach costs. For each CTID that has a
# vllm_engine_config, reads every value with its own `jq` call (as the user's scripts do), then
# assembles the vLLM argv line and the vllm_model_server.service text and writes them to
# OUT/<ctid>/vllm.argv and OUT/<ctid>/vllm_model_server.service.
#
# Usage: bench/baseline-jq.sh CONFIG OUT [LIMIT]
#   LIMIT: only the first LIMIT CTIDs with a vllm_engine_config (for extrapolating huge fleets).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 CONFIG OUT [LIMIT]" >&2
  exit 1
fi
config=$1
out=$2
limit=${3:-0}

# One jq call per value, like `jq -r ".lxc_configs[\"$ctid\"].vllm_engine_config.ModelConfig.model" file`.
get() {
  local ctid=$1 path=$2
  jq -r --arg c "$ctid" ".lxc_configs[\$c].vllm_engine_config.${path} // empty" "$config"
}

# Appends "--flag value" for a value, "--flag" for true, nothing for empty/false.
flag() {
  local name=$1 value=$2
  case "$value" in
    '' | false) ;;
    true) argv+=("--${name}") ;;
    *) argv+=("--${name}" "$value") ;;
  esac
}

mkdir -p "$out"
count=0
while IFS= read -r ctid; do
  if [[ $limit -gt 0 && $count -ge $limit ]]; then
    break
  fi
  count=$((count + 1))

  model=$(get "$ctid" ModelConfig.model)
  trust_remote_code=$(get "$ctid" ModelConfig.trust_remote_code)
  dtype=$(get "$ctid" ModelConfig.dtype)
  max_model_len=$(get "$ctid" ModelConfig.max_model_len)
  quantization=$(get "$ctid" CacheConfig.quantization)
  kv_cache_dtype=$(get "$ctid" CacheConfig.kv_cache_dtype)
  gpu_memory_utilization=$(get "$ctid" CacheConfig.gpu_memory_utilization)
  tensor_parallel_size=$(get "$ctid" ParallelConfig.tensor_parallel_size)
  host=$(get "$ctid" ServerConfig.host)
  port=$(get "$ctid" ServerConfig.port)
  served_model_name=$(get "$ctid" ServerConfig.served_model_name)

  argv=(/opt/vllm/bin/vllm serve "$model")
  flag trust-remote-code "$trust_remote_code"
  flag dtype "$dtype"
  flag max-model-len "$max_model_len"
  flag quantization "$quantization"
  flag kv-cache-dtype "$kv_cache_dtype"
  flag gpu-memory-utilization "$gpu_memory_utilization"
  flag tensor-parallel-size "$tensor_parallel_size"
  flag host "$host"
  flag port "$port"
  flag served-model-name "$served_model_name"

  mkdir -p "$out/$ctid"
  printf '%s\n' "${argv[*]}" >"$out/$ctid/vllm.argv"
  cat >"$out/$ctid/vllm_model_server.service" <<EOF
[Unit]
Description=vLLM model server (${served_model_name:-$model})
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
UnsetEnvironment=CUDA_HOME LD_LIBRARY_PATH
Environment="CUDA_HOME=/usr/local/cuda-12.8"
Environment="LD_LIBRARY_PATH=/usr/local/cuda-12.8/lib64"
Environment="VLLM_USE_FLASHINFER_SAMPLER=1"
ExecStart=${argv[*]}
Restart=on-failure
RestartSec=10
TimeoutStartSec=1800

[Install]
WantedBy=multi-user.target
EOF
done < <(jq -r '.lxc_configs | to_entries[] | select(.value.vllm_engine_config != null) | .key' "$config")

echo "$count"
