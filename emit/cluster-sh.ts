/**
 * out/cluster.sh (only for a cluster: top-level `nodes`): the host-side helper that finds where a
 * CTID lives (pvesh), checks it is where the config says, and runs commands and scripts on its
 * node over the cluster's ssh trust. Sourced by out/phoenix and by each create.sh.
 */
import type { FleetEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import { hashHeader } from './header';
import * as templates from './generated/templates';

export const emitClusterSh: FleetEmitter = (fleet) => {
  if (!fleet.cluster || fleet.containers.length === 0) return [];
  const nodes = fleet.cluster.nodes.map((n) => ({ name: n.name, address: n.address ?? '' }));
  const ctids = fleet.containers.filter((c) => c.node !== undefined).map((c) => ({ ctid: c.ctid, node: c.node! }));
  const content = templates.cluster_sh({ header: hashHeader(fleet, undefined), nodes, ctids }, bashWord);
  return [{ kind: 'cluster helper', path: 'cluster.sh', mode: 0o644, content }];
};

/**
 * The lines create.sh runs first in a cluster: it refuses to run on another node than its CTID's
 * (pct there would create the container on the wrong node) or when the CTID lives elsewhere.
 */
export function createShClusterGuard(node: string): string {
  return [
    `# Cluster: CTID lives on node ${node} (the config's "node"); pct only reaches this node's guests.`,
    '# shellcheck source=/dev/null # ../cluster.sh, checked on its own',
    '. "$HERE/../cluster.sh"',
    'need_tools pvesh perl',
    `cluster_require_here "$CTID" ${bashWord(node)}`,
    '',
  ].join('\n');
}
