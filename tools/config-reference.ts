/** Build-time: the README's config reference, rendered from the schema's descriptions. */
import type { JsonSchema } from './schema-build';

export function renderConfigReference(schema: JsonSchema): string {
  const defs = (schema.definitions ?? {}) as Record<string, JsonSchema>;
  const lines: string[] = [];
  lines.push('### Top level', '', table(schema, defs), '');
  lines.push('### Container (`lxc_configs.<CTID>`)', '', table(defs.Container, defs), '');
  for (const [name, def] of Object.entries(defs)) {
    if (name === 'Container' || name === 'VllmGroup' || !def.properties) continue;
    lines.push(`### ${name}`, '', table(def, defs), '');
  }
  const group = defs.VllmGroup;
  const count = group?.properties ? Object.keys(group.properties as object).length : 0;
  lines.push(
    '### vLLM groups',
    '',
    `Each group of \`vllm_engine_config\` takes any of the ${count} argument names of vLLM's OpenAI server (the catalog in schema/vllm/); \`phoenix-compile explain CTID\` shows the flag each key becomes.`,
  );
  return lines.join('\n');
}

function table(obj: JsonSchema | undefined, defs: Record<string, JsonSchema>): string {
  const props = (obj?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((obj?.required ?? []) as string[]);
  const rows = ['| key | type | description |', '| --- | --- | --- |'];
  for (const [key, raw] of Object.entries(props)) {
    const s = deref(raw, defs);
    const desc = String(raw.description ?? s.description ?? '')
      .replace(/\|/g, '\\|')
      .replace(/\n/g, ' ');
    rows.push(`| \`${key}\`${required.has(key) ? ' (required)' : ''} | ${typeName(raw, defs)} | ${desc} |`);
  }
  return rows.join('\n');
}

function deref(s: JsonSchema, defs: Record<string, JsonSchema>): JsonSchema {
  const ref = s.$ref as string | undefined;
  return ref ? { ...(defs[ref.replace('#/definitions/', '')] ?? {}), ...s } : s;
}

function typeName(raw: JsonSchema, defs: Record<string, JsonSchema>): string {
  const ref = raw.$ref as string | undefined;
  if (ref) return ref.replace('#/definitions/', '');
  const s = deref(raw, defs);
  if (s.enum) return (s.enum as unknown[]).map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
  if (s.type === 'array') {
    const items = s.items as JsonSchema | undefined;
    return `array of ${items ? typeName(items, defs) : 'any'}`;
  }
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') {
    return `map of ${typeName(s.additionalProperties as JsonSchema, defs)}`;
  }
  const range: string[] = [];
  if (s.minimum !== undefined) range.push(`>= ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) range.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) range.push(`<= ${s.maximum}`);
  return `${String(s.type ?? 'any')}${range.length ? ` (${range.join(', ')})` : ''}`;
}
