/**
 * out/<ctid>/create.sh: the whole "create CTID" run on the Proxmox host. `<%= %>` in its template
 * is the one bash encoder (bashWord): every config value becomes exactly one bash word.
 */
import type { ContainerEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import * as templates from './generated/templates';
import { createShClusterGuard } from './cluster-sh';
import { ctidPrelude, EXITS_STEP, script } from './script';

export const emitCreateSh: ContainerEmitter = (c, fleet) => {
  const h = c.host;
  const runsSiblings = h.features.some((f) => f.builtin) || h.app.kind === 'vllm';
  const prelude = ctidPrelude(
    fleet,
    c,
    `create.sh: creates CTID ${c.ctid} (${c.name}) on the Proxmox host; safe to run again.`,
    [
      '1. checks pct, pvesm and the storage pool;',
      h.define.mode !== 'clone'
        ? '2. creates it from its template, unless it exists;'
        : !h.define.across
          ? `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot}, unless it exists;`
          : h.define.across.via === 'target'
            ? `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot} on node ${h.define.across.sourceNode} to this node, unless it exists;`
            : `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot} on node ${h.define.across.sourceNode}, then migrates it here, unless it exists;`,
      '3. applies its settings (pct set), GPU passthrough, volumes and LXC lines (only when absent);',
      '4. starts it (bounded retries);',
      '5. runs its feature scripts in order;',
      h.app.kind === 'vllm' ? '6. deploys the vLLM unit (deploy.sh) and verifies it (verify.sh);' : '6. runs its application step;',
      ...(h.snapshot ? [`7. takes the template snapshot ${h.snapshot} when missing.`] : []),
    ],
    undefined,
    EXITS_STEP,
    runsSiblings || c.node !== undefined,
  );
  const guard = c.node !== undefined ? createShClusterGuard(c.node) : '';
  return [script('create.sh', `${c.ctid}/create.sh`, templates.create_sh({ prelude: prelude + guard, host: h }, bashWord))];
};
