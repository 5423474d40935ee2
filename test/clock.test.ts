/**
 * The clocks the generated scripts wait by. deploy.sh and verify.sh (bash, on the Proxmox host)
 * define now_cs; the unit's readiness check (sh, ExecStartPost= inside the container) defines
 * now. Both read /proc/uptime (CLOCK_BOOTTIME) in hundredths of a second, never whole
 * wall-clock seconds (bash's SECONDS, `date +%s`: a deadline of those + N passed up to a second
 * early, which once made `verify.sh --wait 3` return after 2.1 s).
 *
 * Asserted, through the real bash and the real dash, with /proc/uptime swapped for a file of the
 * formats they meet: the kernel's "%lu.%02lu" (Linux fs/proc/uptime.c, uptime_proc_show) on the
 * host and, without lxcfs, in the container; lxcfs's "%.2lf" (lxc/lxcfs src/proc_fuse.c,
 * proc_uptime_read) and older lxcfs's whole seconds (".00", ".0") in the container. A fraction
 * such as "08" must not be read as a bad octal number (dash refuses `$((08))`). Then against the
 * real /proc/uptime, beside the value Node reads from it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../compiler/compile';
import { repoRoot, tmpDir } from './lib/paths';

const ROOT = repoRoot();
const work = tmpDir('clock');

function exampleCompile() {
  const r = compile({
    file: 'input.json',
    text: fs.readFileSync(path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'),
    source: { file: 'input.json', regenerate: 'x' },
    compiler: { name: 'phoenix-compile', version: '0' },
  });
  if (!r.ok) throw new Error('the example does not compile');
  return r;
}
const example = exampleCompile();
const fileText = (p: string): string => {
  const f = example.files.find((x) => x.path === p);
  if (!f) throw new Error(`no ${p}`);
  return typeof f.content === 'string' ? f.content : Buffer.from(f.content).toString('utf8');
};

/** now_cs() as deploy.sh and verify.sh define it (the same bytes in both). */
function bashNowCs(): string {
  const defs = ['921/deploy.sh', '921/verify.sh'].map((p) => {
    const m = /^now_cs\(\) \{\n[\s\S]*?\n\}\n/m.exec(fileText(p));
    if (!m) throw new Error(`${p} defines no now_cs`);
    return m[0];
  });
  assert.is(defs[0], defs[1]);
  return defs[0];
}

/** The readiness check's script (the unit's ExecStartPost= `sh -c SCRIPT`), as the plan holds it. */
function readyScript(): string {
  const v = example.plan?.containers.find((c) => c.ctid === '921')?.vllm;
  if (!v) throw new Error('921 has no vLLM plan');
  return v.service.readiness.argv[2];
}

/** The `now() { ...; }` definition at the start of the readiness script. */
function shNow(): string {
  const m = /^now\(\) \{ .*?; \}; /.exec(readyScript());
  if (!m) throw new Error(`the readiness script does not start with now(): ${readyScript()}`);
  return m[0];
}

function run(shell: string, script: string): string {
  const r = spawnSync(shell, ['-c', script], { encoding: 'utf8' });
  assert.is(r.status, 0, `${shell}: ${r.stderr}`);
  return r.stdout.trim();
}

/** What a clock function reads from `uptime` (one /proc/uptime line), in hundredths. */
function readAs(shell: string, definition: string, call: string, variable: string, uptime: string): number {
  const f = path.join(work, 'uptime');
  fs.writeFileSync(f, uptime);
  const def = definition.split('/proc/uptime').join(f);
  assert.is.not(def, definition, 'the definition reads /proc/uptime');
  return Number(run(shell, `${def}\n${call}; echo "$${variable}"`));
}

const KERNEL = [
  ['0.07 0.10\n', 7],
  ['1.00 0.00\n', 100],
  ['12345.08 20000.91\n', 1234508],
  ['98765.90 1.09\n', 9876590],
  ['4294967296.99 1.00\n', 429496729699],
] as const;
const LXCFS = [
  ['3.09 2.50\n', 309], // lxcfs "%.2lf"
  ['86400.00 86000.00\n', 8640000], // lxcfs 3 ("%lu.00")
  ['5.0 4.0\n', 500], // older lxcfs ("%ld.0")
] as const;

test('bash now_cs (deploy.sh, verify.sh) reads the kernel format of the host, a fraction like 08 too', () => {
  const def = bashNowCs();
  for (const [up, cs] of KERNEL) assert.is(readAs('bash', def, 'now_cs', 'now_cs', up), cs, up);
});

test('sh now (the readiness check, dash) reads the kernel format and every lxcfs format', () => {
  const def = shNow();
  for (const [up, cs] of [...KERNEL, ...LXCFS]) assert.is(readAs('dash', def, 'now', 'now', up), cs, up);
});

test('both read the real /proc/uptime: the value Node reads there, to within a second', () => {
  const node = (): number => Math.round(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 100);
  for (const [shell, def, call, variable] of [
    ['bash', bashNowCs(), 'now_cs', 'now_cs'],
    ['dash', shNow(), 'now', 'now'],
  ] as const) {
    const before = node();
    const got = Number(run(shell, `${def}\n${call}; echo "$${variable}"`));
    const after = node();
    assert.ok(got >= before - 1 && got <= after + 100, `${shell}: ${got} not within ${before}..${after}`);
  }
});

test('the readiness check sets its deadline from now, SECONDS hundredths ahead, and re-reads now before each test', () => {
  const s = readyScript();
  assert.match(s, /; now; end=\$\(\(now \+ \$2 \* 100\)\); /);
  assert.match(s, /; now; \[ "\$now" -lt "\$end" \] \|\| /);
  assert.not.match(s, /date \+%s|SECONDS/);
  for (const p of ['921/deploy.sh', '921/verify.sh']) assert.not.match(fileText(p), /\$SECONDS|\$\(\(SECONDS|date \+%s/, p);
});

test.run();
