/**
 * Paths into the config document. Internally a path is an array of keys and indices; it is shown
 * to users as `$.lxc_configs.921.features[1]` (keys that are not plain words are bracket-quoted).
 */
export type PathSeg = string | number;
export type JsonPath = readonly PathSeg[];

/** A map key for a path: JSON Pointer (RFC 6901), which is what ajv reports as instancePath. */
export function toPointer(path: JsonPath): string {
  return path.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function displayPath(path: JsonPath): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_$]+$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The CTID a path is about: `lxc_configs/<ctid>/...`. */
export function ctidOfPath(path: JsonPath): string | undefined {
  return path[0] === 'lxc_configs' && path.length >= 2 ? String(path[1]) : undefined;
}
