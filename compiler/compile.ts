/**
 * THE PIPE, as one pure function: config text in, diagnostics and files out. No file system
 * access here; cli/ reads the config and compiler/write/ writes the result.
 *
 *   compileChecked: load -> validate (schema) -> select (--only) -> resolve
 *                -> check (fleet, cluster, Proxmox, host, vLLM)
 *   emitFiles:   for each container, in path order: plan it -> emit its files (-> sink)
 *                -> check (GPU budget, from every container's claim) -> emit the fleet-wide files
 *                -> manifest
 *
 * The files go to a sink as they are made (the CLI streams them to the writer or the --check);
 * `compile` collects them in memory. Planning container by container keeps a compile's memory at
 * its checked configuration plus one container's plan (bench/RESULTS.md, 10,000 CTIDs).
 */
import { Diagnostic, dedupeDiagnostics, hasErrors, Reporter, sortDiagnostics } from './diagnostics';
import type { PhoenixLxcConfigs } from './generated/config-types';
import { loadConfig } from './load';
import { validateSchema } from './validate/schema';
import { selectCtids } from './select';
import { cloneChain, compareCtids, ResolvedContainer, resolveFleet, sortCtids } from './resolve';
import { checkCluster } from './check/cluster';
import { checkFleet, checkGpuBudget } from './check/fleet';
import { checkProxmox } from './check/proxmox';
import { checkHost } from './check/host';
import { checkVllm } from './check/vllm';
import { checkSecrets, checkTopLevelSecrets } from './check/secrets';
import { redactTokens } from './vllm/secrets';
import { fleetPlanner, gpuClaim, summarize } from './plan/fleet';
import type { ContainerPlan, ContainerSummary, FleetPlan, Notice, SourceInfo } from './plan/model';
import type { GpuClaim } from './plan/gpus';
import type { LoadedConfig } from './load';
import { canonicalSha256 } from './util/canonical';
import { Manifest, MANIFEST, ManifestBuilder, OutputFile, sha256 } from './write/manifest';
import { EncodeError } from '../encode/text';
import { byText, emitContainer, emitFleetFiles } from '../emit';
import type { Artifact } from '../emit/artifact';

export interface CompileInput {
  /** The config file's name as shown in messages (as the user gave it). */
  file: string;
  text: string;
  /** Names used in headers and the manifest (machine independent). */
  source: Omit<SourceInfo, 'sha256'>;
  compiler: { name: string; version: string };
  only?: string[];
  /**
   * With `only`: the output folder's current manifest. The files the compile does not produce
   * (other CTIDs', and the fleet-wide ones when they cannot be planned) stay as they are, so
   * their entries are carried over from it.
   */
  previous?: Manifest;
}

export interface CompileOutput {
  ok: boolean;
  /** The diagnostics that count: all of them, or with --only those of the selection and of no CTID. */
  diagnostics: Diagnostic[];
  files: OutputFile[];
  manifestText: string;
  plan?: FleetPlan<ContainerPlan>;
  /** CTIDs whose files the compile produced: all, or those named with --only (without their clone ancestors). */
  selected: string[];
  /**
   * Whether `files` hold the fleet-wide files (FLEET.md, phoenix). Always without --only; with
   * --only only when every CTID of the file compiles, since those files describe the whole fleet.
   */
  fleetFiles: boolean;
  /** With --only: the CTIDs outside the selection that have errors (they keep the fleet-wide files from being planned). */
  blockedBy: string[];
  /** Effective configurations, when the compile got as far as resolving them (also on failure). */
  resolved?: Map<string, ResolvedContainer>;
}

/**
 * The pipe up to the plan: load, validate, select, resolve and every check of the whole fleet.
 * `ok` false: the diagnostics say why (nothing is to be written). `ok` true: the diagnostics that
 * count so far and what `emitFiles` needs to plan and emit.
 */
export function compileChecked(input: CompileInput): CompileFailure | Checked {
  let resolved: Map<string, ResolvedContainer> | undefined;
  const fail = (diagnostics: Diagnostic[]): CompileFailure => failure(diagnostics, resolved);

  const loaded = loadConfig(input.file, input.text);
  if (!loaded.ok) return fail(loaded.diagnostics);
  const config = loaded.config;
  const schemaDiags = validateSchema(config);
  const doc = config.value as PhoenixLxcConfigs;
  const configs =
    doc !== null && typeof doc === 'object' && !Array.isArray(doc) && doc.lxc_configs && typeof doc.lxc_configs === 'object' ? doc.lxc_configs : undefined;
  const sel = selectCtids(config, configs ?? {}, input.only && configs ? input.only : undefined);
  // Everything found, in every CTID; what counts (with --only: the selection's) is filtered at the end.
  const found = [...schemaDiags, ...sel.diagnostics];
  // A schema error outside lxc_configs (host_gpus, the document's shape) leaves nothing to check against.
  if (!configs || schemaDiags.some((d) => d.severity === 'error' && d.ctid === undefined)) return fail(found.filter(sel.inScope));

  // One pass: a CTID whose own entry fails the schema is left out of the checks that need it (and
  // so are its clones, whose effective configuration includes it); every other CTID is checked.
  const schemaBad = new Set(schemaDiags.filter((d) => d.severity === 'error' && d.ctid !== undefined).map((d) => d.ctid!));
  const valid = sel.all.filter((id) => !schemaBad.has(id));
  const resolvable = valid.filter((id) => cloneChain(configs, id).every((c) => !schemaBad.has(c)));
  resolved = resolveFleet(doc, new Set(resolvable));
  const fleetDiags = checkFleet(config, doc, resolved, new Set(valid));
  found.push(...fleetDiags, ...checkCluster(config, doc, resolved, new Set(valid)), ...checkProxmox(config, doc, resolved, new Set(valid)));

  // The per-CTID checks read the effective configuration, so they need a whole clone chain: a CTID
  // whose chain stops at a missing source or runs in a cycle is left out of them.
  const broken = new Set(fleetDiags.filter((d) => d.severity === 'error' && (d.code === 'PHX101' || d.code === 'PHX102')).map((d) => d.ctid));
  const reporter = new Reporter(config);
  checkTopLevelSecrets(doc, reporter);
  for (const id of resolvable) {
    const rc = resolved.get(id)!;
    if (rc.chain.some((c) => broken.has(c))) continue;
    checkHost(doc, rc, reporter);
    checkVllm(doc, resolved, rc, reporter);
    checkSecrets(doc, rc, reporter);
  }
  found.push(...reporter.diagnostics);
  let diagnostics = found.filter(sel.inScope);
  if (hasErrors(diagnostics)) return fail(diagnostics);

  // The selection compiles. --only writes the named CTIDs' files (their clone ancestors were
  // checked, since they shape them, but their files stay as they are). The fleet-wide files
  // describe every CTID, so they are planned (from the whole fleet: the same bytes as a full
  // compile) only when every CTID compiles.
  const selected = input.only ? sortCtids(new Set(input.only.filter((id) => sel.selected.has(id)))) : sel.all;
  const blockedBy = input.only ? sortCtids(new Set(found.filter((d) => d.severity === 'error' && d.ctid !== undefined).map((d) => d.ctid!))) : [];
  const fleetFiles = !hasErrors(found);
  const planned = fleetFiles ? sel.all : selected;

  const source: SourceInfo = { ...input.source, sha256: canonicalSha256(doc) };
  const planner = fleetPlanner(doc, resolved, planned, source, input.compiler);
  return {
    ok: true,
    diagnostics: finish(diagnostics),
    selected,
    fleetFiles,
    blockedBy,
    resolved,
    planning: { planner, config, found, diagnostics, inScope: sel.inScope },
  };
}

/** A compile that stops before emitting: its diagnostics (with at least one error), no files. */
export interface CompileFailure {
  ok: false;
  diagnostics: Diagnostic[];
  files: [];
  manifestText: '';
  selected: [];
  fleetFiles: false;
  blockedBy: [];
  resolved?: Map<string, ResolvedContainer>;
}

/**
 * A compile checked and ready to plan and emit (compileChecked); see CompileOutput for the fields.
 * `diagnostics`: those of the checks; emitFiles adds the GPU budget's, which needs the plan.
 */
export interface Checked {
  ok: true;
  diagnostics: Diagnostic[];
  selected: string[];
  fleetFiles: boolean;
  blockedBy: string[];
  resolved: Map<string, ResolvedContainer>;
  /** What emitFiles needs to plan: the planner, and the diagnostics so far (all, and those in scope) for the budget's and FLEET.md's. */
  planning: {
    planner: ReturnType<typeof fleetPlanner>;
    config: LoadedConfig;
    found: Diagnostic[];
    diagnostics: Diagnostic[];
    inScope: (d: Diagnostic) => boolean;
  };
}

function failure(diagnostics: readonly Diagnostic[], resolved?: Map<string, ResolvedContainer>): CompileFailure {
  return {
    ok: false,
    diagnostics: finish(diagnostics),
    files: [],
    manifestText: '',
    selected: [],
    fleetFiles: false,
    blockedBy: [],
    ...(resolved ? { resolved } : {}),
  };
}

/**
 * Plans and emits a checked compile, one container at a time in path order (containers by CTID as
 * text, then the fleet-wide files), giving `sink` each file with its UTF-8 bytes and their sha256
 * (hex), and builds the manifest as they pass. A container's plan is made, its files emitted, and
 * (unless `keepPlans`) only its summary kept (plan/fleet.ts summarize), and once every container is
 * planned the effective configurations go too (`p.resolved` is emptied; `afterContainers` is
 * called then, so a caller can have the garbage collected): memory holds the checked
 * configuration, one container's plan and files, and the manifest's entries, not the fleet's plans
 * or files. The GPU budget needs every container's claim, so its diagnostics come after the
 * containers' files, before the fleet-wide files (FLEET.md lists them). With --only
 * (`input.only`), the previous manifest's entries of the files this compile does not produce are
 * carried into the new one.
 * @returns every diagnostic (the checks' and the budget's: a budget error leaves `ok` true, and the
 *   caller refuses, dropping what `sink` got), the manifest's text and its number of entries (files, without manifest.json), the
 *   plan (with whole container plans when `keepPlans`); or, when an encoder refuses a value
 *   (EncodeError, the last line of defence behind validation), a failure with a PHX019 diagnostic.
 *   Files already given to `sink` are then to be dropped by the caller.
 */
export function emitFiles<K extends boolean = false>(
  p: Checked,
  input: Pick<CompileInput, 'file' | 'only' | 'previous' | 'compiler'>,
  sink: (file: Artifact, bytes: Buffer, sha: string) => void,
  keepPlans?: K,
  afterContainers?: () => void,
):
  | { ok: true; manifestText: string; files: number; diagnostics: Diagnostic[]; plan: FleetPlan<K extends true ? ContainerPlan : ContainerSummary> }
  | CompileFailure {
  const { planner, config, found, inScope } = p.planning;
  const entries = new ManifestBuilder();
  const put = (f: Artifact) => {
    const bytes = Buffer.from(f.content, 'utf8');
    const sha = sha256(bytes);
    entries.add(f.path, sha, f.mode);
    sink(f, bytes, sha);
  };
  const only = input.only ? new Set(p.selected) : undefined;
  const kept: ContainerSummary[] = [];
  const claims: GpuClaim[] = [];
  let fleet: FleetPlan<ContainerSummary>;
  let diagnostics: Diagnostic[];
  try {
    for (const ctid of [...planner.ids].sort(byText)) {
      const c = planner.planContainer(ctid, !keepPlans);
      claims.push(gpuClaim(c));
      kept.push(keepPlans ? c : summarize(c));
      if (!only || only.has(ctid)) for (const f of emitContainer(c, planner.header)) put(f);
    }
    fleet = planner.fleet(
      kept.sort((a, b) => compareCtids(a.ctid, b.ctid)),
      claims,
    );
    if (!keepPlans) p.resolved.clear();
    afterContainers?.();
    const budget = new Reporter(config);
    checkGpuBudget(budget, fleet.gpuBudget);
    diagnostics = finish([...p.planning.diagnostics, ...budget.diagnostics.filter(inScope)]);
    // FLEET.md lists the compile's warnings and notes: those of every CTID it describes.
    fleet.notices = notices(dedupeDiagnostics(p.fleetFiles ? [...found, ...budget.diagnostics] : diagnostics));
    if (p.fleetFiles) for (const f of emitFleetFiles(fleet)) put(f);
  } catch (e) {
    // Validation refuses what the encoders cannot encode; this is the last line of defence.
    if (!(e instanceof EncodeError)) throw e;
    return failure([...p.diagnostics, { severity: 'error', code: 'PHX019', message: e.message, file: input.file, pos: { line: 1, col: 1 }, path: '$' }]);
  }
  // With --only, the files this compile does not produce stay as they are: so do their entries.
  const written = new Set(p.selected);
  const produced = (f: string) => (isContainerFile(f) ? written.has(f.split('/')[0]) : p.fleetFiles);
  const carried = input.only ? carriedEntries(input.previous, produced) : {};
  const { file, sha256: inputSha } = fleet.source;
  const manifest = entries.render(input.compiler, { file, sha256: inputSha }, carried);
  return {
    ok: true,
    manifestText: manifest.text,
    files: manifest.files,
    diagnostics,
    plan: fleet as FleetPlan<K extends true ? ContainerPlan : ContainerSummary>,
  };
}

/**
 * The whole pipe in memory: compileChecked, then emitFiles into an array, keeping every container's
 * plan. For explain, diff, migrate and tests; the CLI's compile streams the files to the writer
 * instead (cli/compile.ts).
 */
export function compile(input: CompileInput): CompileOutput {
  const p = compileChecked(input);
  if (!p.ok) return p;
  const files: OutputFile[] = [];
  const e = emitFiles(p, input, (f) => files.push(f), true);
  if (!e.ok) return e;
  const { planning: _planning, ...rest } = p;
  return { ...rest, diagnostics: e.diagnostics, files, manifestText: e.manifestText, plan: e.plan };
}

/** A per-CTID file (`<ctid>/...`), as opposed to a fleet-wide one. */
export function isContainerFile(p: string): boolean {
  return /^[0-9]+\//.test(p);
}

/**
 * The previous manifest's entries for the files a --only compile leaves alone. The manifest is read
 * from disk, so an entry is carried only when it has the shape this compiler writes (a relative
 * path without `..`, a sha256 in hex, an octal mode).
 */
function carriedEntries(previous: Manifest | undefined, produced: (p: string) => boolean): Manifest['files'] {
  const out: Manifest['files'] = {};
  const files = previous?.files && typeof previous.files === 'object' ? previous.files : {};
  for (const [p, e] of Object.entries(files)) {
    if (p === MANIFEST || produced(p) || p.startsWith('/') || p.split('/').some((s) => s === '' || s === '.' || s === '..')) continue;
    if (e && typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256) && typeof e.mode === 'string' && /^0[0-7]{3}$/.test(e.mode))
      out[p] = { sha256: e.sha256, mode: e.mode };
  }
  return out;
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
