/**
 * out/<ctid>/vllm_model_server.service and the sampler-off drop-in
 * out/<ctid>/vllm_model_server.service.d/50-sampler-off.conf. Every value goes through the systemd
 * encoders (encode/systemd.ts); `<%= %>` in the templates means unitText.
 */
import type { ContainerEmitter } from './artifact';
import { envAssignment, envName, execLine, unitPath, unitText } from '../encode/systemd';
import * as templates from './generated/templates';
import { hashHeader } from './header';

const enc = { path: unitPath, env: envAssignment, name: envName, exec: execLine };

export const emitVllmUnit: ContainerEmitter = (c, fleet) => {
  const v = c.vllm;
  if (!v) return [];
  const header = hashHeader(fleet, c.ctid);
  const unit = templates.vllm_model_server_service(
    {
      header,
      enc,
      ctid: c.ctid,
      servedModelName: v.servedModelName,
      description: v.service.description,
      workingDirectory: v.service.workingDirectory,
      env: v.service.env,
      environmentFile: v.service.environmentFile ?? '',
      secretNames: v.secrets.names,
      unset: v.service.unset,
      argv: v.argv,
      readiness: v.service.readiness,
      restartSec: v.service.restartSec,
      startTimeoutSec: v.service.startTimeoutSec,
    },
    unitText,
  );
  const dropin = templates._50_sampler_off_conf({ header, enc }, unitText);
  return [
    { kind: 'vllm_model_server.service', path: `${c.ctid}/${v.service.unitName}`, mode: 0o644, content: unit },
    { kind: 'sampler-off drop-in', path: `${c.ctid}/${v.service.samplerOffDropIn}`, mode: 0o644, content: dropin },
  ];
};
