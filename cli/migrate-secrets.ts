/**
 * The secrets part of `migrate`: moves the secret values written in the config (api_key and
 * hf_token in vllm_engine_config, vllm_parameters or vllm_args; secret values in
 * vllm_service.environment) out of it. Each vLLM server gets the values it actually runs with
 * (clone inheritance and vLLM's --api-key-over-VLLM_API_KEY precedence applied) as NAME=value
 * entries for the host file <secrets dir>/<CTID>.env, and the names in its `secrets`. Refuses,
 * naming positions and paths but never a value, when a value cannot be moved exactly: written
 * elsewhere (an LXC line, a command), several API keys, two different tokens for one name, a value
 * the secrets file cannot hold, or a value no vLLM server uses (migrate never drops one).
 */
import fs = require('fs');
import path = require('path');
import type { ArrayNode, MemberNode, ObjectNode, ValueNode } from '@humanwhocodes/momoa';
import type { Container, PhoenixLxcConfigs } from '../compiler/generated/config-types';
import { Reporter } from '../compiler/diagnostics';
import type { LoadedConfig } from '../compiler/load';
import { resolveFleet } from '../compiler/resolve';
import { checkSecrets } from '../compiler/check/secrets';
import { displayPath, PathSeg } from '../compiler/util/jsonpath';
import { runsVllm } from '../compiler/vllm/settings';
import {
  ctidSecretsFile,
  isSecretName,
  isSecretValue,
  parseSecretsFile,
  SECRET_SETTINGS,
  secretOption,
  secretsFileText,
  secretValueProblem,
} from '../compiler/vllm/secrets';
import { applyEdits, containerMembers, memberName, MemberPart, rebuildObject, TextEdit } from './json-layout';

/** What a diff shows in place of a moved value. */
export const SECRET_PLACEHOLDER = '<secret>';

export interface SecretsMove {
  /** Secret values written in the config (0: nothing to move). */
  found: number;
  /** The config without them, each vLLM server declaring the names it gets. */
  text: string;
  /** The original text with every moved value replaced by SECRET_PLACEHOLDER: what a diff may show. */
  shownOld: string;
  /** Per CTID, the entries of its host file <secrets dir>/<CTID>.env, sorted by name. */
  files: Map<string, { name: string; value: string }[]>;
  /** Why the move is refused; empty when it can be made. */
  problems: string[];
}

/** One secret written in a CTID's own keys. */
interface Written {
  layer: string;
  /** The environment variable that carries it. */
  name: string;
  kind: 'setting' | 'env';
  /** Non-empty values (several only for --api-key). */
  values: string[];
  /** Where it is written (the key, or the vllm_args option token). */
  path: PathSeg[];
  /** What the move takes out of `layer`: a key path, or vllm_args items. */
  remove: { key: string[] } | { args: number[] };
  /** Text edits that hide the value in the original. */
  hide: TextEdit[];
  used: boolean;
}

export function moveSecrets(config: LoadedConfig): SecretsMove {
  const text = config.text;
  const doc = config.value as PhoenixLxcConfigs;
  const none: SecretsMove = { found: 0, text, shownOld: text, files: new Map(), problems: [] };
  if (!doc?.lxc_configs) return none;
  const resolved = resolveFleet(doc);
  const r = new Reporter(config);
  for (const rc of resolved.values()) checkSecrets(doc, rc, r);
  const flagged = r.diagnostics.filter((d) => d.code === 'PHX040');
  if (flagged.length === 0) return none;

  const members = new Map(containerMembers(text).map((m) => [memberName(m), m]));
  const written: Written[] = [];
  for (const [ctid, own] of Object.entries(doc.lxc_configs)) written.push(...writtenSecrets(ctid, own, members.get(ctid)!));
  const problems: string[] = [];
  const where = (path: PathSeg[]) => `${r.where(path)}: ${displayPath(path)}`;
  const handled = new Set(written.map((w) => displayPath(w.path)));
  for (const d of flagged)
    if (!handled.has(d.path))
      problems.push(
        `${d.file}:${d.pos.line}:${d.pos.col}: ${d.path}: migrate moves api_key, hf_token and vllm_service.environment values only; move this one by hand`,
      );

  // The values each vLLM server runs with, nearest layer first (resolve.ts, settings.ts).
  const files = new Map<string, { name: string; value: string }[]>();
  const declare = new Map<string, string[]>();
  for (const rc of resolved.values()) {
    if (!runsVllm(rc.effective)) continue;
    const nearest = (name: string, kind: Written['kind']): Written | undefined => {
      for (const layer of rc.chain) {
        const here = written.filter((w) => w.layer === layer && w.name === name && w.kind === kind);
        const own = resolved.get(layer)?.own;
        if (kind === 'env' && own?.vllm_service?.environment?.[name] !== undefined) return here[0];
        if (here.length > 1 && new Set(here.map((w) => JSON.stringify(w.values))).size > 1)
          problems.push(
            `${where(here[1].path)}: ${name} is written twice in CTID ${layer} with different values (also at ${displayPath(here[0].path)}); keep one`,
          );
        if (here.length) return here[0];
      }
      return undefined;
    };
    const entries: { name: string; value: string; from: Written[] }[] = [];
    const names = new Set(written.filter((w) => rc.chain.includes(w.layer)).map((w) => w.name));
    for (const name of [...names].sort()) {
      const setting = nearest(name, 'setting');
      const env = nearest(name, 'env');
      const from = [setting, env].filter((w): w is Written => w !== undefined);
      if (from.length === 0) continue;
      if (setting && setting.values.length > 1) {
        problems.push(`${where(setting.path)}: ${setting.values.length} API keys; VLLM_API_KEY holds one (vllm/envs.py:400-402): keep one, then migrate`);
        continue;
      }
      // --api-key wins over VLLM_API_KEY (api_server.py:1611-1613); a --hf-token and an HF_TOKEN
      // that differ are two tokens for one name.
      if (setting && env && name !== 'VLLM_API_KEY' && setting.values[0] !== env.values[0]) {
        problems.push(`${where(setting.path)}: CTID ${rc.ctid} gets two different values for ${name} (also ${displayPath(env.path)}); keep one`);
        continue;
      }
      const value = (setting ?? env)!.values[0];
      const why = secretValueProblem(value);
      if (why) {
        problems.push(`${where((setting ?? env)!.path)}: the value cannot be written as a NAME=value line of a secrets file: ${why}; move it by hand`);
        continue;
      }
      entries.push({ name, value, from });
    }
    for (const e of entries) for (const w of e.from) w.used = true;
    if (entries.length) {
      files.set(
        rc.ctid,
        entries.map(({ name, value }) => ({ name, value })),
      );
      declare.set(
        rc.ctid,
        entries.map((e) => e.name),
      );
    }
  }
  for (const w of written)
    if (!w.used && w.values.length)
      problems.push(`${where(w.path)}: no vLLM server runs with this value (migrate never drops a value); move or remove it by hand`);

  // The new text: each changed container rebuilt, its untouched members kept as written.
  const edits: TextEdit[] = [];
  for (const [ctid, member] of members) {
    const own = doc.lxc_configs[ctid] as unknown as Record<string, unknown>;
    const mine = written.filter((w) => w.layer === ctid);
    if (!mine.length && !declare.has(ctid)) continue;
    const next = JSON.parse(JSON.stringify(own)) as Record<string, unknown>;
    const cut = new Set<number>();
    for (const w of mine) if ('key' in w.remove) deletePath(next, w.remove.key);
    for (const w of mine) if ('args' in w.remove) for (const j of w.remove.args) cut.add(j);
    if (cut.size) {
      const kept = (next.vllm_args as string[]).filter((_, j) => !cut.has(j));
      if (kept.length) next.vllm_args = kept;
      else delete next.vllm_args;
    }
    if (declare.has(ctid)) {
      const have = (next.secrets as string[] | undefined) ?? [];
      next.secrets = [...have, ...declare.get(ctid)!.filter((n) => !have.includes(n))];
    }
    edits.push(rebuildObject(text, member.value as ObjectNode, memberParts(member.value as ObjectNode, own, next)));
  }
  return {
    found: flagged.length,
    text: applyEdits(text, edits),
    shownOld: applyEdits(
      text,
      written.flatMap((w) => w.hide),
    ),
    files,
    problems: [...new Set(problems)],
  };
}

/** The members of a rebuilt container: unchanged ones kept, changed ones new, removed ones left out, `secrets` after application_script. */
function memberParts(obj: ObjectNode, before: Record<string, unknown>, after: Record<string, unknown>): MemberPart[] {
  const parts: MemberPart[] = [];
  const same = (k: string) => JSON.stringify(before[k]) === JSON.stringify(after[k]);
  const addSecrets = () => parts.push({ key: 'secrets', value: after.secrets });
  let secretsPlaced = 'secrets' in before || !('secrets' in after);
  for (const m of obj.members) {
    const key = memberName(m);
    if (after[key] !== undefined) parts.push(same(key) ? { keep: m } : { key, value: after[key] });
    if (key === 'application_script' && !secretsPlaced) {
      addSecrets();
      secretsPlaced = true;
    }
  }
  if (!secretsPlaced) addSecrets();
  return parts;
}

/** Deletes obj[key], then each parent object left empty along `path` (keys under `root`). */
function deletePath(root: Record<string, unknown>, path: string[]): void {
  const parents: Record<string, unknown>[] = [root];
  for (const k of path.slice(0, -1)) parents.push(parents[parents.length - 1][k] as Record<string, unknown>);
  delete parents[parents.length - 1][path[path.length - 1]];
  for (let i = parents.length - 1; i > 0; i--) if (Object.keys(parents[i]).length === 0) delete parents[i - 1][path[i - 1]];
}

function valueNode(obj: ObjectNode, key: string): ValueNode | undefined {
  return obj.members.find((m: MemberNode) => memberName(m) === key)?.value;
}

function hideNode(node: ValueNode | undefined, shown = SECRET_PLACEHOLDER): TextEdit[] {
  return node ? [{ start: node.range![0], end: node.range![1], replacement: JSON.stringify(shown) }] : [];
}

/** The secrets one CTID writes in its own keys that migrate can move. */
function writtenSecrets(ctid: string, own: Container, member: MemberNode): Written[] {
  const out: Written[] = [];
  const base: PathSeg[] = ['lxc_configs', ctid];
  const obj = member.value as ObjectNode;
  const strings = (v: unknown) => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x !== '');
  const groups = (own.vllm_engine_config ?? {}) as Record<string, Record<string, unknown>>;
  const engineNode = valueNode(obj, 'vllm_engine_config') as ObjectNode | undefined;
  for (const g of Object.keys(groups)) {
    for (const key of Object.keys(groups[g] ?? {})) {
      const values = strings(groups[g][key]);
      if (!(key in SECRET_SETTINGS) || values.length === 0) continue;
      const groupNode = engineNode && (valueNode(engineNode, g) as ObjectNode | undefined);
      out.push({
        layer: ctid,
        name: SECRET_SETTINGS[key].env,
        kind: 'setting',
        values,
        path: [...base, 'vllm_engine_config', g, key],
        remove: { key: ['vllm_engine_config', g, key] },
        hide: hideNode(groupNode && valueNode(groupNode, key)),
        used: false,
      });
    }
  }
  const params = (own.vllm_parameters ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(params)) {
    const values = strings(params[key]);
    if (!(key in SECRET_SETTINGS) || values.length === 0) continue;
    const paramsNode = valueNode(obj, 'vllm_parameters') as ObjectNode | undefined;
    out.push({
      layer: ctid,
      name: SECRET_SETTINGS[key].env,
      kind: 'setting',
      values,
      path: [...base, 'vllm_parameters', key],
      remove: { key: ['vllm_parameters', key] },
      hide: hideNode(paramsNode && valueNode(paramsNode, key)),
      used: false,
    });
  }
  const args = own.vllm_args ?? [];
  const argsNode = valueNode(obj, 'vllm_args') as ArrayNode | undefined;
  for (let i = 0; i < args.length; i++) {
    const dest = secretOption(args[i]);
    if (!dest) continue;
    const eq = args[i].indexOf('=');
    let last = i;
    const values: string[] = [];
    if (eq > 0) values.push(args[i].slice(eq + 1));
    else while (last + 1 < args.length && !args[last + 1].startsWith('--')) values.push(args[++last]);
    if (strings(values).length === 0) continue;
    const hide =
      eq > 0
        ? hideNode(argsNode?.elements[i]?.value, `${args[i].slice(0, eq)}=${SECRET_PLACEHOLDER}`)
        : (argsNode?.elements.slice(i + 1, last + 1) ?? []).flatMap((e) => hideNode(e.value));
    out.push({
      layer: ctid,
      name: SECRET_SETTINGS[dest].env,
      kind: 'setting',
      values: strings(dest === 'api_key' ? values : values.slice(0, 1)),
      path: [...base, 'vllm_args', i],
      remove: { args: Array.from({ length: last - i + 1 }, (_, k) => i + k) },
      hide,
      used: false,
    });
    i = last;
  }
  const env = own.vllm_service?.environment ?? {};
  const serviceNode = valueNode(obj, 'vllm_service') as ObjectNode | undefined;
  const envNode = serviceNode && (valueNode(serviceNode, 'environment') as ObjectNode | undefined);
  for (const name of Object.keys(env)) {
    const value = env[name];
    if (value === '' || !(isSecretName(name) || isSecretValue(value))) continue;
    out.push({
      layer: ctid,
      name,
      kind: 'env',
      values: [value],
      path: [...base, 'vllm_service', 'environment', name],
      remove: { key: ['vllm_service', 'environment', name] },
      hide: hideNode(envNode && valueNode(envNode, name)),
      used: false,
    });
  }
  return out;
}

/**
 * The host files to write: DIR/<CTID>.env with the moved entries added to what the file already
 * holds (same format, compiler/vllm/secrets.ts). Refuses a file it cannot read as a secrets file,
 * and a name it already sets to another value.
 */
export function plannedSecretsFiles(
  dir: string,
  files: ReadonlyMap<string, { name: string; value: string }[]>,
): { problems: string[]; writes: { path: string; text: string; names: string[] }[] } {
  const problems: string[] = [];
  const writes: { path: string; text: string; names: string[] }[] = [];
  for (const [ctid, entries] of files) {
    const file = path.join(dir, ctidSecretsFile(ctid));
    let existing: { name: string; value: string }[] = [];
    if (fs.existsSync(file)) {
      const parsed = parseSecretsFile(fs.readFileSync(file, 'latin1'));
      if (!parsed.ok) {
        problems.push(`${file}:${parsed.line}: ${parsed.problem}`);
        continue;
      }
      existing = parsed.lines;
    }
    const added: { name: string; value: string }[] = [];
    for (const e of entries) {
      const have = existing.find((x) => x.name === e.name);
      if (!have) added.push(e);
      else if (have.value !== e.value)
        problems.push(`${file} already sets ${e.name} to another value; remove that line or the value in the config, then migrate`);
    }
    if (added.length)
      writes.push({
        path: file,
        text: (existing.length ? fs.readFileSync(file, 'latin1').replace(/([^\n])$/, '$1\n') : '') + secretsFileText(added),
        names: added.map((e) => e.name),
      });
  }
  return { problems, writes };
}

/**
 * Writes a secrets file atomically, readable by its owner only: a new file beside it, created
 * exclusively with mode 0600, synced, then renamed over the old one. The folder is made (0700)
 * when absent.
 */
export function writeSecretsFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.phx-migrate-${process.pid}`;
  const fd = fs.openSync(tmp, 'wx', 0o600);
  try {
    fs.writeSync(fd, Buffer.from(text, 'latin1'));
    fs.fchmodSync(fd, 0o600);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
