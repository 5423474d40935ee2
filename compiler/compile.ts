/**
 * The pipeline, as one pure function: config text in, diagnostics and files out. No file system
 * access here; the CLI reads the config and writes the result.
 *
 *   load -> validate (schema, then fleet semantics) -> resolve -> plan -> emit
 */
import { Diagnostic, dedupeDiagnostics, hasErrors, sortDiagnostics } from './diagnostics';
import type { PhoenixLxcConfigs } from './generated/config-types';
import { displayPath } from './jsonpath';
import { loadConfig } from './load';
import { canonical, FleetPlan, Notice, planFleet, SourceInfo } from './plan';
import { cloneChain, ResolvedContainer, resolveFleet, sortCtids } from './resolve';
import { validateSchema } from './validate-schema';
import { checkFleet, checkGpuBudget, hostGpus, Reporter } from './fleet-checks';
import { planVllm, VllmPlan } from './vllm-plan';
import { HostPlan, planHost } from './host-plan';
import { EncodeError } from '../emit/encode/bash';
import { buildManifest, OutputFile, renderManifest, sha256 } from './write';
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
  let resolvedSoFar: Map<string, ResolvedContainer> | undefined;
  const fail = (diagnostics: Diagnostic[]): CompileOutput => ({
    ok: false,
    diagnostics: sortDiagnostics(dedupeDiagnostics(diagnostics)),
    files: [],
    manifestText: '',
    selected: [],
    ...(resolvedSoFar ? { resolved: resolvedSoFar } : {}),
  });
  const loaded = loadConfig(input.file, input.text);
  if (!loaded.ok) return fail(loaded.diagnostics);
  const config = loaded.config;
  const schemaDiags = validateSchema(config);
  const doc = config.value as PhoenixLxcConfigs;
  const configs = doc !== null && typeof doc === 'object' && !Array.isArray(doc) && doc.lxc_configs && typeof doc.lxc_configs === 'object' ? doc.lxc_configs : undefined;
  const allIds = configs ? sortCtids(Object.keys(configs)) : [];
  let selected = new Set(allIds);
  const selectionDiags: Diagnostic[] = [];
  if (input.only && configs) {
    selected = new Set();
    for (const id of input.only) {
      if (!Object.prototype.hasOwnProperty.call(configs, id)) {
        selectionDiags.push({ severity: 'error', code: 'PHX090', message: `--only names CTID ${id}, which is not in lxc_configs`, file: input.file, pos: config.valuePos.get('/lxc_configs') ?? { line: 1, col: 1 }, path: displayPath(['lxc_configs']) });
        continue;
      }
      for (const c of cloneChain(configs, id)) selected.add(c);
    }
  }
  // Problems in containers outside the selection do not block it.
  const inScope = (d: Diagnostic) => d.ctid === undefined || selected.has(d.ctid);
  let diagnostics = [...schemaDiags.filter(inScope), ...selectionDiags];
  if (hasErrors(diagnostics) || !configs) return fail(diagnostics);

  // When every CTID is schema-valid, the fleet checks see them all; otherwise only the selection.
  const scope = hasErrors(schemaDiags) ? selected : new Set(allIds);
  const resolvedAll = resolveFleet(doc, scope);
  resolvedSoFar = resolvedAll;
  diagnostics = [...diagnostics, ...checkFleet(config, doc, resolvedAll, scope).filter(inScope)];
  if (hasErrors(diagnostics)) return fail(diagnostics);
  const resolved = new Map([...resolvedAll].filter(([id]) => selected.has(id)));

  const reporter = new Reporter(config);
  const vllm = new Map<string, VllmPlan>();
  const host = new Map<string, HostPlan>();
  for (const [id, rc] of resolved) {
    host.set(id, planHost(doc, resolvedAll, rc, reporter));
    const v = planVllm(doc, resolvedAll, rc, reporter);
    if (v) vllm.set(id, v);
  }
  checkGpuBudget(reporter, resolved, vllm);
  diagnostics = [...diagnostics, ...reporter.diagnostics.filter(inScope)];
  if (hasErrors(diagnostics)) return fail(diagnostics);

  const source: SourceInfo = { ...input.source, sha256: sha256(JSON.stringify(canonical(doc))) };
  // Ordered without positions (CTID, code, path, text), so key order in the file cannot churn out/.
  const key = (d: Diagnostic) => [d.ctid === undefined ? '' : d.ctid.padStart(10, '0'), d.code, d.path, d.message].join('\u0000');
  const notices: Notice[] = [...diagnostics]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .filter((d) => d.severity !== 'error')
    .map((d) => ({ severity: d.severity as Notice['severity'], code: d.code, path: d.path, message: d.message, ...(d.ctid !== undefined ? { ctid: d.ctid } : {}) }));
  const plan = planFleet(resolved, selected, vllm, host, source, input.compiler, notices, hostGpus(doc));
  let files: OutputFile[];
  try {
    files = emitAll(plan);
  } catch (e) {
    // Validation refuses what the encoders cannot encode; this is the last line of defence.
    if (!(e instanceof EncodeError)) throw e;
    return fail([...diagnostics, { severity: 'error', code: 'PHX019', message: e.message, file: input.file, pos: { line: 1, col: 1 }, path: '$' }]);
  }
  const manifestText = renderManifest(buildManifest(files, input.compiler, { file: source.file, sha256: source.sha256 }));
  return { ok: true, diagnostics: sortDiagnostics(dedupeDiagnostics(diagnostics)), files, manifestText, plan, selected: sortCtids(selected), resolved: resolvedAll };
}
