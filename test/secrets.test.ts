/**
 * Issue 16 acceptance, without systemd: secrets never land in out/.
 *
 *  - The canary test: a distinct canary value in every place a secret can be written. Each place
 *    alone is an error (exit 1, nothing written) whose messages never print the canary; together,
 *    `migrate --secrets-dir` moves the movable ones into the host files (mode 0600), after which
 *    the fleet compiles and no canary appears in any file of out/, manifest.json included, nor in
 *    anything migrate or the compile printed.
 *  - migrate refuses (printing no value, writing nothing) what it cannot move exactly.
 *  - The secrets file format: the TypeScript reader (migrate) and deploy.sh's bash reader
 *    (plain_value, run through the real bash) agree on every value fast-check makes; the same
 *    rules were measured against systemd 252 in test/secrets-run.test.ts.
 *  - The declaration's own rules (PHX041).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fc from 'fast-check';
import { runCli } from './lib/cli';
import { readTree, repoRoot, scratchDirs } from './lib/paths';
import { parseSecretsFile, plainSecretValue } from '../compiler/vllm/secrets';

const ROOT = repoRoot();
const EXAMPLE = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');
const { tmp, cleanup } = scratchDirs();
test.after(cleanup);

type Config = { lxc_configs: Record<string, Record<string, any>> } & Record<string, any>;
const example = (): Config => JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));

/** A vLLM server cloned from 901 like 921, with its own name, address and MAC. */
function server(cfg: Config, ctid: string, n: number): Record<string, any> {
  const c = JSON.parse(JSON.stringify(cfg.lxc_configs['921']));
  delete c.secrets;
  c.clone_from_ctid = '901';
  c.name = `vllm-${ctid}`;
  c.network_config.ip = `10.0.1.${n}/24`;
  c.mac_address = `52:54:00:AA:CC:${n.toString(16).padStart(2, '0').toUpperCase()}`;
  cfg.lxc_configs[ctid] = c;
  return c;
}

/** A template like 901 (nvidia, no vLLM server), with its own name, address and MAC. */
function template(cfg: Config, ctid: string, n: number): Record<string, any> {
  const c = JSON.parse(JSON.stringify(cfg.lxc_configs['901']));
  c.name = `template-${ctid}`;
  c.network_config.ip = `10.0.2.${n}/24`;
  c.mac_address = `52:54:00:AA:DD:${n.toString(16).padStart(2, '0').toUpperCase()}`;
  cfg.lxc_configs[ctid] = c;
  return c;
}

/**
 * Every place a secret can be written, each with its own canary. `movable`: migrate can move it.
 * `put` writes it into the server `c`, or into `tpl`, the template `c` is cloned from.
 */
interface Place {
  name: string;
  canary: string;
  movable: boolean;
  put: (cfg: Config, c: Record<string, any>, tpl: Record<string, any>) => void;
}
const PLACES: Place[] = [
  {
    name: 'ServerConfig.api_key (string)',
    canary: 'CanaryApiKeyString01',
    movable: true,
    put: (_, c) => (c.vllm_engine_config.ServerConfig.api_key = 'CanaryApiKeyString01'),
  },
  {
    name: 'ServerConfig.api_key (list)',
    canary: 'CanaryApiKeyList02',
    movable: true,
    put: (_, c) => (c.vllm_engine_config.ServerConfig.api_key = ['CanaryApiKeyList02']),
  },
  {
    name: 'api_key in another group',
    canary: 'CanaryApiKeyCache03',
    movable: true,
    put: (_, c) => (c.vllm_engine_config.CacheConfig.api_key = 'CanaryApiKeyCache03'),
  },
  {
    name: 'ModelConfig.hf_token',
    canary: 'hf_CanaryHfTokenModel04',
    movable: true,
    put: (_, c) => (c.vllm_engine_config.ModelConfig.hf_token = 'hf_CanaryHfTokenModel04'),
  },
  { name: 'vllm_parameters.api_key', canary: 'CanaryParamsApiKey05', movable: true, put: (_, c) => (c.vllm_parameters = { api_key: 'CanaryParamsApiKey05' }) },
  {
    name: 'vllm_parameters.hf_token',
    canary: 'CanaryParamsHfToken06',
    movable: true,
    put: (_, c) => (c.vllm_parameters = { hf_token: 'CanaryParamsHfToken06' }),
  },
  {
    name: 'vllm_args --api-key X',
    canary: 'CanaryArgsApiKey07',
    movable: true,
    put: (_, c) => (c.vllm_args = ['--max-num-seqs', '8', '--api-key', 'CanaryArgsApiKey07']),
  },
  {
    name: 'vllm_args --api-key=X',
    canary: 'CanaryArgsApiKeyEq08',
    movable: true,
    put: (_, c) => (c.vllm_args = ['--api-key=CanaryArgsApiKeyEq08', '--max-num-seqs', '8']),
  },
  { name: 'vllm_args --hf-token X', canary: 'CanaryArgsHfToken09', movable: true, put: (_, c) => (c.vllm_args = ['--hf-token', 'CanaryArgsHfToken09']) },
  { name: 'vllm_args --hf_token=X', canary: 'CanaryArgsHfTokenUs10', movable: true, put: (_, c) => (c.vllm_args = ['--hf_token=CanaryArgsHfTokenUs10']) },
  {
    name: 'environment HF_TOKEN',
    canary: 'CanaryEnvHfToken11',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { HF_TOKEN: 'CanaryEnvHfToken11' } }),
  },
  {
    name: 'environment VLLM_API_KEY',
    canary: 'CanaryEnvApiKey12',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { VLLM_API_KEY: 'CanaryEnvApiKey12' } }),
  },
  {
    name: 'environment *_TOKEN',
    canary: 'CanaryEnvToken13',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { WANDB_TOKEN: 'CanaryEnvToken13' } }),
  },
  {
    name: 'environment *_KEY',
    canary: 'CanaryEnvKey14',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { S3_SECRET_ACCESS_KEY: 'CanaryEnvKey14' } }),
  },
  {
    name: 'environment *_SECRET',
    canary: 'CanaryEnvSecret15',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { CLIENT_SECRET: 'CanaryEnvSecret15' } }),
  },
  {
    name: 'environment *PASSWORD',
    canary: 'CanaryEnvPassword16',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { DB_PASSWORD: 'CanaryEnvPassword16' } }),
  },
  {
    name: 'environment value hf_...',
    canary: 'hf_CanaryEnvValue17',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { HF_HOME_TOKENISH: 'hf_CanaryEnvValue17' } }),
  },
  {
    name: 'environment value sk-...',
    canary: 'sk-CanaryEnvValue18',
    movable: true,
    put: (_, c) => (c.vllm_service = { environment: { UPSTREAM_AUTH: 'sk-CanaryEnvValue18' } }),
  },
  {
    name: 'a template (901) environment, inherited',
    canary: 'CanaryTemplateEnv19',
    movable: true,
    put: (_, _c, tpl) => (tpl.vllm_service = { environment: { HF_TOKEN: 'CanaryTemplateEnv19' } }),
  },
  {
    name: 'a template (901) engine config, inherited',
    canary: 'CanaryTemplateApiKey20',
    movable: true,
    put: (_, _c, tpl) => (tpl.vllm_engine_config = { ServerConfig: { api_key: 'CanaryTemplateApiKey20' } }),
  },
  {
    name: 'lxc_options lxc.environment',
    canary: 'CanaryLxcEnv21',
    movable: false,
    put: (_, c) => (c.lxc_options = ['lxc.apparmor.profile=unconfined', 'lxc.environment = HF_TOKEN=CanaryLxcEnv21']),
  },
  {
    name: 'a token in health_check.command',
    canary: 'hf_CanaryHealthCheck22aaaaaaaaaaaa',
    movable: false,
    put: (_, c) => (c.health_check = { command: 'curl -H "Authorization: Bearer hf_CanaryHealthCheck22aaaaaaaaaaaa" http://x/health' }),
  },
  {
    name: 'a value in secrets (not a name)',
    canary: 'hf_CanarySecretsItem23aaaaaaaaaaa',
    movable: false,
    put: (_, c) => (c.secrets = ['hf_CanarySecretsItem23aaaaaaaaaaa']),
  },
  { name: 'NAME=value in secrets', canary: 'CanarySecretsAssign24', movable: false, put: (_, c) => (c.secrets = ['HF_TOKEN=CanarySecretsAssign24']) },
  {
    name: 'a token in a top-level URL',
    canary: 'sk-CanaryTopLevelUrl25aaaaaaaaaaaa',
    movable: false,
    put: (cfg) => (cfg.nvidia_repo_url = 'https://u:sk-CanaryTopLevelUrl25aaaaaaaaaaaa@example.com/repo/'),
  },
  {
    name: 'a token where the schema wants a number',
    canary: 'hf_CanarySchemaError26aaaaaaaaaaa',
    movable: false,
    put: (_, c) => (c.memory_mb = 'hf_CanarySchemaError26aaaaaaaaaaa'),
  },
];

/** Every file below dir (out/ with its manifest, secrets folders) as text, for a grep. */
function allText(dir: string): string {
  return [...readTree(dir).entries()].map(([p, f]) => `${p}\n${f.data.toString('latin1')}`).join('\n');
}

function write(dir: string, cfg: Config): string {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(cfg, null, 2) + '\n');
  return file;
}

for (const place of PLACES) {
  test(`canary, ${place.name}: an error that does not print the value; nothing written`, () => {
    const w = tmp('canary');
    const cfg = example();
    place.put(cfg, server(cfg, '930', 30), cfg.lxc_configs['901']);
    write(w, cfg);
    const r = runCli(['--config', 'config.json', '--out', 'out'], w);
    assert.is(r.code, 1, r.stderr);
    assert.match(r.stderr, place.name.includes('schema') ? /\[PHX010\]/ : /\[PHX040\]/);
    assert.not.ok((r.stdout + r.stderr).includes(place.canary), r.stderr);
    assert.not.ok(fs.existsSync(path.join(w, 'out')), 'nothing written');
    const e = runCli(['explain', '930', '--config', 'config.json'], w);
    assert.not.ok((e.stdout + e.stderr).includes(place.canary), `explain prints it:\n${e.stdout}`);
  });
}

test('canary, every movable place at once: migrate --secrets-dir moves them; no canary in out/ (manifest included) nor in any output', () => {
  const w = tmp('canary-all');
  const cfg = example();
  const movable = PLACES.filter((p) => p.movable);
  // One server per place (two places in one server would be two values for one name); the
  // template places go into template 905, which only 921 is cloned from.
  const tpl = template(cfg, '905', 5);
  cfg.lxc_configs['921'].clone_from_ctid = '905';
  movable.forEach((p, i) => p.put(cfg, server(cfg, String(930 + i), 30 + i), tpl));
  const file = write(w, cfg);
  const printed: string[] = [];
  const run = (args: string[]) => {
    const r = runCli(args, w);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const refused = run(['--config', 'config.json', '--out', 'out']);
  assert.is(refused.code, 1);

  const dry = run(['migrate', '--config', 'config.json', '--secrets-dir', 'secrets']);
  assert.is(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^-.*"api_key": "<secret>",?$/m);
  assert.match(dry.stderr, /would move .* to secrets\/930\.env \(mode 0600\)/);
  assert.not.ok(fs.existsSync(path.join(w, 'secrets')), 'a dry run writes no secrets');

  const wr = run(['migrate', '--config', 'config.json', '--secrets-dir', 'secrets', '--write']);
  assert.is(wr.code, 0, wr.stderr);
  assert.is(fs.statSync(path.join(w, 'secrets')).mode & 0o777, 0o700);
  const files = fs.readdirSync(path.join(w, 'secrets')).sort();
  for (const f of files) assert.is(fs.statSync(path.join(w, 'secrets', f)).mode & 0o777, 0o600, f);
  const stored = allText(path.join(w, 'secrets'));
  for (const p of movable) assert.ok(stored.includes(p.canary), `${p.name}: ${p.canary} is in a secrets file`);
  // 921 runs with the template's values (its own config declares them now)
  assert.is(fs.readFileSync(path.join(w, 'secrets', '921.env'), 'utf8'), 'HF_TOKEN=CanaryTemplateEnv19\nVLLM_API_KEY=CanaryTemplateApiKey20\n');
  const migrated = JSON.parse(fs.readFileSync(file, 'utf8')) as Config;
  assert.equal(migrated.lxc_configs['921'].secrets, ['HF_TOKEN', 'VLLM_API_KEY']);
  // 936's other legacy argument stays, and the legacy rewrite then files it under vLLM's group
  assert.is(migrated.lxc_configs['936'].vllm_args, undefined);
  assert.is(migrated.lxc_configs['936'].vllm_engine_config.SchedulerConfig.max_num_seqs, 8);
  assert.is(migrated.lxc_configs['905'].vllm_service, undefined, 'an object left empty goes');

  const c = run(['--config', 'config.json', '--out', 'out']);
  assert.is(c.code, 0, c.stderr);
  const out = allText(path.join(w, 'out'));
  assert.ok(out.includes('manifest.json') && out.includes('930/vllm_model_server.service'));
  const config = fs.readFileSync(file, 'utf8');
  for (const p of movable) {
    assert.not.ok(out.includes(p.canary), `${p.name}: ${p.canary} in out/`);
    assert.not.ok(config.includes(p.canary), `${p.name}: ${p.canary} still in the config`);
    assert.not.ok(printed.join('').includes(p.canary), `${p.name}: ${p.canary} printed`);
  }
  // the argv of 936 kept its other arguments and lost only --api-key
  const argv = JSON.parse(fs.readFileSync(path.join(w, 'out', '936', 'vllm.argv.json'), 'utf8')) as string[];
  assert.ok(argv.includes('--max-num-seqs') && !argv.includes('--api-key'), argv.join(' '));
  const again = run(['migrate', '--config', 'config.json', '--secrets-dir', 'secrets']);
  assert.match(again.stderr, /nothing to do/);
});

/** Runs migrate on a config made by `edit` (from the example with one server 930) and expects a refusal. */
function refusal(edit: (cfg: Config, c: Record<string, any>) => void, canaries: string[], before?: (w: string) => void): string {
  const w = tmp('refuse');
  const cfg = example();
  edit(cfg, server(cfg, '930', 30));
  const file = write(w, cfg);
  before?.(w);
  const snapshot = allText(w);
  const r = runCli(['migrate', '--config', 'config.json', '--secrets-dir', 'secrets', '--write'], w);
  assert.is(r.code, 1, r.stderr);
  for (const k of canaries) assert.not.ok((r.stdout + r.stderr).includes(k), r.stderr);
  assert.is(allText(w), snapshot, 'nothing written');
  assert.ok(fs.existsSync(file));
  return r.stderr;
}

test('migrate refuses what it cannot move exactly, printing no value and writing nothing', () => {
  assert.match(
    refusal((_, c) => (c.lxc_options = ['lxc.environment = HF_TOKEN=CanaryLxc1']), ['CanaryLxc1']),
    /\$\.lxc_configs\.930\.lxc_options\[0\]: migrate moves api_key, hf_token and vllm_service\.environment values only; move this one by hand/,
  );
  assert.match(
    refusal((_, c) => (c.vllm_engine_config.ServerConfig.api_key = ['CanaryKeyOne1', 'CanaryKeyTwo2']), ['CanaryKeyOne1', 'CanaryKeyTwo2']),
    /ServerConfig\.api_key: 2 API keys; VLLM_API_KEY holds one/,
  );
  assert.match(
    refusal(
      (_, c) => {
        c.vllm_engine_config.ModelConfig.hf_token = 'CanaryTokA1';
        c.vllm_service = { environment: { HF_TOKEN: 'CanaryTokB2' } };
      },
      ['CanaryTokA1', 'CanaryTokB2'],
    ),
    /CTID 930 gets two different values for HF_TOKEN/,
  );
  assert.match(
    refusal((_, c) => (c.vllm_service = { environment: { DB_PASSWORD: 'Canary back\\slash' } }), ['Canary back\\slash']),
    /DB_PASSWORD: the value cannot be written as a NAME=value line of a secrets file: it holds a backslash, which systemd would remove; move it by hand/,
  );
  assert.match(
    refusal((cfg) => (template(cfg, '940', 40).vllm_service = { environment: { HF_TOKEN: 'CanaryOrphan1' } }), ['CanaryOrphan1']),
    /\$\.lxc_configs\.940\.vllm_service\.environment\.HF_TOKEN: no vLLM server runs with this value/,
  );
  // a host file that already holds another value, or that is not a secrets file
  const existing = (text: string) => (w: string) => {
    fs.mkdirSync(path.join(w, 'secrets'), { mode: 0o700 });
    fs.writeFileSync(path.join(w, 'secrets', '930.env'), text, { mode: 0o600 });
  };
  assert.match(
    refusal((_, c) => (c.vllm_service = { environment: { HF_TOKEN: 'CanaryNew1' } }), ['CanaryNew1', 'CanaryOld2'], existing('HF_TOKEN=CanaryOld2\n')),
    /secrets\/930\.env already sets HF_TOKEN to another value/,
  );
  assert.match(
    refusal((_, c) => (c.vllm_service = { environment: { HF_TOKEN: 'CanaryNew1' } }), ['CanaryNew1', 'CanaryExp2'], existing('export OTHER=CanaryExp2\n')),
    /secrets\/930\.env:1: an 'export' line/,
  );
  // without --secrets-dir: the names, never the values
  const w = tmp('nodir');
  const cfg = example();
  server(cfg, '930', 30).vllm_service = { environment: { HF_TOKEN: 'CanaryNoDir1' } };
  write(w, cfg);
  const r = runCli(['migrate', '--config', 'config.json', '--write'], w);
  assert.is(r.code, 1);
  assert.is(
    r.stderr,
    'CTID 930: HF_TOKEN\nphoenix-compile migrate: the config holds 1 secret value(s); give --secrets-dir DIR to move them into DIR/<CTID>.env; nothing written\n',
  );
});

test('migrate adds to an existing host file, keeping its lines', () => {
  const w = tmp('append');
  const cfg = example();
  server(cfg, '930', 30).vllm_service = { environment: { HF_TOKEN: 'CanaryAppend1' } };
  cfg.lxc_configs['930'].vllm_engine_config.ServerConfig.api_key = 'CanaryAppend2';
  write(w, cfg);
  fs.mkdirSync(path.join(w, 'secrets'));
  fs.writeFileSync(path.join(w, 'secrets', '930.env'), '# kept\nOTHER=x\nHF_TOKEN=CanaryAppend1', { mode: 0o644 });
  const r = runCli(['migrate', '--config', 'config.json', '--secrets-dir', 'secrets', '--write'], w);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stderr, 'phoenix-compile migrate: moved VLLM_API_KEY to secrets/930.env (mode 0600) in config.json\n');
  assert.is(fs.readFileSync(path.join(w, 'secrets', '930.env'), 'utf8'), '# kept\nOTHER=x\nHF_TOKEN=CanaryAppend1\nVLLM_API_KEY=CanaryAppend2\n');
  assert.is(fs.statSync(path.join(w, 'secrets', '930.env')).mode & 0o777, 0o600, 'rewritten 0600');
  assert.equal((JSON.parse(fs.readFileSync(path.join(w, 'config.json'), 'utf8')) as Config).lxc_configs['930'].secrets, ['HF_TOKEN', 'VLLM_API_KEY']);
});

/** deploy.sh's plain_value (from the generated example), run through the real bash on many values at once. */
function bashVerdicts(values: string[]): boolean[] {
  const deploy = fs.readFileSync(path.join(ROOT, 'out', '921', 'deploy.sh'), 'utf8');
  const fn = /^plain_value\(\) \{\n[\s\S]*?\n\}\n/m.exec(deploy)![0];
  const script = `${fn}\nwhile IFS= read -r -d '' v; do if plain_value "$v"; then printf 1; else printf 0; fi; done`;
  const r = spawnSync('bash', ['-c', script], {
    input: Buffer.from(values.map((v) => v + '\0').join(''), 'utf8'),
    encoding: 'utf8',
    env: { LANG: 'C.UTF-8', PATH: '/usr/bin:/bin' },
  });
  assert.is(r.status, 0, r.stderr);
  return [...r.stdout].map((c) => c === '1');
}

test("the secrets file's value rule: deploy.sh's bash and migrate's TypeScript agree (fast-check, seeded)", () => {
  const chars = fc.constantFrom(...'aZ09 _-=#;$`"\'\\!~/\t\r', 'é', '€', '\u00a0', '\u007f');
  const values: string[] = fc.sample(
    fc.array(chars, { maxLength: 8 }).map((a) => a.join('')),
    { seed: 16, numRuns: 4000 },
  );
  const fixed = ['hf_abc', ' lead', 'trail ', 'in ner', '"q', "'q", 'mid"q', "mid'q", 'back\\slash', 'é', '#hash', ';semi', '=eq', '$HOME', 'a\tb'];
  const all = [...fixed, ...values.filter((v) => v !== '' && !v.includes('\n'))];
  const bash = bashVerdicts(all);
  const differ = all.filter((v, i) => plainSecretValue(v) !== bash[i]);
  assert.equal(differ, []);
  assert.ok(bash.filter(Boolean).length > 100 && bash.filter((b) => !b).length > 100, 'both verdicts are exercised');
  assert.equal(
    fixed.filter((v) => plainSecretValue(v)),
    ['hf_abc', 'in ner', 'mid"q', "mid'q", '#hash', ';semi', '=eq', '$HOME'],
  );
});

test('parseSecretsFile: comments, CRLF, and the first problem by line, never a value', () => {
  assert.equal(parseSecretsFile('# c\n; c\n\nA=1\r\nB=x y\n'), {
    ok: true,
    lines: [
      { line: 4, name: 'A', value: '1' },
      { line: 5, name: 'B', value: 'x y' },
    ],
  });
  assert.equal(parseSecretsFile('A=1\nexport B=CanaryX\n'), {
    ok: false,
    line: 2,
    problem: "an 'export' line: systemd ignores it and writes the whole line, value included, to the journal; write NAME=value",
  });
  assert.equal(parseSecretsFile('A=1\nA=2\n'), { ok: false, line: 2, problem: 'A is set again (first on line 1)' });
  assert.equal(parseSecretsFile('CanaryAlone\n'), { ok: false, line: 1, problem: 'not a NAME=value line' });
  assert.equal(parseSecretsFile('A= x\n'), {
    ok: false,
    line: 1,
    problem: 'the value of A cannot be read the same by systemd: it starts or ends with white space, which systemd would remove',
  });
});

test('the declaration (PHX041): names only, once, not set or unset by the unit, what vLLM reads', () => {
  const w = tmp('decl');
  const cfg = example();
  const c = server(cfg, '930', 30);
  c.secrets = [
    'HF_TOKEN',
    'HF_TOKEN',
    '1BAD',
    'CUDA_HOME',
    'VLLM_ATTENTION_BACKEND',
    'PYTHONPATH',
    'VLLM_API_KEYS',
    'HUGGING_FACE_HUB_TOKEN',
    'OPENAI_API_KEY',
  ];
  cfg.lxc_configs['900'].secrets = ['HF_TOKEN'];
  write(w, cfg);
  const r = runCli(['--config', 'config.json', '--out', 'out'], w);
  assert.is(r.code, 1);
  const lines = r.stderr.split('\n').filter((l) => l.includes('PHX041'));
  const at = (i: number) => lines.find((l) => l.includes(`$.lxc_configs.930.secrets[${i}]:`)) ?? '';
  assert.match(at(1), /error: .*HF_TOKEN is declared twice \(also item 0\)/);
  assert.match(at(2), /error: .*is not an environment variable name/);
  assert.match(at(3), /error: .*CUDA_HOME is also set by the unit \(Environment=\); the secrets file, read with EnvironmentFile=, would override it/);
  assert.match(at(4), /error: .*VLLM_ATTENTION_BACKEND is also set by the unit/);
  assert.match(at(5), /error: .*PYTHONPATH is in vllm_service\.unset_environment; systemd applies UnsetEnvironment= last/);
  assert.match(at(6), /error: .*VLLM_API_KEYS is not an environment variable of vLLM 0\.10\.2; did you mean VLLM_API_KEY\?/);
  assert.match(at(7), /warning: .*declare HF_TOKEN/);
  assert.match(at(8), /warning: .*vLLM's server does not read OPENAI_API_KEY; it requires the key in VLLM_API_KEY/);
  assert.ok(
    lines.some((l) => /warning: CTID 900: \$\.lxc_configs\.900\.secrets: secrets go to the vLLM server's unit, and this CTID runs none/.test(l)),
    r.stderr,
  );
  assert.is(lines.length, 9, r.stderr);
});

test('secrets are not inherited: a clone of a server with secrets declares its own', () => {
  const w = tmp('inherit');
  const cfg = example();
  cfg.lxc_configs['921'].template_snapshot_name = 'ready';
  const clone = { ...server(cfg, '930', 30), clone_from_ctid: '921' };
  cfg.lxc_configs['930'] = clone;
  write(w, cfg);
  const r = runCli(['--config', 'config.json', '--out', 'out'], w);
  assert.is(r.code, 0, r.stderr);
  assert.match(fs.readFileSync(path.join(w, 'out', '921', 'vllm_model_server.service'), 'utf8'), /^EnvironmentFile=\/etc\/vllm\/secrets\.env$/m);
  assert.not.match(fs.readFileSync(path.join(w, 'out', '930', 'vllm_model_server.service'), 'utf8'), /EnvironmentFile=/);
  assert.match(fs.readFileSync(path.join(w, 'out', '930', 'deploy.sh'), 'utf8'), /# No secrets declared: a secrets file left in the container/);
});

test.run();
