/**
 * out/<ctid>/benchmark.sh (vLLM CTIDs): output tokens per second with the FlashInfer sampler on
 * and off, measured by vLLM's own client (vllm bench serve) in alternating rounds, each after a
 * restart; medians and spread; restores the state it found.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { ctidPrelude, script } from './script';

export const emitBenchmarkSh: ContainerEmitter = (c, fleet) => {
  const v = c.vllm;
  if (!v?.benchmark) return [];
  const prelude = ctidPrelude(
    fleet,
    c,
    `benchmark.sh: output tokens per second of CTID ${c.ctid} with the FlashInfer sampler on and off.`,
    [
      'Rounds alternate sampler on and off; each restarts the service through deploy.sh (which waits',
      "until vLLM answers), sends an untimed warm-up, then a timed run of vLLM's own client (vllm",
      'bench serve, from the venv inside the container: random prompts, many requests in flight,',
      'every request sampling with temperature, top_p and top_k). Prints each round, the median and',
      "spread per state, their ratio against the plan's expectation and a JSON line; --result-dir",
      "keeps the client's result files. The sampler state found at the start is restored on exit.",
    ],
    {
      usage: 'benchmark.sh [--rounds N] [--num-prompts N] [--max-concurrency N] [--warmup-prompts N] [--timeout SECONDS] [--result-dir DIR]',
      exits: [
        [0, 'every round measured'],
        [1, 'a round failed (a restart, the client, or a request)'],
        [2, 'usage error'],
      ],
      numbers: true,
    },
  );
  const content = templates.benchmark_sh({ prelude, v, b: v.benchmark }, bashWord);
  return [script('benchmark.sh', `${c.ctid}/benchmark.sh`, content)];
};
