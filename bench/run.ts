/**
 * `npm run bench`: measures phoenix-compile as a user runs it (whole processes, spawned) and puts
 * every figure beside its floor, measured in the same run and interleaved with it (floor, subject,
 * floor, subject, ...) so that a change in the machine's load hits both alike:
 *
 *   the example            vs  a bare `node -e ''`
 *   N CTIDs, fresh out     vs  `cp -r` of the very tree that compile writes
 *   --check, up to date    vs  reading every file of that tree (`cat`), with the record of an
 *                              earlier compile here and without one (a fresh clone: it compiles)
 *   peak memory            at 100, 1,000 and 10,000 CTIDs (and a bare node's)
 *   per-CTID cost          at each size
 *   the same compiles with the output on tmpfs (/dev/shm, when it is one), beside `cp -r` there:
 *   the compiler's own work, without the disk's cost of creating files (which changes many times
 *   over within minutes on a shared disk)
 *
 * Prints the figures and writes them to bench/RESULTS.md. Reporting, not asserting: targets are
 * printed as met or missed (by how much); the exit code is 0 unless the benchmark could not run.
 *
 * Environment knobs (all optional):
 *   BENCH_RUNS            pairs of runs for the start-up figures (default 15, at least 5)
 *   BENCH_FLEETS          fleet sizes, comma-separated (default 100,1000,10000)
 *   BENCH_BASELINE_SIZES  fleet sizes the jq baseline runs in full (default 100)
 *   BENCH_BASELINE_MAX_S  run the jq baseline of a larger fleet only if estimated under this (default 120)
 *   BENCH_PROFILE         always|never|auto (default auto: profile when a target is missed)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fleetText } from './fleet';
import { repoRoot } from '../tools/repo-root';

const ROOT = repoRoot();
const BIN = path.join(ROOT, 'bin', 'phoenix-compile.js');
const BUNDLE = path.join(ROOT, 'dist', 'bundle', 'phoenix-compile.js');
const NODE = process.execPath;
/** The bundled example (named: a compile looks for ./phoenix_lxc_configs.json otherwise). */
const EXAMPLE = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');
const BASELINE = path.join(ROOT, 'bench', 'baseline-jq.sh');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'phx-bench-'));
// Compile records (compiler/write/record.ts) of this run live in its temp folder, not ~/.cache;
// the "no record" runs turn them off, as on a fresh clone.
process.env.PHOENIX_COMPILE_CACHE_DIR = path.join(TMP, 'records');
const NO_RECORD = { PHOENIX_COMPILE_CACHE_DIR: 'off' };
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 15));
const FLEETS = (process.env.BENCH_FLEETS ?? '100,1000,10000')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const BASELINE_SIZES = new Set((process.env.BENCH_BASELINE_SIZES ?? '100').split(',').map(Number));
const BASELINE_MAX_S = Number(process.env.BENCH_BASELINE_MAX_S ?? 120);
const PROFILE = process.env.BENCH_PROFILE ?? 'auto';

// ---------------------------------------------------------------------------------------------
// Running and timing

interface Run {
  ms: number;
  code: number | null;
  stderr: string;
  rssKb?: number;
  /** User + system CPU time of the process (all its threads), with /usr/bin/time -v. */
  cpuMs?: number;
}

const TIME_V = fs.existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-v', 'true']).status === 0;

/** One process, timed; with `rss`, under /usr/bin/time -v (when present) for its peak memory. */
function run(cmd: string, args: string[], opts: { cwd?: string; rss?: boolean; expect?: number; env?: NodeJS.ProcessEnv } = {}): Run {
  const viaTime = opts.rss && TIME_V;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(viaTime ? '/usr/bin/time' : cmd, viaTime ? ['-v', cmd, ...args] : args, {
    cwd: opts.cwd ?? TMP,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 256 << 20,
    ...(opts.env ? { env: { ...process.env, ...opts.env } } : {}),
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr ?? '');
  const user = /User time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  const sys = /System time \(seconds\): ([\d.]+)/.exec(r.stderr ?? '');
  const res: Run = {
    ms,
    code: r.status,
    stderr: r.stderr ?? '',
    ...(m ? { rssKb: Number(m[1]) } : {}),
    ...(user && sys ? { cpuMs: 1000 * (Number(user[1]) + Number(sys[1])) } : {}),
  };
  if (opts.expect !== undefined && r.status !== opts.expect) {
    throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}, expected ${opts.expect}\n${res.stderr.slice(-1500)}`);
  }
  return res;
}

interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { n, median, p90: s[Math.min(n - 1, Math.ceil(0.9 * n) - 1)], min: s[0] };
}

/** A subject and its floor, run in turns; the ratio is of the medians, plus the median of the per-pair ratios. */
interface Pair {
  floor: Stats;
  subject: Stats;
  ratio: number;
  pairRatio: number;
  rssKb?: number;
  /** The subject's CPU time (user + system), when measured. */
  cpu?: Stats;
}

function pair(label: string, runs: number, warmup: number, floor: () => Run, subject: () => Run): Pair {
  const f: number[] = [];
  const s: number[] = [];
  const ratios: number[] = [];
  const cpu: number[] = [];
  let rssKb: number | undefined;
  for (let i = 0; i < warmup + runs; i++) {
    const a = floor();
    const b = subject();
    if (i < warmup) continue;
    f.push(a.ms);
    s.push(b.ms);
    ratios.push(b.ms / a.ms);
    if (b.rssKb !== undefined) rssKb = Math.max(rssKb ?? 0, b.rssKb);
    if (b.cpuMs !== undefined) cpu.push(b.cpuMs);
  }
  const p: Pair = {
    floor: stats(f),
    subject: stats(s),
    ratio: 0,
    pairRatio: stats(ratios).median,
    ...(rssKb !== undefined ? { rssKb } : {}),
    ...(cpu.length === runs ? { cpu: stats(cpu) } : {}),
  };
  p.ratio = p.subject.median / p.floor.median;
  process.stderr.write(
    `  ${label}: ${fmtMs(p.subject.median)} vs floor ${fmtMs(p.floor.median)}: ${p.ratio.toFixed(2)}x (pairs ${p.pairRatio.toFixed(2)}x, n=${runs})\n`,
  );
  return p;
}

/** statfs(2) f_type of tmpfs (TMPFS_MAGIC, linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;
/** A folder in memory (/dev/shm when it is a tmpfs), for the figures without the disk; else undefined. */
const MEM = ((): string | undefined => {
  try {
    if (fs.statfsSync('/dev/shm').type !== TMPFS_MAGIC) return undefined;
    return fs.mkdtempSync(path.join('/dev/shm', 'phx-bench-'));
  } catch {
    return undefined;
  }
})();

let freshCounter = 0;
/** A folder name that does not exist yet (so the compile really writes everything), under `base`. */
function freshOut(base = TMP): string {
  return path.join(base, `out-${freshCounter++}`);
}

function rm(p: string): void {
  fs.rmSync(p, { recursive: true, force: true });
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(path.join(dir, e.name)) : 1;
  return n;
}

function treeBytes(dir: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true }))
    n += e.isDirectory() ? treeBytes(path.join(dir, e.name)) : fs.statSync(path.join(dir, e.name)).size;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Formatting

function fmtMs(ms: number): string {
  return ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}
function fmtMb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}
function fmtDuration(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}
function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

// ---------------------------------------------------------------------------------------------
// Machine

/** Other work on the machine skews every figure: the report shows the load around the run. */
function loadavg(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' / ');
}

function machine(): [string, string][] {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const memKb = Number(/^MemTotal:\s*(\d+)/m.exec(fs.existsSync('/proc/meminfo') ? fs.readFileSync('/proc/meminfo', 'utf8') : '')?.[1] ?? os.totalmem() / 1024);
  const fsType = sh('df', ['--output=fstype', TMP]).split('\n').pop() ?? '';
  const commit = sh('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const dirty = sh('git', ['-C', ROOT, 'status', '--porcelain']) ? ' + uncommitted changes' : '';
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return [
    ['date', new Date().toISOString()],
    ['nproc', sh('nproc', []) || String(os.cpus().length)],
    ['CPU', model],
    ['memory', `${(memKb / 1024 / 1024).toFixed(1)} GiB`],
    ['node', process.version],
    ['OS', `${os.type()} ${os.release()}`],
    ['temp folder file system', `${fsType || '?'} (${os.tmpdir()})`],
    ['load average at start (1/5/15 min)', loadavg()],
    ['`uptime` at start', sh('uptime', [])],
    ['jq', sh('jq', ['--version']) || 'not installed'],
    ['phoenix-compile', `${pkg.version} (commit ${commit || '?'}${dirty})`],
    [
      'bundle',
      `${path.relative(ROOT, BUNDLE)}: ${(fs.statSync(BUNDLE).size / 1024).toFixed(0)} KB, code cache ${fs.existsSync(BUNDLE + '.cache') ? `${(fs.statSync(BUNDLE + '.cache').size / 1024).toFixed(0)} KB` : 'absent'}`,
    ],
  ];
}

// ---------------------------------------------------------------------------------------------
// CPU profiles, by function and by source module of the bundle

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** The source module of each line of the bundle, from esbuild's `// path` marker before each module. */
function bundleModules(): string[] {
  const lines = fs.readFileSync(BUNDLE, 'utf8').split('\n');
  const at: string[] = [];
  let cur = '(bundle: esbuild runtime)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:cli|compiler|emit|encode|node_modules|phx-json)\S*)$/.exec(lines[i]);
    if (m) cur = m[1].replace(/^phx-json:.*?\/schema\//, 'schema/');
    at[i] = cur;
  }
  return at;
}

/** Self time (ms, summed over the profiles) by function and by module (bundle modules, native calls, Node's own code). */
function summarize(files: string[]): { functions: Map<string, number>; modules: Map<string, number>; totalMs: number } {
  const modAt = bundleModules();
  const functions = new Map<string, number>();
  const modules = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us / 1000);
  for (const file of files) {
    const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
    const byId = new Map(prof.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < prof.samples.length; i++) {
      const us = prof.timeDeltas[i + 1] ?? 0; // the time until the next sample is this sample's
      const cf = byId.get(prof.samples[i])!.callFrame;
      const url = cf.url.replace(/^file:\/\//, '');
      let mod: string;
      let fn: string;
      if (url === BUNDLE) {
        mod = modAt[cf.lineNumber] ?? '?';
        fn = `${cf.functionName || '(anonymous)'} (${mod})`;
      } else if (!url) {
        mod = cf.functionName.startsWith('(') ? cf.functionName : `(system call or V8: ${cf.functionName})`;
        fn = cf.functionName || '(anonymous)';
      } else {
        mod = url.startsWith(ROOT) ? path.relative(ROOT, url) : url.startsWith('node:') ? `Node: ${url.replace(/^node:(internal\/)?/, '')}` : url;
        fn = `${cf.functionName || '(anonymous)'} ${url.startsWith('node:') ? url : path.relative(ROOT, url)}:${cf.lineNumber + 1}`;
      }
      add(functions, fn, us);
      add(modules, mod, us);
      total += us / 1000;
    }
  }
  return { functions, modules, totalMs: total };
}

function top(m: Map<string, number>, n: number, runs: number, total: number): (string | number)[][] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => [`\`${k}\``, fmtMs(ms / runs), `${((100 * ms) / total).toFixed(1)}%`]);
}

/** `node --cpu-prof` of `runs` runs of `args` (fresh out folders when `fresh`); the profile files. */
function profileRuns(tag: string, args: (i: number) => string[], runs: number): string[] {
  const dir = path.join(TMP, `prof-${tag}`);
  for (let i = 0; i < runs; i++) run(NODE, ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', dir, BIN, ...args(i)], { expect: 0 });
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f));
}

// ---------------------------------------------------------------------------------------------
// The benchmark

interface Target {
  what: string;
  measured: string;
  value: number;
  limit: number;
  /** What the value is (ratio to a floor, MB, spread). */
  unit: 'x' | 'MB' | '%';
}

function verdict(t: Target): string {
  if (t.unit === '%') return Math.abs(t.value) <= t.limit ? 'met' : `**missed** by ${(Math.abs(t.value) - t.limit).toFixed(0)} points`;
  if (t.value <= t.limit) return 'met';
  return `**missed** by ${t.unit === 'x' ? `${(100 * (t.value / t.limit - 1)).toFixed(0)}%` : `${(t.value - t.limit).toFixed(0)} MB`}`;
}

function main(): void {
  const md: string[] = [];
  const say = (s = '') => {
    md.push(s);
  };
  process.stderr.write(`phoenix-compile benchmark (temp folder ${TMP})\n`);
  const info = machine();
  say('# phoenix-compile benchmark results');
  say();
  say('Written by `npm run bench` (bench/run.ts); bench/README.md says what each figure means. Every figure is');
  say('measured beside its floor in the same run, in turns (floor, subject, floor, subject, ...): the');
  say('ratio of the medians is the figure; the median of the per-pair ratios is given too.');
  say();
  say(table(['machine', ''], info));
  say();
  const targets: Target[] = [];

  // --- start-up ------------------------------------------------------------------------------
  process.stderr.write('start-up:\n');
  const bare = () => run(NODE, ['-e', ''], { rss: true, expect: 0 });
  const example = pair('example, fresh out, vs bare node', RUNS, 2, bare, () => {
    const out = freshOut();
    const r = run(NODE, [BIN, '--config', EXAMPLE, '--out', out], { rss: true, expect: 0 });
    rm(out);
    return r;
  });
  // The same with the output on tmpfs: the base of the per-CTID figures without the disk.
  const exampleMem = MEM
    ? pair('example to tmpfs, vs bare node', RUNS, 2, bare, () => {
        const out = freshOut(MEM);
        const r = run(NODE, [BIN, '--config', EXAMPLE, '--out', out], { rss: true, expect: 0 });
        rm(out);
        return r;
      })
    : undefined;
  const upToDate = freshOut();
  run(NODE, [BIN, '--config', EXAMPLE, '--out', upToDate], { expect: 0 });
  const exampleFiles = countFiles(upToDate);
  const check = pair('example --check, up to date, vs bare node', RUNS, 1, bare, () =>
    run(NODE, [BIN, '--config', EXAMPLE, '--out', upToDate, '--check'], { expect: 0 }),
  );
  const checkCold = pair('example --check, up to date, no record, vs bare node', RUNS, 1, bare, () =>
    run(NODE, [BIN, '--config', EXAMPLE, '--out', upToDate, '--check'], { expect: 0, env: NO_RECORD }),
  );
  const noop = pair('example unchanged re-run vs bare node', RUNS, 1, bare, () => run(NODE, [BIN, '--config', EXAMPLE, '--out', upToDate], { expect: 0 }));
  const noopCold = pair('example unchanged re-run, no record, vs bare node', RUNS, 1, bare, () =>
    run(NODE, [BIN, '--config', EXAMPLE, '--out', upToDate], { expect: 0, env: NO_RECORD }),
  );
  const bareRss = run(NODE, ['-e', ''], { rss: true }).rssKb;

  say("## Start-up: the example beside a bare `node -e ''`");
  say();
  const row = (what: string, p: Pair) => [
    what,
    p.subject.n,
    fmtMs(p.subject.median),
    fmtMs(p.subject.p90),
    fmtMs(p.subject.min),
    fmtMs(p.floor.median),
    `**${p.ratio.toFixed(2)}x**`,
    `${p.pairRatio.toFixed(2)}x`,
  ];
  say(
    table(
      ['what', 'runs', 'median', 'p90', 'min', 'bare node (median, same run)', 'x bare node', 'median of pair ratios'],
      [
        row(
          `example, fresh out (${exampleFiles} files written; peak RSS ${example.rssKb ? fmtMb(example.rssKb) : '?'}, bare node ${bareRss ? fmtMb(bareRss) : '?'})`,
          example,
        ),
        row('example `--check`, up to date (record of an earlier compile here)', check),
        row('example `--check`, up to date, no record (a fresh clone, CI): compiles', checkCold),
        row('example, unchanged re-run (writes nothing; record)', noop),
        row('example, unchanged re-run, no record: compiles', noopCold),
      ],
    ),
  );
  say();
  targets.push({
    what: 'example compiles in at most 1.5x a bare node',
    measured: `${fmtMs(example.subject.median)} vs ${fmtMs(example.floor.median)}`,
    value: example.ratio,
    limit: 1.5,
    unit: 'x',
  });

  // What the start-up is made of: profiles of the example, by module of the bundle.
  process.stderr.write('profiling the example (node --cpu-prof, 10 runs)...\n');
  const exProf = summarize(profileRuns('example', () => ['--config', EXAMPLE, '--out', freshOut()], 10));
  say(`### Where the example's time goes (\`node --cpu-prof\`, 10 runs, self time per run, ${fmtMs(exProf.totalMs / 10)} sampled per run)`);
  say();
  say("By module: the bundle's own modules by esbuild's module markers (a module's time includes its first, unoptimised run), the rest by kind:");
  say();
  say(table(['module', 'self time per run', 'share'], top(exProf.modules, 25, 10, exProf.totalMs)));
  say();
  const metaFile = path.join(ROOT, 'dist', 'bundle', 'meta.json');
  if (fs.existsSync(metaFile)) {
    const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as { outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
    const inputs = Object.values(meta.outputs)[0].inputs;
    const rows = Object.entries(inputs)
      .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
      .slice(0, 8)
      .map(([k, v]) => [`\`${k.replace(/^phx-json:.*?\/schema\//, 'schema/')}\``, `${(v.bytesInOutput / 1024).toFixed(0)} KB`]);
    say('The largest modules in the bundle (bytes read and compiled, or found in the code cache, on every start):');
    say();
    say(table(['module', 'in the bundle'], rows));
    say();
  }

  // --- fleets --------------------------------------------------------------------------------
  interface FleetResult {
    n: number;
    file: string;
    bytes: number;
    files: number;
    outBytes: number;
    compile: Pair;
    check: Pair;
    checkCold: Pair;
    /** The compile with its output on tmpfs, beside `cp -r` to tmpfs. */
    mem?: Pair;
    rssKb?: number;
  }
  const fleets: FleetResult[] = [];
  for (const n of FLEETS) {
    process.stderr.write(`fleet of ${n} CTIDs:\n`);
    const file = path.join(TMP, `fleet-${n}.json`);
    fs.writeFileSync(file, fleetText(n));
    const runs = n >= 10000 ? 3 : n >= 1000 ? 5 : 9;
    // The floor's source: the tree the compile writes.
    const ref = freshOut();
    run(NODE, [BIN, '--config', file, '--out', ref], { expect: 0 });
    const files = countFiles(ref);
    const outBytes = treeBytes(ref);
    const compile = pair(
      `${n} CTIDs, fresh out, vs cp -r`,
      runs,
      1,
      () => {
        const dst = freshOut();
        const r = run('cp', ['-r', ref, dst], { expect: 0 });
        rm(dst);
        return r;
      },
      () => {
        const out = freshOut();
        const r = run(NODE, [BIN, '--config', file, '--out', out], { rss: true, expect: 0 });
        rm(out);
        return r;
      },
    );
    const checkPair = pair(
      `${n} CTIDs, --check up to date, vs cat`,
      runs,
      1,
      () => run('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 cat > /dev/null', 'sh', ref], { expect: 0 }),
      () => run(NODE, [BIN, '--config', file, '--out', ref, '--check'], { expect: 0 }),
    );
    const checkCold = pair(
      `${n} CTIDs, --check up to date, no record, vs cat`,
      runs,
      0,
      () => run('sh', ['-c', 'find "$1" -type f -print0 | xargs -0 cat > /dev/null', 'sh', ref], { expect: 0 }),
      () => run(NODE, [BIN, '--config', file, '--out', ref, '--check'], { expect: 0, env: NO_RECORD, rss: true }),
    );
    const mem = MEM
      ? pair(
          `${n} CTIDs to tmpfs, vs cp -r to tmpfs`,
          runs,
          1,
          () => {
            const dst = freshOut(MEM);
            const r = run('cp', ['-r', ref, dst], { expect: 0 });
            rm(dst);
            return r;
          },
          () => {
            const out = freshOut(MEM);
            const r = run(NODE, [BIN, '--config', file, '--out', out], { rss: true, expect: 0 });
            rm(out);
            return r;
          },
        )
      : undefined;
    rm(ref);
    fleets.push({
      n,
      file,
      bytes: fs.statSync(file).size,
      files,
      outBytes,
      compile,
      check: checkPair,
      checkCold,
      ...(mem ? { mem } : {}),
      ...(compile.rssKb !== undefined ? { rssKb: compile.rssKb } : {}),
    });
  }

  say('## Fleets (bench/fleet.ts: templates 900/901 + N vLLM clones), each beside its floor');
  say();
  say('Compile: a fresh output folder each run, beside `cp -r` of the tree it writes. `--check` of the up-to-date');
  say('tree, beside reading every file of it (`find | xargs cat > /dev/null`): with the record of an earlier compile');
  say('of the same input on this machine (compiler/write/record.ts: the files are read and hashed against the');
  say('manifest that compile wrote), and with none (a fresh clone, CI: the fleet is compiled and compared).');
  say('Peak memory: /usr/bin/time -v, the largest of the compile runs.');
  say();
  const perCtid = (f: FleetResult) => (f.compile.subject.median - example.subject.median) / f.n;
  // CPU time (user + system, every thread) per CTID: the work itself, less sensitive than wall time
  // to other processes taking turns on the CPUs.
  const cpuPerCtid = (f: FleetResult) => (f.compile.cpu && example.cpu ? (f.compile.cpu.median - example.cpu.median) / f.n : NaN);
  // What the CTIDs between the previous size and this one cost each: the slope, without the fixed
  // start-up and warm-up (JIT) costs that "per CTID" spreads over a small fleet.
  const marginal = (f: FleetResult, of: (x: FleetResult) => Pair | undefined = (x) => x.compile) => {
    const prev = fleets[fleets.indexOf(f) - 1];
    const [a, b] = [prev && of(prev)?.cpu, of(f)?.cpu];
    if (!a || !b) return '';
    return `${((b.median - a.median) / (f.n - prev.n)).toFixed(3)} ms (${prev.n.toLocaleString('en')} to ${f.n.toLocaleString('en')})`;
  };
  say(
    table(
      [
        'CTIDs',
        'input',
        'files (size)',
        'runs',
        'compile median',
        '`cp -r` median',
        'x `cp -r`',
        '`--check` median',
        '`cat` median',
        'x `cat`',
        '`--check`, no record',
        'x `cat`',
        'peak RSS (compile; `--check`, no record)',
        'per CTID (wall)',
        'per CTID (CPU)',
        'marginal CPU per CTID',
      ],
      fleets.map((f) => [
        f.n.toLocaleString('en'),
        `${(f.bytes / 1e6).toFixed(2)} MB`,
        `${f.files.toLocaleString('en')} (${(f.outBytes / 1e6).toFixed(0)} MB)`,
        f.compile.subject.n,
        fmtMs(f.compile.subject.median),
        fmtMs(f.compile.floor.median),
        `**${f.compile.ratio.toFixed(2)}x** (pairs ${f.compile.pairRatio.toFixed(2)}x)`,
        fmtMs(f.check.subject.median),
        fmtMs(f.check.floor.median),
        `**${f.check.ratio.toFixed(2)}x** (pairs ${f.check.pairRatio.toFixed(2)}x)`,
        fmtMs(f.checkCold.subject.median),
        `${f.checkCold.ratio.toFixed(2)}x`,
        `${f.rssKb !== undefined ? fmtMb(f.rssKb) : '?'}; ${f.checkCold.rssKb !== undefined ? fmtMb(f.checkCold.rssKb) : '?'}`,
        `${perCtid(f).toFixed(3)} ms`,
        `${cpuPerCtid(f).toFixed(3)} ms`,
        marginal(f),
      ]),
    ),
  );
  say();
  say(`"per CTID" is (compile median - the example's compile median) / CTIDs: the cost each CTID adds above a`);
  say('minimal compile; flat when time grows linearly with the fleet. Wall time, and CPU time (user + system of');
  say('every thread, from /usr/bin/time -v): the target is judged on CPU time, the work itself, since wall time');
  say(`also counts waiting for CPUs other processes hold. "marginal" is the slope between two sizes. Bare node's peak RSS: ${bareRss ? fmtMb(bareRss) : '?'}.`);
  say();

  // The compiler's own cost: the same compiles with the output on tmpfs.
  const memCpu = (f: FleetResult) => (f.mem?.cpu && exampleMem?.cpu ? (f.mem.cpu.median - exampleMem.cpu.median) / f.n : NaN);
  const memWall = (f: FleetResult) => (f.mem && exampleMem ? (f.mem.subject.median - exampleMem.subject.median) / f.n : NaN);
  if (MEM && exampleMem) {
    say("### The same compiles with the output on tmpfs (/dev/shm): the compiler's own work");
    say();
    say('Creating a file on a disk can cost the kernel many times more from one minute to the next');
    say('(bench/README.md, "The disk"); on tmpfs it does not, so these figures are the compile itself.');
    say(`The example to tmpfs: ${fmtMs(exampleMem.subject.median)} (CPU ${exampleMem.cpu ? fmtMs(exampleMem.cpu.median) : '?'}).`);
    say();
    say(
      table(
        ['CTIDs', 'runs', 'compile median', '`cp -r` median', 'x `cp -r`', 'per CTID (wall)', 'per CTID (CPU)', 'marginal CPU per CTID'],
        fleets
          .filter((f) => f.mem)
          .map((f) => [
            f.n.toLocaleString('en'),
            f.mem!.subject.n,
            fmtMs(f.mem!.subject.median),
            fmtMs(f.mem!.floor.median),
            `**${f.mem!.ratio.toFixed(2)}x** (pairs ${f.mem!.pairRatio.toFixed(2)}x)`,
            `${memWall(f).toFixed(3)} ms`,
            `${memCpu(f).toFixed(3)} ms`,
            marginal(f, (x) => x.mem),
          ]),
      ),
    );
    say();
  }

  const f1k = fleets.find((f) => f.n === 1000);
  if (f1k) {
    targets.push({
      what: '1,000 CTIDs compile in at most 1.3x `cp -r` of their output',
      measured: `${fmtMs(f1k.compile.subject.median)} vs ${fmtMs(f1k.compile.floor.median)}`,
      value: f1k.compile.ratio,
      limit: 1.3,
      unit: 'x',
    });
    targets.push({
      what: '`--check` of 1,000 CTIDs in at most 1.5x reading the files (with the record of an earlier compile here)',
      measured: `${fmtMs(f1k.check.subject.median)} vs ${fmtMs(f1k.check.floor.median)}`,
      value: f1k.check.ratio,
      limit: 1.5,
      unit: 'x',
    });
  }
  const f10k = fleets.find((f) => f.n === 10000);
  if (f10k?.rssKb !== undefined)
    targets.push({ what: '10,000 CTIDs in at most 500 MB peak memory', measured: fmtMb(f10k.rssKb), value: f10k.rssKb / 1024, limit: 500, unit: 'MB' });
  const small = fleets[0];
  for (const f of fleets.slice(1)) {
    const spread = (100 * (cpuPerCtid(f) - cpuPerCtid(small))) / cpuPerCtid(small);
    const wall = (100 * (perCtid(f) - perCtid(small))) / perCtid(small);
    targets.push({
      what: `CPU per CTID at ${f.n.toLocaleString('en')} within ±30% of ${small.n.toLocaleString('en')}'s`,
      measured: `${cpuPerCtid(f).toFixed(3)} ms vs ${cpuPerCtid(small).toFixed(3)} ms (${spread >= 0 ? '+' : ''}${spread.toFixed(0)}%; wall ${perCtid(f).toFixed(3)} vs ${perCtid(small).toFixed(3)} ms, ${wall >= 0 ? '+' : ''}${wall.toFixed(0)}%)`,
      value: spread,
      limit: 30,
      unit: '%',
    });
  }

  if (small?.mem && exampleMem)
    for (const f of fleets.slice(1).filter((x) => x.mem)) {
      const spread = (100 * (memCpu(f) - memCpu(small))) / memCpu(small);
      targets.push({
        what: `CPU per CTID at ${f.n.toLocaleString('en')} within ±30% of ${small.n.toLocaleString('en')}'s, output on tmpfs (the compile without the disk)`,
        measured: `${memCpu(f).toFixed(3)} ms vs ${memCpu(small).toFixed(3)} ms (${spread >= 0 ? '+' : ''}${spread.toFixed(0)}%)`,
        value: spread,
        limit: 30,
        unit: '%',
      });
    }

  // --- the jq baseline ------------------------------------------------------------------------
  if (sh('jq', ['--version']) === '') say('## Baseline: skipped (jq is not installed)\n');
  else {
    const rows: (string | number)[][] = [];
    for (const f of fleets) {
      process.stderr.write(`jq baseline, ${f.n} CTIDs:\n`);
      const bout = path.join(TMP, `jq-${f.n}`);
      let seconds: number;
      let how: string;
      const full = () => run('bash', [BASELINE, f.file, bout], { expect: 0 }).ms / 1000;
      if (BASELINE_SIZES.has(f.n)) {
        seconds = full();
        how = 'measured (1 run)';
      } else {
        // Estimate from two short runs over the same file: fixed cost + per-CTID cost.
        const k1 = 3;
        const k2 = 8;
        const t1 = run('bash', [BASELINE, f.file, bout + '-a', String(k1)]).ms / 1000;
        const t2 = run('bash', [BASELINE, f.file, bout + '-b', String(k2)]).ms / 1000;
        const per = (t2 - t1) / (k2 - k1);
        const estimate = t1 - k1 * per + f.n * per;
        if (estimate < BASELINE_MAX_S) {
          seconds = full();
          how = 'measured (1 run)';
        } else {
          seconds = estimate;
          how = `**extrapolated** from runs over the first ${k1} and ${k2} CTIDs (${per.toFixed(2)} s per CTID; a full run would exceed ${BASELINE_MAX_S} s)`;
        }
      }
      for (const p of [bout, bout + '-a', bout + '-b']) rm(p);
      rows.push([
        f.n.toLocaleString('en'),
        (f.n * 11 + 1).toLocaleString('en'),
        fmtDuration(seconds),
        `${((seconds * 1000) / f.n).toFixed(0)} ms`,
        fmtMs(f.compile.subject.median),
        `${((seconds * 1000) / f.compile.subject.median).toFixed(0)}x`,
        how,
      ]);
    }
    say('## Baseline: the shell approach, one `jq` per value (bench/baseline-jq.sh)');
    say();
    say('For each CTID, 11 `jq` calls read the vllm_engine_config values; the script assembles the argv line and the unit text');
    say('(2 files per CTID; phoenix-compile validates the whole fleet and produces every artifact).');
    say();
    say(table(['CTIDs', 'jq calls', 'jq baseline', 'per CTID', 'phoenix-compile (median)', 'phoenix-compile faster by', 'how'], rows));
    say();
  }

  // --- targets -------------------------------------------------------------------------------
  say('## Targets');
  say();
  say(
    table(
      ['target', 'measured (medians)', 'figure', 'result'],
      targets.map((t) => [
        t.what,
        t.measured,
        t.unit === 'x' ? `${t.value.toFixed(2)}x` : t.unit === 'MB' ? `${t.value.toFixed(0)} MB` : `${t.value.toFixed(0)}%`,
        verdict(t),
      ]),
    ),
  );
  say();

  // --- profiles of the 1,000-CTID compile and check --------------------------------------------
  const missed = targets.some((t) => verdict(t) !== 'met');
  const big = f1k ?? fleets[fleets.length - 1];
  if (big && (PROFILE === 'always' || (PROFILE === 'auto' && missed))) {
    for (const [tag, args] of [
      ['compile', (i: number) => ['--config', big.file, '--out', path.join(TMP, `prof-out-${i}`)]],
      ['check', () => ['--config', big.file, '--out', path.join(TMP, 'prof-out-0'), '--check']],
    ] as const) {
      process.stderr.write(`profiling the ${big.n}-CTID ${tag} (node --cpu-prof)...\n`);
      const p = summarize(profileRuns(`${big.n}-${tag}`, args, 1));
      say(
        `## Where the time goes: \`node --cpu-prof\` of the ${big.n.toLocaleString('en')}-CTID ${tag === 'compile' ? 'compile (fresh out)' : '`--check` (up to date)'}`,
      );
      say();
      say(`${fmtMs(p.totalMs)} sampled. Self time by module, then the top functions:`);
      say();
      say(table(['module', 'self', 'share'], top(p.modules, 20, 1, p.totalMs)));
      say();
      say(table(['function', 'self', 'share'], top(p.functions, 15, 1, p.totalMs)));
      say();
    }
  }

  say(`Load average at the end (1/5/15 min): ${loadavg()} on ${os.cpus().length} CPUs (\`uptime\`: ${sh('uptime', [])}).`);
  const text =
    md
      .join('\n')
      .replace(/\n{3,}/g, '\n\n')
      .trimEnd() + '\n';
  fs.writeFileSync(path.join(ROOT, 'bench', 'RESULTS.md'), text);
  process.stdout.write('\n' + text);
  process.stdout.write('\nTargets:\n' + targets.map((t) => `  ${verdict(t) === 'met' ? 'met   ' : 'MISSED'}  ${t.what}: ${t.measured}`).join('\n') + '\n');
}

try {
  main();
} finally {
  rm(TMP);
  if (MEM) rm(MEM);
}
