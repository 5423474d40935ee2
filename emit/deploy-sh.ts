/**
 * out/<ctid>/deploy.sh (vLLM CTIDs): the plan's phase 3. Pushes the unit (and the secrets file),
 * reloads, enables, starts and waits until vLLM answers; `--dry-run`, `--sampler-off`,
 * `--sampler-on`, `--restart`, `--timeout`, `--check-secrets`.
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
      `the clock, at most ${v.service.deployWaitSec} s: the unit's TimeoutStartSec=${v.service.startTimeoutSec} and a margin) until it is`,
      'active: its readiness check (ExecStartPost=) makes that mean vLLM answers on /health.',
      ...(v.api.probeFrom === 'host'
        ? ['A unit whose bytes are already in the container is not restarted. Then asks /health from the', "host, at the CTID's address."]
        : ['A unit whose bytes are already in the container is not restarted.']),
      '--dry-run changes nothing and shows the diff against the unit in the container.',
      "--sampler-off installs the sampler-off drop-in (the plan's fallback); --sampler-on removes it.",
      '--restart restarts even when nothing changed; --timeout SECONDS overrides the wait.',
      ...(v.secrets.names.length
        ? [
            `Secrets (${v.secrets.names.join(', ')}): read from the host's ${v.secrets.hostDir}/${v.secrets.hostFiles[0]}, else`,
            `${v.secrets.hostFiles[1]} there (PHOENIX_SECRETS_DIR overrides the folder), pushed to ${v.secrets.containerFile}`,
            '(mode 0600, root) only when changed; --check-secrets only checks them on the host.',
          ]
        : []),
    ],
    {
      usage: 'deploy.sh [--dry-run] [--sampler-off | --sampler-on] [--restart] [--timeout SECONDS] [--check-secrets]',
      exits: [
        [0, 'the service is active and vLLM answers (--dry-run: nothing changed; --check-secrets: every secret is on the host)'],
        [1, 'a step failed, a secret is missing on the host, or the service did not become active (journal shown)'],
        [2, 'usage error'],
      ],
      clock: true,
      numbers: true,
    },
  );
  const content = templates.deploy_sh({ prelude, service: v.service, secrets: v.secrets, api: v.api, waitSeconds: v.service.deployWaitSec }, bashWord);
  return [script('deploy.sh', `${c.ctid}/deploy.sh`, content)];
};
