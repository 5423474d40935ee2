/**
 * The compiler's verdict on vLLM settings, held to vLLM's recorded verdicts
 * (schema/vllm/0.10.2.oracle.json), both ways a config writes them:
 *
 *  - vllm_args (the legacy raw list): every in-scope recorded command line, read as a vllm_args
 *    list, is refused by the compiler when vLLM refused it; when vLLM accepted it, the compiler
 *    accepts it too, except where it deliberately refuses what vLLM would accept but not do as
 *    written (a positional argument, which the server module never reads; one flag given twice
 *    with different values, of which vLLM silently keeps the last): each such case is listed with
 *    its reason. For every accepted setting, the value the compiler reads is the value vLLM
 *    recorded, and the argv items the compiler emits for it parse back to that same value.
 *  - vllm_engine_config (JSON): a string is the argument itself, so for every recorded case of
 *    the form `--flag VALUE` (or `--flag=VALUE`), the JSON string VALUE for that flag's key is
 *    judged; where the items the compiler emits are a recorded command line, the compiler's
 *    verdict and value are vLLM's for it.
 *
 * Out of scope as in test/vllm-oracle.test.ts: command lines with --config (the compiler refuses
 * --config in both places, tested below).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import * as path from 'path';
import { catalogFor } from '../compiler/vllm/catalog';
import { parseVllmArgs } from '../compiler/vllm/args';
import { judgeStrings, judgeValue } from '../compiler/vllm/settings';
import { stringsFor, tokensFor } from '../compiler/vllm/argv';
import { toTag } from '../compiler/vllm/py';
import { canonical } from '../compiler/util/canonical';
import type { DiagnosticCode, Severity } from '../compiler/diagnostics';
import { repoRoot } from './lib/paths';

interface Case {
  about: string[];
  argv: string[];
  verdict: { accepted: boolean; values?: Record<string, unknown>; error?: string };
}
const ORACLE = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'schema', 'vllm', '0.10.2.oracle.json'), 'utf8')) as {
  cases: Case[];
  flags: Record<string, { dest: string; default: unknown }>;
};
const idx = catalogFor('0.10.2')!;
const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
const inScope = ORACLE.cases.filter((c) => !c.argv.includes('--config'));

interface Reported {
  severity: Severity;
  code: DiagnosticCode;
  path: (string | number)[];
  message: string;
}
function collect(): { list: Reported[]; report: (severity: Severity, code: DiagnosticCode, path: (string | number)[], message: string) => void } {
  const list: Reported[] = [];
  return { list, report: (severity, code, p, message) => list.push({ severity, code, path: p, message }) };
}

/** Why the compiler refuses a command line vLLM accepts, or undefined when it must not. */
function deliberate(errors: Reported[]): string | undefined {
  if (errors.every((e) => /a positional argument|as a positional model name/.test(e.message))) return 'positional model_tag';
  if (errors.every((e) => e.code === 'PHX024' && /is given twice in vllm_args/.test(e.message))) return 'one flag given twice with different values';
  if (errors.every((e) => /^--config makes vLLM read a YAML file/.test(e.message)))
    return '--config=FILE (vLLM stores it; the compiler refuses --config everywhere)';
  if (errors.every((e) => /\(this value also goes into the generated scripts\)$/.test(e.message)))
    return 'a control character in a value that also reaches the generated scripts (benchmark.sh: --tokenizer)';
  return undefined;
}

test("vllm_args: every in-scope recorded command line gets vLLM's verdict, or a listed deliberate refusal; values and emitted argv round-trip", () => {
  const problems: string[] = [];
  const deliberateRefusals = new Map<string, number>();
  let settingsChecked = 0;
  for (const c of inScope) {
    const r = collect();
    const listed = parseVllmArgs(idx, c.argv, ['vllm_args'], r);
    const errors = r.list.filter((x) => x.severity === 'error');
    if (!c.verdict.accepted) {
      if (errors.length === 0) problems.push(`${JSON.stringify(c.argv)}: vLLM refused it (${c.verdict.error}), the compiler did not`);
      continue;
    }
    if (errors.length) {
      const why = deliberate(errors);
      if (why) deliberateRefusals.set(why, (deliberateRefusals.get(why) ?? 0) + 1);
      else problems.push(`${JSON.stringify(c.argv)}: vLLM accepted it, the compiler refused: ${errors.map((e) => e.message).join('; ')}`);
      continue;
    }
    const judged = listed.map((a) => ({ a, j: judgeStrings(idx, idx.byDest.get(a.dest)!, a) }));
    const refusedHere = judged
      .filter((x) => !x.j.ok)
      .map((x) => ({ severity: 'error' as const, code: 'PHX021' as const, path: x.a.path, message: x.j.ok ? '' : x.j.why }));
    const why = refusedHere.length ? deliberate(refusedHere) : undefined;
    if (why) {
      deliberateRefusals.set(why, (deliberateRefusals.get(why) ?? 0) + 1);
      continue;
    }
    for (const { a, j } of judged) {
      const flag = idx.byDest.get(a.dest)!;
      if (!j.ok) {
        problems.push(`${JSON.stringify(c.argv)}: ${a.dest}: vLLM accepted it, the compiler refused: ${j.why}`);
        continue;
      }
      const want = c.verdict.values![a.dest];
      if (want !== undefined && !same(toTag(j.parsed), want))
        problems.push(`${JSON.stringify(c.argv)}: ${a.dest}: vLLM read ${JSON.stringify(want)}, the compiler ${JSON.stringify(toTag(j.parsed))}`);
      // The items the compiler emits parse back to the same value.
      const again = idx.parser.parse(j.tokens);
      const back = again.ok ? (again.values.get(a.dest) ?? (flag.kind === 'store_true' ? false : null)) : undefined;
      if (!again.ok || !same(toTag(back!), toTag(j.parsed)))
        problems.push(
          `${JSON.stringify(c.argv)}: ${a.dest}: emitted ${JSON.stringify(j.tokens)} read back as ${again.ok ? JSON.stringify(toTag(back!)) : again.message}`,
        );
      settingsChecked++;
    }
  }
  assert.equal(problems.slice(0, 20), [], `${problems.length} problems`);
  // The deliberate refusals are what the compiler's README says; their number is what the oracle holds.
  assert.equal(Object.fromEntries(deliberateRefusals), {
    'positional model_tag': 58,
    'one flag given twice with different values': 131,
    '--config=FILE (vLLM stores it; the compiler refuses --config everywhere)': 9,
    'a control character in a value that also reaches the generated scripts (benchmark.sh: --tokenizer)': 1,
  });
  assert.ok(settingsChecked > 2500, `${settingsChecked} settings round-tripped`);
});

test("vllm_engine_config: a JSON string is the argument; where the emitted items are a recorded command line, vLLM's verdict and value", () => {
  const byArgv = new Map(inScope.map((c) => [JSON.stringify(c.argv), c]));
  const problems: string[] = [];
  let held = 0;
  for (const c of inScope) {
    const rest = c.argv.slice(2);
    if (c.argv[0] !== '--model' || c.argv[1] !== 'm' || c.about.length !== 1) continue;
    const flag = idx.byDest.get(c.about[0]);
    // --config is refused in vllm_engine_config (tested below).
    if (!flag || flag.kind === 'bool_pair' || flag.kind === 'store_true' || flag.dest === 'config') continue;
    let value: string | undefined;
    if (rest.length === 2 && rest[0] === flag.flag) value = rest[1];
    else if (rest.length === 1 && rest[0].startsWith(`${flag.flag}=`)) value = rest[0].slice(flag.flag.length + 1);
    if (value === undefined) continue;
    const j = judgeValue(idx, flag, value);
    const m = stringsFor(flag, value);
    const t = m.ok ? tokensFor(idx.parser, flag, m) : undefined;
    const emitted = t?.ok ? t.tokens : undefined;
    const recorded = emitted ? byArgv.get(JSON.stringify(['--model', 'm', ...emitted])) : undefined;
    if (!recorded) continue;
    held++;
    // A value that also reaches the generated scripts may not hold control characters (deliberate, see above).
    if (!j.ok && recorded.verdict.accepted && /\(this value also goes into the generated scripts\)$/.test(j.why)) continue;
    if (j.ok !== recorded.verdict.accepted) {
      problems.push(
        `${flag.dest} = ${JSON.stringify(value)}: vLLM ${recorded.verdict.accepted ? 'accepted' : 'refused'} ${JSON.stringify(emitted)}, the compiler ${j.ok ? 'accepted' : `refused: ${j.why}`}`,
      );
      continue;
    }
    if (j.ok && !same(toTag(j.parsed), recorded.verdict.values![flag.dest]))
      problems.push(
        `${flag.dest} = ${JSON.stringify(value)}: vLLM read ${JSON.stringify(recorded.verdict.values![flag.dest])}, the compiler ${JSON.stringify(toTag(j.parsed))}`,
      );
  }
  assert.equal(problems.slice(0, 20), [], `${problems.length} problems`);
  assert.ok(held > 2000, `${held} recorded cases held`);
});

test('--config is refused in vllm_engine_config and in vllm_args, saying why', () => {
  const j = judgeValue(idx, idx.byDest.get('config')!, 'c.yaml');
  assert.is(j.ok, false);
  assert.match(j.ok ? '' : j.why, /--config makes vLLM read a YAML file from its working directory inside the container/);
  const r = collect();
  assert.equal(parseVllmArgs(idx, ['--config', 'c.yaml', '--port', '8001'], ['vllm_args'], r), []);
  assert.equal(
    r.list.map((x) => [x.code, x.path]),
    [['PHX027', ['vllm_args', 0]]],
  );
});

test("the issue's examples: 32K, -O3, compilation_config 3, --trust-remote-code false", () => {
  const v = (dest: string, value: unknown) => {
    const j = judgeValue(idx, idx.byDest.get(dest)!, value);
    return j.ok ? toTag(j.parsed) : `refused: ${j.why}`;
  };
  assert.is(v('max_model_len', '32K'), 32768);
  assert.is(v('max_num_batched_tokens', '16K'), 16384);
  assert.is(v('max_model_len', '25.6k'), 25600);
  assert.is(
    v('max_model_len', '2.5K'),
    'refused: vLLM 0.10.2 refuses --max-model-len 2.5K: Decimals are not allowed with binary suffixes like K. Did you mean to use 2.5k instead?',
  );
  assert.match(
    String(v('compilation_config', 3)),
    /^refused: vLLM 0\.10\.2 refuses --compilation-config 3: .*Input should be an object.*-O3 means --compilation-config '\{"level": 3\}'/,
  );
  assert.equal(v('compilation_config', { level: 3 }), { $dataclass: 'CompilationConfig', non_default: { level: 3 } });
  const r = collect();
  const listed = parseVllmArgs(idx, ['-O3'], ['vllm_args'], r);
  assert.equal(r.list, []);
  const j = judgeStrings(idx, idx.byDest.get('compilation_config')!, listed[0]);
  assert.ok(j.ok);
  assert.equal(j.ok ? [j.tokens, toTag(j.parsed)] : [], [
    ['--compilation-config', '{"level": 3}'],
    { $dataclass: 'CompilationConfig', non_default: { level: 3 } },
  ]);
  const r2 = collect();
  parseVllmArgs(idx, ['--trust-remote-code', 'false'], ['vllm_args'], r2);
  assert.equal(
    r2.list.map((x) => x.message),
    [
      '--trust-remote-code takes no value, so vLLM reads "false" as a positional model name (to turn it off write --no-trust-remote-code); the server module python -m vllm.entrypoints.openai.api_server never reads a positional model (vllm/entrypoints/openai/api_server.py:2000-2011; only vllm serve does, vllm/entrypoints/cli/serve.py:40-41)',
    ],
  );
});

test('a negative decimal is attached with = so that vLLM does not read it as a dotted argument', () => {
  const j = judgeValue(idx, idx.byDest.get('swap_space')!, '-0.5');
  assert.ok(j.ok);
  assert.equal(j.ok ? j.tokens : [], ['--swap-space=-0.5']);
  const k = judgeValue(idx, idx.byDest.get('swap_space')!, -0.5);
  assert.equal(k.ok ? k.tokens : [], ['--swap-space=-0.5']);
  // vLLM itself crashes on the separate form (recorded in the oracle).
  assert.ok(ORACLE.cases.some((c) => same(c.argv, ['--model', 'm', '--swap-space', '-0.5']) && !c.verdict.accepted));
});

test.run();
