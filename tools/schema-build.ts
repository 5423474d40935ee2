/**
 * Build-time: the full schema = the hand-written base + the vLLM groups generated from the flag
 * catalog, so the validator and the TypeScript types know every vLLM key and choice.
 */
import type { VllmCatalog, VllmFlag } from '../compiler/vllm/catalog-types';

export type JsonSchema = { [k: string]: unknown };

export function buildFullSchema(base: JsonSchema, catalog: VllmCatalog | undefined): JsonSchema {
  const schema = JSON.parse(JSON.stringify(base)) as JsonSchema;
  const defs = schema.definitions as Record<string, JsonSchema>;
  if (catalog) {
    const properties: Record<string, JsonSchema> = {};
    for (const flag of [...catalog.flags].sort((a, b) => (a.dest < b.dest ? -1 : a.dest > b.dest ? 1 : 0))) {
      if (properties[flag.dest]) continue;
      properties[flag.dest] = flagSchema(flag, catalog);
    }
    defs.VllmGroup = {
      type: 'object',
      additionalProperties: false,
      description: (defs.VllmGroup?.description as string) ?? '',
      properties,
    };
  }
  return schema;
}

function flagSchema(flag: VllmFlag, catalog: VllmCatalog): JsonSchema {
  const where = `vLLM ${catalog.vllm_version} ${flag.flag} (${flag.group})`;
  const help = flag.help ? `${flag.help.trim().replace(/\s+/g, ' ')} ` : '';
  const deprecated = flag.deprecated ? ` Deprecated: ${typeof flag.deprecated === 'string' ? flag.deprecated : 'yes'}.` : '';
  const description = `${help}[${where}]${deprecated}`;
  let s: JsonSchema;
  switch (flag.kind) {
    case 'bool_pair':
    case 'store_true':
      s = { type: 'boolean' };
      break;
    // A string is the argument as vLLM's parser reads it ("32K", "0.9"): compiler/vllm/argv.ts.
    case 'int':
      return { anyOf: [flag.choices ? { type: 'integer', enum: flag.choices } : { type: 'integer' }, { type: 'string' }], description };
    case 'float':
      return { anyOf: [{ type: 'number' }, { type: 'string' }], description };
    case 'json':
      return { anyOf: [{ type: 'object' }, { type: 'array' }, { type: 'string' }], description };
    case 'json_or_string':
      return { anyOf: [{ type: 'object' }, { type: 'string' }], description };
    case 'append':
    case 'list': {
      const item: JsonSchema = flag.item_kind === 'int' ? { anyOf: [{ type: 'integer' }, { type: 'string' }] } : { type: 'string' };
      if (flag.choices) item.enum = flag.choices;
      s = { anyOf: [item, { type: 'array', items: item, minItems: flag.nargs === '+' ? 1 : 0 }] };
      return { ...s, description };
    }
    default:
      s = { type: 'string' };
  }
  if (flag.choices && flag.kind !== 'bool_pair' && flag.kind !== 'store_true') s.enum = flag.choices;
  // The methods vLLM knows, so the schema (and editors) reject an unknown one.
  if (flag.dest === 'quantization') s.enum = catalog.quantization_methods.map((q) => q.name);
  return { ...s, description };
}
