/**
 * `phoenix-compile migrate [--config PATH] [--secrets-dir DIR] [--write]`: rewrites the legacy flat vLLM keys
 * (vllm_model, ..., vllm_parameters, vllm_args) of every CTID into the structured
 * `vllm_engine_config`, each argument under the group vLLM files it in. Every other key keeps its
 * exact text; only the rewritten container objects are re-laid out, one member per line in the
 * file's own indentation. Refuses while legacy values contradict each other, and refuses to write a
 * result whose argv differs from the original's. First, with --secrets-dir, it moves the secret
 * values written in the config into the host's secrets files (cli/migrate-secrets.ts).
 */
import fs = require('fs');
import path = require('path');
import type { ObjectNode } from '@humanwhocodes/momoa';
import { compile } from '../compiler/compile';
import { Diagnostic, hasErrors, Reporter } from '../compiler/diagnostics';
import type { Container } from '../compiler/generated/config-types';
import { DEFAULTS } from '../compiler/generated/defaults';
import { LoadedConfig, loadConfig } from '../compiler/load';
import { unifiedDiff } from '../compiler/util/textdiff';
import { validateSchema } from '../compiler/validate/schema';
import { catalogFor, userGroup } from '../compiler/vllm/catalog';
import { collectLayer, LEGACY_KEYS } from '../compiler/vllm/settings';
import { COMMON_OPTIONS, parseCommand } from './args';
import { compilerInfo, Io, readConfig, shown, sourceNames } from './context';
import { fromDiagnostic, report, TEXT } from './report';
import { moveSecrets, plannedSecretsFiles, writeSecretsFile } from './migrate-secrets';
import { redactTokens } from '../compiler/vllm/secrets';
import { applyEdits, containerMembers, memberName, MemberPart, rebuildObject, TextEdit } from './json-layout';

export const HELP = `Usage: phoenix-compile migrate [--config PATH] [--secrets-dir DIR] [--write]

Rewrites the legacy flat vllm_* keys (vllm_model, ..., vllm_parameters, vllm_args) of every CTID
into vllm_engine_config, each argument under the group vLLM files it in. Prints the diff; with
--write replaces the file. Refuses while legacy values contradict each other, and when a
migrated CTID would compile to a different argv.

Secret values written in the config (api_key, hf_token, --api-key/--hf-token in vllm_args,
secret values in vllm_service.environment) are moved first: each vLLM server's values go to
DIR/<CTID>.env (NAME=value lines, mode 0600, written atomically; the host reads
/etc/phoenix/secrets by default) and its secrets list names them. Values are never printed; the
diff shows <secret> in their place.

Options:
  --config PATH       the config (default: ./phoenix_lxc_configs.json; inside the phoenix-compile
                      repository, the bundled example)
  --secrets-dir DIR   where the moved secret values go (needed when the config holds any)
  --write             write the secrets files, then replace the config (atomically), instead of
                      printing the diff
  -h, --help          this text

Exit codes: 0 migrated or nothing to do, 1 refused or usage error (nothing written).
`;

const OPTIONS = {
  ...COMMON_OPTIONS,
  config: { type: 'string' },
  out: { type: 'string' },
  write: { type: 'boolean' },
  'secrets-dir': { type: 'string' },
} as const;

export function main(argv: string[], io: Io): number {
  const { values } = parseCommand(argv, OPTIONS, { max: 0 });
  if (values.help) {
    io.out(HELP.trimEnd());
    return 0;
  }
  const o = { ...(values.config !== undefined ? { config: values.config } : {}), out: values.out ?? 'out' };
  const input = readConfig(o, io);
  if (!input) return 1;
  const loaded = loadConfig(input.file, input.text);
  const schemaDiags = loaded.ok ? validateSchema(loaded.config) : loaded.diagnostics;
  if (!loaded.ok || hasErrors(schemaDiags)) {
    report(
      io,
      TEXT,
      schemaDiags.map((d) => fromDiagnostic({ ...d, message: redactTokens(d.message) })),
      'migrate: fix these errors first; nothing written',
    );
    return 1;
  }

  // 1. Secrets out of the config (compiler/check/secrets.ts finds them; cli/migrate-secrets.ts moves them).
  const s = moveSecrets(loaded.config);
  const dirOption = values['secrets-dir'];
  const secretsDir = dirOption === undefined ? undefined : path.resolve(io.cwd, dirOption);
  let files: { path: string; text: string; names: string[] }[] = [];
  if (s.found) {
    const refuse = (problems: string[], why: string) => {
      for (const p of problems) io.err(p);
      io.err(`phoenix-compile migrate: ${why}; nothing written`);
      return 1;
    };
    if (s.problems.length) return refuse(s.problems, 'cannot move these secret values');
    if (secretsDir === undefined)
      return refuse(
        [...s.files].map(([ctid, e]) => `CTID ${ctid}: ${e.map((x) => x.name).join(', ')}`),
        `the config holds ${s.found} secret value(s); give --secrets-dir DIR to move them into DIR/<CTID>.env`,
      );
    const planned = plannedSecretsFiles(secretsDir, s.files);
    if (planned.problems.length) return refuse(planned.problems, 'cannot add to these secrets files');
    files = planned.writes;
  }
  const text1 = s.found ? s.text : input.text;
  const reloaded = loadConfig(input.file, text1);
  if (!reloaded.ok || hasErrors(validateSchema(reloaded.config)) || moveSecrets(reloaded.config).found) {
    io.err('phoenix-compile migrate: internal error: the config without its secrets does not validate or still holds one; nothing written');
    return 1;
  }

  // 2. Legacy keys into vllm_engine_config.
  const m = migrateText(reloaded.config);
  if (m.diagnostics.length) {
    report(io, TEXT, m.diagnostics.map(fromDiagnostic), 'migrate: refusing while legacy values contradict each other; nothing written');
    return 1;
  }
  if (m.migrated.length === 0 && !s.found) {
    io.err('phoenix-compile migrate: no legacy vllm_* keys; nothing to do (and no secret values in the config)');
    return 0;
  }
  // The migrated file must compile to the same argv as before the legacy rewrite, CTID by CTID.
  const names = sourceNames(input.path, path.resolve(io.cwd, o.out));
  for (const ctid of m.migrated) {
    const argvOf = (text: string) => {
      const r = compile({ file: input.file, text, source: names, compiler: compilerInfo(), only: [ctid] });
      return r.ok ? (r.files.find((f) => f.path === `${ctid}/vllm.argv.json`)?.content ?? '') : undefined;
    };
    const before = argvOf(text1);
    const after = argvOf(m.text);
    if (before !== undefined && before !== after) {
      io.err(`phoenix-compile migrate: CTID ${ctid} would compile to a different argv after migration; nothing written`);
      io.err(unifiedDiff('before', 'after', before, after ?? ''));
      return 1;
    }
  }
  const what = (would: boolean) =>
    [
      ...(m.migrated.length ? [`${would ? 'would migrate' : 'migrated'} CTID ${m.migrated.join(', ')}`] : []),
      ...files.map((f) => `${would ? 'would move' : 'moved'} ${f.names.join(', ')} to ${shown(io, f.path)} (mode 0600)`),
    ].join('; ');
  if (!values.write) {
    io.out(unifiedDiff(`a/${input.file}`, `b/${input.file}`, s.shownOld, m.text).trimEnd());
    io.err(`phoenix-compile migrate: ${what(true)}; run with --write to apply`);
    return 0;
  }
  // The secrets first: if the config write fails, the values are safe and a second run finds them equal.
  for (const f of files) writeSecretsFile(f.path, f.text);
  const tmp = `${input.path}.phx-migrate-${process.pid}`;
  fs.writeFileSync(tmp, m.text, { mode: fs.statSync(input.path).mode & 0o777 });
  fs.renameSync(tmp, input.path);
  io.err(`phoenix-compile migrate: ${what(false)} in ${input.file}`);
  return 0;
}

/** Legacy keys that become vllm_engine_config entries (vllm_model_type stays: it is not a flag). */
export const MIGRATED_KEYS = [...Object.keys(LEGACY_KEYS), 'vllm_parameters', 'vllm_args'];

export interface MigrateResult {
  text: string;
  migrated: string[];
  diagnostics: Diagnostic[];
}

export function migrateText(config: LoadedConfig): MigrateResult {
  const text = config.text;
  const doc = config.value as { lxc_configs?: Record<string, Container> };
  const r = new Reporter(config);
  if (!doc.lxc_configs) return { text, migrated: [], diagnostics: [] };
  const edits: TextEdit[] = [];
  const migrated: string[] = [];
  for (const member of containerMembers(text)) {
    const ctid = memberName(member);
    const c = doc.lxc_configs[ctid];
    if (!c || !MIGRATED_KEYS.some((k) => (c as unknown as Record<string, unknown>)[k] !== undefined)) continue;
    const idx = catalogFor(c.vllm_install?.vllm_version ?? DEFAULTS.VllmInstall.vllm_version);
    if (!idx) continue;
    const settings = collectLayer(idx, ctid, c, r);
    const obj = member.value as ObjectNode;
    // The structured object: existing groups first, then vLLM's group for each migrated argument.
    const engine: Record<string, Record<string, unknown>> = {};
    const existing = (c.vllm_engine_config ?? {}) as Record<string, Record<string, unknown>>;
    for (const g of Object.keys(existing)) engine[g] = { ...existing[g] };
    for (const s of settings) {
      if (s.source === 'vllm_engine_config') continue;
      const group = userGroup(idx.byDest.get(s.dest)!);
      engine[group] = { ...(engine[group] ?? {}), [s.dest]: s.value };
    }
    // Groups in the plan's order, then any other vLLM group.
    const ORDER = ['ModelConfig', 'CacheConfig', 'ParallelConfig', 'SchedulerConfig', 'ServerConfig'];
    const rank = (g: string) => (ORDER.includes(g) ? ORDER.indexOf(g) : ORDER.length);
    const sortedEngine: Record<string, Record<string, unknown>> = {};
    for (const g of Object.keys(engine).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1))) sortedEngine[g] = engine[g];
    // vllm_engine_config takes the place of the first migrated key (or of itself).
    const parts: MemberPart[] = [];
    let placed = false;
    for (const m of obj.members) {
      const key = memberName(m);
      if (MIGRATED_KEYS.includes(key) || key === 'vllm_engine_config') {
        if (!placed) parts.push({ key: 'vllm_engine_config', value: sortedEngine });
        placed = true;
      } else parts.push({ keep: m });
    }
    edits.push(rebuildObject(text, obj, parts));
    migrated.push(ctid);
  }
  const diagnostics = r.diagnostics.filter((d) => d.severity === 'error');
  if (hasErrors(diagnostics)) return { text, migrated: [], diagnostics };
  const out = applyEdits(text, edits);
  return { text: out, migrated, diagnostics: [] };
}
