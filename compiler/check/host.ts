/**
 * Stage 4, check what create.sh needs on the Proxmox host, one CTID at a time: every rule a named
 * function. The planner (plan/host.ts) assumes these passed.
 */
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { Reporter } from '../diagnostics';
import type { ResolvedContainer } from '../resolve';
import { VLLM_APP_SCRIPT } from '../vllm/catalog';
import { featureSteps, scriptsDir } from '../plan/features';

const RULES: ((doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter) => void)[] = [
  createSettingsPresent,
  networkPresent,
  userFeatureScripts,
  userApplicationScript,
  nvidiaDriverSource,
];

/** Checks one CTID's host side. */
export function checkHost(doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  for (const rule of RULES) rule(doc, rc, r);
}

/**
 * `pct create` needs the root file system's storage and size, memory and cores (pct(1),
 * `--rootfs STORAGE:SIZE`); a clone copies them from its source.
 */
function createSettingsPresent(_doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  if (rc.own.clone_from_ctid !== undefined) return;
  const missing = (['storage_pool', 'storage_size_gb', 'memory_mb', 'cores'] as const).filter((k) => rc.effective[k] === undefined);
  if (missing.length)
    r.report('error', 'PHX114', ['lxc_configs', rc.ctid], `is created from a template but lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}`, {
      key: true,
    });
}

/** net0 needs an address of its own; network_config.ip is never inherited (resolve.ts NOT_INHERITED). */
function networkPresent(_doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  if (!rc.effective.network_config)
    r.report('error', 'PHX114', ['lxc_configs', rc.ctid], 'has no network_config (net0 needs an IP address, which is never inherited)', { key: true });
}

/** A feature without a built-in script runs the user's own installer: say so. */
function userFeatureScripts(doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  for (const f of featureSteps(rc.own.features ?? [])) {
    if (!f.builtin)
      r.report(
        'note',
        'PHX115',
        ['lxc_configs', rc.ctid, 'features', f.index - 1],
        `feature ${JSON.stringify(f.name)} has no built-in script: create.sh runs the existing ${f.file} from ${scriptsDir(doc)}`,
      );
  }
}

/** An application script other than the vLLM one runs as the user wrote it: say so. */
function userApplicationScript(doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  const script = rc.effective.application_script;
  if (script !== undefined && script !== VLLM_APP_SCRIPT)
    r.report('note', 'PHX116', ['lxc_configs', rc.ctid, 'application_script'], `create.sh runs the existing ${script} from ${scriptsDir(doc)}`);
}

/** The nvidia feature installs the host's driver version inside the container, from the top-level sources. */
function nvidiaDriverSource(doc: PhoenixLxcConfigs, rc: ResolvedContainer, r: Reporter): void {
  if (!(rc.own.features ?? []).includes('nvidia')) return;
  const missing = (['nvidia_driver_version', 'nvidia_runfile_url', 'nvidia_repo_url'] as const).filter((k) => doc[k] === undefined);
  if (missing.length) r.report('error', 'PHX114', ['lxc_configs', rc.ctid, 'features'], `the nvidia feature needs the top-level ${missing.join(', ')}`);
}
