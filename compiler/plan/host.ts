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
import { defaultHostId, parseRawLxcLine } from '../proxmox/lxc-conf';
import { crossNodeClone, isCluster } from './cluster';
import { featureSteps, scriptsDir } from './features';
import { parseGpuAssignment } from './gpus';
import type { Define, DeclaredCheck, DependencyCheck, HostPlan, MountPlan, OwnerPlan } from './model';
import { mountLayout } from './mounts';
import type { FleetOrder } from './order';

/**
 * @param all every resolved CTID (clone sources and volume owners outside the selection included)
 * @param order the fleet's orders and shared volumes (plan/order.ts), computed once for all CTIDs
 */
export function planHost(doc: PhoenixLxcConfigs, all: ReadonlyMap<string, ResolvedContainer>, rc: ResolvedContainer, order: FleetOrder): HostPlan {
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
  // pve-startup-order (pve-common src/PVE/JSONSchema.pm:905-927): order=N,up=N; the order follows
  // the dependencies (plan/order.ts), derived when the config gives none.
  const boot = order.boot.get(rc.ctid)!;
  if (boot.order !== undefined || boot.delay !== undefined) {
    settings.push([
      '--startup',
      [boot.order !== undefined ? `order=${boot.order}` : '', boot.delay !== undefined ? `up=${boot.delay}` : ''].filter(Boolean).join(','),
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

  const unprivileged = eff.unprivileged !== false;
  const mounts: MountPlan[] = [];
  for (const e of mountLayout(all, rc.ctid)) {
    if (e.source !== 'own') continue; // a clone's copy of its source's volume, already there
    if (e.bind) {
      const b = e.bind;
      const owner = ownerPlan(b.owner_uid, b.owner_gid, (id) => defaultHostId(id, unprivileged)!);
      mounts.push({ mp: e.mp, kind: e.kind === 'device' ? 'device' : 'bind', hostPath: b.host_path, path: e.path, ...(owner ? { owner } : {}) });
      continue;
    }
    const v = e.volume!;
    const owner = ownerPlan(v.owner_uid, v.owner_gid, (id) => id);
    const shared = order.volumes.find((s) => s.name === v.name && s.users.some((u) => u.ctid === rc.ctid));
    if (shared && shared.owner !== rc.ctid) {
      const from = shared.users[0].entry;
      mounts.push({
        mp: e.mp,
        kind: 'shared',
        name: v.name,
        pool: from.volume!.pool,
        path: e.path,
        ...(owner ? { owner } : {}),
        from: { ctid: shared.owner, mp: from.mp, path: from.path },
      });
    } else {
      const sharedWith = shared ? [...new Set(shared.users.map((u) => u.ctid))].filter((c) => c !== rc.ctid) : [];
      mounts.push({ mp: e.mp, kind: 'volume', name: v.name, pool: v.pool, sizeGb: v.size_gb, path: e.path, ...(owner ? { owner } : {}), sharedWith });
    }
  }

  // Proxmox stores raw LXC lines as [key, value] and writes them back as "key: value"
  // (pve-container src/PVE/LXC/Config.pm:1179, 1275-1280); the config may say key=value.
  const lxcLines: [string, string][] = [];
  for (const text of eff.lxc_options ?? []) {
    const p = parseRawLxcLine(text);
    if (p.ok && !lxcLines.some(([k, v]) => k === p.line.key && v === p.line.value)) lxcLines.push([p.line.key, p.line.value]);
  }

  const dependencies: DependencyCheck[] = (own.dependencies ?? []).map((id) => ({
    id,
    kind: isCluster(doc) ? 'cluster' : doc.lxc_configs[id] ? 'ct' : 'guest',
  }));

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
    dependencies,
    features,
    app,
    ...(own.template_snapshot_name ? { snapshot: own.template_snapshot_name } : {}),
    storagePool: define.mode === 'create' ? define.storage : (eff.storage_pool ?? ''),
    scriptsDir: scriptsDir(doc),
    checks,
    nvidia: {
      ...(doc.nvidia_driver_version ? { driverVersion: doc.nvidia_driver_version } : {}),
      ...(doc.nvidia_runfile_url ? { runfileUrl: doc.nvidia_runfile_url } : {}),
      // The feature script appends file names to it (cuda-keyring_*.deb): a folder URL, with its '/'.
      ...(doc.nvidia_repo_url ? { repoUrl: doc.nvidia_repo_url.endsWith('/') ? doc.nvidia_repo_url : `${doc.nvidia_repo_url}/` } : {}),
      cudaVersion: doc.cuda_version ?? DEFAULTS.root.cuda_version,
    },
    ...(n ? { ip: n.ip.split('/')[0], ipCidr: n.ip } : {}),
    ...(eff.mac_address !== undefined ? { mac: eff.mac_address } : {}),
    startAtBoot: eff.start_at_boot === true,
  };
}

/**
 * How create.sh checks and sets a folder's owner (ids as `stat` prints them where the chown runs:
 * `hostId` maps the container's ids for a host folder, is the identity inside the container).
 */
function ownerPlan(uid: number | undefined, gid: number | undefined, hostId: (id: number) => number): OwnerPlan | undefined {
  if (uid === undefined && gid === undefined) return undefined;
  if (uid !== undefined && gid !== undefined) return { stat: '%u:%g', want: `${hostId(uid)}:${hostId(gid)}`, chown: `${hostId(uid)}:${hostId(gid)}` };
  if (uid !== undefined) return { stat: '%u', want: String(hostId(uid)), chown: String(hostId(uid)) };
  return { stat: '%g', want: String(hostId(gid!)), chown: `:${hostId(gid!)}` };
}
