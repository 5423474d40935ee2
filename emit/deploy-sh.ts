/**
 * out/<ctid>/deploy.sh (vLLM CTIDs): the plan's phase 3. Pushes the unit, reloads, enables,
 * starts and waits until vLLM answers; `--dry-run`, `--sampler-off`, `--sampler-on`, `--restart`,
 * `--timeout`.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { ctidPrelude, script } from './script';

export const emitDeploySh: ContainerEmitter = (c, fleet) => {
  const v = c.vllm;
  if (!v) return [];
  const prelude = ctidPrelude(
    fleet,
    c,
    `deploy.sh: installs and starts ${v.service.unitName} in CTID ${c.ctid} (the plan's phase 3).`,
    [
      'Pushes the generated unit (mode 0644), reloads systemd, enables and starts it, and waits (by',
      "the clock, at most the unit's start timeout) until it is active: its readiness check",
      '(ExecStartPost=) makes that mean vLLM answers on /health. A unit whose bytes are already in',
      ...(v.api.probeFrom === 'host'
        ? ["the container is not restarted. Then asks /health from the host, at the CTID's address."]
        : ['the container is not restarted.']),
      '--dry-run changes nothing and shows the diff against the unit in the container.',
      "--sampler-off installs the sampler-off drop-in (the plan's fallback); --sampler-on removes it.",
      '--restart restarts even when nothing changed; --timeout SECONDS overrides the wait.',
    ],
    'deploy.sh [--dry-run] [--sampler-off | --sampler-on] [--restart] [--timeout SECONDS]',
    [
      [0, 'the service is active and vLLM answers (or, with --dry-run, nothing was changed)'],
      [1, 'a step failed or the service did not become active (the journal is shown)'],
      [2, 'usage error'],
    ],
  );
  const content = templates.deploy_sh({ prelude, service: v.service, api: v.api, waitSeconds: v.service.deployWaitSec }, bashWord);
  return [script('deploy.sh', `${c.ctid}/deploy.sh`, content)];
};
