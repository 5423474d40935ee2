/**
 * How Proxmox VE reads a raw LXC line of /etc/pve/lxc/<CTID>.conf and what it does with the key:
 * the facts of schema/proxmox/pve-container.json (pve-container 94f5585 and LXC 6.0.5, each entry
 * with its source lines), turned into functions the checks and the planner share.
 */
import { nearest } from '../util/suggest';

interface Facts {
  raw_line: { regex: string; source: string };
  valid_keys: { value: string[]; source: string };
  refused_keys: { value: Record<string, string>; source: string };
  accepted_prefixes: { value: string[]; source: string };
  renamed_keys: { value: Record<string, string>; source: string };
  renamed_prefixes: { value: Record<string, string>; source: string };
  cgroup_v1: {
    prefix: string;
    cgroup_independent: { value: string[] };
    replacement: { cgroup2_prefix: string };
  };
}

const FACTS = require('../../../schema/proxmox/pve-container.json') as Facts;

/** A raw LXC line as Proxmox stores it: [key, value] (parse_pct_config, Config.pm:1179-1189). */
export interface RawLxcLine {
  key: string;
  value: string;
}

export type RawLineParse = { ok: true; line: RawLxcLine } | { ok: false; column: number; message: string };

/** Perl's \s on the bytes of the file: ASCII whitespace (no Unicode rules). */
const S = '[\\t\\n\\v\\f\\r ]';
/** `^(lxc\.[a-z0-9_\-\.]+)(:|\s*=)\s*(.*?)\s*$`, pve-container src/PVE/LXC/Config.pm:1179. */
const RAW_LINE = new RegExp(`^(lxc\\.[a-z0-9_\\-.]+)(:|${S}*=)${S}*(.*?)${S}*$`);
const KEY_CHAR = /[a-z0-9_.-]/;
const BLANK = /[\t\n\v\f\r ]/;

/**
 * Reads `text` as parse_pct_config reads a line of the file (Config.pm:1179): the key (lxc. then
 * a-z, 0-9, '_', '-', '.'), ':' right after it or blanks and '=', the value without surrounding
 * blanks. When it is not such a line, says why and where (1-based column of the first offending
 * character), naming the character Proxmox refuses.
 */
export function parseRawLxcLine(text: string): RawLineParse {
  const m = RAW_LINE.exec(text);
  if (m) return { ok: true, line: { key: m[1], value: m[3] } };
  if (!text.startsWith('lxc.')) {
    if (text.toLowerCase().startsWith('lxc.'))
      return {
        ok: false,
        column: 1,
        message: `starts with ${JSON.stringify(text.slice(0, 4))}: Proxmox reads a raw LXC line only when it starts with "lxc." in lower case`,
      };
    return { ok: false, column: 1, message: 'does not start with "lxc.": Proxmox reads only lines of the form lxc.KEY: VALUE as raw LXC lines' };
  }
  let i = 4;
  while (i < text.length && KEY_CHAR.test(text[i])) i++;
  if (i === 4 && (i === text.length || text[i] === ':' || text[i] === '=' || BLANK.test(text[i])))
    return { ok: false, column: 5, message: 'has no key after "lxc."' };
  const key = text.slice(0, i);
  if (i === text.length) return { ok: false, column: i + 1, message: `has no ':' or '=' after the key ${key}` };
  let j = i;
  while (j < text.length && BLANK.test(text[j])) j++;
  if (j > i) {
    if (text[j] === ':')
      return {
        ok: false,
        column: i + 1,
        message: `has a blank between the key ${key} and ':'; Proxmox reads "${key}: value", "${key}=value" or "${key} = value", not a blank before ':'`,
      };
    return { ok: false, column: j + 1, message: `has no ':' or '=' after the key ${key}` };
  }
  return {
    ok: false,
    column: i + 1,
    message: `has ${describeChar(text.codePointAt(i)!)} in its key (${JSON.stringify(text.slice(0, i + 1))}...), which Proxmox does not accept: a raw LXC key is "lxc." followed by lower-case letters, digits, '_', '-' and '.'`,
  };
}

function describeChar(cp: number): string {
  const c = String.fromCodePoint(cp);
  if (/[A-Z]/.test(c)) return `the upper-case letter '${c}'`;
  if (cp < 0x20 || cp === 0x7f) return `the control character U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  if (cp > 0x7e) return `the character '${c}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
  return `the character '${c}'`;
}

/** What Proxmox and LXC do with a raw key. */
export type LxcKeyVerdict =
  /** Accepted and used. */
  | { kind: 'valid' }
  /** Refused by Proxmox with this message. */
  | { kind: 'refused'; message: string }
  /** An LXC 2.x name: Proxmox warns that it was renamed, LXC 6 refuses it (the container does not start). */
  | { kind: 'renamed'; to: string; prefix: boolean }
  /** A cgroup v1 controller key: Proxmox warns, and LXC ignores it on a pure cgroup2 host. */
  | { kind: 'cgroup1'; replacement: string }
  /** A cgroup-independent lxc.cgroup.* key LXC uses, which Proxmox still warns about. */
  | { kind: 'cgroup1-dir' }
  /** Not a key Proxmox accepts: it drops the line ("unable to parse config"). */
  | { kind: 'unknown'; suggestion?: string };

/** is_valid_lxc_conf_key (pve-container src/PVE/LXC/Config.pm:830-850), in its order. */
export function lxcKeyVerdict(key: string): LxcKeyVerdict {
  for (const [from, to] of Object.entries(FACTS.renamed_prefixes.value))
    if (key.startsWith(from)) return { kind: 'renamed', to: to + key.slice(from.length), prefix: true };
  const renamed = FACTS.renamed_keys.value[key];
  if (renamed !== undefined) return { kind: 'renamed', to: renamed, prefix: false };
  if (FACTS.valid_keys.value.includes(key)) return { kind: 'valid' };
  const refused = FACTS.refused_keys.value[key];
  if (refused !== undefined) return { kind: 'refused', message: refused };
  const v1 = FACTS.cgroup_v1;
  if (key.startsWith(v1.prefix)) {
    if (v1.cgroup_independent.value.includes(key)) return { kind: 'cgroup1-dir' };
    return { kind: 'cgroup1', replacement: v1.replacement.cgroup2_prefix + key.slice(v1.prefix.length) };
  }
  if (FACTS.accepted_prefixes.value.some((p) => key.startsWith(p))) return { kind: 'valid' };
  const suggestion = nearest(key, FACTS.valid_keys.value);
  return { kind: 'unknown', ...(suggestion ? { suggestion } : {}) };
}

/** The line as Proxmox writes it back (write_pct_config, Config.pm:1275-1280). */
export function printRawLxcLine(l: RawLxcLine): string {
  return `${l.key}: ${l.value}`;
}

/**
 * The host id an id inside an unprivileged container maps to under Proxmox's default map
 * (u and g 0 100000 65536: pve-container src/PVE/LXC.pm:799-802 and parse_id_maps 2925-2929), or
 * undefined when the id is outside it. Privileged containers use the host's ids as they are.
 */
export function defaultHostId(id: number, unprivileged: boolean): number | undefined {
  if (!unprivileged) return id;
  return id < 65536 ? 100000 + id : undefined;
}
