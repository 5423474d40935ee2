/**
 * The compiler's model of vLLM 0.10.2's command-line parser (compiler/vllm/cmdline.ts) held to
 * vLLM's own verdicts: schema/vllm/0.10.2.oracle.json records what the real parser, built from the
 * release source, made of 4326 command lines (tools/vllm-catalog/oracle.py). For every case the
 * model can express, the model must:
 *  - accept exactly when vLLM accepted, with the same value for every argument (the ones the case
 *    is about, the ones it recorded as differing from `--model m` alone, and no others);
 *  - refuse exactly when vLLM refused, the same way (argparse's error, exit 2, or an uncaught
 *    exception, exit 1), with argparse's exact message (an "ambiguous option" lists its matches in
 *    registration order, which the catalog does not keep: compared as a set; pydantic's messages
 *    are compared up to their "[type=" detail, and pydantic's own JSON-syntax wording, "Invalid
 *    JSON: ...", only on its first line).
 *
 * Out of scope, and why: the cases whose command line holds `--config` (vLLM then reads a YAML file
 * from its working directory and turns it into arguments, vllm/utils/__init__.py:1941-2069; the
 * compiler never emits --config, cannot see a file inside the container, and refuses --config in
 * vllm_args and vllm_engine_config; test/vllm-settings.test.ts holds that refusal). Every other
 * case is held, including the ones with a positional model_tag (the model reproduces vLLM's
 * verdict; the compiler then refuses such an argument itself, also tested there).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { catalogFor } from '../compiler/vllm/catalog';
import { toTag } from '../compiler/vllm/py';
import { canonical } from '../compiler/util/canonical';
import { repoRoot } from './lib/paths';
import * as fs from 'fs';
import * as path from 'path';

interface Case {
  about: string[];
  argv: string[];
  files?: Record<string, string>;
  note?: string;
  verdict: { accepted: boolean; values?: Record<string, unknown>; error?: string; by?: 'argparse' | 'exception'; exit_status?: number; exception?: string };
}
interface Oracle {
  provenance: { commit: string; python: string };
  summary: { cases: number };
  flags: Record<
    string,
    { dest: string; option_strings: string[]; type: string | null; nargs: unknown; choices: unknown; action: string; default: unknown; const: unknown }
  >;
  cases: Case[];
}

const ORACLE = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schema', 'vllm', '0.10.2.oracle.json'), 'utf8')) as Oracle;
const idx = catalogFor('0.10.2')!;
const parser = idx.parser;

/** Why a case is out of scope, or undefined. */
export function outOfScope(c: Case): string | undefined {
  if (c.argv.includes('--config')) return '--config reads a YAML file (not modelled; refused by the compiler)';
  return undefined;
}

const DEFAULTS: Record<string, unknown> = {};
for (const f of Object.values(ORACLE.flags)) DEFAULTS[f.dest] = f.default;
DEFAULTS.model_tag = null;
/** The parse of `--model m` alone: the baseline the oracle records differences from. */
const BASE: Record<string, unknown> = { ...DEFAULTS, model: 'm' };

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const sortMatches = (m: string) => m.replace(/could match (.*)$/, (_, x: string) => 'could match ' + x.split(', ').sort().join(', '));
function sameMessage(got: string, want: string): boolean {
  if (want.includes('Invalid JSON:')) return got.split('\n')[0] === want.split('\n')[0] && /\n {2}Invalid JSON: /.test(got);
  const cut = (m: string) => sortMatches(m).replace(/ \[type=[^\n]*(\n {4}For further information[^\n]*)?/g, '');
  return cut(got) === cut(want);
}

/** The model's verdict against one recorded case: the differences, [] when it agrees. */
export function disagreements(c: Case): string[] {
  const r = parser.parse(c.argv);
  const v = c.verdict;
  const out: string[] = [];
  if (r.ok !== v.accepted)
    return [`vLLM ${v.accepted ? 'accepted it' : `refused it (${v.error})`}, the model ${r.ok ? 'accepted it' : `refused it (${r.message})`}`];
  if (r.ok) {
    const got = (k: string) => (r.values.has(k) ? toTag(r.values.get(k)!) : DEFAULTS[k]);
    const keys = new Set([...Object.keys(v.values!), ...r.values.keys()]);
    for (const k of keys) {
      const want = k in v.values! ? v.values![k] : BASE[k];
      if (!same(got(k), want)) out.push(`${k}: vLLM ${JSON.stringify(want)}, the model ${JSON.stringify(got(k))}`);
    }
    return out;
  }
  if (r.by !== v.by) out.push(`vLLM refused it by ${v.by}, the model by ${r.by}`);
  else if (r.by === 'exception' && (r.exception !== v.exception || r.message !== v.error))
    out.push(`vLLM raised ${v.exception}: ${v.error}; the model ${r.exception}: ${r.message}`);
  else if (r.by === 'argparse' && !sameMessage(r.message, v.error!)) out.push(`vLLM said ${JSON.stringify(v.error)}, the model ${JSON.stringify(r.message)}`);
  return out;
}

const inScope = ORACLE.cases.filter((c) => !outOfScope(c));

test(`the oracle is the one recorded at vLLM's release commit (${ORACLE.summary.cases} cases)`, () => {
  assert.is(ORACLE.provenance.commit, '26b999c71ab28ae9708329003007979530638f79');
  assert.is(ORACLE.cases.length, ORACLE.summary.cases);
  assert.is(inScope.length, 4283, 'cases without a --config token');
  assert.equal(
    ORACLE.cases.filter((c) => outOfScope(c)).every((c) => c.argv.includes('--config')),
    true,
  );
});

test("the model's flags, option strings and type functions are the real parser's", () => {
  const problems: string[] = [];
  for (const [key, f] of Object.entries(ORACLE.flags)) {
    if (!key.startsWith('-')) continue;
    const a = parser.actionOf(f.dest);
    if (!a) {
      problems.push(`${key}: missing`);
      continue;
    }
    if (!same(a.optionStrings, f.option_strings)) problems.push(`${key}: option strings ${a.optionStrings} vs ${f.option_strings}`);
    const want = (f.type ?? 'str')
      .replace('optional_type(parse_type(json.loads))', 'optional_type(json.loads)')
      .replace(/^parse_type\(json\.loads\)$/, '_parse_type');
    const got = a.kind === 'store' || a.kind === 'append' || a.kind === 'lora' ? a.type.name : 'str';
    const wantName =
      want === '_parse_type'
        ? '_parse_type'
        : want.startsWith('optional_type(')
          ? '_optional_type'
          : want.startsWith('parse_dataclass(')
            ? 'parse_dataclass'
            : want === 'json.loads'
              ? 'loads'
              : want;
    if (got !== wantName) problems.push(`${key}: type ${got} vs ${f.type}`);
  }
  assert.equal(problems, []);
});

test(`every in-scope case: the model accepts and refuses as vLLM did, with the same values and messages`, () => {
  const problems: string[] = [];
  for (const c of inScope) {
    const d = disagreements(c);
    if (d.length) problems.push(`${JSON.stringify(c.argv)}: ${d.join('; ')}`);
  }
  assert.equal(problems.slice(0, 30), [], `${problems.length} of ${inScope.length} cases disagree`);
});

test('spot checks the issue names: human_readable_int, -O, dotted keys, underscores', () => {
  const val = (argv: string[], dest: string) => {
    const r = parser.parse(argv);
    assert.ok(r.ok, JSON.stringify(argv));
    return r.ok ? toTag(r.values.get(dest)!) : undefined;
  };
  assert.is(val(['--max-model-len', '32K'], 'max_model_len'), 32768);
  assert.is(val(['--max-model-len', '32k'], 'max_model_len'), 32000);
  assert.is(val(['--max-model-len', '25.6k'], 'max_model_len'), 25600);
  assert.is(val(['--max-num-batched-tokens', '16K'], 'max_num_batched_tokens'), 16384);
  const r = parser.parse(['--max-model-len', '2.5K']);
  assert.equal(
    r.ok ? 'accepted' : r.message,
    'argument --max-model-len: Decimals are not allowed with binary suffixes like K. Did you mean to use 2.5k instead?',
  );
  for (const argv of [['-O3'], ['-O', '3'], ['-O=3'], ['--compilation-config', '{"level": 3}'], ['--compilation_config.level', '3']])
    assert.equal(val(argv, 'compilation_config'), { $dataclass: 'CompilationConfig', non_default: { level: 3 } }, JSON.stringify(argv));
  assert.is(val(['--max_model_len=4_096'], 'max_model_len'), 4096);
  assert.is(val(['--tensor-parallel-size', ' 5'], 'tensor_parallel_size'), 5);
  assert.is(val(['--tensor-parallel-size', '007'], 'tensor_parallel_size'), 7);
  assert.equal(val(['--gpu-memory-utilization', 'nan'], 'gpu_memory_utilization'), { $float: 'nan' });
});

test.run();
