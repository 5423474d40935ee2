/** explain, diff and migrate, run as a user would. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from './lib/cli';
import { repoRoot, scratchDirs } from './lib/paths';

const ROOT = repoRoot();
const EXAMPLE = path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json');
const REAL = path.join(ROOT, 'fixtures', 'real');
const R08 = path.join(REAL, 'phoenix_lxc_configs.08cb921.json');
const { tmp, cleanup } = scratchDirs();
test.after(cleanup);

test('explain 921: origins, vLLM groups, argv, environment with the FP8 KV note, artifacts', () => {
  const r = runCli(['explain', '921'], ROOT);
  assert.is(r.code, 0, r.stderr);
  const t = r.stdout;
  assert.match(t, /^CTID 921 Template-VLLM-FP8\nclone chain: 921 -> 901 -> 900\n/);
  assert.match(t, /\n  cores = 10  \(own\)\n/);
  assert.match(t, /\n  storage_pool = "quickOS-lxc-disks"  \(inherited from CTID 901\)\n/);
  assert.match(t, /\n  template  \(not inherited: per container; CTID 900 sets it for itself\)\n/);
  assert.match(t, /\n  features = \["base_setup","nvidia","vllm"\]  \(base_setup: inherited from CTID 900; nvidia: own; vllm: own\)\n/);
  assert.match(t, /\n  gpu_assignment = "0, 1"  \(inherited from CTID 901\)\n/);
  assert.match(t, /\n  vllm_install\.venv = "\/opt\/vllm"  \(default\)\n/);
  assert.match(t, /\n  quantization = "fp8"  -> --quantization \(vLLM group ModelConfig; written under CacheConfig\)/);
  assert.match(
    t,
    /\n  VLLM_ATTENTION_BACKEND=FLASHINFER  \(FP8 KV cache on this GPU \(see notes\); a model with attention sinks .* needs TRITON_ATTN_VLLM_V1: set it in vllm_service\.environment\)\n/,
  );
  assert.match(t, /note: CTID 921: .*so the unit sets VLLM_ATTENTION_BACKEND=FLASHINFER and verify\.sh checks for the V1 engine \[PHX031\]/);
  assert.match(t, /\n  out\/921\/vllm_model_server\.service\n/);
  assert.match(
    t,
    /\n  secrets: HF_TOKEN: values from the host's \/etc\/phoenix\/secrets\/921\.env, then \/etc\/phoenix\/secrets\/shared\.env \(deploy\.sh\), read by the unit from \/etc\/vllm\/secrets\.env \(EnvironmentFile=\)\n/,
  );
});

test('explain a clone of a vLLM template: its own settings only, the template\'s application config "not inherited"', () => {
  const r = runCli(['explain', '922', '--config', path.join(ROOT, 'test', 'golden', 'vllm-clone-application-config', 'input.json')], ROOT);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n  memory_mb = 72000  \(inherited from CTID 921\)\n/);
  assert.match(r.stdout, /\n  vllm_engine_config of CTID 921  \(not inherited: application config; CTID 922 has its own\)\n/);
  assert.match(r.stdout, /\n  template_snapshot_name  \(not inherited: per container; CTID 921 sets it for itself\)\n/);
  assert.not.match(r.stdout, /--quantization|--kv-cache-dtype/);
  const t = runCli(['explain', '923', '--config', path.join(ROOT, 'test', 'golden', 'vllm-clone-application-config', 'input.json')], ROOT);
  assert.match(t.stdout, /\n  application_script  \(not inherited: application config; CTID 921 sets it for itself\)\n/);
  assert.match(t.stdout, /warning: CTID 923: .*921's enabled vllm_model_server\.service.* \[PHX033\]/);
});

if (fs.existsSync(R08)) {
  test('explain 950 of the 08cb921 file: nvidia inherited from 920, and its own contradictions', () => {
    const r = runCli(['explain', '950', '--config', R08], ROOT);
    assert.is(r.code, 1);
    assert.match(r.stdout, /nvidia: inherited from CTID 920/);
    assert.match(r.stdout, /clone chain: 950 -> 920 -> 901 -> 900/);
    assert.match(r.stdout, /max_model_len is 8192 here \(vllm_parameters\) but 4096 at 301:35/);
  });

  test('the 08cb921 file: the missing clone source of 960 is reported', () => {
    const r = runCli(['--config', R08, '--out', path.join(tmp('r08'), 'out')], ROOT);
    assert.is(r.code, 1);
    assert.match(
      r.stderr,
      /phoenix_lxc_configs\.08cb921\.json:773:32: error: CTID 960: \$\.lxc_configs\.960\.clone_from_ctid: clones from CTID 903, which is not in lxc_configs/,
    );
  });

  test('migrate: refuses while 950 contradicts itself; after fixing 950, --write keeps the argv of every CTID', () => {
    const w = tmp('migrate');
    const file = path.join(w, 'configs.json');
    fs.copyFileSync(R08, file);
    const refused = runCli(['migrate', '--config', 'configs.json'], w);
    assert.is(refused.code, 1);
    assert.match(refused.stderr, /refusing while legacy values contradict each other/);
    assert.is(fs.readFileSync(file, 'utf8'), fs.readFileSync(R08, 'utf8'));
    // Fix 950 as its vllm_args say (the values vLLM was actually started with).
    const fixed = fs
      .readFileSync(R08, 'utf8')
      .replace('"max_model_len": 8192,', '"max_model_len": 4096,')
      .replace('"gpu_memory_utilization": 0.75,', '"gpu_memory_utilization": 0.9,');
    fs.writeFileSync(file, fixed);
    const only = ['--only', '900,901,902,910,920,921,950,951,952,953,954,955,956,957'];
    const before = runCli(['--config', 'configs.json', '--out', 'before', ...only], w);
    assert.is(before.code, 0, before.stderr);
    const dry = runCli(['migrate', '--config', 'configs.json'], w);
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^--- a\/configs\.json\n\+\+\+ b\/configs\.json\n/);
    assert.match(dry.stderr, /would migrate CTID 950, 951/);
    assert.is(fs.readFileSync(file, 'utf8'), fixed, 'no write without --write');
    const wr = runCli(['migrate', '--config', 'configs.json', '--write'], w);
    assert.is(wr.code, 0, wr.stderr);
    const migrated = fs.readFileSync(file, 'utf8');
    assert.not.match(migrated, /"vllm_args"|"vllm_parameters"|"vllm_max_model_len"/);
    assert.match(migrated, /\n {12}"vllm_engine_config": \{\n {16}"ModelConfig": \{\n {20}"model": "Qwen\/Qwen2\.5-7B-Instruct-AWQ",/);
    const after = runCli(['--config', 'configs.json', '--out', 'after', ...only], w);
    assert.is(after.code, 0, after.stderr);
    for (const id of ['950', '951', '921']) {
      assert.is(
        fs.readFileSync(path.join(w, 'after', id, 'vllm.argv.json'), 'utf8'),
        fs.readFileSync(path.join(w, 'before', id, 'vllm.argv.json'), 'utf8'),
        `argv of ${id}`,
      );
    }
    // Every other key keeps its exact text: the file outside the two rewritten CTIDs is unchanged.
    const cut = (t: string) => t.replace(/\n {8}"950": \{[\s\S]*?\n {8}\},\n {8}"952"/, '').length;
    assert.ok(cut(migrated) > 0 && migrated.includes(fixed.slice(0, fixed.indexOf('"950": {'))), 'text before 950 unchanged');
    const again = runCli(['migrate', '--config', 'configs.json'], w);
    assert.match(again.stderr, /no legacy vllm_\* keys; nothing to do/);
  });
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' },
  });
}

test('diff against git revisions: exit 2 with the summary, 0 when equal, 1 with an invalid base', () => {
  const w = tmp('diff');
  git(w, 'init', '-q');
  const cfg = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  fs.writeFileSync(path.join(w, 'fleet.json'), JSON.stringify(cfg, null, 2));
  git(w, 'add', '.');
  git(w, 'commit', '-qm', 'one');
  cfg.lxc_configs['921'].vllm_service = { flashinfer_sampler: false };
  cfg.lxc_configs['921'].vllm_install = { flashinfer_tag: 'v0.3.0' };
  fs.writeFileSync(path.join(w, 'fleet.json'), JSON.stringify(cfg, null, 2));
  git(w, 'commit', '-qam', 'two');

  const d = runCli(['diff', '--base', 'HEAD~1', '--config', 'fleet.json'], w);
  assert.is(d.code, 2, d.stderr);
  const summary = d.stdout.slice(0, d.stdout.indexOf('\n\n'));
  assert.is(
    summary,
    [
      'changes in the generated files (base HEAD~1 -> working copy):',
      '  CTID 921: 0 added, 0 removed, 5 changed',
      '    changed 921/benchmark.sh (+1 -1)',
      '    changed 921/container.json (+6 -0)',
      '    changed 921/features/02-vllm.sh (+4 -4)',
      '    changed 921/verify.sh (+1 -1)',
      '    changed 921/vllm_model_server.service (+1 -1)',
    ].join('\n'),
  );
  assert.match(d.stdout, /\n-Environment="VLLM_USE_FLASHINFER_SAMPLER=1"\n\+Environment="VLLM_USE_FLASHINFER_SAMPLER=0"\n/);
  assert.match(d.stdout, /\n-readonly FI_TAG=v0\.3\.1\n/);
  assert.match(d.stdout, /\n\+readonly FI_TAG=v0\.3\.0\n/);

  const same = runCli(['diff', '--config', 'fleet.json'], w);
  assert.is(same.code, 0, same.stderr);
  assert.match(same.stdout, /no changes in the generated files \(base HEAD -> working copy\)/);

  // From another folder (a CI step elsewhere): git runs in the config's repository, not the working directory.
  const elsewhere = tmp('diff-elsewhere');
  const far = runCli(['diff', '--base', 'HEAD~1', '--config', path.join(w, 'fleet.json')], elsewhere);
  assert.is(far.code, 2, far.stderr);
  assert.match(far.stdout, /CTID 921: 0 added, 0 removed, 5 changed/);

  const bad = runCli(['diff', '--base', 'nope', '--config', 'fleet.json'], w);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /cannot read fleet\.json at base nope/);

  fs.writeFileSync(path.join(w, 'broken.json'), '{"lxc_configs": {"900": {"name": 5}}}');
  git(w, 'add', 'broken.json');
  git(w, 'commit', '-qm', 'broken');
  fs.writeFileSync(path.join(w, 'broken.json'), JSON.stringify(cfg));
  const inv = runCli(['diff', '--config', 'broken.json'], w);
  assert.is(inv.code, 1);
  assert.match(inv.stderr, /^HEAD:broken\.json:1:34: error: CTID 900: \$\.lxc_configs\.900\.name: must be a string/m);
  assert.match(inv.stderr, /\nphoenix-compile: 1 error; the base HEAD config \(HEAD:broken\.json\) does not compile\n$/);
});

test('diff of two files', () => {
  const w = tmp('diff2');
  const cfg = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
  fs.writeFileSync(path.join(w, 'a.json'), JSON.stringify(cfg));
  cfg.lxc_configs['901'].cores = 4;
  fs.writeFileSync(path.join(w, 'b.json'), JSON.stringify(cfg));
  const d = runCli(['diff', 'a.json', 'b.json'], w);
  assert.is(d.code, 2);
  assert.match(d.stdout, /CTID 901: 0 added, 0 removed, 2 changed/);
  assert.is(runCli(['diff', 'a.json', 'a.json'], w).code, 0);
});

test.run();
