/**
 * Plans what create.sh does on the Proxmox host for one CTID: how the container is defined
 * (clone or create), the pct settings, GPU passthrough, volumes, raw LXC lines, its feature
 * scripts and application step. Everything here is data; emit/ turns it into bash. Runs on
 * checked input (check/host.ts) and reports nothing.
 */
import { DEFAULTS } from '../generated/defaults';
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { ResolvedContainer } from '../resolve';
import { VLLM_APP_SCRIPT } from '../vllm/catalog';
import { crossNodeClone } from './cluster';
import { featureSteps, scriptsDir } from './features';
import { parseGpuAssignment } from './gpus';
import type { Define, DeclaredCheck, HostPlan } from './model';

export function planHost(doc: PhoenixLxcConfigs, all: ReadonlyMap<string, ResolvedContainer>, rc: ResolvedContainer): HostPlan {
  const eff = rc.effective;
  const own = rc.own;
  let define: Define;
  if (own.clone_from_ctid !== undefined) {
    const src = all.get(own.clone_from_ctid)?.effective;
    const across = crossNodeClone(doc, all, rc);
    define = {
      mode: 'clone',
      source: own.clone_from_ctid,
      snapshot: src?.template_snapshot_name ?? '',
      hostname: eff.name,
      ...(eff.storage_pool ? { storage: eff.storage_pool } : {}),
      ...(across ? { across } : {}),
    };
  } else {
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

  const settings: [string, string][] = [];
  if (eff.memory_mb !== undefined) settings.push(['--memory', String(eff.memory_mb)]);
  if (eff.swap_mb !== undefined) settings.push(['--swap', String(eff.swap_mb)]);
  if (eff.cores !== undefined) settings.push(['--cores', String(eff.cores)]);
  settings.push(['--onboot', eff.start_at_boot ? '1' : '0']);
  if (eff.boot_order !== undefined || eff.boot_delay !== undefined) {
    settings.push([
      '--startup',
      [eff.boot_order !== undefined ? `order=${eff.boot_order}` : '', eff.boot_delay !== undefined ? `up=${eff.boot_delay}` : ''].filter(Boolean).join(','),
    ]);
  }
  const pctFeatures = [...(eff.pct_options ?? [])];
  if (eff.apparmor_manages_nesting === false && !pctFeatures.some((f) => f.startsWith('nesting='))) pctFeatures.push('nesting=1');
  if (pctFeatures.length) settings.push(['--features', pctFeatures.join(',')]);
  const n = eff.network_config;
  if (n) {
    const net0 = [
      `name=${n.name}`,
      `bridge=${n.bridge}`,
      `ip=${n.ip}`,
      `gw=${n.gw}`,
      ...(eff.mac_address ? [`hwaddr=${eff.mac_address.toUpperCase()}`] : []),
    ].join(',');
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

  const features = featureSteps(own.features ?? []);

  const app: HostPlan['app'] =
    eff.application_script === undefined
      ? { kind: 'none' }
      : eff.application_script === VLLM_APP_SCRIPT
        ? { kind: 'vllm' }
        : { kind: 'script', script: eff.application_script };

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
    storagePool: define.mode === 'create' ? define.storage : (eff.storage_pool ?? ''),
    scriptsDir: scriptsDir(doc),
    checks,
    nvidia: {
      ...(doc.nvidia_driver_version ? { driverVersion: doc.nvidia_driver_version } : {}),
      ...(doc.nvidia_runfile_url ? { runfileUrl: doc.nvidia_runfile_url } : {}),
      ...(doc.nvidia_repo_url ? { repoUrl: doc.nvidia_repo_url } : {}),
      cudaVersion: doc.cuda_version ?? DEFAULTS.root.cuda_version,
    },
    ...(n ? { ip: n.ip.split('/')[0], ipCidr: n.ip } : {}),
    ...(eff.mac_address !== undefined ? { mac: eff.mac_address } : {}),
    startAtBoot: eff.start_at_boot === true,
  };
}
