/**
 * out/<ctid>/deploy.sh (vLLM CTIDs): the plan's phase 3. Pushes the unit, reloads, enables,
 * starts and waits; `--dry-run`, `--sampler-off`, `--sampler-on`.
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
      'Pushes the generated unit (mode 0644), reloads systemd, enables and starts it, and waits',
      ...(c.host.ip
        ? ["(at most the unit's start timeout) until vLLM answers on its port; a unit whose bytes are", 'already in the container is not restarted.']
        : ['until it is active; a unit whose bytes are already in the container is not restarted.']),
      '--dry-run changes nothing and shows the diff against the unit in the container.',
      "--sampler-off installs the sampler-off drop-in (the plan's fallback); --sampler-on removes it.",
      ...(v.secrets.names.length
        ? [
            `Secrets (${v.secrets.names.join(', ')}): read from the host's ${v.secrets.hostDir}/${v.secrets.hostFiles[0]}, else`,
            `${v.secrets.hostFiles[1]} there (PHOENIX_SECRETS_DIR overrides the folder), pushed to ${v.secrets.containerFile}`,
            '(mode 0600, root) only when changed; --check-secrets only checks them on the host.',
          ]
        : []),
    ],
    'deploy.sh [--dry-run] [--sampler-off | --sampler-on] [--check-secrets]',
    [
      [0, 'the service is active (--dry-run: nothing changed; --check-secrets: every secret is on the host)'],
      [1, 'a step failed, a secret is missing on the host, or the service did not become active (journal shown)'],
      [2, 'usage error'],
    ],
  );
  // Model download and loading: as long as the unit's own start timeout.
  const content = templates.deploy_sh(
    { prelude, service: v.service, secrets: v.secrets, waitSeconds: v.service.startTimeoutSec, ip: c.host.ip ?? '', port: v.port },
    bashWord,
  );
  return [script('deploy.sh', `${c.ctid}/deploy.sh`, content)];
};
