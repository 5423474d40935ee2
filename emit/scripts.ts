/**
 * The generated bash: out/<ctid>/create.sh, features/NN-<name>.sh, deploy.sh, verify.sh,
 * benchmark.sh, and the fleet dispatcher out/phoenix. `<%= %>` in these templates is the one bash
 * encoder (bashWord): every config value becomes exactly one bash word.
 */
import type { ContainerPlan } from '../compiler/plan';
import type { Artifact, ContainerEmitter, FleetEmitter } from './artifact';
import { scriptPrelude } from './bash-prelude';
import { bashWord } from './encode/bash';
import * as templates from './generated/templates';

const EXITS_STEP: [number, string][] = [
  [0, 'done (or nothing to do)'],
  [1, 'a step failed; the log line before says which'],
];

function script(kind: Artifact['kind'], path: string, content: string): Artifact {
  return { kind, path, mode: 0o755, content };
}

/**
 * The key vLLM's server requires on /v1 (its --api-key, else VLLM_API_KEY in the unit), or ''.
 * verify.sh and benchmark.sh send it as a bearer token; it is already in the unit and argv.
 */
function apiKey(v: NonNullable<ContainerPlan['vllm']>): string {
  const s = v.settings.find((x) => x.dest === 'api_key')?.value;
  const key = Array.isArray(s) ? s[0] : s;
  if (typeof key === 'string' && key !== '') return key;
  return v.service.env.find((e) => e.name === 'VLLM_API_KEY')?.value ?? '';
}

export const emitScripts: ContainerEmitter = (c, fleet) => {
  const h = c.host;
  const out: Artifact[] = [];
  const createUsesHere = h.features.some((f) => f.builtin) || h.app.kind === 'vllm';
  const prelude = (title: string, does: string[], usage?: string, exits: [number, string][] = EXITS_STEP, here = true) =>
    scriptPrelude(fleet, c.ctid, { title, does, exits, here, ...(usage ? { usage } : {}) });

  out.push(
    script(
      'create.sh',
      `${c.ctid}/create.sh`,
      templates.create_sh(
        {
          prelude: prelude(`create.sh: creates CTID ${c.ctid} (${c.name}) on the Proxmox host; safe to run again.`, [
            '1. checks pct, pvesm and the storage pool;',
            h.define.mode === 'clone' ? `2. clones it from CTID ${h.define.source} at snapshot ${h.define.snapshot}, unless it exists;` : '2. creates it from its template, unless it exists;',
            '3. applies its settings (pct set), GPU passthrough, volumes and LXC lines (only when absent);',
            '4. starts it (bounded retries);',
            '5. runs its feature scripts in order;',
            h.app.kind === 'vllm' ? '6. deploys the vLLM unit (deploy.sh) and verifies it (verify.sh);' : '6. runs its application step;',
            ...(h.snapshot ? [`7. takes the template snapshot ${h.snapshot} when missing.`] : []),
          ], undefined, EXITS_STEP, createUsesHere),
          host: h,
          storage: h.define.mode === 'create' ? h.define.storage : (c.effective.storage_pool ?? ''),
        },
        bashWord,
      ),
    ),
  );

  for (const f of h.features) {
    if (!f.builtin) continue;
    const does: Record<string, string[]> = {
      vllm: ['installs the plan\'s stack in a venv inside the container (phase 2): PyTorch from the', 'configured index, FlashInfer at a pinned tag, vLLM from pip; then checks the versions.'],
      nvidia: ['installs the NVIDIA driver userspace (no kernel module) and the CUDA toolkit inside the', 'container, then checks that nvidia-smi answers with the host driver version.'],
      base_setup: ['installs the minimal base packages inside the container.'],
    };
    const tpl = f.name === 'vllm' ? templates.feature_vllm_sh : f.name === 'nvidia' ? templates.feature_nvidia_sh : templates.feature_base_setup_sh;
    const install = c.vllm?.install;
    if (f.name === 'vllm' && !install) continue;
    out.push(
      script(
        'feature script',
        `${c.ctid}/${f.file}`,
        tpl({ prelude: prelude(`${f.file}: feature ${f.name} for CTID ${c.ctid}. Runs on the host; safe to run again.`, does[f.name], undefined, EXITS_STEP, false), i: install, n: h.nvidia }, bashWord),
      ),
    );
  }

  const v = c.vllm;
  if (v) {
    out.push(
      script(
        'deploy.sh',
        `${c.ctid}/deploy.sh`,
        templates.deploy_sh(
          {
            prelude: prelude(
              `deploy.sh: installs and starts vllm_model_server.service in CTID ${c.ctid} (the plan's phase 3).`,
              [
                'Pushes the generated unit (mode 0644), reloads systemd, enables and starts it, and waits',
                ...(h.ip
                  ? ['(at most the unit\'s start timeout) until vLLM answers on its port; a unit whose bytes are', 'already in the container is not restarted.']
                  : ['until it is active; a unit whose bytes are already in the container is not restarted.']),
                '--dry-run changes nothing and shows the diff against the unit in the container.',
                '--sampler-off installs the sampler-off drop-in (the plan\'s fallback); --sampler-on removes it.',
              ],
              'deploy.sh [--dry-run] [--sampler-off | --sampler-on]',
              [
                [0, 'the service is active (or, with --dry-run, nothing was changed)'],
                [1, 'a step failed or the service did not become active (the journal is shown)'],
                [2, 'usage error'],
              ],
            ),
            // Model download and loading: as long as the unit's own start timeout.
            waitSeconds: v.service.startTimeoutSec,
            ip: h.ip ?? '',
            port: v.port,
          },
          bashWord,
        ),
      ),
    );
    out.push(
      script(
        'verify.sh',
        `${c.ctid}/verify.sh`,
        templates.verify_sh(
          {
            prelude: prelude(
              `verify.sh: checks that CTID ${c.ctid} serves ${v.servedModelName} as configured (the plan's section 6).`,
              [
                'Versions in the venv; the unit active, enabled and byte-identical to out/; vLLM\'s own log lines',
                'for the sampler, the FP8 KV cache and FP8 weights; /v1/models; one small request; the checks',
                'the config declares. Each check prints PASS or FAIL with the reason.',
              ],
              'verify.sh [--json] [--timeout SECONDS]',
              [
                [0, 'every check passed'],
                [1, 'a check failed'],
                [2, 'usage error'],
              ],
            ),
            v,
            ip: h.ip ?? '',
            apiKey: apiKey(v),
            scriptsDir: h.scriptsDir,
            checks: h.checks,
            kvFp8: (v.kvCacheDtype ?? '').startsWith('fp8'),
            quantFp8: v.quantization === 'fp8',
            embedding: c.effective.vllm_model_type === 'embedding' || v.settings.some((s) => s.dest === 'runner' && s.value === 'pooling'),
          },
          bashWord,
        ),
      ),
    );
    out.push(
      script(
        'benchmark.sh',
        `${c.ctid}/benchmark.sh`,
        templates.benchmark_sh(
          {
            prelude: prelude(
              `benchmark.sh: tokens per second of CTID ${c.ctid} with the FlashInfer sampler on and off.`,
              [
                'Switches the sampler through deploy.sh (the sampler-off drop-in and a restart), waits for the',
                'API, sends the fixed request set, and prints both figures, their ratio against the plan\'s',
                'expectation and a JSON line. The sampler state found at the start is restored on exit.',
              ],
              'benchmark.sh [--requests N] [--max-tokens N] [--timeout SECONDS]',
              [
                [0, 'both runs measured'],
                [1, 'a run failed'],
                [2, 'usage error'],
              ],
            ),
            v,
            ip: h.ip ?? '',
            apiKey: apiKey(v),
            b: v.benchmark,
          },
          bashWord,
        ),
      ),
    );
  }
  return out;
};

export const emitDispatcher: FleetEmitter = (fleet) => {
  if (fleet.containers.length === 0) return [];
  const rows = fleet.containers.map((c) => ({
    ctid: c.ctid,
    name: c.name,
    runs: c.vllm ? `vLLM ${c.vllm.servedModelName} on port ${c.vllm.port}` : c.host.app.kind === 'script' ? c.host.app.script : '-',
  }));
  const content = templates.phoenix(
    {
      prelude: scriptPrelude(fleet, undefined, {
        title: 'phoenix: runs the generated per-CTID scripts on the Proxmox host.',
        does: ['phoenix create CTID | deploy CTID | verify CTID | benchmark CTID | list'],
        usage: 'phoenix COMMAND [CTID] [ARGS...]',
        exits: [
          [0, 'the command succeeded'],
          [1, 'the command failed'],
          [2, 'usage error or unknown CTID'],
        ],
      }),
      rows,
    },
    bashWord,
  );
  return [{ kind: 'phoenix dispatcher', path: 'phoenix', mode: 0o755, content }];
};
