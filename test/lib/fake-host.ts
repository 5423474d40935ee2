/**
 * A fake Proxmox host around one real-systemd container, for running the generated scripts
 * (or one node of a fake cluster, test/lib/fake-cluster.ts):
 * test/harness/bin/pct, qm and pvesm (every call logged to PHX_FAKE_LOG; pct keeps each CTID's
 * configuration in <root>/etc/pve/lxc/<CTID>.conf with Proxmox's section rules, and maps
 * `pct exec`/`pct push` into the container), test/harness/net/curl (the host's curl: the
 * container has a private network, so the call is carried out by curl inside the container, see
 * that file), and inside the container the stand-ins of test/harness/standins/ct-standin.py for
 * the venv's python, pip and vllm, git, apt-get, dpkg, dpkg-query, wget, nvidia-smi and nvcc.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { Container } from '../harness/container';
import { repoRoot, tmpDir } from './paths';
import { PctConfig, readPctConfig } from './pve-conf';

const HARNESS = (): string => path.join(repoRoot(), 'test', 'harness');
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type Call = string[];

export interface ScriptRun {
  status: number;
  stdout: string;
  stderr: string;
  /** Host calls (pct, pvesm, curl) the run made, in order. */
  calls: Call[];
  /** Calls of the container stand-ins (pip, git, apt-get, ...) the run made, in order. */
  ctCalls: Call[];
}

const STANDIN = '/usr/local/lib/phx-standin/ct-standin.py';

/** Puts the stand-ins into the container (the venv's python, pip and vllm, and tools in /usr/local/bin). */
export function installStandins(ct: Container): void {
  ct.writeFile(STANDIN, fs.readFileSync(path.join(HARNESS(), 'standins', 'ct-standin.py')), 0o755);
  const links: string[] = ['/opt/vllm/bin/python', '/opt/vllm/bin/pip', '/opt/vllm/bin/vllm'];
  for (const t of ['git', 'apt-get', 'dpkg', 'dpkg-query', 'wget', 'nvidia-smi']) links.push(`/usr/local/bin/${t}`);
  ct.exec(['sh', '-c', 'mkdir -p /opt/vllm/bin && for l; do ln -sf "$0" "$l"; done', STANDIN, ...links], { check: true });
}

/** What the example's features leave in the container: the venv's distributions and the CUDA toolkit's nvcc. */
export const INSTALLED_VENV: Record<string, string> = { pip: '24.0', vllm: '0.10.2', torch: '2.8.0+cu128', 'flashinfer-python': '0.3.1' };

/** Sets the venv's distributions (the pip stand-in's dists.json) and puts nvcc of CUDA 12.8 in place. */
export function setInstalled(ct: Container, dists: Record<string, string> = INSTALLED_VENV): void {
  ct.writeFile('/var/lib/phx-standin/dists.json', JSON.stringify(dists));
  ct.exec(['sh', '-c', 'mkdir -p /usr/local/cuda-12.8/bin && ln -sf "$0" /usr/local/cuda-12.8/bin/nvcc', STANDIN], { check: true });
}

export class FakeHost {
  /** PHX_FAKE_ROOT: the host's file system as far as pct uses it (etc/pve, run/phx-fake). */
  readonly fsRoot: string;
  /**
   * <root>/etc/pve/lxc, where pct keeps <CTID>.conf; as on Proxmox, a link to etc/pve/nodes/<node>/lxc
   * (node "fake"). Also PHOENIX_PVE_LXC_DIR, where create.sh finds <ctid>.conf.
   */
  readonly lxcDir: string;
  readonly log: string;
  /** PHOENIX_SECRETS_DIR: the host's secrets folder deploy.sh reads (mode 0700, empty at first). */
  readonly secrets: string;
  private readonly pyBin: string;
  private readonly root: string;

  constructor(
    /** The container `pct exec`/`pct push` go into (absent: those two fail, everything else works). */
    readonly ct: Container | undefined,
    opts: { defined?: string[]; storages?: string[]; cluster?: { dir: string; node: string } } = {},
  ) {
    const root = opts.cluster ? path.join(opts.cluster.dir, opts.cluster.node) : tmpDir('fakehost');
    const node = opts.cluster?.node ?? 'fake';
    this.root = root;
    this.node = node;
    this.cluster = opts.cluster?.dir;
    this.fsRoot = path.join(root, 'fs');
    this.lxcDir = path.join(this.fsRoot, 'etc', 'pve', 'lxc');
    this.log = path.join(root, 'calls.jsonl');
    this.secrets = path.join(root, 'secrets');
    this.pyBin = path.join(root, 'bin');
    if (opts.cluster) {
      // A node of a fake cluster: etc/pve/nodes is the cluster's one tree (pmxcfs replicates it to
      // every node), and etc/pve/lxc and etc/pve/local point into this node's folder of it, as
      // pmxcfs links them (pve-cluster src/pmxcfs/pmxcfs.c:663-690).
      const tree = path.join(opts.cluster.dir, 'pmxcfs', 'nodes');
      fs.mkdirSync(path.join(tree, node, 'lxc'), { recursive: true });
      fs.mkdirSync(path.join(this.fsRoot, 'etc', 'pve'), { recursive: true });
      fs.mkdirSync(path.join(root, 'home'));
      fs.symlinkSync(tree, path.join(this.fsRoot, 'etc', 'pve', 'nodes'));
      fs.symlinkSync(path.join('nodes', node), path.join(this.fsRoot, 'etc', 'pve', 'local'));
    } else fs.mkdirSync(path.join(this.fsRoot, 'etc', 'pve', 'nodes', 'fake', 'lxc'), { recursive: true });
    fs.symlinkSync(path.join('nodes', node, 'lxc'), this.lxcDir);
    fs.mkdirSync(path.join(this.fsRoot, 'run', 'phx-fake'), { recursive: true });
    fs.mkdirSync(this.pyBin);
    fs.mkdirSync(this.secrets, { mode: 0o700 });
    fs.writeFileSync(this.log, '');
    // The stand-ins and the scripts call python3 often: use the system one directly when it is
    // there (a pyenv shim costs ~0.2 s a call), as a Proxmox host would.
    if (fs.existsSync('/usr/bin/python3')) fs.symlinkSync('/usr/bin/python3', path.join(this.pyBin, 'python3'));
    this.storages = opts.storages ?? [];
    for (const id of opts.defined ?? []) this.define(id);
  }

  storages: string[];
  /** The node's name: "fake" on a one-host fake, else its name in the fake cluster. */
  readonly node: string;
  /** The fake cluster's folder (PHX_FAKE_CLUSTER), when this host is one of its nodes. */
  readonly cluster: string | undefined;

  /** A CTID that exists on the fake host, stopped, with `conf` as its /etc/pve/lxc/<CTID>.conf (default empty). */
  define(ctid: string, conf = ''): void {
    fs.writeFileSync(this.confPath(ctid), conf);
  }

  /** A VM that exists on the fake host (for the stand-in qm), stopped; start it with setRunning. */
  defineVm(vmid: string, conf = ''): void {
    const dir = path.join(this.fsRoot, 'etc', 'pve', 'nodes', this.node, 'qemu-server');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${vmid}.conf`), conf);
  }

  /**
   * A path of the host's file system as the scripts see it: create.sh's bind mount folders are
   * PHOENIX_HOST_ROOT (= fsRoot) + path, which the stand-in pct checks at start.
   */
  hostPath(p: string): string {
    return path.join(this.fsRoot, p);
  }

  /** /etc/pve/lxc/<CTID>.conf on the fake host. */
  confPath(ctid: string): string {
    return path.join(this.lxcDir, `${ctid}.conf`);
  }

  /** The CTID's configuration file as Proxmox reads it (current, pending, snapshots). */
  conf(ctid: string): PctConfig {
    return readPctConfig(this.confPath(ctid));
  }

  /** Is the CTID running (as `pct status` says)? */
  isRunning(ctid: string): boolean {
    return fs.existsSync(this.runFlag(ctid));
  }

  /** Marks a CTID running or stopped without calling pct (for setting up a test). */
  setRunning(ctid: string, running: boolean): void {
    if (running) fs.writeFileSync(this.runFlag(ctid), '');
    else fs.rmSync(this.runFlag(ctid), { force: true });
  }

  private runFlag(ctid: string): string {
    return path.join(this.fsRoot, 'run', 'phx-fake', `${ctid}.running`);
  }

  /** Runs the stand-in pct itself with the host's environment (the call is logged like any other). */
  pct(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(path.join(HARNESS(), 'bin', 'pct'), args, { env: this.env(env), encoding: 'utf8' });
    if (r.error) throw r.error;
    return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const dirs = [this.pyBin, path.join(HARNESS(), 'bin'), path.join(HARNESS(), 'net'), SYSTEM_PATH];
    if (!fs.existsSync('/usr/bin/python3')) dirs.push(process.env.PATH ?? '');
    return {
      PATH: dirs.join(':'),
      HOME: process.env.HOME ?? '/root',
      LANG: 'C.UTF-8',
      PHX_FAKE_ROOT: this.fsRoot,
      PHX_FAKE_LOG: this.log,
      PHX_FAKE_PID: this.ct ? String(this.ct.pid) : '',
      PHX_FAKE_STORAGES: this.storages.join(' '),
      PHOENIX_PVE_LXC_DIR: this.lxcDir,
      PHOENIX_PVE_LOCK_DIR: path.join(this.fsRoot, 'run', 'lock', 'lxc'),
      PHOENIX_HOST_ROOT: this.fsRoot,
      PHOENIX_SECRETS_DIR: this.secrets,
      ...(this.cluster
        ? {
            PHX_FAKE_NODE: this.node,
            PHX_FAKE_CLUSTER: this.cluster,
            PHOENIX_PVE_DIR: path.join(this.fsRoot, 'etc', 'pve'),
            HOME: path.join(this.root, 'home'),
          }
        : {}),
      ...extra,
    };
  }

  /** Writes a host secrets file (NAME=value lines) as an operator would: mode 0600, owned by the user running the scripts. */
  writeSecrets(file: string, text: string, mode = 0o600): string {
    const p = path.join(this.secrets, file);
    fs.rmSync(p, { force: true });
    fs.writeFileSync(p, text, { mode });
    fs.chmodSync(p, mode);
    return p;
  }

  /** Every host call so far. */
  calls(): Call[] {
    return readJsonLines(fs.readFileSync(this.log, 'utf8'));
  }

  /** Every container stand-in call so far. */
  ctCalls(): Call[] {
    if (!this.ct) return [];
    const r = this.ct.exec(['cat', '/var/log/phx-standin/calls.jsonl']);
    return r.status === 0 ? readJsonLines(r.stdout) : [];
  }

  /** Runs a script (or command) on the fake host with bash, returning what it printed and the calls it made. */
  run(argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): ScriptRun {
    const before = this.calls().length;
    const ctBefore = this.ctCalls().length;
    const r = spawnSync('bash', argv, { env: this.env(opts.env), encoding: 'utf8', timeout: opts.timeoutMs ?? 120000, killSignal: 'SIGKILL' });
    if (r.error) throw new Error(`${argv.join(' ')}: ${r.error.message}`);
    return {
      status: r.status ?? 128,
      stdout: r.stdout,
      stderr: r.stderr,
      calls: this.calls().slice(before),
      ctCalls: this.ctCalls().slice(ctBefore),
    };
  }

  /** Removes the host's temporary folder. */
  dispose(): void {
    fs.rmSync(this.root, { recursive: true, force: true });
  }

  /** A property of a unit in the container (systemctl show -p NAME --value). */
  unitProp(unit: string, name: string): string {
    if (!this.ct) throw new Error('unitProp: this fake host has no container');
    return this.ct.exec(['systemctl', 'show', '-p', name, '--value', unit], { check: true }).stdout.trim();
  }
}

function readJsonLines(text: string): Call[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Call);
}

/** A readable description of a failed run, for assertion messages. */
export function describe(r: ScriptRun): string {
  return `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}
