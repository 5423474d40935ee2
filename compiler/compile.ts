/**
 * THE PIPE: config text in, diagnostics and files out. No file system access here; cli/ reads
 * the config and compiler/write/ writes the result.
 *
 *   compilePlan: load -> validate (schema) -> select (--only) -> resolve -> check (fleet,
 *                cluster, Proxmox, host, vLLM) -> plan -> check (GPU budget, from the plan)
 *   emitFiles:   emit, one container at a time, into a sink -> manifest, built as files pass
 *   compile:     both, holding every file in memory (explain, diff, migrate, tests)
 *
 * The plan is whole (checks and FLEET.md need the fleet); the files are not: a writer given
 * emitFiles' sink holds one container's files at a time, whatever the fleet's size.
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
import { ManifestBuilder, OutputFile, renderManifest, sha256 } from './write/manifest';
import { EncodeError } from '../encode/text';
import { emitFleet } from '../emit';

export interface CompileInput {
  /** The config file's name as shown in messages (as the user gave it). */
  file: string;
  text: string;
  /** Names used in headers and the manifest (machine independent). */
  source: Omit<SourceInfo, 'sha256'>;
  compiler: { name: string; version: string };
  only?: string[];
}

/** What compilePlan gives: the plan when there is no error (warnings and notes are in `plan.notices`). */
export interface PlannedCompile {
  ok: boolean;
  diagnostics: Diagnostic[];
  plan?: FleetPlan;
  /** CTIDs compiled (all, or the --only selection with ancestors). */
  selected: string[];
  /** Effective configurations, when the compile got as far as resolving them (also on failure). */
  resolved?: Map<string, ResolvedContainer>;
}

export interface CompileOutput extends PlannedCompile {
  files: OutputFile[];
  manifestText: string;
}

export function compilePlan(input: CompileInput): PlannedCompile {
  let resolved: Map<string, ResolvedContainer> | undefined;
  const fail = (diagnostics: Diagnostic[]): PlannedCompile => ({
    ok: false,
    diagnostics: finish(diagnostics),
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

  return { ok: true, diagnostics: finish(diagnostics), plan, selected, resolved };
}

/**
 * Emits the plan's files into `sink` (each with its UTF-8 bytes and their sha256), one container
 * at a time in path order (emit/index.ts), and returns the manifest's text, built from the files
 * as they passed. Throws EncodeError when a value cannot be encoded (see encodeFailure).
 */
export function emitFiles(plan: FleetPlan, compiler: CompileInput['compiler'], sink: (file: OutputFile, bytes: Buffer, sha: string) => void): string {
  const manifest = new ManifestBuilder();
  emitFleet(plan, (file) => {
    // The emitters' artifacts (OutputFile plus their kind, which tests read) go through as they are.
    const bytes = Buffer.from(file.content, 'utf8');
    const sha = sha256(bytes);
    manifest.add(file.path, sha, file.mode);
    sink(file, bytes, sha);
  });
  return renderManifest(manifest.manifest(compiler, { file: plan.source.file, sha256: plan.source.sha256 }));
}

/** An EncodeError from emitFiles as the diagnostic that fails the compile. */
export function encodeFailure(e: EncodeError, file: string): Diagnostic {
  // Validation refuses what the encoders cannot encode; this is the last line of defence.
  return { severity: 'error', code: 'PHX019', message: redactTokens(e.message), file, pos: { line: 1, col: 1 }, path: '$' };
}

/** The whole pipe in memory: the plan, every file (in path order) and the manifest. */
export function compile(input: CompileInput): CompileOutput {
  const planned = compilePlan(input);
  if (!planned.ok || !planned.plan) return { ...planned, files: [], manifestText: '' };
  const files: OutputFile[] = [];
  try {
    const manifestText = emitFiles(planned.plan, input.compiler, (f) => files.push(f));
    return { ...planned, files, manifestText };
  } catch (e) {
    if (!(e instanceof EncodeError)) throw e;
    const diagnostics = finish([...planned.diagnostics, encodeFailure(e, input.file)]);
    return { ok: false, diagnostics, files: [], manifestText: '', selected: [], ...(planned.resolved ? { resolved: planned.resolved } : {}) };
  }
}

/** Sorted, without repeats, and no token-shaped value in any message (compiler/vllm/secrets.ts). */
function finish(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return sortDiagnostics(dedupeDiagnostics(diagnostics.map((d) => ({ ...d, message: redactTokens(d.message) }))));
}

/** Warnings and notes without positions, ordered by CTID, code, path and text: key order in the file cannot churn out/. */
function notices(diagnostics: readonly Diagnostic[]): Notice[] {
  const key = (d: Diagnostic) => [d.ctid === undefined ? '' : d.ctid.padStart(10, '0'), d.code, d.path, d.message].join('\u0000');
  // Each key built once (a fleet of 10,000 CTIDs has some 20,000 notices).
  return diagnostics
    .filter((d) => d.severity !== 'error')
    .map((d) => ({ d, k: key(d) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map(({ d }) => ({
      severity: d.severity as Notice['severity'],
      code: d.code,
      path: d.path,
      message: redactTokens(d.message),
      ...(d.ctid !== undefined ? { ctid: d.ctid } : {}),
    }));
}
