/**
 * out/<ctid>/create.sh: the whole "create CTID" run on the Proxmox host. `<%= %>` in its template
 * is the one bash encoder (bashWord): every config value becomes exactly one bash word.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { createShClusterGuard } from './cluster-sh';
import { ctidPrelude, script } from './script';

export const emitCreateSh: ContainerEmitter = (c, fleet) => {
  const h = c.host;
  const runsSiblings = h.features.some((f) => f.builtin) || h.app.kind === 'vllm';
  const prelude = ctidPrelude(
    fleet,
    c,
    `create.sh: creates CTID ${c.ctid} (${c.name}) on the Proxmox host; safe to run again.`,
    [
      `1. checks pct, pvesm${c.vllm?.secrets.names.length ? ", the storage pool and the host's secrets files (deploy.sh --check-secrets)" : ' and the storage pool'}${
        h.dependencies.length ? `, that ${h.dependencies.map((d) => d.id).join(', ')} run${h.dependencies.length > 1 ? '' : 's'}` : ''
      }${h.mounts.some((m) => m.kind === 'shared') ? ', and the shared volumes it mounts' : ''};`,
      h.define.mode !== 'clone'
        ? '2. creates it from its template, unless it exists;'
        : !h.define.across
          ? `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot}, unless it exists;`
          : h.define.across.via === 'target'
            ? `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot} on node ${h.define.across.sourceNode} to this node, unless it exists;`
            : `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot} on node ${h.define.across.sourceNode}, then migrates it here, unless it exists;`,
      '3. applies its settings (pct set), GPU passthrough, mount points and the LXC lines its current',
      '   configuration lacks (never a snapshot section or the pending changes);',
      '4. starts it (bounded retries);',
      '5. runs its feature scripts in order;',
      h.app.kind === 'vllm' ? '6. deploys the vLLM unit (deploy.sh) and verifies it (verify.sh);' : '6. runs its application step;',
      ...(h.snapshot ? [`7. takes the template snapshot ${h.snapshot} when missing.`] : []),
      '',
      '--dry-run reads the host (pct status, pct config, the configuration file) and prints every',
      'command that would change it ("would run: ..."), running none; it stops where a run would.',
    ],
    {
      usage: 'create.sh [--dry-run] [--help]',
      exits: [
        [0, 'done (or nothing to do)'],
        [1, 'a step failed, or a dependency or shared volume is missing; the log line before says which'],
        [2, 'unknown argument'],
      ],
      here: runsSiblings || c.node !== undefined,
    },
  );
  // In a cluster: the node guard, after the arguments are read (so --help needs no cluster).
  const guard = c.node !== undefined ? createShClusterGuard(c.node) : '';
  return [
    script(
      'create.sh',
      `${c.ctid}/create.sh`,
      templates.create_sh({ prelude, guard, host: h, checkSecrets: (c.vllm?.secrets.names.length ?? 0) > 0 }, bashWord),
    ),
  ];
};
