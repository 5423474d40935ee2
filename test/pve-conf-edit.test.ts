/**
 * create.sh edits /etc/pve/lxc/<CTID>.conf as Proxmox reads it: its own functions
 * (first_section_line, current_config, has_lxc_line, add_lxc_lines, taken from the generated
 * script text) against the stand-in's parser (test/harness/pve/pve_lxc_conf.py, which follows
 * parse_pct_config of pve-container 94f5585, src/PVE/LXC/Config.pm:1126-1222) on generated files:
 * current sections, pending and snapshot headers in any case, raw lines in every form Proxmox
 * reads (key: value, key:value, key=value, key = value, tabs, trailing blanks) and forms it does
 * not (key : value, upper case), blank lines, comments, a missing last newline.
 *
 *   - has_lxc_line KEY VALUE answers true exactly when Proxmox's current configuration holds
 *     [KEY, VALUE] (a line only a snapshot or the pending section holds does not count);
 *   - add_lxc_lines leaves every other byte as it was, and Proxmox then reads the added lines as
 *     the last raw lines of the current configuration, the other sections unchanged.
 * The TypeScript reading of a line (compiler/proxmox/lxc-conf.ts) is held to the same parser.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { lxcKeyVerdict, parseRawLxcLine } from '../compiler/proxmox/lxc-conf';
import { compileFleet, ct } from './lib/proxmox-fleet';
import { repoRoot, tmpDir } from './lib/paths';
import type { PctConfig } from './lib/pve-conf';

const PVE = path.join(repoRoot(), 'test', 'harness', 'pve');

/** Runs `code` in Python with pve_lxc_conf imported as pc; `input` is JSON on stdin, the answer JSON on stdout. */
function py<T>(code: string, input: unknown): T {
  const r = spawnSync(
    'python3',
    ['-c', `import json, sys\nsys.path.insert(0, ${JSON.stringify(PVE)})\nimport pve_lxc_conf as pc\ndata = json.load(sys.stdin)\n${code}`],
    {
      input: JSON.stringify(input),
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as T;
}

const parseAll = (files: string[]): PctConfig[] => py<PctConfig[]>('print(json.dumps([pc.parse("/etc/pve/lxc/905.conf", f) for f in data]))', files);

// The generated functions, from a create.sh with raw LXC lines.
let functions = '';
test.before(() => {
  const out = compileFleet('pve-conf-edit', { '905': ct('905', { lxc_options: ['lxc.apparmor.profile=unconfined'] }) });
  const text = fs.readFileSync(out.createSh('905'), 'utf8');
  const from = text.indexOf('readonly SECTION_HEADER=');
  const to = text.indexOf('# Adds the LXC_LINES');
  assert.ok(from > 0 && to > from, 'the LXC functions are in create.sh');
  functions = text.slice(from, to);
});

const KEYS = ['lxc.apparmor.profile', 'lxc.cgroup2.devices.allow', 'lxc.hook.pre-start', 'lxc.mount.entry'];
const VALUES = ['unconfined', 'c 195:* rwm', "sh -c 'x'", 'a=b: c'];
const line = fc.oneof(
  // raw lines in the forms Proxmox reads, and in some it does not
  fc
    .tuple(
      fc.constantFrom(...KEYS),
      fc.constantFrom(': ', ':', '=', ' = ', '\t=\t', ' : ', ' '),
      fc.constantFrom(...VALUES),
      fc.constantFrom('', ' ', '\t', ' \r'),
    )
    .map(([k, sep, v, tail]) => `${k}${sep}${v}${tail}`),
  fc.constantFrom('LXC.apparmor.profile: unconfined', 'lxc.Apparmor.profile=unconfined', ' lxc.apparmor.profile: unconfined'),
  // options, blank lines, comments
  fc.constantFrom('arch: amd64', 'memory: 2048', 'parent: gpu', 'snaptime: 1735689600', '', '   ', '#a comment', '#[gpu]', 'onboot: 1'),
  // section headers Proxmox reads, and look-alikes it does not
  fc.constantFrom('[gpu]', '[GPU]', '[pre-configured]', '[pve:pending]', '[PVE:Pending]', '[gpu]  ', '[a]', '[9x]', ' [gpu]', '[gpu] x'),
);
const files = fc.tuple(fc.array(line, { maxLength: 14 }), fc.boolean()).map(([ls, nl]) => ls.join('\n') + (nl && ls.length ? '\n' : ''));

/** Runs the functions over each case in one bash: prints has_lxc_line's answer per (key, value), then the file after add_lxc_lines. */
function bashRun(cases: { file: string; key: string; value: string; add: string[] }[]): { has: boolean; after: string }[] {
  const dir = tmpDir('pve-conf-edit');
  cases.forEach((c, i) => {
    fs.writeFileSync(path.join(dir, `${i}.conf`), c.file);
    fs.writeFileSync(path.join(dir, `${i}.args`), [c.key, c.value, ...c.add].join('\0') + '\0');
  });
  const script = `set -euo pipefail
log() { :; }
die() { echo "die: $*" >&2; exit 1; }
dry_run=0
${functions}
for ((i = 0; i < ${cases.length}; i++)); do
	CONF="${dir}/$i.conf"
	mapfile -d '' -t args <"${dir}/$i.args"
	if has_lxc_line "\${args[0]}" "\${args[1]}"; then echo 1; else echo 0; fi
	add_lxc_lines "\${args[@]:2}"
done
`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const answers = r.stdout.split('\n').filter((l) => l !== '');
  const out = cases.map((_, i) => ({ has: answers[i] === '1', after: fs.readFileSync(path.join(dir, `${i}.conf`), 'utf8') }));
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

test('has_lxc_line and add_lxc_lines agree with parse_pct_config on 200 generated files', () => {
  const cases = fc.sample(
    fc.record({
      file: files,
      key: fc.constantFrom(...KEYS),
      value: fc.constantFrom(...VALUES),
      add: fc.array(fc.constantFrom('lxc.mount.auto: sys:rw', 'lxc.mount.entry: /a b none bind 0 0'), { minLength: 1, maxLength: 2 }),
    }),
    { numRuns: 200, seed: 15 },
  );
  const got = bashRun(cases);
  const before = parseAll(cases.map((c) => c.file));
  const after = parseAll(got.map((g) => g.after));
  let inSnapshotOnly = 0;
  cases.forEach((c, i) => {
    const has = (before[i].current.lxc ?? []).some(([k, v]) => k === c.key && v === c.value);
    const where = `case ${i}: ${JSON.stringify(c)}`;
    assert.is(got[i].has, has, `has_lxc_line ${where}`);
    if (!has && Object.values(before[i].snapshots).some((s) => (s.lxc ?? []).some(([k, v]) => k === c.key && v === c.value))) inSnapshotOnly++;
    const added = c.add.map((l) => [l.slice(0, l.indexOf(': ')), l.slice(l.indexOf(': ') + 2)] as [string, string]);
    assert.equal(after[i].current.lxc, [...(before[i].current.lxc ?? []), ...added], `added as the last raw lines of the current section: ${where}`);
    const { lxc: _a, ...restAfter } = after[i].current;
    const { lxc: _b, ...restBefore } = before[i].current;
    assert.equal(restAfter, restBefore, `the rest of the current section: ${where}`);
    assert.equal([after[i].snapshots, after[i].pending], [before[i].snapshots, before[i].pending], `snapshots and pending: ${where}`);
    // every byte of the old file is still there, in order, with only the added lines (and perhaps one newline) between
    const text = got[i].after;
    const ins = c.add.map((l) => l + '\n').join('');
    const at = text.indexOf(ins);
    assert.ok(at >= 0, where);
    const rest = text.slice(0, at) + text.slice(at + ins.length);
    assert.ok(rest === c.file || rest === c.file.slice(0, at - 1) + '\n' + c.file.slice(at - 1), `the other bytes are kept: ${where}`);
  });
  assert.ok(inSnapshotOnly > 0, 'some cases have the line in a snapshot only');
});

test("compiler/proxmox/lxc-conf.ts reads a line as parse_pct_config's regex does, and judges its key as is_valid_lxc_conf_key", () => {
  const lines = fc.sample(
    fc
      .tuple(
        fc.integer({ min: 0, max: 9 }),
        fc.array(
          fc.constantFrom(
            'lxc.',
            'lxc',
            '.',
            'a',
            'Z',
            '0',
            '_',
            '-',
            ':',
            '=',
            ' ',
            '\t',
            '/',
            'é',
            'cgroup',
            'cgroup2',
            'limit',
            'hook',
            'pre-start',
            'mount',
            'entry',
            'aa_profile',
            'rootfs',
            'path',
            'x',
          ),
          { maxLength: 10 },
        ),
      )
      .map(([n, parts]) => (n < 9 ? 'lxc.' : '') + parts.join('')),
    { numRuns: 3000, seed: 15 },
  );
  const want = py<({ key: string; value: string; validity: number | string; warnings: string[] } | null)[]>(
    `res = []
for line in data:
    m = pc.RAW_LXC.match(line)
    if not m:
        res.append(None)
        continue
    w = []
    v = pc.lxc_key_validity("921", m.group(1), w.append)
    res.append({"key": m.group(1), "value": m.group(3), "validity": v, "warnings": w})
print(json.dumps(res))`,
    lines,
  );
  lines.forEach((l, i) => {
    const p = parseRawLxcLine(l);
    const w = want[i];
    assert.is(p.ok, w !== null, `${JSON.stringify(l)}: read as a raw line`);
    if (!p.ok || !w) return;
    assert.equal([p.line.key, p.line.value], [w.key, w.value], JSON.stringify(l));
    const v = lxcKeyVerdict(p.line.key);
    const kind =
      w.validity === 0
        ? 'unknown'
        : typeof w.validity === 'string'
          ? 'refused'
          : w.warnings.length
            ? /renamed/.test(w.warnings[0])
              ? 'renamed'
              : 'cgroup1'
            : 'valid';
    assert.is(v.kind === 'cgroup1-dir' ? 'cgroup1' : v.kind, kind, `${w.key}: ${JSON.stringify(w)}`);
    if (v.kind === 'refused') assert.is(v.message, w.validity);
  });
});

test("the compiler's Proxmox key tables (schema/proxmox/pve-container.json) equal the stand-in's", () => {
  const facts = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schema', 'proxmox', 'pve-container.json'), 'utf8'));
  const tables = py<{ valid: string[]; refused: Record<string, string>; deprecated: Record<string, string> }>(
    `print(json.dumps({"valid": [k for k, v in pc.VALID_LXC_KEYS.items() if v == 1], "refused": {k: v for k, v in pc.VALID_LXC_KEYS.items() if v != 1}, "deprecated": pc.DEPRECATED_LXC_KEYS}))`,
    null,
  );
  assert.equal([...facts.valid_keys.value].sort(), [...tables.valid].sort());
  assert.equal(facts.refused_keys.value, tables.refused);
  assert.equal(facts.renamed_keys.value, tables.deprecated);
});

test.run();
