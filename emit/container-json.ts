/** out/<ctid>/container.json: the CTID's effective configuration after clone inheritance. */
import type { ContainerEmitter } from './artifact';
import { jsonText } from './artifact';
import { jsonComment } from './header';

export const emitContainerJson: ContainerEmitter = (c, fleet) => [
  {
    kind: 'container.json',
    path: `${c.ctid}/container.json`,
    mode: 0o644,
    content: jsonText({ $comment: jsonComment(fleet, c.ctid), ctid: c.ctid, clone_chain: c.chain, config: c.effective }),
  },
];
