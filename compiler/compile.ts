/**
 * THE PIPE, as one pure function: config text in, diagnostics and files out. No file system
 * access here; cli/ reads the config and compiler/write/ writes the result.
 *
 *   load -> validate (schema) -> select (--only) -> resolve -> check (fleet, cluster, Proxmox, host, vLLM)
 *        -> plan -> check (GPU budget, from the plan) -> emit -> manifest
 */
import { Diagnostic, dedupeDiagnostics, hasErrors, Reporter, sortDiagnostics } from './diagnostics';
import type { PhoenixLxcConfigs } from './generated/config-types';
import { loadConfig } from './load';
import { validateSchema } from './validate/schema';
import { selectCtids } from './select';
import { ResolvedContainer, resolveFleet, sortCtids } from './resolve';
import { checkCluster } from './check/cluster';
import { checkFleet, checkGpuBudget } from './check/fleet';
import { checkProxmox } from './check/proxmox';
import { checkHost } from './check/host';
import { checkVllm } from './check/vllm';
import { checkSecrets, checkTopLevelSecrets } from './check/secrets';
import { redactTokens } from './vllm/secrets';
import { planFleet } from './plan/fleet';
import type { FleetPlan, Notice, SourceInfo } from './plan/model';
import { canonical } from './util/canonical';
import { buildManifest, OutputFile, renderManifest, sha256 } from './write/manifest';
import { EncodeError } from '../encode/text';
import { emitAll } from '../emit';

export interface CompileInput {
  /** The config file's name as shown in messages (as the user gave it). */
  file: string;
  text: string;
  /** Names used in headers and the manifest (machine independent). */
  source: Omit<SourceInfo, 'sha256'>;
  compiler: { name: string; version: string };
  only?: string[];
}

export interface CompileOutput {
  ok: boolean;
  diagnostics: Diagnostic[];
  files: OutputFile[];
  manifestText: string;
  plan?: FleetPlan;
  /** CTIDs compiled (all, or the --only selection with ancestors). */
  selected: string[];
  /** Effective configurations, when the compile got as far as resolving them (also on failure). */
  resolved?: Map<string, ResolvedContainer>;
}

export function compile(input: CompileInput): CompileOutput {
  let resolved: Map<string, ResolvedContainer> | undefined;
  const fail = (diagnostics: Diagnostic[]): CompileOutput => ({
    ok: false,
    diagnostics: finish(diagnostics),
    files: [],
    manifestText: '',
    selected: [],
    ...(resolved ? { resolved } : {}),
  });

  const loaded = loadConfig(input.file, input.text);
  if (!loaded.ok) return fail(loaded.diagnostics);
  const config = loaded.config;
  const schemaDiags = validateSchema(config);
  const doc = config.value as PhoenixLxcConfigs;
  const configs =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc) && doc.lxc_configs && typeof doc.lxc_configs === 'object' ? doc.lxc_configs : undefined;
  const sel = selectCtids(config, configs ?? {}, input.only && configs ? input.only : undefined);
  let diagnostics = [...schemaDiags.filter(sel.inScope), ...sel.diagnostics];
  if (hasErrors(diagnostics) || !configs) return fail(diagnostics);

  // When every CTID is schema-valid, the checks see them all; otherwise only the selection.
  const scope = hasErrors(schemaDiags) ? sel.selected : new Set(sel.all);
  resolved = resolveFleet(doc, scope);
  diagnostics = [...diagnostics, ...checkFleet(config, doc, resolved, scope).filter(sel.inScope)];
  diagnostics = [...diagnostics, ...checkCluster(config, doc, resolved, scope).filter(sel.inScope)];
  diagnostics = [...diagnostics, ...checkProxmox(config, doc, resolved, scope).filter(sel.inScope)];
  if (hasErrors(diagnostics)) return fail(diagnostics);

  const selected = sortCtids(sel.selected);
  const reporter = new Reporter(config);
  checkTopLevelSecrets(doc, reporter);
  for (const id of selected) {
    checkHost(doc, resolved.get(id)!, reporter);
    checkVllm(doc, resolved, resolved.get(id)!, reporter);
    checkSecrets(doc, resolved.get(id)!, reporter);
  }
  diagnostics = [...diagnostics, ...reporter.diagnostics.filter(sel.inScope)];
  if (hasErrors(diagnostics)) return fail(diagnostics);

  const source: SourceInfo = { ...input.source, sha256: sha256(JSON.stringify(canonical(doc))) };
  let plan = planFleet(doc, resolved, selected, source, input.compiler);
  const budget = new Reporter(config);
  checkGpuBudget(budget, plan.gpuBudget);
  diagnostics = [...diagnostics, ...budget.diagnostics.filter(sel.inScope)];
  plan = { ...plan, notices: notices(diagnostics) };

  let files: OutputFile[];
  try {
    files = emitAll(plan);
  } catch (e) {
    // Validation refuses what the encoders cannot encode; this is the last line of defence.
    if (!(e instanceof EncodeError)) throw e;
    return fail([...diagnostics, { severity: 'error', code: 'PHX019', message: e.message, file: input.file, pos: { line: 1, col: 1 }, path: '$' }]);
  }
  const manifestText = renderManifest(buildManifest(files, input.compiler, { file: source.file, sha256: source.sha256 }));
  return { ok: true, diagnostics: finish(diagnostics), files, manifestText, plan, selected, resolved };
}

/** Sorted, without repeats, and no token-shaped value in any message (compiler/vllm/secrets.ts). */
function finish(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return sortDiagnostics(dedupeDiagnostics(diagnostics.map((d) => ({ ...d, message: redactTokens(d.message) }))));
}

/** Warnings and notes without positions, ordered by CTID, code, path and text: key order in the file cannot churn out/. */
function notices(diagnostics: readonly Diagnostic[]): Notice[] {
  const key = (d: Diagnostic) => [d.ctid === undefined ? '' : d.ctid.padStart(10, '0'), d.code, d.path, d.message].join('\u0000');
  return [...diagnostics]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .filter((d) => d.severity !== 'error')
    .map((d) => ({
      severity: d.severity as Notice['severity'],
      code: d.code,
      path: d.path,
      message: redactTokens(d.message),
      ...(d.ctid !== undefined ? { ctid: d.ctid } : {}),
    }));
}
