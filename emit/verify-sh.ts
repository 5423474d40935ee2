/**
 * out/<ctid>/verify.sh (vLLM CTIDs): the plan's section 6 as checks that print PASS or FAIL with
 * reasons; `--json`, `--timeout`.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { ctidPrelude, script } from './script';

export const emitVerifySh: ContainerEmitter = (c, fleet) => {
  const v = c.vllm;
  if (!v) return [];
  const prelude = ctidPrelude(
    fleet,
    c,
    `verify.sh: checks that CTID ${c.ctid} serves ${v.servedModelName} as configured (the plan's section 6).`,
    [
      'Versions in the venv and the nvcc FlashInfer compiles its kernels with; the unit active',
      "(vLLM answers on /health), enabled and byte-identical to out/; vLLM's own log lines: the V1",
      'engine (not a fallback to V0), the attention backend, the sampler, the FP8 KV cache and FP8',
      'weights; /v1/models; one small request; the checks the config declares. Each check prints',
      'PASS or FAIL with the reason. --timeout bounds each request; --wait waits that long for a',
      'unit that is still starting.',
    ],
    {
      usage: 'verify.sh [--json] [--timeout SECONDS] [--wait SECONDS]',
      exits: [
        [0, 'every check passed'],
        [1, 'a check failed'],
        [2, 'usage error'],
      ],
      clock: true,
      numbers: true,
    },
  );
  const content = templates.verify_sh({ prelude, v, scriptsDir: c.host.scriptsDir, checks: c.host.checks }, bashWord);
  return [script('verify.sh', `${c.ctid}/verify.sh`, content)];
};
