/**
 * out/<ctid>/features/NN-<feature>.sh for the built-in features (base_setup, nvidia, vllm): each
 * runs on the host and acts inside the container through pct exec.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { ctidPrelude, script } from './script';

const DOES: Record<string, string[]> = {
  vllm: [
    "installs the plan's stack in a venv inside the container (phase 2): build prerequisites,",
    'PyTorch (the versions the pinned vLLM requires, or the nightly), FlashInfer at a pinned tag',
    '(JIT mode: needs nvcc), vLLM from pip; then checks the versions. Every step names exact',
    'versions, so a re-run whose versions are in place downloads and builds nothing.',
  ],
  nvidia: [
    'installs the NVIDIA driver userspace (no kernel module) and the CUDA toolkit inside the',
    'container, then checks that nvidia-smi answers with the host driver version.',
  ],
  base_setup: ['installs the minimal base packages inside the container.'],
};

export const emitFeatureScripts: ContainerEmitter = (c, fleet) => {
  const out = [];
  for (const f of c.host.features) {
    if (!f.builtin) continue;
    const prelude = ctidPrelude(fleet, c, `${f.file}: feature ${f.name} for CTID ${c.ctid}. Runs on the host; safe to run again.`, DOES[f.name], {
      here: false,
    });
    let content: string;
    if (f.name === 'vllm') {
      content = templates.features_vllm_sh({ prelude, i: c.vllmInstall! }, bashWord);
    } else if (f.name === 'nvidia') content = templates.features_nvidia_sh({ prelude, n: c.host.nvidia }, bashWord);
    else content = templates.features_base_setup_sh({ prelude }, bashWord);
    out.push(script('feature script', `${c.ctid}/${f.file}`, content));
  }
  return out;
};
