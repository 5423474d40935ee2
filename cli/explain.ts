/**
 * `phoenix-compile explain CTID`: the effective configuration of one CTID with the origin of every
 * value (own, inherited from CTID N, default), its vLLM arguments and where vLLM files each, the
 * argv, the unit's environment, the artifacts it produces, and the compile's notes for it.
 */
import path = require('path');
import { compile, CompileOutput } from '../compiler/compile';
import { formatDiagnostic } from '../compiler/diagnostics';
import { DEFAULTS } from '../compiler/generated/defaults';
import type { GpuUse } from '../compiler/plan/gpus';
import type { ContainerPlan } from '../compiler/plan/model';
import { sortCtids } from '../compiler/resolve';
import type { Origin } from '../compiler/resolve';
import { displayPath, PathSeg } from '../compiler/util/jsonpath';
import { redactTokens } from '../compiler/vllm/secrets';
import { COMMON_OPTIONS, parseCommand, UsageError } from './args';
import { compilerInfo, Io, readConfig, shown, sourceNames } from './context';
import { fromDiagnostic, report, TEXT } from './report';

export const HELP = `Usage: phoenix-compile explain CTID [--config PATH] [--out DIR]

Prints CTID's effective configuration with the origin of every value (own, inherited from CTID
N, default), each vLLM argument with its flag and vLLM group, the argv, the unit's environment,
install pins, GPUs, the artifacts it produces, and its notes and problems (also for a CTID with
errors). Writes nothing.

Options:
  --config PATH     the config (default: ./phoenix_lxc_configs.json; inside the phoenix-compile
                    repository, the bundled example)
  --out DIR         the output folder the artifact paths are shown in (default: out)
  -h, --help        this text

Exit codes: 0 the CTID compiles, 1 it has errors (they are listed) or usage error.
`;

const OPTIONS = { ...COMMON_OPTIONS, config: { type: 'string' }, out: { type: 'string' } } as const;

export function main(argv: string[], io: Io): number {
  const { values, positionals } = parseCommand(argv, OPTIONS, { max: 1 });
  if (values.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  const ctid = positionals[0];
  if (ctid === undefined) throw new UsageError('explain needs a CTID');
  if (!/^[0-9]+$/.test(ctid)) throw new UsageError(`explain takes a CTID (digits), not ${JSON.stringify(ctid)}`);
  const o = { ...(values.config !== undefined ? { config: values.config } : {}), out: values.out ?? 'out' };
  const input = readConfig(o, io);
  if (!input) return 1;
  const outDir = path.resolve(io.cwd, o.out);
  const result = compile({ ...input, source: sourceNames(input.path, outDir), compiler: compilerInfo(), only: [ctid] });
  if (result.diagnostics.some((d) => d.code === 'PHX090')) {
    const known = sortCtids(result.resolved?.keys() ?? []);
    const list = known.length > 12 ? `${known.slice(0, 12).join(', ')}, ...` : known.join(', ');
    io.err(`phoenix-compile explain: CTID ${ctid} is not in lxc_configs of ${input.file}${known.length ? ` (it has ${list})` : ''}`);
    return 1;
  }
  if (!result.resolved?.has(ctid)) {
    report(io, TEXT, result.diagnostics.map(fromDiagnostic), `cannot explain CTID ${ctid}: these errors keep its effective configuration from being computed`);
    return 1;
  }
  // The GPU budget of the CTID's node counts every CTID of the node: the compile planned the whole
  // fleet when every CTID compiles (fleetFiles), and no budget is shown otherwise.
  const budget = result.plan?.cluster && result.fleetFiles ? result.plan.gpuBudget : undefined;
  io.out(explainText(result, ctid, shown(io, outDir), budget));
  return result.ok ? 0 : 1;
}

function originText(o: Origin | undefined): string {
  if (!o) return 'default';
  return o.kind === 'own' ? 'own' : o.kind === 'inherited' ? `inherited from CTID ${o.from}` : 'default';
}

function flatten(prefix: string, v: unknown, out: [string, unknown][]): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && prefix !== 'vllm_engine_config' && !prefix.startsWith('vllm_engine_config.')) {
    for (const k of Object.keys(v).sort()) flatten(prefix ? `${prefix}.${k}` : k, (v as Record<string, unknown>)[k], out);
  } else out.push([prefix, v]);
}

/**
 * The effective configuration with every secret the compile found written in it (PHX040, at this
 * CTID or the ancestor it comes from) shown as <secret: not shown>, and token-shaped text cut.
 */
function withoutSecrets(result: CompileOutput, chain: string[], effective: Record<string, unknown>): Record<string, unknown> {
  const secret = new Set(result.diagnostics.filter((d) => d.code === 'PHX040').map((d) => d.path));
  const hidden = (rest: PathSeg[]) => chain.some((l) => rest.some((_, i) => secret.has(displayPath(['lxc_configs', l, ...rest.slice(0, i + 1)]))));
  const walk = (v: unknown, rest: PathSeg[]): unknown => {
    if (rest.length && hidden(rest)) return '<secret: not shown>';
    if (typeof v === 'string') return redactTokens(v);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...rest, i]));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...rest, k])]));
    return v;
  };
  return walk(effective, []) as Record<string, unknown>;
}

export function explainText(result: CompileOutput, ctid: string, outDir: string, fleetBudget?: GpuUse[]): string {
  const planned = result.plan?.containers.find((x) => x.ctid === ctid);
  const r = result.resolved!.get(ctid)!;
  // Without a plan (the CTID has errors) explain still shows the effective configuration.
  const c: Pick<ContainerPlan, 'ctid' | 'name' | 'chain' | 'effective' | 'origin' | 'featureOrigin'> & { vllm?: ContainerPlan['vllm'] } = planned ?? {
    ctid,
    name: r.effective.name,
    chain: r.chain,
    effective: r.effective,
    origin: r.origin,
    featureOrigin: r.featureOrigin,
  };
  const lines: string[] = [];
  lines.push(`CTID ${c.ctid} ${c.name}`, `clone chain: ${c.chain.join(' -> ')}`);
  if (planned?.node !== undefined) lines.push(...nodeLines(result, planned, fleetBudget ?? result.plan!.gpuBudget));
  lines.push('', 'effective configuration (origin):');
  const rows: [string, unknown][] = [];
  const shown = withoutSecrets(result, c.chain, c.effective as unknown as Record<string, unknown>);
  for (const k of Object.keys(shown).sort()) {
    if (k === 'vllm_engine_config' || k === 'vllm_parameters' || k === 'vllm_args') continue;
    flatten(k, shown[k], rows);
  }
  for (const [k, v] of rows) {
    const top = k.split('.')[0];
    let origin = originText(c.origin[k] ?? c.origin[top]);
    if (k === 'features') origin = (v as string[]).map((f) => `${f}: ${originText(c.featureOrigin[f])}`).join('; ');
    lines.push(`  ${k} = ${JSON.stringify(v)}  (${origin})`);
  }
  // What an ancestor sets that a clone does not take (compiler/resolve.ts NOT_INHERITED): every
  // key the CTID lacks, and the application config it writes itself (so a template's vLLM
  // arguments visibly stay with the template).
  for (const k of Object.keys(r.notInherited).sort()) {
    const n = r.notInherited[k];
    const own = Object.prototype.hasOwnProperty.call(r.own, k);
    if (!own) lines.push(`  ${k}  (not inherited: ${n.why}; CTID ${n.from} sets it for itself)`);
    else if (n.why === 'application config') lines.push(`  ${k} of CTID ${n.from}  (not inherited: ${n.why}; CTID ${c.ctid} has its own)`);
  }
  if (c.vllm) {
    const v = c.vllm;
    const setKeys = (obj: Record<string, unknown> | undefined, group: string) =>
      Object.entries(DEFAULTS[group as 'VllmInstall' | 'VllmService'] as Record<string, unknown>).filter(([k]) => obj?.[k] === undefined);
    for (const [group, key] of [
      ['VllmInstall', 'vllm_install'],
      ['VllmService', 'vllm_service'],
    ] as const) {
      for (const [k, val] of setKeys(c.effective[key] as Record<string, unknown> | undefined, group))
        lines.push(`  ${key}.${k} = ${JSON.stringify(val)}  (default)`);
    }
    lines.push('', `vLLM ${v.version} arguments (flag, vLLM's group, where written):`);
    for (const s of v.settings) {
      const where = s.path.slice(2).join('.');
      const grouping = s.source === 'vllm_engine_config' && s.path[3] !== s.group ? `; written under ${String(s.path[3])}` : '';
      const reads = JSON.stringify(s.parsed) !== JSON.stringify(s.value) ? ` (vLLM reads ${JSON.stringify(s.parsed)})` : '';
      lines.push(`  ${s.dest} = ${JSON.stringify(s.value)}${reads}  -> ${s.flag} (vLLM group ${s.vllmGroup}${grouping}) at ${where} (${s.source})`);
    }
    lines.push('', 'argv (vllm.argv.json):', ...v.argv.map((a) => `  ${JSON.stringify(a)}`));
    lines.push('', 'unit environment (vllm_model_server.service):');
    for (const e of v.service.env) lines.push(`  ${e.name}=${e.value}  (${e.why})`);
    if (v.service.unset.length) lines.push(`  unset: ${v.service.unset.join(' ')}`);
    if (v.secrets.names.length)
      lines.push(
        `  secrets: ${v.secrets.names.join(', ')}: values from the host's ${v.secrets.hostFiles.map((f) => `${v.secrets.hostDir}/${f}`).join(', then ')} ` +
          `(deploy.sh), read by the unit from ${v.secrets.containerFile} (EnvironmentFile=)`,
      );
    lines.push(
      '',
      `install: vllm==${v.install.vllmVersion} in ${v.install.venv}; torch (${v.install.torchChannel}) ${v.install.torchRequirements.join(' ')} from ${v.install.torchIndexUrl} (CUDA ${v.install.torchCuda}); ` +
        (v.install.flashinfer
          ? `FlashInfer ${v.install.flashinferTag} from ${v.install.flashinferRepo} (kernels compiled just in time at vLLM's first start with ${v.install.nvcc})`
          : 'no FlashInfer'),
    );
    lines.push(
      `readiness: the unit is active once ${v.service.readiness.url} answers (at most ${v.service.startTimeoutSec} s); deploy.sh and verify.sh ask ${v.api.probe} from the ${v.api.probeFrom}`,
    );
    lines.push(`GPUs: ${v.gpus.map((g) => `${g.index} ${g.model} (compute capability ${g.capability})`).join(', ') || 'none'}`);
  }
  lines.push('', 'artifacts:');
  if (!planned) lines.push('  none: the errors below block the compile');
  for (const f of result.files) if (f.path.startsWith(`${c.ctid}/`)) lines.push(`  ${outDir}/${f.path}`);
  const diags = result.diagnostics.filter((d) => d.ctid === c.ctid);
  lines.push('', 'notes and problems:');
  if (diags.length === 0) lines.push('  none');
  for (const d of diags) lines.push(`  ${formatDiagnostic(d)}`);
  return lines.join('\n');
}

/** A cluster CTID: its node, how out/phoenix reaches it, how it is cloned, and the node's GPU budget. */
function nodeLines(result: CompileOutput, c: ContainerPlan, budget: readonly GpuUse[]): string[] {
  const n = result.plan!.cluster!.nodes.find((x) => x.name === c.node)!;
  const lines = [
    `node: ${n.name} (out/phoenix runs its scripts there: ssh root@${n.address ?? "<the node's address in pvesh get /cluster/status>"}, when run on another node)`,
  ];
  const d = c.host.define;
  if (d.mode === 'clone' && d.across)
    lines.push(
      d.across.via === 'target'
        ? `clone: on node ${d.across.sourceNode} (where CTID ${d.source} lives) with pct clone --target ${d.across.node} (storage ${d.across.storages.join(', ')} shared)`
        : `clone: on node ${d.across.sourceNode} (where CTID ${d.source} lives), then pct migrate to ${d.across.node} (storage ${d.across.storages.join(', ') || 'unknown'} not shared by both)`,
    );
  lines.push(`GPU budget of node ${n.name} (vLLM CTIDs that start at boot, all of the node's CTIDs):`);
  const uses = budget.filter((u) => u.node === n.name);
  if (uses.length === 0) lines.push('  no CTID of the node is assigned a GPU');
  for (const u of uses) {
    const users = u.rows.filter((r) => r.atBoot && r.util !== undefined).map((r) => `${r.ctid}: ${r.util}`);
    lines.push(`  GPU ${u.index} ${u.model ?? ''}: ${u.bootSum} of ${u.limit}${u.over ? ' (over)' : ''}${users.length ? ` (${users.join(', ')})` : ''}`);
  }
  return lines;
}
