/** out/phoenix: the fleet dispatcher (`phoenix create 921`, deploy, verify, benchmark, list). */
import type { FleetEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import { scriptPrelude } from './bash-prelude';
import * as templates from './generated/templates';

export const emitPhoenix: FleetEmitter = (fleet) => {
  if (fleet.containers.length === 0) return [];
  const cluster = fleet.cluster !== undefined;
  const byId = new Map(fleet.containers.map((c) => [c.ctid, c]));
  // In create order: each CTID after its clone source, its dependencies and the owner of a volume it shares.
  const rows = fleet.createOrder.map((id) => {
    const c = byId.get(id)!;
    const needs = [
      ...c.needs.map((n) =>
        n.why === 'clone source' ? `clone of ${n.ctid}` : n.why === 'dependency' ? `${n.ctid} running` : `volume ${n.volume} of ${n.ctid}`,
      ),
      ...c.host.dependencies.filter((d) => d.kind === 'guest').map((d) => `${d.id} running`),
    ];
    return {
      ctid: c.ctid,
      name: c.name,
      node: c.node ?? '',
      runs: c.vllm ? `vLLM ${c.vllm.servedModelName} on port ${c.vllm.port}` : c.host.app.kind === 'script' ? c.host.app.script : '-',
      needs: needs.join(', ') || '-',
    };
  });
  const prelude = scriptPrelude(fleet, undefined, {
    help: true,
    title: 'phoenix: runs the generated per-CTID scripts on the Proxmox host.',
    does: [
      'phoenix create CTID | deploy CTID | verify CTID | benchmark CTID | list',
      'list: the CTIDs in the order to create them, with what each needs first',
      ...(cluster
        ? [
            "Cluster: runs from any node; each CTID's script runs on the node the config gives it",
            "(here, or there over the cluster's ssh trust, its output streamed), after pvesh has",
            'shown that the CTID lives on that node.',
          ]
        : []),
    ],
    usage: 'phoenix COMMAND [CTID] [ARGS...]',
    exits: [
      [0, 'the command succeeded'],
      [1, 'the command failed'],
      [2, 'usage error or unknown CTID'],
      ...(cluster ? [[3, 'the CTID lives on another node than the config says, or its node cannot be reached'] as [number, string]] : []),
    ],
    tools: cluster,
  });
  return [{ kind: 'phoenix dispatcher', path: 'phoenix', mode: 0o755, content: templates.phoenix({ prelude, rows, cluster }, bashWord) }];
};
