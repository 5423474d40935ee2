/** out/phoenix: the fleet dispatcher (`phoenix create 921`, deploy, verify, benchmark, list). */
import type { FleetEmitter } from './artifact';
import { bashWord } from '../encode/bash';
import { scriptPrelude } from './bash-prelude';
import * as templates from './generated/templates';

export const emitPhoenix: FleetEmitter = (fleet) => {
  if (fleet.containers.length === 0) return [];
  const rows = fleet.containers.map((c) => ({
    ctid: c.ctid,
    name: c.name,
    runs: c.vllm ? `vLLM ${c.vllm.servedModelName} on port ${c.vllm.port}` : c.host.app.kind === 'script' ? c.host.app.script : '-',
  }));
  const prelude = scriptPrelude(fleet, undefined, {
    help: true,
    title: 'phoenix: runs the generated per-CTID scripts on the Proxmox host.',
    does: ['phoenix create CTID | deploy CTID | verify CTID | benchmark CTID | list'],
    usage: 'phoenix COMMAND [CTID] [ARGS...]',
    exits: [
      [0, 'the command succeeded'],
      [1, 'the command failed'],
      [2, 'usage error or unknown CTID'],
    ],
  });
  return [{ kind: 'phoenix dispatcher', path: 'phoenix', mode: 0o755, content: templates.phoenix({ prelude, rows }, bashWord) }];
};
