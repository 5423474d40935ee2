// Test harness: boots a real systemd as PID 1 of a systemd-nspawn container, so generated units and
// deploy scripts can be tested against the real thing.
//
//   const ct = await Container.boot();
//   try { ct.exec(['systemctl', 'daemon-reload'], { check: true }); } finally { await ct.stop(); }
//
// The root file system is built once and cached by test/harness/rootfs.sh (Debian bookworm,
// minbase + systemd, dbus, python3, curl). Containers run with --volatile=overlay, so whatever a
// test writes lives in a tmpfs and the cached root stays clean; several containers may run at once.
//
// Commands run inside through `nsenter -t <container PID 1> -a` (machinectl / systemctl -M need
// machined, which --register=no skips). Each container gets its own cgroup (see ownCgroups):
// with --keep-unit, nspawn puts the payload into "<its own cgroup>/payload", so two containers
// started from the same cgroup would share one cgroup tree and fight over it.

import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export type ContainerSupport = { ok: true } | { ok: false; reason: string };

export interface ExecOptions {
  /** Bytes fed to the command's stdin (default: empty stdin). */
  input?: string | Buffer;
  /** Extra environment, on top of PATH, HOME=/root, LANG=C.UTF-8 (the host's is never passed). */
  env?: Record<string, string>;
  /** Throw (with status, stdout and stderr) when the command exits non-zero. Default false. */
  check?: boolean;
  /** Kill the command after this many milliseconds and throw. Default 120000. */
  timeoutMs?: number;
}

export interface ExecResult {
  /** Exit status; 128 + signal number when killed by a signal. */
  status: number;
  stdout: string;
  stderr: string;
}

export interface BootOptions {
  /** Machine (and host) name; default phx-<pid>-<n>-<random>. [A-Za-z0-9-], at most 60 chars. */
  name?: string;
  /** Give up waiting for `systemctl is-system-running --wait` after this long. Default 30000. */
  bootTimeoutMs?: number;
}

const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const HOST_PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const OUTPUT_LIMIT = 256 * 1024;
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), ...HOST_PATH_DIRS];
  for (const dir of dirs) {
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Can this machine boot containers? Needs Linux, root, systemd-nspawn, nsenter, debootstrap, flock. */
export function containerSupport(): ContainerSupport {
  if (process.platform !== 'linux') return { ok: false, reason: `platform is ${process.platform}, not linux` };
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    return { ok: false, reason: 'not running as root (systemd-nspawn needs root)' };
  }
  const missing: string[] = [];
  for (const [cmd, pkg] of [
    ['systemd-nspawn', 'systemd-container'],
    ['nsenter', 'util-linux'],
    ['debootstrap', 'debootstrap'],
    ['flock', 'util-linux'],
    ['bash', 'bash'],
  ] as const) {
    if (which(cmd) === undefined) missing.push(`${cmd} (Debian package ${pkg})`);
  }
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')}` };
  if (!fs.existsSync('/sys/fs/cgroup')) return { ok: false, reason: '/sys/fs/cgroup is not mounted' };
  return { ok: true };
}

import { repoRoot } from '../../tools/repo-root';

export { repoRoot };

let rootfsPromise: Promise<string> | undefined;

/** Builds the cached root once (rootfs.sh ensure, which also locks across processes) and returns its path. */
export function ensureRootfs(): Promise<string> {
  if (rootfsPromise === undefined) {
    const script = path.join(repoRoot(), 'test', 'harness', 'rootfs.sh');
    rootfsPromise = new Promise<string>((resolve, reject) => {
      const child = spawn('bash', [script, 'ensure'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        process.stderr.write(d); // progress of a first build
      });
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const root = out.trim();
        if (code === 0 && root !== '' && fs.existsSync(path.join(root, '.phoenix-rootfs-recipe'))) resolve(root);
        else reject(new Error(`rootfs.sh ensure failed (${signal ?? `exit ${code}`}):\n${err.slice(-4000)}`));
      });
    });
    rootfsPromise.catch(() => (rootfsPromise = undefined)); // allow a retry after a failure
  }
  return rootfsPromise;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves true when p settles within ms, false otherwise; leaves no timer behind either way. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function readProc(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Children of pid (from /proc/<pid>/task/<pid>/children, falling back to a /proc scan). */
function childrenOf(pid: number): number[] {
  const c = readProc(`/proc/${pid}/task/${pid}/children`);
  if (c !== undefined)
    return c
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = readProc(`/proc/${e}/stat`);
    if (stat === undefined) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(e));
  }
  return out;
}

/**
 * The container's PID 1 among the descendants of the nspawn process: a process whose NSpid line
 * ends in 1 (PID 1 of a nested PID namespace) and that has already exec'd systemd (before the exec
 * it is still a copy of systemd-nspawn).
 */
function findLeader(nspawnPid: number): number | undefined {
  const queue = [nspawnPid];
  for (let depth = 0; depth < 4 && queue.length > 0; depth++) {
    const next: number[] = [];
    for (const pid of queue) {
      for (const child of childrenOf(pid)) {
        const status = readProc(`/proc/${child}/status`);
        const nspid = status
          ?.match(/^NSpid:\s*(.*)$/m)?.[1]
          .trim()
          .split(/\s+/);
        if (nspid !== undefined && nspid.length >= 2 && nspid[nspid.length - 1] === '1') {
          const comm = readProc(`/proc/${child}/comm`)?.trim();
          if (comm === 'systemd' || comm === 'init') return child;
          continue; // not exec'd yet
        }
        next.push(child);
      }
    }
    queue.splice(0, queue.length, ...next);
  }
  return undefined;
}

interface CgroupMount {
  mountPoint: string;
  /** Line of /proc/self/cgroup that names our place in this hierarchy: "0" for v2, "name=systemd" for v1. */
  key: string;
}

/** The cgroup hierarchies systemd-nspawn places the payload in: the v2 one and the v1 name=systemd one. */
function cgroupMounts(): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of (readProc('/proc/self/mountinfo') ?? '').split('\n')) {
    const [pre, post] = line.split(' - ');
    if (pre === undefined || post === undefined) continue;
    const mountPoint = pre.split(' ')[4]?.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const [fstype, , superOpts] = post.split(' ');
    if (mountPoint === undefined) continue;
    if (fstype === 'cgroup2') out.push({ mountPoint, key: '0' });
    else if (fstype === 'cgroup' && (superOpts ?? '').split(',').includes('name=systemd')) {
      out.push({ mountPoint, key: 'name=systemd' });
    }
  }
  return out;
}

/**
 * Creates a fresh cgroup named `name` under our own cgroup in each hierarchy nspawn uses and
 * returns the folders. The nspawn process moves itself into them before exec (see boot).
 */
function ownCgroups(name: string): string[] {
  const self = readProc('/proc/self/cgroup') ?? '';
  const dirs: string[] = [];
  for (const m of cgroupMounts()) {
    let rel: string | undefined;
    for (const line of self.split('\n')) {
      const first = line.indexOf(':');
      const second = line.indexOf(':', first + 1);
      if (first < 0 || second < 0) continue;
      const id = line.slice(0, first);
      const ctrl = line.slice(first + 1, second);
      if ((m.key === '0' && id === '0' && ctrl === '') || (m.key !== '0' && ctrl.split(',').includes(m.key))) {
        rel = line.slice(second + 1);
      }
    }
    if (rel === undefined) continue;
    const dir = path.join(m.mountPoint, rel, `phoenix-harness-${name}`);
    if (!fs.existsSync(path.join(dir, '..', 'cgroup.procs'))) continue;
    fs.mkdirSync(dir);
    dirs.push(dir);
  }
  return dirs;
}

/** Removes a cgroup folder and the (empty) cgroups below it, deepest first. */
function removeCgroup(dir: string): void {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) removeCgroup(path.join(dir, e.name));
  try {
    fs.rmdirSync(dir);
  } catch {
    // still has processes or already gone: reported by stop() through leftover checks
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const live = new Set<Container>();
let exitHookInstalled = false;

/** If the test process exits without stop(), kill what is left (SIGKILL to the container's PID 1 ends its whole PID namespace). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const ct of live) ct.killNow();
  });
}

let counter = 0;
let nsenterBin: string | undefined;

function nsenter(): string {
  nsenterBin ??= which('nsenter') ?? 'nsenter';
  return nsenterBin;
}

export class Container {
  private exited = false;
  private exitPromise: Promise<void>;
  private output = '';
  private leaderPid = 0;
  private stopped = false;
  private bootStateValue = '';

  private constructor(
    readonly name: string,
    /** The cached root file system (read-only lower layer of the overlay). */
    readonly imageDir: string,
    private readonly nspawn: ChildProcess,
    private readonly cgroups: string[],
  ) {
    this.exitPromise = new Promise<void>((resolve) => {
      nspawn.on('exit', () => {
        this.exited = true;
        resolve();
      });
    });
    const collect = (d: Buffer): void => {
      this.output += d.toString();
      if (this.output.length > 2 * OUTPUT_LIMIT) this.output = this.output.slice(-OUTPUT_LIMIT);
    };
    nspawn.stdout?.on('data', collect);
    nspawn.stderr?.on('data', collect);
  }

  /** Boots a container and waits until its systemd reports running or degraded. */
  static async boot(opts: BootOptions = {}): Promise<Container> {
    const support = containerSupport();
    if (!support.ok) throw new Error(`Container.boot: unsupported here: ${support.reason}`);
    const name = opts.name ?? `phx-${process.pid}-${++counter}-${crypto.randomBytes(3).toString('hex')}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,59}$/.test(name)) throw new Error(`Container.boot: bad machine name ${JSON.stringify(name)}`);
    const imageDir = await ensureRootfs();
    const nspawnBin = which('systemd-nspawn');
    if (nspawnBin === undefined) throw new Error('systemd-nspawn not found');
    const cgroups = ownCgroups(name);
    const args = [
      '-D',
      imageDir,
      '--boot',
      '--register=no',
      '--keep-unit',
      '--volatile=overlay',
      `--machine=${name}`,
      '--private-network',
      '--console=read-only',
      '--kill-signal=SIGRTMIN+4', // SIGTERM to nspawn = orderly poweroff inside
    ];
    // A tiny sh moves itself into the fresh cgroups, then becomes systemd-nspawn.
    const mover = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
    const procsFiles = cgroups.map((d) => path.join(d, 'cgroup.procs'));
    const nspawn = spawn('/bin/sh', ['-c', mover, 'sh', ...procsFiles, '--', nspawnBin, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? HOST_PATH_DIRS.join(':'), LANG: 'C.UTF-8', SYSTEMD_COLORS: '0' },
    });
    const ct = new Container(name, imageDir, nspawn, cgroups);
    live.add(ct);
    installExitHook();
    try {
      await ct.waitForBoot(opts.bootTimeoutMs ?? 30000);
    } catch (e) {
      await ct.stop().catch(() => undefined);
      throw e;
    }
    return ct;
  }

  private async waitForBoot(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const fail = (why: string): Error =>
      new Error(`Container ${this.name}: ${why}\n--- systemd-nspawn output (last 8000 chars) ---\n${this.output.slice(-8000)}`);
    while (this.leaderPid === 0) {
      if (this.exited) throw fail(`systemd-nspawn exited (status ${this.nspawn.exitCode ?? this.nspawn.signalCode}) before the container's PID 1 appeared`);
      if (Date.now() > deadline) throw fail(`no container PID 1 under systemd-nspawn pid ${this.nspawn.pid} after ${timeoutMs} ms`);
      this.leaderPid = findLeader(this.nspawn.pid ?? 0) ?? 0;
      if (this.leaderPid === 0) await sleep(10);
    }
    let last = '';
    for (;;) {
      if (this.exited) throw fail('systemd-nspawn exited during boot');
      const left = deadline - Date.now();
      if (left <= 0) throw fail(`systemctl is-system-running did not reach running/degraded within ${timeoutMs} ms (last: ${last})`);
      const r = await this.execAsync(['systemctl', 'is-system-running', '--wait'], left);
      const state = r.stdout.trim();
      last = `${state} ${r.stderr.trim()}`.trim();
      if (state === 'running' || state === 'degraded') {
        this.bootStateValue = state;
        return;
      }
      // "Failed to connect to bus" before systemd's private socket exists, or "starting"
      await sleep(50);
    }
  }

  /** `systemctl is-system-running` at the end of boot: "running" or "degraded". */
  get bootState(): string {
    return this.bootStateValue;
  }

  /** Host PID of the container's PID 1 (systemd). */
  get pid(): number {
    return this.leaderPid;
  }

  /** Host path of the container's root directory as the container sees it (overlay included). */
  get rootDir(): string {
    return `/proc/${this.leaderPid}/root`;
  }

  /** Everything systemd-nspawn and the container console printed so far (bounded). */
  get consoleOutput(): string {
    return this.output;
  }

  private nsenterArgs(argv: string[]): string[] {
    if (this.stopped || this.leaderPid === 0) throw new Error(`Container ${this.name} is not running`);
    if (argv.length === 0) throw new Error('exec: empty argv');
    return ['-t', String(this.leaderPid), '-a', '--', ...argv];
  }

  private envFor(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { PATH: CONTAINER_PATH, HOME: '/root', LANG: 'C.UTF-8' };
    for (const [k, v] of Object.entries(extra ?? {})) {
      if (k === '' || k.includes('=') || k.includes('\0') || v.includes('\0')) throw new Error(`exec: bad env entry ${JSON.stringify(k)}`);
      env[k] = v;
    }
    return env;
  }

  private execRaw(argv: string[], opts: ExecOptions = {}): { status: number; stdout: Buffer; stderr: Buffer } {
    const r = spawnSync(nsenter(), this.nsenterArgs(argv), {
      input: opts.input ?? '',
      env: this.envFor(opts.env),
      cwd: '/',
      maxBuffer: 512 * 1024 * 1024,
      timeout: opts.timeoutMs ?? 120000,
      killSignal: 'SIGKILL',
    });
    if (r.error) throw new Error(`exec ${JSON.stringify(argv)} in ${this.name}: ${r.error.message}`);
    const status = r.status ?? 128 + (r.signal !== null ? (SIGNAL_NUMBERS[r.signal] ?? 0) : 0);
    const out = { status, stdout: r.stdout, stderr: r.stderr };
    if (opts.check && status !== 0) {
      throw new Error(
        `exec ${JSON.stringify(argv)} in ${this.name} exited ${status}\n--- stdout ---\n${r.stdout.toString()}\n--- stderr ---\n${r.stderr.toString()}`,
      );
    }
    return out;
  }

  /** Runs argv inside the container (all its namespaces, cwd /, a clean environment). No shell: pass ['bash', '-c', ...] for one. */
  exec(argv: string[], opts: ExecOptions = {}): ExecResult {
    const r = this.execRaw(argv, opts);
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  }

  private execAsync(argv: string[], timeoutMs: number): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = spawn(nsenter(), this.nsenterArgs(argv), {
        env: this.envFor(undefined),
        cwd: '/',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', (e) => {
        clearTimeout(timer);
        resolve({ status: 127, stdout, stderr: stderr + e.message });
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ status: code ?? 137, stdout, stderr });
      });
    });
  }

  /** Writes a file inside the container (parents created), then sets its mode (default 0644). */
  writeFile(ctPath: string, content: string | Buffer, mode = 0o644): void {
    if (!ctPath.startsWith('/')) throw new Error(`writeFile: ${ctPath} is not absolute`);
    const script = 'mkdir -p -- "$(dirname -- "$1")" && cat > "$1" && chmod "$2" "$1"';
    this.execRaw(['/bin/sh', '-c', script, 'sh', ctPath, mode.toString(8)], { input: content, check: true });
  }

  /** Reads a file inside the container. */
  readFile(ctPath: string): Buffer {
    if (!ctPath.startsWith('/')) throw new Error(`readFile: ${ctPath} is not absolute`);
    return this.execRaw(['cat', '--', ctPath], { check: true }).stdout;
  }

  /** SIGKILLs the container (its PID 1, hence the whole PID namespace) and nspawn, without waiting. */
  killNow(): void {
    if (this.leaderPid > 0) {
      try {
        process.kill(this.leaderPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (!this.exited) this.nspawn.kill('SIGKILL');
  }

  /**
   * Powers the container off (SIGTERM to nspawn, which sends SIGRTMIN+4 = poweroff to PID 1), kills it
   * if that takes longer than timeoutMs, waits for nspawn to exit and removes the container's cgroups.
   */
  async stop(timeoutMs = 15000): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (!this.exited) {
        this.nspawn.kill('SIGTERM');
        if (!(await settlesWithin(this.exitPromise, timeoutMs))) {
          this.killNow();
          await settlesWithin(this.exitPromise, 10000);
        }
      }
      live.delete(this);
      for (const dir of this.cgroups) removeCgroup(dir);
    }
    if (!this.exited) throw new Error(`Container ${this.name}: systemd-nspawn pid ${this.nspawn.pid} did not exit`);
    if (this.leaderPid > 0 && isAlive(this.leaderPid)) {
      throw new Error(`Container ${this.name}: PID 1 (host pid ${this.leaderPid}) is still alive`);
    }
  }

  /** Host PID of the systemd-nspawn process. */
  get nspawnPid(): number {
    return this.nspawn.pid ?? 0;
  }
}
