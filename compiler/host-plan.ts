/**
 * Plans what create.sh does on the Proxmox host for one CTID: how the container is defined
 * (clone or create), the pct settings, GPU passthrough, volumes, raw LXC lines, its feature
 * scripts and application step. Everything here is data; emit/ turns it into bash.
 */
import { DEFAULTS } from './generated/defaults';
import type { Container, PhoenixLxcConfigs } from './generated/config-types';
import { parseGpuAssignment, Reporter } from './fleet-checks';
import type { ResolvedContainer } from './resolve';
import { VLLM_APP_SCRIPT } from './vllm';

export const BUILTIN_FEATURES = ['base_setup', 'nvidia', 'vllm'] as const;

export type Define =
  | { mode: 'clone'; source: string; snapshot: string; hostname: string; storage?: string }
  | { mode: 'create'; template: string; hostname: string; storage: string; rootfsGb: number; memory: number; cores: number; unprivileged: boolean };

export interface FeatureStep {
  index: number;
  name: string;
  /** out/<ctid>/features/<file>, or the user's installer for features without a built-in script. */
  file: string;
  builtin: boolean;
}

export interface DeclaredCheck {
  kind: 'health_check' | 'integration_test' | 'health_command';
  name: string;
  /** Script path relative to the scripts folder, or a host command line for health_check.command. */
  path: string;
}

export interface HostPlan {
  define: Define;
  /** `pct set` options, in a fixed order, as [option, value] pairs. */
  settings: [string, string][];
  gpus: number[];
  /** Device passthrough for the assigned GPUs: `pct set --devN path`. */
  devices: [string, string][];
  /** Volume and bind mounts: mpN -> spec; added only when mpN is absent. */
  mounts: [string, string][];
  /** Lines of /etc/pve/lxc/<ctid>.conf, appended only when absent. */
  lxcLines: string[];
  features: FeatureStep[];
  app: { kind: 'vllm' } | { kind: 'script'; script: string } | { kind: 'none' };
  snapshot?: string;
  scriptsDir: string;
  checks: DeclaredCheck[];
  nvidia: { driverVersion?: string; runfileUrl?: string; repoUrl?: string; cudaVersion: string };
  ip?: string;
}

export function planHost(doc: PhoenixLxcConfigs, all: Map<string, ResolvedContainer>, rc: ResolvedContainer, r: Reporter): HostPlan {
  const eff = rc.effective;
  const own = rc.own;
  const C = ['lxc_configs', rc.ctid];
  let define: Define;
  if (own.clone_from_ctid !== undefined) {
    const src = all.get(own.clone_from_ctid)?.effective;
    define = { mode: 'clone', source: own.clone_from_ctid, snapshot: src?.template_snapshot_name ?? '', hostname: eff.name, ...(eff.storage_pool ? { storage: eff.storage_pool } : {}) };
  } else {
    const missing = (['storage_pool', 'storage_size_gb', 'memory_mb', 'cores'] as const).filter((k) => eff[k] === undefined);
    if (missing.length) r.report('error', 'PHX114', [...C], `is created from a template but lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}`, { key: true });
    define = {
      mode: 'create',
      template: own.template ?? '',
      hostname: eff.name,
      storage: eff.storage_pool ?? '',
      rootfsGb: eff.storage_size_gb ?? 0,
      memory: eff.memory_mb ?? 0,
      cores: eff.cores ?? 0,
      unprivileged: eff.unprivileged ?? true,
    };
  }
  if (!eff.network_config) r.report('error', 'PHX114', [...C], 'has no network_config (net0 needs an IP address, which is never inherited)', { key: true });

  const settings: [string, string][] = [];
  if (eff.memory_mb !== undefined) settings.push(['--memory', String(eff.memory_mb)]);
  if (eff.swap_mb !== undefined) settings.push(['--swap', String(eff.swap_mb)]);
  if (eff.cores !== undefined) settings.push(['--cores', String(eff.cores)]);
  settings.push(['--onboot', eff.start_at_boot ? '1' : '0']);
  if (eff.boot_order !== undefined || eff.boot_delay !== undefined) {
    settings.push(['--startup', [eff.boot_order !== undefined ? `order=${eff.boot_order}` : '', eff.boot_delay !== undefined ? `up=${eff.boot_delay}` : ''].filter(Boolean).join(',')]);
  }
  const pctFeatures = [...(eff.pct_options ?? [])];
  if (eff.apparmor_manages_nesting === false && !pctFeatures.some((f) => f.startsWith('nesting='))) pctFeatures.push('nesting=1');
  if (pctFeatures.length) settings.push(['--features', pctFeatures.join(',')]);
  const n = eff.network_config;
  if (n) {
    const net0 = [`name=${n.name}`, `bridge=${n.bridge}`, `ip=${n.ip}`, `gw=${n.gw}`, ...(eff.mac_address ? [`hwaddr=${eff.mac_address.toUpperCase()}`] : [])].join(',');
    settings.push(['--net0', net0]);
    if (n.nameservers) settings.push(['--nameserver', n.nameservers]);
  }

  const gpus = parseGpuAssignment(eff.gpu_assignment);
  const devices: [string, string][] = [];
  if (gpus.length) {
    const paths = [...gpus.map((g) => `/dev/nvidia${g}`), '/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools'];
    paths.forEach((p, i) => devices.push([`--dev${i}`, p]));
  }

  const mounts: [string, string][] = [];
  for (const v of [...(eff.volumes ?? []), ...(eff.zfs_volumes ?? [])]) mounts.push([`mp${mounts.length}`, `${v.pool}:${v.size_gb},mp=${v.mount_point}`]);
  for (const m of eff.mount_points ?? []) mounts.push([`mp${mounts.length}`, `${m.host_path},mp=${m.container_path}`]);

  // Proxmox writes raw LXC keys as "key: value"; the config may say key=value.
  const lxcLines = (eff.lxc_options ?? []).map((l) => {
    const m = /^(lxc\.[a-z0-9_.]+) *[:=] *(.*)$/.exec(l)!;
    return `${m[1]}: ${m[2]}`;
  });

  const features: FeatureStep[] = (own.features ?? []).map((name, i) => {
    const index = i + 1;
    const builtin = (BUILTIN_FEATURES as readonly string[]).includes(name);
    return { index, name, builtin, file: builtin ? `features/${String(index).padStart(2, '0')}-${name}.sh` : `phoenix_hypervisor_feature_install_${name}.sh` };
  });
  for (const f of features) {
    if (!f.builtin) r.report('note', 'PHX115', ['lxc_configs', rc.ctid, 'features', f.index - 1], `feature ${JSON.stringify(f.name)} has no built-in script: create.sh runs the existing ${f.file} from ${doc.phoenix_scripts_dir ?? DEFAULTS.root.phoenix_scripts_dir}`);
  }

  const app: HostPlan['app'] = eff.application_script === undefined ? { kind: 'none' } : eff.application_script === VLLM_APP_SCRIPT ? { kind: 'vllm' } : { kind: 'script', script: eff.application_script };
  if (app.kind === 'script') {
    r.report('note', 'PHX116', ['lxc_configs', rc.ctid, 'application_script'], `create.sh runs the existing ${app.script} from ${doc.phoenix_scripts_dir ?? DEFAULTS.root.phoenix_scripts_dir}`);
  }
  if (features.some((f) => f.name === 'nvidia')) {
    const missing = (['nvidia_driver_version', 'nvidia_runfile_url', 'nvidia_repo_url'] as const).filter((k) => doc[k] === undefined);
    if (missing.length) r.report('error', 'PHX114', ['lxc_configs', rc.ctid, 'features'], `the nvidia feature needs the top-level ${missing.join(', ')}`);
  }

  const checks: DeclaredCheck[] = [
    ...(own.tests?.health_checks ?? []).map((t) => ({ kind: 'health_check' as const, name: t.name, path: t.path })),
    ...(own.tests?.integration_tests ?? []).map((t) => ({ kind: 'integration_test' as const, name: t.name, path: t.path })),
    ...(own.health_check ? [{ kind: 'health_command' as const, name: 'health_check.command', path: own.health_check.command }] : []),
  ];

  return {
    define,
    settings,
    gpus,
    devices,
    mounts,
    lxcLines,
    features,
    app,
    ...(own.template_snapshot_name ? { snapshot: own.template_snapshot_name } : {}),
    scriptsDir: doc.phoenix_scripts_dir ?? DEFAULTS.root.phoenix_scripts_dir,
    checks,
    nvidia: {
      ...(doc.nvidia_driver_version ? { driverVersion: doc.nvidia_driver_version } : {}),
      ...(doc.nvidia_runfile_url ? { runfileUrl: doc.nvidia_runfile_url } : {}),
      ...(doc.nvidia_repo_url ? { repoUrl: doc.nvidia_repo_url } : {}),
      cudaVersion: doc.cuda_version ?? DEFAULTS.root.cuda_version,
    },
    ...(n ? { ip: n.ip.split('/')[0] } : {}),
  };
}

export type { Container };
