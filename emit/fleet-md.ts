/**
 * out/FLEET.md: an overview of the compiled fleet for reviewers. The clone tree as a Mermaid
 * flowchart, one table per GPU with the memory the CTIDs on it claim, a table of CTIDs and the
 * compile's notes. Built only from the plan, so `--only` restricts it like every other file.
 *
 * Every value from the config goes through one of the encoders below: `mermaidLabel` for the
 * diagram (Mermaid's "..." labels with entity codes), `mdCode` for table cells, `htmlComment` for
 * the header and `textBlock` for the notes.
 */
import type { ContainerSummary, FleetPlan } from '../compiler/plan/model';
import type { FleetEmitter } from './artifact';
import { headerLines } from './header';
import { htmlComment, mdCode, textBlock } from '../encode/markdown';
import { mermaidLabel, nodeId } from '../encode/mermaid';

const DASH = '—';

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
  out.push(
    'Templates (CTIDs that take a snapshot to clone from) are drawn as stadiums; each edge is labelled with the snapshot the clone is made from; each node lists the features the CTID itself adds.',
    '',
  );
  out.push(...mermaidBlock(fleet), '');
  if (fleet.cluster) out.push('## Nodes', '', ...nodeTable(fleet), '');
  out.push('## GPUs', '');
  out.push(...gpuSections(fleet.gpuBudget));
  out.push('## CTIDs', '');
  out.push(...(fleet.cluster ? clusterCtidTable(cts) : ctidTable(cts)), '');
  out.push('## Notes', '');
  out.push(...notesSection(fleet));
  return out.join('\n');
}

function byCtid(cs: readonly ContainerSummary[]): ContainerSummary[] {
  return [...cs].sort((a, b) => Number(a.ctid) - Number(b.ctid) || (a.ctid < b.ctid ? -1 : a.ctid > b.ctid ? 1 : 0));
}

function isTemplate(c: ContainerSummary): boolean {
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
    const label = [`${c.ctid} ${c.name}`, ...(c.host.features.length ? [`+ ${c.host.features.map((f) => f.name).join(', ')}`] : [])]
      .map(mermaidLabel)
      .join('<br/>');
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

// ---------------------------------------------------------------------------------------------
// Markdown

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function table(head: string[], align: ('l' | 'r')[], rows: string[][]): string[] {
  return [row(head), row(align.map((a) => (a === 'r' ? '---:' : '---'))), ...rows.map(row)];
}

function num(n: number): string {
  return String(+n.toFixed(4));
}

// ---------------------------------------------------------------------------------------------
// GPUs

function gpuSections(uses: FleetPlan['gpuBudget']): string[] {
  if (uses.length === 0) return ['No CTID is assigned a GPU.', ''];
  const out: string[] = [];
  for (const u of uses) {
    out.push(
      `### ${u.node !== undefined ? `Node ${mdCode(u.node)}, GPU` : 'GPU'} ${u.index}${u.model !== undefined ? `: ${mdCode(u.model)}, compute capability ${mdCode(u.capability!)}` : ''}`,
      '',
    );
    const rows = u.rows.map((r) => [r.ctid, mdCode(r.name), r.util !== undefined ? num(r.util) : DASH, r.atBoot ? 'yes' : 'no']);
    const flag = u.over ? ` ⚠ over ${u.limit.toFixed(1)}` : '';
    rows.push(['**sum at boot**', '', `**${num(u.bootSum)}**${flag}`, '']);
    out.push(...table(['CTID', 'name', 'gpu_memory_utilization', 'start_at_boot'], ['r', 'l', 'r', 'l'], rows), '');
  }
  out.push(
    `The sum counts the vLLM CTIDs that start at boot${uses.some((u) => u.node !== undefined) ? ' on that node' : ''}; above 1.0 they cannot all get the memory they ask for.`,
    '',
  );
  return out;
}

// ---------------------------------------------------------------------------------------------
// CTIDs

export function ctidRows(containers: readonly ContainerSummary[]): string[][] {
  return byCtid(containers).map((c) => {
    const v = c.vllm;
    const opt = (s: string | undefined) => (s === undefined || s === '' ? DASH : mdCode(s));
    return [
      c.ctid,
      mdCode(c.name),
      opt(c.host.ipCidr),
      opt(c.host.mac),
      v ? String(v.port) : DASH,
      opt(v?.servedModelName),
      opt(v?.quantization),
      opt(v?.kvCacheDtype),
    ];
  });
}

/** A cluster: each node with its address, GPUs, shared storages and CTIDs. */
function nodeTable(fleet: FleetPlan): string[] {
  const rows = fleet.cluster!.nodes.map((n) => [
    mdCode(n.name),
    n.address !== undefined ? mdCode(n.address) : 'from the cluster',
    n.gpus.map((g) => `${g.index}: ${mdCode(g.model)}`).join(', ') || DASH,
    n.sharedStorages.map(mdCode).join(', ') || DASH,
    byCtid(fleet.containers.filter((c) => c.node === n.name))
      .map((c) => c.ctid)
      .join(', ') || DASH,
  ]);
  return [
    ...table(['node', 'address (ssh)', 'GPUs', 'shared storages', 'CTIDs'], ['l', 'l', 'l', 'l', 'l'], rows),
    '',
    "out/phoenix runs each CTID's scripts on its node (there over the cluster's ssh trust) after checking with pvesh that the CTID lives there.",
  ];
}

function clusterCtidTable(cts: ContainerSummary[]): string[] {
  const rows = ctidRows(cts).map((r, i) => [...r, mdCode(cts[i].node ?? '')]);
  return table(
    ['CTID', 'name', 'IP', 'MAC', 'vLLM port', 'served model', 'quantization', 'KV-cache dtype', 'node'],
    ['r', 'l', 'l', 'l', 'r', 'l', 'l', 'l', 'l'],
    rows,
  );
}

function ctidTable(cts: ContainerSummary[]): string[] {
  return table(
    ['CTID', 'name', 'IP', 'MAC', 'vLLM port', 'served model', 'quantization', 'KV-cache dtype'],
    ['r', 'l', 'l', 'l', 'r', 'l', 'l', 'l'],
    ctidRows(cts),
  );
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
