/**
 * Diagnostics: every problem the compiler reports, with a stable code, a position in the
 * config file, the JSON path and the CTID it concerns. One formatter, so every stage prints
 * the same editor-jumpable shape: `file:line:col: error: message`. The Reporter turns a JSON path
 * into that position; every stage that finds problems reports through one.
 */
import { ctidOfPath, displayPath, PathSeg, toPointer } from './util/jsonpath';

export type Severity = 'error' | 'warning' | 'note';

export interface Position {
  line: number;
  col: number;
}

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  message: string;
  file: string;
  pos: Position;
  /** JSON path in `$.a.b[0]` form. */
  path: string;
  ctid?: string;
}

/**
 * The catalogue of codes. The README table is generated from this object (tools/codegen.ts,
 * with ts-morph), so each entry's example is what the README shows.
 */
export const CODES = {
  PHX001: { title: 'invalid JSON syntax', example: 'a trailing comma: {"lxc_configs": {},}' },
  PHX002: { title: 'duplicate key in an object', example: 'two "921" keys in lxc_configs' },
  PHX003: { title: 'empty or unreadable config file', example: 'a file of zero bytes' },
  PHX010: { title: 'value has the wrong JSON type', example: '"memory_mb": "2048"' },
  PHX011: { title: 'unknown key (with a did-you-mean suggestion)', example: '"memroy_mb": 2048' },
  PHX012: { title: 'required key missing', example: 'a container without "name"' },
  PHX013: { title: 'value does not match the required format', example: '"mac_address": "52:54:00:AA:BB"' },
  PHX014: { title: 'number out of range', example: '"cores": 0' },
  PHX015: { title: 'value not among the allowed choices', example: '"portainer_role": "master"' },
  PHX016: { title: 'invalid CTID key', example: '"99": {...} in lxc_configs' },
  PHX017: { title: 'duplicate item in a list', example: '"features": ["vllm", "vllm"]' },
  PHX018: { title: 'string length out of range', example: '"name": ""' },
  PHX019: { title: 'other schema violation', example: 'a value the schema rejects for another reason' },
  PHX090: { title: 'container selected with --only does not exist', example: '--only 999' },
  PHX020: { title: 'unknown vLLM argument (with the nearest real one and its vLLM group)', example: '"max_model_length": 8192' },
  PHX021: { title: 'vLLM argument value of the wrong type or not among its choices', example: '"dtype": "bf16"' },
  PHX022: { title: 'quantization method unknown to the pinned vLLM', example: '"quantization": "fp9"' },
  PHX023: { title: 'deprecated vLLM argument (warning)', example: 'an argument vLLM 0.10.2 marks deprecated' },
  PHX024: { title: 'the same vLLM argument set twice with different values', example: 'vllm_parameters.max_model_len 8192 and vllm_args --max-model-len 4096' },
  PHX025: { title: 'vLLM arguments inconsistent with each other or with the container', example: 'tensor_parallel_size 2 with one GPU assigned' },
  PHX026: { title: 'a vLLM server without a model', example: 'application_script phoenix_hypervisor_lxc_vllm.sh and no model' },
  PHX027: { title: 'vllm_args cannot be parsed', example: '"vllm_args": ["--max-model-len"] (value missing)' },
  PHX028: { title: 'no flag catalog for the requested vLLM version', example: '"vllm_version": "0.11.0"' },
  PHX029: { title: 'vLLM warns while reading an argument (warning)', example: '"compilation_config": {"use_cudagraph": false} (deprecated)' },
  PHX030: { title: 'service environment not allowed', example: 'UnsetEnvironment of a name the unit sets, or an unknown VLLM_* name' },
  PHX031: {
    title: 'what the compiler chose for the unit because of the GPUs (note)',
    example: 'VLLM_ATTENTION_BACKEND=FLASHINFER for an FP8 KV cache on compute capability 12.0',
  },
  PHX032: {
    title: 'the vllm pip install replaces the torch installed before it (warning)',
    example: 'torch_channel "nightly": the newest nightly torch, then vllm==0.10.2 (which pins torch==2.8.0)',
  },
  PHX033: {
    title: "clone of a vLLM template without a vLLM server of its own: the template's enabled unit is on its disk (warning)",
    example: '"clone_from_ctid": "911" (911 runs vLLM) and no application_script of its own',
  },
  PHX034: {
    title: 'a value vLLM parses but refuses or crashes on at start-up',
    example: '"tensor_parallel_size": 0 (ZeroDivisionError in vLLM)',
  },
  PHX035: {
    title: 'a model whose id names an embedding model, with no runner, convert or task (note)',
    example: '"model": "ibm-granite/granite-embedding-english-r2" without "runner": "pooling"',
  },
  PHX040: {
    title: 'a secret value written in the config (out/ is committed): declare its name in secrets and put the value into the host secrets file',
    example: '"api_key": "sk-..." under ServerConfig, or "HF_TOKEN": "hf_..." in vllm_service.environment',
  },
  PHX041: {
    title: 'the secrets declaration is wrong (a name that is not a variable, collides with the unit, or is not what vLLM reads)',
    example: '"secrets": ["CUDA_HOME"] (the unit sets it)',
  },
  PHX101: { title: 'clone_from_ctid names a CTID that does not exist', example: '"clone_from_ctid": "903" with no 903' },
  PHX102: { title: 'clone chain has a cycle', example: '901 clones 902 and 902 clones 901' },
  PHX103: { title: 'clone source has no template_snapshot_name to clone from', example: 'cloning from a CTID without "template_snapshot_name"' },
  PHX104: {
    title: 'dependency names a guest that is not in the file (warning; declare it in external_guests)',
    example: '"dependencies": ["953"] with no 953',
  },
  PHX105: { title: 'dependencies have a cycle', example: '950 depends on 951 and 951 on 950' },
  PHX106: { title: 'IP address used by two CTIDs', example: 'two containers with "ip": "10.0.0.221/24"' },
  PHX107: { title: 'MAC address used by two CTIDs', example: 'two containers with the same "mac_address"' },
  PHX108: { title: 'hostname used by two CTIDs', example: 'two containers named "vllm"' },
  PHX109: { title: 'name is not a valid hostname', example: '"name": "my_box" (underscore)' },
  PHX110: { title: 'gateway outside the interface subnet (warning)', example: '"ip": "10.0.0.5/24", "gw": "10.0.1.1"' },
  PHX111: { title: 'gpu_assignment names a GPU the host does not have', example: '"gpu_assignment": "2" on a two-GPU host' },
  PHX112: { title: 'vllm feature without nvidia on the clone chain', example: '"features": ["vllm"] cloned from a CTID without nvidia' },
  PHX113: { title: 'GPU memory over-committed by containers that start at boot (warning)', example: 'two boot-time servers on GPU 0 at 0.6 each' },
  PHX114: { title: 'a required setting is missing after clone inheritance', example: 'a container with neither "template" nor "clone_from_ctid"' },
  PHX115: { title: 'feature without a built-in script: the existing installer runs (note)', example: '"features": ["docker"]' },
  PHX116: {
    title: 'application script other than the vLLM one: the existing script runs (note)',
    example: '"application_script": "phoenix_hypervisor_lxc_952.sh"',
  },
  PHX117: { title: 'MAC address is not unicast (Proxmox refuses it)', example: '"mac_address": "01:00:5E:00:00:01"' },
  PHX118: { title: 'gpu_assignment names a GPU more than once', example: '"gpu_assignment": "1,1"' },
  PHX119: { title: 'lxc_configs has no containers (warning): every generated file would be removed', example: '{"lxc_configs": {}}' },
  PHX120: {
    title: 'raw LXC line that Proxmox or its LXC refuses (the character or key it refuses)',
    example: '"lxc.Cgroup2.devices.allow=a", "lxc.rootfs.path: /x", "lxc.aa_profile=unconfined"',
  },
  PHX121: {
    title: 'raw LXC line that does nothing on current Proxmox, with its replacement (warning)',
    example: '"lxc.cgroup.devices.allow: c 195:* rwm" (cgroup v1)',
  },
  PHX122: {
    title: 'named volumes or mount points that cannot be what they say',
    example: 'vllm_models of 50 GiB in CTID 801 and of 60 GiB in 802; two mount points at /data in one CTID',
  },
  PHX123: { title: 'a volume shared by several CTIDs: who allocates it, who mounts it, who owns it (note)', example: 'vllm_models in 801 and 802' },
  PHX124: {
    title: 'bind or device mount point on a template (pct snapshot and pct clone refuse it)',
    example: '"mount_points" on a CTID with "template_snapshot_name"',
  },
  PHX125: { title: 'a dependency does not start before its dependent at boot', example: '950 (boot_order 3) depends on 953 (boot_order 3)' },
  PHX126: {
    title: 'a dependency that does not start at boot, or has no boot delay for its services (warning)',
    example: '950 starts at boot and depends on 953, which does not',
  },
  PHX127: { title: 'boot order derived from the dependencies (note)', example: 'no "boot_order" on a CTID that starts at boot after its dependency' },
  PHX128: {
    title: 'mount point owner that the container cannot have, or two owners for one folder',
    example: '"owner_uid": 70000 in an unprivileged container',
  },
  PHX129: { title: 'id_maps is not applied (warning)', example: '"id_maps": [{"type": "gid", ...}]' },
  PHX130: { title: 'cluster node name that Proxmox does not accept, or two nodes with one address', example: '"nodes": {"pve_1": {}}' },
  PHX131: {
    title: 'container without a known cluster node',
    example: '"node": "pve3" with nodes pve1 and pve2, or a CTID without "node" when "nodes" is set',
  },
  PHX132: {
    title: 'clone from a CTID on another node without a shared storage: cloned there, then migrated (note)',
    example: '951 on pve1 cloned from 901 on pve2, storage local-zfs',
  },
  PHX133: { title: 'dependency on a guest on another node: boot order does not order it (note)', example: '951 on pve1 depends on 953 on pve2' },
  // The output folder (reported by the command line about out/, not about the config).
  PHX201: { title: '--check: a generated file is not what the config compiles to now', example: 'the config changed and nobody recompiled' },
  PHX202: { title: '--check: a generated file was edited by hand (its sha256 differs from the manifest)', example: 'a fix typed into out/921/deploy.sh' },
  PHX203: { title: '--check: a file the config compiles to is missing', example: 'a CTID added to the config, not compiled' },
  PHX204: { title: '--check: a generated file the config no longer produces', example: 'a CTID removed from the config, its folder still in out/' },
  PHX205: { title: '--check: a generated file has the wrong mode', example: 'create.sh without its execute bit' },
  PHX206: { title: '--check: a file in the output folder that the manifest does not own is left alone (note)', example: 'out/NOTES.md written by hand' },
  PHX207: { title: 'a previous run was killed while replacing the output folder', example: 'a power cut between the two renames' },
  PHX208: {
    title: 'the output folder was compiled from another config (refused without --force)',
    example: 'phoenix-compile --config other.json into an out/ made from phoenix_lxc_configs.json',
  },
  PHX209: {
    title:
      'files that phoenix-compile did not write, with other bytes than it would write, are where it would write (no manifest, or not in it; refused without --force)',
    example: '--out docs, where docs/FLEET.md is your own',
  },
  PHX210: { title: 'the output folder cannot be written as one atomic set', example: 'an out/ that is a file, read-only, or a mount point' },
} as const;

export type DiagnosticCode = keyof typeof CODES;

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.ctid !== undefined ? `CTID ${d.ctid}: ` : '';
  const at = d.path && d.path !== '$' ? `${d.path}: ` : '';
  return `${d.file}:${d.pos.line}:${d.pos.col}: ${d.severity}: ${where}${at}${d.message} [${d.code}]`;
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, note: 2 };

/** Position order, then severity, then code, then text: a total order, so output is stable. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      a.pos.line - b.pos.line ||
      a.pos.col - b.pos.col ||
      severityRank[a.severity] - severityRank[b.severity] ||
      (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** Drops exact repeats (same position, code and message), keeping order. */
export function dedupeDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = formatDiagnostic(d);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}

/**
 * Positions by JSON Pointer (RFC 6901, as compiler/util/jsonpath.ts `toPointer` writes it):
 * `get` gives the 1-based line and column, or undefined when the pointer names nothing written
 * there. A ReadonlyMap<string, Position> is one; compiler/load.ts finds them on demand.
 */
export interface PointerPositions {
  get(pointer: string): Position | undefined;
}

/** Where each node of the loaded document is written: JSON Pointer -> position (see load.ts). */
export interface PositionIndex {
  /** The config file's name as shown in messages. */
  file: string;
  /** Position of the key naming each object member's value. */
  keyPos: PointerPositions;
  /** Position of each value (the document itself at ""). */
  valuePos: PointerPositions;
}

/** Collects diagnostics, each placed at the key or value its JSON path names. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(private readonly config: PositionIndex) {}

  /** Position of a value (or of its key when `key` is true). */
  pos(path: PathSeg[], key = false): Position {
    // A value that is not written (inherited or defaulted) is shown at its nearest written parent.
    for (let n = path.length; n >= 0; n--) {
      const ptr = toPointer(path.slice(0, n));
      const p = (key || n < path.length ? this.config.keyPos.get(ptr) : undefined) ?? this.config.valuePos.get(ptr) ?? this.config.keyPos.get(ptr);
      if (p) return p;
    }
    return { line: 1, col: 1 };
  }

  report(severity: Severity, code: DiagnosticCode, path: PathSeg[], message: string, opts: { key?: boolean; ctid?: string } = {}): void {
    const ctid = opts.ctid ?? ctidOfPath(path);
    this.diagnostics.push({
      severity,
      code,
      message,
      file: this.config.file,
      pos: this.pos(path, opts.key ?? false),
      path: displayPath(path),
      ...(ctid !== undefined ? { ctid } : {}),
    });
  }

  /** "line:col" of a path, for messages that point at a second place. */
  where(path: PathSeg[]): string {
    const p = this.pos(path);
    return `${p.line}:${p.col}`;
  }
}
