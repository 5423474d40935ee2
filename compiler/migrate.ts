/**
 * `phoenix-compile migrate [--config PATH] [--write]`: rewrites the legacy flat vLLM keys
 * (vllm_model, ..., vllm_parameters, vllm_args) of every CTID into the structured
 * `vllm_engine_config`, each argument under the group vLLM files it in. Every other key keeps its
 * exact text; only the rewritten container objects are re-laid out, one member per line in the
 * file's own indentation. Refuses while legacy values contradict each other, and refuses to write a
 * result whose argv differs from the original's.
 */
import { parse as parseJson } from '@humanwhocodes/momoa';
import type { ObjectNode } from '@humanwhocodes/momoa';
import { Reporter } from './fleet-checks';
import type { Container } from './generated/config-types';
import type { LoadedConfig } from './load';
import { catalogFor, userGroup } from './vllm-catalog';
import { collectLayer, LEGACY_KEYS } from './vllm';
import { DEFAULTS } from './generated/defaults';
import { Diagnostic, hasErrors } from './diagnostics';

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
