/**
 * out/FLEET.md: an overview of the compiled fleet for reviewers. The clone tree as a Mermaid
 * flowchart, one table per GPU with the memory the CTIDs on it claim, a table of CTIDs and the
 * compile's notes. Built only from the plan, so `--only` restricts it like every other file.
 *
 * Every value from the config goes through one of the encoders below: `mermaidLabel` for the
 * diagram (Mermaid's "..." labels with entity codes), `mdCode` for table cells, `htmlComment` for
 * the header and `textBlock` for the notes.
 */
import type { ContainerPlan, FleetPlan } from '../compiler/plan';
import type { FleetEmitter } from './artifact';
import { headerLines } from './header';

const DASH = '—';
/** Above this, the GPU memory claimed by containers that start at boot cannot all be had. */
const GPU_BUDGET = 1;

export const emitFleetMd: FleetEmitter = (fleet) => {
  if (fleet.containers.length === 0) return [];
  return [{ kind: 'FLEET.md', path: 'FLEET.md', mode: 0o644, content: renderFleetMd(fleet) }];
};

export function renderFleetMd(fleet: FleetPlan): string {
  const cts = byCtid(fleet.containers);
  const out: string[] = [];
  out.push('<!--', ...headerLines(fleet, undefined).map(htmlComment), '-->', '');
  out.push('# Fleet overview', '');
  out.push(`${cts.length} CTID${cts.length === 1 ? '' : 's'}: ${cts.map((c) => c.ctid).join(', ')}.`, '');
  out.push('## Clone tree', '');
  out.push('Templates (CTIDs that take a snapshot to clone from) are drawn as stadiums; each edge is labelled with the snapshot the clone is made from; each node lists the features the CTID itself adds.', '');
  out.push(...mermaidBlock(fleet), '');
  out.push('## GPUs', '');
  out.push(...gpuSections(cts, fleet.hostGpus));
  out.push('## CTIDs', '');
  out.push(...ctidTable(cts), '');
  out.push('## Notes', '');
  out.push(...notesSection(fleet));
  return out.join('\n');
}

function byCtid(cs: readonly ContainerPlan[]): ContainerPlan[] {
  return [...cs].sort((a, b) => Number(a.ctid) - Number(b.ctid) || (a.ctid < b.ctid ? -1 : a.ctid > b.ctid ? 1 : 0));
}

function isTemplate(c: ContainerPlan): boolean {
  return c.host.snapshot !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/** The flowchart text alone (without the fence); exported for the tests. */
export function mermaidFlowchart(fleet: FleetPlan): string {
  const cts = byCtid(fleet.containers);
  const ids = new Set(cts.map((c) => c.ctid));
  const lines = ['flowchart TD'];
  for (const c of cts) {
    const label = [`${c.ctid} ${c.name}`, ...(c.host.features.length ? [`+ ${c.host.features.map((f) => f.name).join(', ')}`] : [])].map(mermaidLabel).join('<br/>');
    lines.push(isTemplate(c) ? `  ${nodeId(c.ctid)}(["${label}"])` : `  ${nodeId(c.ctid)}["${label}"]`);
  }
  for (const c of cts) {
    const d = c.host.define;
    if (d.mode !== 'clone' || !ids.has(d.source)) continue;
    lines.push(d.snapshot ? `  ${nodeId(d.source)} -->|"${mermaidLabel(d.snapshot)}"| ${nodeId(c.ctid)}` : `  ${nodeId(d.source)} --> ${nodeId(c.ctid)}`);
  }
  const templates = cts.filter(isTemplate);
  lines.push('  classDef template fill:#eef4ff,stroke:#3366cc,stroke-width:2px');
  if (templates.length) lines.push(`  class ${templates.map((c) => nodeId(c.ctid)).join(',')} template`);
  return lines.join('\n') + '\n';
}

function mermaidBlock(fleet: FleetPlan): string[] {
  return ['```mermaid', ...mermaidFlowchart(fleet).trimEnd().split('\n'), '```'];
}

/** A node id made only of `c` and the CTID's digits (anything else is hex-encoded). */
export function nodeId(ctid: string): string {
  return 'c' + [...ctid].map((ch) => (/[0-9]/.test(ch) ? ch : `_${ch.codePointAt(0)!.toString(16)}_`)).join('');
}

const MERMAID_NAMED: Record<string, string> = { '"': '#quot;', '#': '#35;', '<': '#lt;', '>': '#gt;', '&': '#amp;' };

/**
 * Text for inside a Mermaid "..." label: letters, digits, space and harmless punctuation stay;
 * every other ASCII character, control and format character (bidi overrides, zero-width) and
 * non-space white space becomes an entity code (#quot;, #35;, #124;, ...), so no name can end the
 * string, open markup, start a comment or a markdown string, or change the diagram.
 */
export function mermaidLabel(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (/^[A-Za-z0-9 .,:/_+=@!?'-]$/.test(ch)) out += ch;
    else if (MERMAID_NAMED[ch]) out += MERMAID_NAMED[ch];
    else if (cp >= 0x80 && /^[\p{L}\p{N}\p{M}\p{S}\p{P}]$/u.test(ch)) out += ch;
    else out += `#${cp};`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Markdown

/** A table cell as a code span: longer backtick fence than any run inside, `|` escaped, one line. */
export function mdCode(s: string): string {
  const one = s.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ');
  const longest = Math.max(0, ...[...one.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = one.startsWith('`') || one.endsWith('`') || (one.startsWith(' ') && one.endsWith(' ') && one.trim() !== '') ? ' ' : '';
  return `${fence}${pad}${one.replace(/\|/g, '\\|')}${pad}${fence}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [row(head), row(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(row)];
}

/** A header line inside an HTML comment: only `-->` / `--!>` could end it early. */
function htmlComment(s: string): string {
  return s.replace(/--(!?)>/g, '--$1 >');
}

/** Lines inside a fenced block whose fence is longer than any backtick run in them. */
function textBlock(lines: string[]): string[] {
  const flat = lines.map((l) => l.replace(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g, ' ').replace(/\n/g, ' '));
  const longest = Math.max(2, ...flat.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, ...flat, fence];
}

function num(n: number): string {
  return String(+n.toFixed(4));
}

// ---------------------------------------------------------------------------------------------
// GPUs

export interface GpuUse {
  index: number;
  /** Model and compute capability, from the host's GPU list. */
  model?: string;
  capability?: string;
  rows: { ctid: string; name: string; util?: number; atBoot: boolean }[];
  /** Sum of gpu_memory_utilization over the vLLM CTIDs that start at boot. */
  bootSum: number;
  over: boolean;
}

export function gpuUse(containers: readonly ContainerPlan[], host: FleetPlan['hostGpus'] = []): GpuUse[] {
  const by = new Map<number, GpuUse>();
  for (const c of byCtid(containers)) {
    for (const g of c.host.gpus) {
      const u = by.get(g) ?? { index: g, rows: [], bootSum: 0, over: false };
      by.set(g, u);
      const hg = host.find((x) => x.index === g) ?? c.vllm?.gpus.find((x) => x.index === g);
      if (hg && u.model === undefined) {
        u.model = hg.model;
        u.capability = hg.capability;
      }
      const atBoot = c.effective.start_at_boot === true;
      u.rows.push({ ctid: c.ctid, name: c.name, ...(c.vllm ? { util: c.vllm.gpuMemoryUtilization } : {}), atBoot });
      if (atBoot && c.vllm) u.bootSum += c.vllm.gpuMemoryUtilization;
    }
  }
  const list = [...by.values()].sort((a, b) => a.index - b.index);
  for (const u of list) {
    u.bootSum = +u.bootSum.toFixed(4);
    u.over = u.bootSum > GPU_BUDGET + 1e-9;
  }
  return list;
}

function gpuSections(cts: ContainerPlan[], host: FleetPlan['hostGpus']): string[] {
  const uses = gpuUse(cts, host);
  if (uses.length === 0) return ['No CTID is assigned a GPU.', ''];
  const out: string[] = [];
  for (const u of uses) {
    out.push(`### GPU ${u.index}${u.model !== undefined ? `: ${mdCode(u.model)}, compute capability ${mdCode(u.capability!)}` : ''}`, '');
    const rows = u.rows.map((r) => [r.ctid, mdCode(r.name), r.util !== undefined ? num(r.util) : DASH, r.atBoot ? 'yes' : 'no']);
    const flag = u.over ? ` ⚠ over ${GPU_BUDGET.toFixed(1)}` : '';
    rows.push(['**sum at boot**', '', `**${num(u.bootSum)}**${flag}`, '']);
    out.push(...table(['CTID', 'name', 'gpu_memory_utilization', 'start_at_boot'], ['r', 'l', 'r', 'l'], rows), '');
  }
  out.push('The sum counts the vLLM CTIDs that start at boot; above 1.0 they cannot all get the memory they ask for.', '');
  return out;
}

// ---------------------------------------------------------------------------------------------
// CTIDs

export function ctidRows(containers: readonly ContainerPlan[]): string[][] {
  return byCtid(containers).map((c) => {
    const v = c.vllm;
    const opt = (s: string | undefined) => (s === undefined || s === '' ? DASH : mdCode(s));
    return [c.ctid, mdCode(c.name), opt(c.effective.network_config?.ip), opt(c.effective.mac_address), v ? String(v.port) : DASH, opt(v?.servedModelName), opt(v?.quantization), opt(v?.kvCacheDtype)];
  });
}

function ctidTable(cts: ContainerPlan[]): string[] {
  return table(['CTID', 'name', 'IP', 'MAC', 'vLLM port', 'served model', 'quantization', 'KV-cache dtype'], ['r', 'l', 'l', 'l', 'r', 'l', 'l', 'l'], ctidRows(cts));
}

// ---------------------------------------------------------------------------------------------
// Notes

/** The compile's warnings and notes, as the compiler reported them (without positions). */
export function noteLines(fleet: FleetPlan): string[] {
  return fleet.notices.map((n) => `${n.ctid !== undefined ? `CTID ${n.ctid}: ` : ''}${n.severity} ${n.code}: ${n.message}`);
}

function notesSection(fleet: FleetPlan): string[] {
  const lines = noteLines(fleet);
  if (lines.length === 0) return ['None.', ''];
  return [...textBlock(lines), ''];
}
