/**
 * `phoenix-compile migrate [--config PATH] [--write]`: rewrites the legacy flat vLLM keys
 * (vllm_model, ..., vllm_parameters, vllm_args) of every CTID into the structured
 * `vllm_engine_config`, each argument under the group vLLM files it in. Every other key keeps its
 * exact text; only the rewritten container objects are re-laid out, one member per line in the
 * file's own indentation. Refuses while legacy values contradict each other, and refuses to write a
 * result whose argv differs from the original's.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseJson } from '@humanwhocodes/momoa';
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
import { compilerInfo, Io, readConfig, sourceNames } from './context';
import { fromDiagnostic, report, TEXT } from './report';

export const HELP = `Usage: phoenix-compile migrate [--config PATH] [--write]

Rewrites the legacy flat vllm_* keys (vllm_model, ..., vllm_parameters, vllm_args) of every CTID
into vllm_engine_config, each argument under the group vLLM files it in. Prints the diff; with
--write replaces the file. Refuses while legacy values contradict each other, and when a
migrated CTID would compile to a different argv.

Options:
  --config PATH     the config (default: ./phoenix_lxc_configs.json; inside the phoenix-compile
                    repository, the bundled example)
  --write           replace the file (atomically) instead of printing the diff
  -h, --help        this text

Exit codes: 0 migrated or nothing to do, 1 refused or usage error (nothing written).
`;

const OPTIONS = { ...COMMON_OPTIONS, config: { type: 'string' }, out: { type: 'string' }, write: { type: 'boolean' } } as const;

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
    report(io, TEXT, schemaDiags.map(fromDiagnostic), 'migrate: fix these errors first; nothing written');
    return 1;
  }
  const m = migrateText(loaded.config);
  if (m.diagnostics.length) {
    report(io, TEXT, m.diagnostics.map(fromDiagnostic), 'migrate: refusing while legacy values contradict each other; nothing written');
    return 1;
  }
  if (m.migrated.length === 0) {
    io.err('phoenix-compile migrate: no legacy vllm_* keys; nothing to do');
    return 0;
  }
  // The migrated file must compile to the same argv as the original, CTID by CTID.
  const names = sourceNames(input.path, path.resolve(io.cwd, o.out));
  for (const ctid of m.migrated) {
    const argvOf = (text: string) => {
      const r = compile({ file: input.file, text, source: names, compiler: compilerInfo(), only: [ctid] });
      return r.ok ? (r.files.find((f) => f.path === `${ctid}/vllm.argv.json`)?.content ?? '') : undefined;
    };
    const before = argvOf(input.text);
    const after = argvOf(m.text);
    if (before !== undefined && before !== after) {
      io.err(`phoenix-compile migrate: CTID ${ctid} would compile to a different argv after migration; nothing written`);
      io.err(unifiedDiff('before', 'after', before, after ?? ''));
      return 1;
    }
  }
  if (!values.write) {
    io.out(unifiedDiff(`a/${input.file}`, `b/${input.file}`, input.text, m.text).trimEnd());
    io.err(`phoenix-compile migrate: would migrate CTID ${m.migrated.join(', ')}; run with --write to apply`);
    return 0;
  }
  const tmp = `${input.path}.phx-migrate-${process.pid}`;
  fs.writeFileSync(tmp, m.text, { mode: fs.statSync(input.path).mode & 0o777 });
  fs.renameSync(tmp, input.path);
  io.err(`phoenix-compile migrate: migrated CTID ${m.migrated.join(', ')} in ${input.file}`);
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
  const root = parseJson(text, { mode: 'json', ranges: true }).body as ObjectNode;
  const lxc = root.members.find((m) => m.name.type === 'String' && m.name.value === 'lxc_configs')?.value as ObjectNode | undefined;
  if (!lxc || !doc.lxc_configs) return { text, migrated: [], diagnostics: [] };
  const indentUnit = detectIndent(text);
  const edits: { start: number; end: number; replacement: string }[] = [];
  const migrated: string[] = [];
  for (const member of lxc.members) {
    const ctid = member.name.type === 'String' ? member.name.value : '';
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
    const lineStart = text.lastIndexOf('\n', obj.members[0].range![0]) + 1;
    const memberIndent = text.slice(lineStart, obj.members[0].range![0]);
    const closeLineStart = text.lastIndexOf('\n', obj.range![1] - 1) + 1;
    const closeIndent = text.slice(closeLineStart, obj.range![1] - 1).match(/^\s*/)![0];
    const parts: string[] = [];
    let placed = false;
    const engineText = () =>
      `"vllm_engine_config": ` +
      JSON.stringify(sortedEngine, null, indentUnit)
        .split('\n')
        .map((l, i) => (i === 0 ? l : memberIndent + l))
        .join('\n');
    for (const m of obj.members) {
      const key = m.name.type === 'String' ? m.name.value : m.name.name;
      if (MIGRATED_KEYS.includes(key) || key === 'vllm_engine_config') {
        if (!placed) {
          parts.push(engineText());
          placed = true;
        }
        continue;
      }
      parts.push(text.slice(m.range![0], m.range![1]));
    }
    edits.push({ start: obj.range![0], end: obj.range![1], replacement: `{\n${parts.map((p) => memberIndent + p).join(',\n')}\n${closeIndent}}` });
    migrated.push(ctid);
  }
  const diagnostics = r.diagnostics.filter((d) => d.severity === 'error');
  if (hasErrors(diagnostics)) return { text, migrated: [], diagnostics };
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.replacement + out.slice(e.end);
  return { text: out, migrated, diagnostics: [] };
}

function detectIndent(text: string): string | number {
  const m = /\n([ \t]+)"/.exec(text);
  if (!m) return 2;
  return m[1].startsWith('\t') ? '\t' : m[1].length;
}
