/**
 * A CTID's feature steps and the user's scripts folder: derived once, read by the host checks
 * (notes about features without a built-in script) and by the host planner.
 */
import { DEFAULTS } from '../generated/defaults';
import type { PhoenixLxcConfigs } from '../generated/config-types';
import type { FeatureStep } from './model';

/** Features with a script of our own under out/<ctid>/features/. */
export const BUILTIN_FEATURES = ['base_setup', 'nvidia', 'vllm'] as const;

/** The CTID's own features in order: built-in ones get a script under features/, others run the user's installer. */
export function featureSteps(names: readonly string[]): FeatureStep[] {
  return names.map((name, i) => {
    const index = i + 1;
    const builtin = (BUILTIN_FEATURES as readonly string[]).includes(name);
    return { index, name, builtin, file: builtin ? `features/${String(index).padStart(2, '0')}-${name}.sh` : `phoenix_hypervisor_feature_install_${name}.sh` };
  });
}

/** The host folder with the user's own Phoenix scripts. */
export function scriptsDir(doc: PhoenixLxcConfigs): string {
  return doc.phoenix_scripts_dir ?? DEFAULTS.root.phoenix_scripts_dir;
}
