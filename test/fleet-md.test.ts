/**
 * out/FLEET.md: its Mermaid flowchart is parsed by Mermaid itself (the `mermaid` package's parser
 * and flowchart database, with jsdom standing in for the browser's DOM) for the example, both
 * real files, every golden case that compiles and a plan with hostile names; the nodes, edges and
 * labels Mermaid reads back must be exactly the clone tree. Markdown tables keep their columns
 * whatever the values, and the example's numbers are checked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../compiler/compile';
import type { ContainerSummary, FleetPlan } from '../compiler/plan/model';
import { mermaidFlowchart, renderFleetMd } from '../emit/fleet-md';
import { mermaidLabel } from '../encode/mermaid';
import { nodeId } from '../encode/mermaid';
import { caseArgs, caseInput, GOLDEN_DIR, listCases } from './golden/cases';
import { repoRoot } from './lib/paths';

const ROOT = repoRoot();
const REAL = path.join(ROOT, 'fixtures', 'real');
const EXAMPLE = fs.readFileSync(path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');

interface Vertex {
  id: string;
  text: string;
  type: string;
  classes: string[];
}
interface Edge {
  start: string;
  end: string;
  text: string;
}
interface Mermaid {
  parse(text: string): Promise<unknown>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ type: string; db: { getVertices(): Map<string, Vertex>; getEdges(): Edge[] } }> };
}
let mermaid: Mermaid;

// mermaid is an ES module that needs a DOM (DOMPurify) when it loads; the globals exist only
// while it loads, so no other suite in this process sees them.
test.before(async () => {
  const { JSDOM } = require('jsdom') as { JSDOM: new (html: string) => { window: { document: unknown; close(): void } } };
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  const g = globalThis as Record<string, unknown>;
  g.window = dom.window;
  g.document = dom.window.document;
  try {
    const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: Mermaid }>;
    mermaid = (await importEsm('mermaid')).default;
  } finally {
    delete g.window;
    delete g.document;
  }
});

function compileText(text: string, only?: string[]) {
  return compile({
    file: 'input.json',
    text,
    source: { file: 'input.json', regenerate: 'npm run compile' },
    compiler: { name: 'phoenix-compile', version: '0' },
    ...(only ? { only } : {}),
  });
}

function compiled(text: string, only?: string[]): { plan: FleetPlan; md: string } {
  const r = compileText(text, only);
  assert.ok(r.ok, r.diagnostics.map((d) => d.message).join('\n'));
  const f = r.files.find((x) => x.path === 'FLEET.md');
  assert.ok(f, 'FLEET.md emitted');
  assert.is((f as { kind?: string }).kind, 'FLEET.md');
  return { plan: r.plan!, md: f!.content };
}

/** The one ```mermaid block of a FLEET.md. */
function mermaidBlock(md: string): string {
  const blocks = [...md.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)];
  assert.is(blocks.length, 1, 'exactly one mermaid block');
  return blocks[0][1];
}

/** Mermaid's own reading of a flowchart; throws on anything it rejects. */
async function readDiagram(text: string): Promise<{ vertices: Vertex[]; edges: Edge[] }> {
  await mermaid.parse(text);
  const d = await mermaid.mermaidAPI.getDiagramFromText(text);
  assert.is(d.type, 'flowchart-v2');
  return { vertices: [...d.db.getVertices().values()], edges: d.db.getEdges() };
}

const NAMED: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>' };
/** Undo Mermaid's entity codes as it keeps them in its database (ﬂ°°N¶ß numeric, ﬂ°name¶ß named). */
function decode(s: string): string {
  return s.replace(/ﬂ°°(\d+)¶ß/g, (_, n: string) => String.fromCodePoint(Number(n))).replace(/ﬂ°(\w+)¶ß/g, (_, n: string) => NAMED[n] ?? `&${n};`);
}

function isTemplate(c: ContainerSummary): boolean {
  return c.host.snapshot !== undefined;
}

/** The diagram Mermaid reads is exactly the clone tree of the plan, labels included. */
async function assertTree(plan: FleetPlan, md: string): Promise<void> {
  const block = mermaidBlock(md);
  assert.is(block, mermaidFlowchart(plan));
  const { vertices, edges } = await readDiagram(block);
  const cts = [...plan.containers].sort((a, b) => Number(a.ctid) - Number(b.ctid));
  assert.equal(
    vertices.map((v) => v.id),
    cts.map((c) => nodeId(c.ctid)),
    'one node per CTID, in CTID order',
  );
  for (const c of cts) {
    const v = vertices.find((x) => x.id === nodeId(c.ctid))!;
    const want = [`${c.ctid} ${c.name}`, ...(c.host.features.length ? [`+ ${c.host.features.map((f) => f.name).join(', ')}`] : [])];
    assert.equal(decode(v.text).split('<br>'), want, `label of ${c.ctid}`);
    assert.is(v.type, isTemplate(c) ? 'stadium' : 'square', `shape of ${c.ctid}`);
    assert.equal(v.classes, isTemplate(c) ? ['template'] : [], `class of ${c.ctid}`);
  }
  const clones = cts.filter((c) => c.host.define.mode === 'clone');
  assert.equal(
    edges.map((e) => [e.start, e.end, decode(e.text)]),
    clones.map((c) => {
      const d = c.host.define as { source: string; snapshot: string };
      return [nodeId(d.source), nodeId(c.ctid), d.snapshot];
    }),
    'one edge per clone, labelled with the snapshot',
  );
}

/** Cells of a Markdown table row, split on unescaped pipes only. */
function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((s) => s.trim());
}

/** Every table (outside fenced blocks) as rows of cells; every row as wide as its header. */
function tables(md: string): { heading: string; rows: string[][] }[] {
  const out: { heading: string; rows: string[][] }[] = [];
  let heading = '';
  let fence = false;
  let cur: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (/^```/.test(line)) fence = !fence;
    if (fence) continue;
    if (line.startsWith('#')) heading = line;
    if (line.startsWith('|')) {
      if (!cur) out.push({ heading, rows: (cur = []) });
      cur.push(cells(line));
    } else cur = undefined;
  }
  for (const t of out) {
    const width = t.rows[0].length;
    assert.ok(/^(---|---:)$/.test(t.rows[1][0]), `${t.heading}: delimiter row`);
    for (const r of t.rows) assert.is(r.length, width, `${t.heading}: row ${JSON.stringify(r)} has ${r.length} cells, the header ${width}`);
  }
  return out;
}

/** A code-span cell back to its value. */
function unCode(cell: string): string {
  const m = /^(`+) ?([\s\S]*?) ?\1$/.exec(cell);
  return (m ? m[2] : cell).replace(/\\\|/g, '|');
}

async function assertFleetMd(plan: FleetPlan, md: string): Promise<void> {
  assert.ok(md.startsWith('<!--\nGenerated by '), 'starts with the header comment');
  assert.is(md.indexOf('-->'), md.indexOf('\n-->\n') + 1, 'the header comment ends where it should');
  await assertTree(plan, md);
  const ctids = tables(md).find((t) => t.heading === '## CTIDs')!;
  assert.equal(
    ctids.rows.slice(2).map((r) => r[0]),
    [...plan.containers].map((c) => c.ctid).sort((a, b) => Number(a) - Number(b)),
  );
  for (const r of ctids.rows.slice(2)) {
    const c = plan.containers.find((x) => x.ctid === r[0])!;
    assert.is(unCode(r[1]), c.name);
    if (c.vllm) assert.is(unCode(r[5]), c.vllm.servedModelName);
    if (c.node !== undefined) assert.is(unCode(r[r.length - 1]), c.node);
  }
}

// ------------------------------------------------------------------------------------------

test('example: the diagram parses and is the clone tree 900 -> 901 -> 921', async () => {
  const { plan, md } = compiled(EXAMPLE);
  await assertFleetMd(plan, md);
  const block = mermaidBlock(md);
  assert.match(block, /c900\(\["900 Template-Base<br\/>\+ base_setup"\]\)/);
  assert.match(block, /c901 -->\|"pre-configured"\| c921/);
});

test('example: GPU tables, sums and the CTID table', () => {
  const { md } = compiled(EXAMPLE);
  const ts = tables(md);
  assert.equal(
    ts.map((t) => t.heading),
    ['### GPU 0: `NVIDIA GeForce RTX 5060 Ti`, compute capability `12.0`', '### GPU 1: `NVIDIA GeForce RTX 5060 Ti`, compute capability `12.0`', '## CTIDs'],
  );
  for (const t of ts.slice(0, 2)) {
    assert.equal(t.rows[0], ['CTID', 'name', 'gpu_memory_utilization', 'start_at_boot']);
    assert.equal(t.rows.slice(2), [
      ['901', '`Template-GPU`', '—', 'no'],
      ['921', '`Template-VLLM-FP8`', '0.9', 'no'],
      ['**sum at boot**', '', '**0**', ''],
    ]);
  }
  assert.equal(ts[2].rows[0], ['CTID', 'name', 'IP', 'MAC', 'vLLM port', 'served model', 'quantization', 'KV-cache dtype']);
  assert.equal(ts[2].rows.slice(2), [
    ['900', '`Template-Base`', '`10.0.0.200/24`', '`52:54:00:AA:BB:CC`', '—', '—', '—', '—'],
    ['901', '`Template-GPU`', '`10.0.0.201/24`', '`52:54:00:AA:BB:CD`', '—', '—', '—', '—'],
    ['921', '`Template-VLLM-FP8`', '`10.0.0.221/24`', '`52:54:00:AA:BB:D2`', '8000', '`llama-3.2-3b-fp8`', '`fp8`', '`fp8`'],
  ]);
  assert.not.match(md, /⚠/);
  assert.match(
    md,
    /## Notes\n\n```text\nCTID 921: note PHX031: kv_cache_dtype fp8 on compute capability 12\.0: .*VLLM_ATTENTION_BACKEND=FLASHINFER and verify\.sh checks for the V1 engine\n```\n$/,
  );
});

test('out/FLEET.md is what the example compiles to', () => {
  const out = path.join(ROOT, 'out', 'FLEET.md');
  assert.ok(fs.existsSync(out), 'run npm run compile');
  const got = fs.readFileSync(out, 'utf8');
  assert.ok(got.includes('```mermaid\nflowchart TD\n  c900(["900 Template-Base'));
});

if (fs.existsSync(REAL)) {
  test('real 2b02afc: the whole fleet', async () => {
    const { plan, md } = compiled(fs.readFileSync(path.join(REAL, 'phoenix_lxc_configs.2b02afc.json'), 'utf8'));
    assert.is(plan.containers.length, 12);
    await assertFleetMd(plan, md);
  });
  test('real 08cb921: the CTIDs that compile', async () => {
    // FLEET.md describes every CTID, so it is drawn from a full compile of the file without the
    // CTIDs that do not compile (with --only it would not be written while they have errors).
    const only = ['900', '901', '902', '910', '920', '921', '951', '952', '953', '954', '955', '956', '957'];
    const doc = JSON.parse(fs.readFileSync(path.join(REAL, 'phoenix_lxc_configs.08cb921.json'), 'utf8'));
    doc.lxc_configs = Object.fromEntries(Object.entries(doc.lxc_configs).filter(([id]) => only.includes(id)));
    const { plan, md } = compiled(JSON.stringify(doc, null, 2));
    assert.equal(plan.containers.map((c) => c.ctid).sort(), [...only].sort());
    await assertFleetMd(plan, md);
  });
} else {
  test('real files', () => {
    console.log(`SKIPPED: ${REAL} is not there`);
    assert.ok(!process.env.CI, 'the real files are missing');
  });
}

for (const c of listCases()) {
  const expected = path.join(c.dir, 'expected', 'FLEET.md');
  if (!fs.existsSync(expected)) continue;
  test(`golden ${c.name}: expected FLEET.md parses and matches the plan`, async () => {
    const args = caseArgs(c);
    const at = args.indexOf('--only');
    const { plan } = compiled(caseInput(c).toString('utf8'), at >= 0 ? args[at + 1].split(',') : undefined);
    await assertFleetMd(plan, fs.readFileSync(expected, 'utf8'));
  });
}

test('golden fleet-overview: shared GPUs, the over-1.0 flag, hostile values in cells', () => {
  const { md } = compiled(caseInput({ name: 'fleet-overview', dir: path.join(GOLDEN_DIR, 'fleet-overview') }).toString('utf8'));
  const ts = tables(md);
  const gpu0 = ts.find((t) => t.heading.startsWith('### GPU 0'))!;
  assert.equal(
    gpu0.rows.slice(2).map((r) => [r[0], r[2], r[3]]),
    [
      ['901', '—', 'no'],
      ['920', '—', 'no'],
      ['921', '0.9', 'no'],
      ['950', '0.55', 'yes'],
      ['951', '0.5', 'yes'],
      ['**sum at boot**', '**1.05** ⚠ over 1.0', ''],
    ],
  );
  const gpu1 = ts.find((t) => t.heading.startsWith('### GPU 1'))!;
  assert.is(gpu1.heading, '### GPU 1: `` RTX "Pro" \\| 6000 <96GB> `x` ``, compute capability `12.0`');
  assert.equal(gpu1.rows.at(-1), ['**sum at boot**', '', '**0.4**', '']);
  const rows = ts.find((t) => t.heading === '## CTIDs')!.rows;
  assert.is(unCode(rows.find((r) => r[0] === '950')![5]), 'qwen|7b `awq`');
  assert.is(unCode(rows.find((r) => r[0] === '952')![5]), '"quoted" [bracket] --> #1 ü ✓');
  assert.match(
    md,
    /\nCTID 951: warning PHX113: GPU 0 is shared by containers that start at boot whose gpu_memory_utilization adds up to 1\.05 \(> 1\): 950: 0\.55, 951: 0\.5\n/,
  );
});

test("--only: FLEET.md and phoenix are the full compile's (every CTID); only the named CTIDs' own files are emitted", async () => {
  const text = caseInput({ name: 'fleet-overview', dir: path.join(GOLDEN_DIR, 'fleet-overview') }).toString('utf8');
  const full = compileText(text);
  const only = compileText(text, ['951']);
  assert.ok(only.ok && full.ok);
  assert.equal(
    only.files.map((f) => f.path.split('/')[0]).filter((p, i, a) => a.indexOf(p) === i),
    ['951', 'FLEET.md', 'phoenix'],
  );
  for (const f of only.files) assert.is(f.content, full.files.find((x) => x.path === f.path)!.content, f.path);
  await assertFleetMd(only.plan!, only.files.find((f) => f.path === 'FLEET.md')!.content);
  assert.ok(fs.existsSync(path.join(GOLDEN_DIR, 'fleet-overview-only', 'expected', 'FLEET.md')), 'golden case fleet-overview-only');
});

test('deterministic: the order of lxc_configs does not matter', () => {
  const doc = JSON.parse(caseInput({ name: 'fleet-overview', dir: path.join(GOLDEN_DIR, 'fleet-overview') }).toString('utf8'));
  const reversed = { ...doc, lxc_configs: Object.fromEntries(Object.entries(doc.lxc_configs).reverse()) };
  assert.is(compiled(JSON.stringify(reversed)).md, compiled(JSON.stringify(doc)).md);
});

// ------------------------------------------------------------------------------------------
// Hostile names. The schema only lets hostnames through `name` and [a-z0-9_] through features,
// so the plan is edited directly: the emitter must stay safe whatever it is given.

const HOSTILE = [
  'evil "quoted" \'single\' [bracket] {brace} (paren) ((dbl)) >asym] | pipe',
  'c921 --> c900 -.-> x ==> y; click c900 call alert() %% comment end',
  '#quot; #35; &amp; &lt;b&gt; <b>bold</b> <img src=x onerror=alert(1)> `code` "`md`"',
  'ünïcødé ✓ 🚀 日本語 \u202eRTL\u202c zero\u200bwidth\nnew line\ttab :::template @{ shape: circle }',
];

function hostilePlan(): FleetPlan {
  const { plan } = compiled(EXAMPLE);
  const p = JSON.parse(JSON.stringify(plan)) as FleetPlan;
  p.source.file = 'evil --> file.json';
  p.containers.forEach((c, i) => {
    c.name = HOSTILE[i % HOSTILE.length];
    c.host.features = c.host.features.map((f, j) => ({ ...f, name: HOSTILE[(i + j + 1) % HOSTILE.length] }));
    if (c.host.snapshot) c.host.snapshot = `snap ${HOSTILE[(i + 2) % HOSTILE.length]}`;
    if (c.host.define.mode === 'clone') c.host.define.snapshot = `snap ${HOSTILE[(i + 1) % HOSTILE.length]}`;
    if (c.vllm) {
      c.vllm.servedModelName = HOSTILE[0];
      c.vllm.quantization = '| a | b |';
    }
  });
  p.notices = [{ severity: 'note', code: 'PHX031', ctid: '921', path: '$', message: '```\n# not a heading | x' }];
  return p;
}

test('hostile names: Mermaid reads back exactly the names, tables keep their columns', async () => {
  const plan = hostilePlan();
  const md = renderFleetMd(plan);
  await assertFleetMd(plan, md);
  const rows = tables(md).find((t) => t.heading === '## CTIDs')!.rows;
  assert.is(unCode(rows.find((r) => r[0] === '921')![6]), '| a | b |');
  // The notes fence is longer than any backtick run in the notes.
  assert.match(md, /\n````text\nCTID 921: note PHX031: ``` # not a heading \| x\n````\n$/);
});

test('negative: Mermaid rejects a broken block, and so does the check', async () => {
  const plan = hostilePlan();
  const good = mermaidFlowchart(plan);
  await readDiagram(good);
  // The same diagram with one label written raw, as an emitter without escaping would.
  const raw = good.replace(mermaidLabel(HOSTILE[0]), HOSTILE[0]);
  assert.is.not(raw, good);
  for (const broken of [raw, 'flowchart TD\n  c1["a "quoted" name"] --> c2\n', 'flowchart TD\n  c1[x --> \n']) {
    let rejected = false;
    try {
      await readDiagram(broken);
    } catch {
      rejected = true;
    }
    assert.ok(rejected, `accepted a broken diagram:\n${broken}`);
  }
  const { plan: example, md } = compiled(EXAMPLE);
  let failed = false;
  try {
    await assertTree(example, md.replace('c901 -->|"pre-configured"| c921', 'c901 -->|"pre-"configured"| c921'));
  } catch {
    failed = true;
  }
  assert.ok(failed, 'assertTree accepted a broken FLEET.md');
});

test('labels: only safe characters stay raw', () => {
  assert.is(mermaidLabel('a "b" #c <d> & |e|'), 'a #quot;b#quot; #35;c #lt;d#gt; #amp; #124;e#124;');
  assert.is(mermaidLabel('x\ny\u202e'), 'x#10;y#8238;');
  assert.is(mermaidLabel('ü ✓'), 'ü ✓');
  assert.is(nodeId('921'), 'c921');
});

test.run();
