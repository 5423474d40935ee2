/**
 * out/<ctid>/benchmark.sh (vLLM CTIDs): tokens per second with the FlashInfer sampler on and off,
 * restoring the state it found.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { ctidPrelude, script } from './script';

export const emitBenchmarkSh: ContainerEmitter = (c, fleet) => {
  const v = c.vllm;
  if (!v) return [];
  const prelude = ctidPrelude(
    fleet,
    c,
    `benchmark.sh: tokens per second of CTID ${c.ctid} with the FlashInfer sampler on and off.`,
    [
      'Switches the sampler through deploy.sh (the sampler-off drop-in and a restart), waits for the',
      "API, sends the fixed request set, and prints both figures, their ratio against the plan's",
      'expectation and a JSON line. The sampler state found at the start is restored on exit.',
    ],
    'benchmark.sh [--requests N] [--max-tokens N] [--timeout SECONDS]',
    [
      [0, 'both runs measured'],
      [1, 'a run failed'],
      [2, 'usage error'],
    ],
  );
  const content = templates.benchmark_sh({ prelude, v, ip: c.host.ip ?? '', b: v.benchmark }, bashWord);
  return [script('benchmark.sh', `${c.ctid}/benchmark.sh`, content)];
};
