/**
 * Generates a synthetic fleet for the benchmark: the example's templates 900 (base) and 901 (GPU),
 * plus N containers cloned from 901 (CTIDs 1000, 1001, ...), each with its own name, IP, MAC and a
 * vllm_engine_config shaped like the example's 921 but with its own model and port.
 *
 * IPs: 4,000 containers per /16 (10.1.0.0/16, 10.2.0.0/16, ...), host part from .0.10 upward,
 * gateway 10.S.0.1 inside the subnet.
 *
 * Usage as a script: node dist/bench/fleet.js N > fleet.json
 */

const PER_SUBNET = 4000;

const MODELS: { model: string; served: string; maxLen: number }[] = [
  { model: 'meta-llama/Llama-3.2-3B-Instruct', served: 'llama-3.2-3b', maxLen: 8192 },
  { model: 'meta-llama/Llama-3.1-8B-Instruct', served: 'llama-3.1-8b', maxLen: 16384 },
  { model: 'Qwen/Qwen2.5-7B-Instruct', served: 'qwen2.5-7b', maxLen: 32768 },
  { model: 'mistralai/Mistral-7B-Instruct-v0.3', served: 'mistral-7b', maxLen: 8192 },
  { model: 'ibm-granite/granite-3.3-8b-instruct', served: 'granite-3.3-8b', maxLen: 4096 },
];

function template(ctid: 900 | 901): Record<string, unknown> {
  const base: Record<string, unknown> = {
    name: ctid === 900 ? 'Template-Base' : 'Template-GPU',
    start_at_boot: false,
    boot_order: 0,
    boot_delay: 0,
    memory_mb: 2048,
    cores: 2,
    storage_pool: 'quickOS-lxc-disks',
    storage_size_gb: 32,
    network_config: { name: 'eth0', bridge: 'vmbr0', ip: `10.0.0.${ctid === 900 ? 200 : 201}/24`, gw: '10.0.0.1' },
    mac_address: ctid === 900 ? '52:54:00:AA:BB:CC' : '52:54:00:AA:BB:CD',
    gpu_assignment: ctid === 900 ? 'none' : '0, 1',
    portainer_role: 'none',
    unprivileged: true,
    features: [ctid === 900 ? 'base_setup' : 'nvidia'],
    lxc_options: ['lxc.apparmor.profile=unconfined'],
    template_snapshot_name: 'pre-configured',
    apparmor_profile: 'unconfined',
    apparmor_manages_nesting: true,
  };
  if (ctid === 900) base.template = '/fastData/shared-iso/template/cache/ubuntu-24.04-standard_24.04-2_amd64.tar.zst';
  else base.clone_from_ctid = '900';
  return base;
}

function hex2(n: number): string {
  return (n & 0xff).toString(16).toUpperCase().padStart(2, '0');
}

/** The i-th generated container (i from 0). */
export function clone(i: number): [string, Record<string, unknown>] {
  const ctid = 1000 + i;
  const subnet = 1 + Math.floor(i / PER_SUBNET);
  const host = 10 + (i % PER_SUBNET);
  const m = MODELS[i % MODELS.length];
  const twoGpus = i % 2 === 0;
  return [
    String(ctid),
    {
      name: `vllm-${ctid}`,
      clone_from_ctid: '901',
      // As the example's 921 (the user's real one): vLLM refuses 4 GiB swap x TP 2 in 901's 2048 MiB.
      memory_mb: 72000,
      cores: 10,
      network_config: { name: 'eth0', bridge: 'vmbr0', ip: `10.${subnet}.${host >> 8}.${host & 0xff}/16`, gw: `10.${subnet}.0.1` },
      mac_address: `52:54:01:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`,
      ...(twoGpus ? {} : { gpu_assignment: String(i % 4 === 1 ? 0 : 1) }),
      features: ['nvidia', 'vllm'],
      application_script: 'phoenix_hypervisor_lxc_vllm.sh',
      vllm_engine_config: {
        ModelConfig: { model: m.model, trust_remote_code: true, dtype: 'auto', max_model_len: m.maxLen },
        CacheConfig: { quantization: 'fp8', kv_cache_dtype: 'fp8', gpu_memory_utilization: 0.9 },
        ParallelConfig: { tensor_parallel_size: twoGpus ? 2 : 1 },
        ServerConfig: { host: '0.0.0.0', port: 8000 + (i % 1000), served_model_name: `${m.served}-${ctid}` },
      },
    },
  ];
}

export function fleet(n: number): Record<string, unknown> {
  const lxc: Record<string, unknown> = { '900': template(900), '901': template(901) };
  for (let i = 0; i < n; i++) {
    const [k, v] = clone(i);
    lxc[k] = v;
  }
  return {
    nvidia_driver_version: '580.76.05',
    nvidia_repo_url: 'https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/',
    nvidia_runfile_url: 'https://us.download.nvidia.com/XFree86/Linux-x86_64/580.76.05/NVIDIA-Linux-x86_64-580.76.05.run',
    lxc_configs: lxc,
  };
}

export function fleetText(n: number): string {
  return JSON.stringify(fleet(n), null, 2) + '\n';
}

if (require.main === module) {
  const n = Number(process.argv[2] ?? '100');
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write('usage: node dist/bench/fleet.js N\n');
    process.exit(1);
  }
  process.stdout.write(fleetText(n));
}
