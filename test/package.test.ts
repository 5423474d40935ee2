/**
 * Installing phoenix-compile as its users do, from a scratch folder, offline:
 *  - a fresh clone of this repository (the working tree committed into a scratch git repository
 *    and cloned into an empty folder, with no steering folder beside it) runs the README's first
 *    command, `npm ci && npm run compile`;
 *  - `npm pack` there (its prepack builds dist/ from clean) makes a tarball with the built
 *    JavaScript and the runtime dependencies bundled, and no test, tool or devDependency;
 *  - `npm install -g` of the tarball, and the tarball as a devDependency of a config repository
 *    (`npx phoenix-compile`), and the git repository as a devDependency, all compile a config;
 *  - the example CI workflow (examples/phoenix-config-check.yml): its `run:` steps, read with a
 *    YAML parser and run as GitHub's default shell runs them (GitHub Actions itself cannot run
 *    here), in a checkout of a config repository that holds only the config, out/, package.json
 *    and package-lock.json: it passes on a clean tree and fails with annotations on drift.
 *
 * Offline: the runtime dependencies travel inside the tarball (bundleDependencies), so installing
 * it needs no registry; the fresh clone's `npm ci` and the git install take the devDependencies
 * from npm's cache (`--offline`, filled by the `npm ci` that precedes `npm test`).
 */
import { spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { repoRoot, tmpDir } from './lib/paths';

const ROOT = repoRoot();
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
const TARBALL = `${PKG.name}-${PKG.version}.tgz`;
const EXAMPLE = fs.readFileSync(path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');
const SCHEMA_LINE = '"$schema": "./node_modules/phoenix-compile/schema/phoenix_lxc_configs.schema.json"';

// npm never reaches the registry: the cache or the tarball has everything.
const OFFLINE = { npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' };
const GIT_ID = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };

const S = tmpDir('package');
test.after(() => fs.rmSync(S, { recursive: true, force: true }));

/**
 * Runs a command in `cwd`, which must be a folder of this test's scratch area (or, for reading
 * only, the repository): a command never falls back to the working directory, so a git command
 * can never touch this repository's branches.
 */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const readsRepo = cwd === ROOT && ((cmd === 'git' && args[0] === 'ls-files') || cmd === 'python3');
  if (typeof cwd !== 'string' || !path.isAbsolute(cwd) || !(readsRepo || cwd === S || cwd.startsWith(S + path.sep)))
    throw new Error(`refusing to run ${cmd} outside the scratch folder: ${String(cwd)}`);
  const t0 = Date.now();
  // GIT_CEILING_DIRECTORIES: git in the scratch area never looks for a repository above it.
  const ceiling = readsRepo ? {} : { GIT_CEILING_DIRECTORIES: path.dirname(S) };
  const r = spawnSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, ...OFFLINE, ...GIT_ID, ...ceiling, CI: '', ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (process.env.PHX_TIME) console.log(`${Date.now() - t0} ms: ${cmd} ${args.join(' ').slice(0, 80)}`);
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  assert.is(r.status, 0, `${what}: exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** A config repository: the config (and whatever `extra` adds) in a fresh folder under S. */
function configRepo(name: string, config = EXAMPLE): string {
  const d = path.join(S, name);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'phoenix_lxc_configs.json'), config);
  return d;
}

function devDependencyRepo(name: string, spec: string, config = EXAMPLE): string {
  const d = configRepo(name, config);
  fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify({ name, private: true, devDependencies: { 'phoenix-compile': spec } }, null, 2) + '\n');
  ok(run('npm', ['install'], d), `npm install in ${name}`);
  return d;
}

const ORIGIN = path.join(S, 'origin');
const CLONE = path.join(S, 'clone');

test('a fresh clone (nothing beside it): `npm ci && npm run compile` works and leaves the clone clean', () => {
  // The working tree as it would be committed: tracked files and new ones git does not ignore.
  const files = run('git', ['ls-files', '-co', '--exclude-standard', '-z'], ROOT)
    .stdout.split('\0')
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(ORIGIN, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(ORIGIN, f));
    fs.chmodSync(path.join(ORIGIN, f), fs.statSync(path.join(ROOT, f)).mode & 0o777);
  }
  ok(run('git', ['init', '-q', '-b', 'main'], ORIGIN), 'git init');
  ok(run('git', ['add', '-A'], ORIGIN), 'git add');
  ok(run('git', ['commit', '-qm', 'snapshot'], ORIGIN), 'git commit');
  ok(run('git', ['clone', '-q', ORIGIN, CLONE], S), 'git clone');
  assert.equal(fs.readdirSync(S).sort(), ['clone', 'origin'], 'nothing beside the clone but its origin');

  ok(run('npm', ['ci'], CLONE), 'npm ci');
  const c = ok(run('npm', ['run', 'compile'], CLONE), 'npm run compile');
  assert.match(c.stderr, /\nphoenix-compile: 1 note; out already up to date \(19 files\)\n$/);
  assert.is(ok(run('git', ['status', '--porcelain'], CLONE), 'git status').stdout, '', 'the committed out/ is what the clone compiles');
});

test('npm pack: the built JavaScript, the schema, the example and the bundled runtime dependencies; no tests, tools or devDependencies', () => {
  const r = ok(run('npm', ['pack', '--pack-destination', S], CLONE), 'npm pack');
  assert.match(r.stdout, new RegExp(`${TARBALL.replace(/\./g, '\\.')}\\n$`));
  const list = ok(run('tar', ['-tzf', path.join(S, TARBALL)], S), 'tar')
    .stdout.trim()
    .split('\n');
  for (const f of [
    'package/package.json',
    'package/README.md',
    'package/bin/phoenix-compile.js',
    'package/dist/cli/main.js',
    'package/dist/compiler/compile.js',
    'package/dist/compiler/generated/validate-schema.js',
    'package/dist/emit/generated/templates.js',
    'package/schema/phoenix_lxc_configs.schema.json',
    'package/schema/vllm/0.10.2.json',
    'package/schema/vllm/0.10.2.facts.json',
    'package/examples/phoenix-config-check.yml',
    'package/fixtures/phoenix_lxc_configs.json',
    'package/node_modules/ajv/package.json',
    'package/node_modules/@humanwhocodes/momoa/package.json',
  ])
    assert.ok(list.includes(f), `the tarball holds ${f}`);
  const stray = list.filter((f) =>
    /^package\/(dist\/(test|tools|bench)\/|test\/|tools\/|bench\/|out\/|schema\/vllm\/0\.10\.2\.oracle\.json|node_modules\/(typescript|ejs|ts-morph|prettier|uvu)\/|dist\/\.tsbuildinfo)/.test(
      f,
    ),
  );
  assert.equal(stray, [], 'nothing for development only');
  const pkg = JSON.parse(fs.readFileSync(path.join(CLONE, 'package.json'), 'utf8'));
  assert.is(pkg.private, undefined, 'installable: not private');
  assert.equal(pkg.bundleDependencies, Object.keys(pkg.dependencies));
});

test('npm install -g of the tarball: phoenix-compile on the PATH compiles the config in the working directory', () => {
  const prefix = path.join(S, 'global');
  const r = ok(run('npm', ['install', '-g', '--prefix', prefix, path.join(S, TARBALL)], S), 'npm install -g');
  assert.not.match(r.stderr, /ERR!/);
  const bin = path.join(prefix, 'bin', 'phoenix-compile');
  assert.is(ok(run(bin, ['--version'], S), '--version').stdout, `${PKG.version}\n`);
  const repo = configRepo('global-user');
  const c = ok(run(bin, [], repo), 'phoenix-compile');
  assert.match(c.stderr, /\nphoenix-compile: 1 note; out: 19 written, 0 removed, 0 unchanged\n$/);
  // Only the bundled runtime dependencies are installed beside it.
  assert.equal(fs.readdirSync(path.join(prefix, 'lib', 'node_modules')), ['phoenix-compile']);
  const elsewhere = run(bin, [], S);
  assert.is(elsewhere.status, 1);
  assert.match(elsewhere.stderr, /^phoenix-compile: no config: there is no phoenix_lxc_configs\.json in /);
});

test('as a devDependency of a config repository: npx phoenix-compile, the "$schema" line pointing at the installed copy', () => {
  const config = EXAMPLE.replace(/"\$schema": "[^"]*"/, SCHEMA_LINE);
  assert.ok(config.includes(SCHEMA_LINE));
  const repo = devDependencyRepo('fleet', `file:../${TARBALL}`, config);
  assert.equal(
    fs.readdirSync(path.join(repo, 'node_modules')).filter((d) => !d.startsWith('.')),
    ['phoenix-compile'],
    'no devDependency of phoenix-compile comes along',
  );
  const c = ok(run('npx', ['phoenix-compile'], repo), 'npx phoenix-compile');
  assert.match(c.stderr, /out: 19 written, 0 removed, 0 unchanged\n$/);
  const schemaFile = path.join(repo, 'node_modules', 'phoenix-compile', 'schema', 'phoenix_lxc_configs.schema.json');
  assert.is(ok(run('npx', ['phoenix-compile', 'schema'], repo), 'schema').stdout, fs.readFileSync(schemaFile, 'utf8').trimEnd() + '\n');
  assert.is(ok(run('npx', ['phoenix-compile', 'schema', '--path'], repo), 'schema --path').stdout, `${fs.realpathSync(schemaFile)}\n`);
  assert.is(fs.readFileSync(path.join(ROOT, 'schema', 'phoenix_lxc_configs.schema.json'), 'utf8'), fs.readFileSync(schemaFile, 'utf8'));
});

// npm clones the repository, installs its devDependencies and builds it (a minute or more): run
// under CI=true, or with PHX_TEST_GIT_INSTALL=1.
const GIT_INSTALL = process.env.CI === 'true' || process.env.PHX_TEST_GIT_INSTALL === '1';
if (!GIT_INSTALL) console.log('\nSKIPPED the install from the git repository (slow): set PHX_TEST_GIT_INSTALL=1 (it runs when CI=true)\n');
(GIT_INSTALL ? test : test.skip)('from the git repository as a devDependency (npm builds it with its prepare script)', () => {
  const repo = devDependencyRepo('fleet-git', `git+file://${ORIGIN}`);
  assert.is(ok(run('npx', ['phoenix-compile', '--version'], repo), '--version').stdout, `${PKG.version}\n`);
  ok(run('npx', ['phoenix-compile'], repo), 'npx phoenix-compile');
  assert.ok(fs.existsSync(path.join(repo, 'out', '921', 'vllm.argv.json')));
});

// -------------------------------------------------------------------------------------------
// The example CI workflow, run as a script

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

/** The workflow's steps, read by a real YAML parser (python3-yaml, installed by .ci/run). */
function workflowSteps(): Step[] {
  const file = path.join(ROOT, 'examples', 'phoenix-config-check.yml');
  const r = ok(run('python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], ROOT), 'read the workflow');
  const wf = JSON.parse(r.stdout) as { jobs: Record<string, { steps: Step[] }> };
  assert.equal(Object.keys(wf.jobs), ['check']);
  return wf.jobs.check.steps;
}

/**
 * GitHub's `${{ ... }}` for the two contexts the workflow uses; anything else fails the test
 * (docs.github.com, "Contexts": github.event_name, github.base_ref).
 */
function expand(text: string, github: { event_name: string; base_ref: string }): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
    const m = /^github\.(event_name|base_ref)$/.exec(expr);
    if (!m) throw new Error(`unsupported expression in the workflow: ${expr}`);
    return github[m[1] as 'event_name' | 'base_ref'];
  });
}

/** `if:` conditions of the form github.event_name == 'NAME'. */
function condition(expr: string | undefined, github: { event_name: string }): boolean {
  if (expr === undefined) return true;
  const m = /^github\.event_name == '([a-z_]+)'$/.exec(expr.trim());
  if (!m) throw new Error(`unsupported condition in the workflow: ${expr}`);
  return github.event_name === m[1];
}

interface JobRun {
  /** The exit code of the first step that failed, or 0. */
  code: number;
  steps: { run: string; code: number; stdout: string; stderr: string }[];
}

/**
 * Runs the job in `checkout` (what actions/checkout leaves): `uses:` steps are only the checkout
 * and setup-node (done already: the clone, and this Node), each `run:` through GitHub's default
 * shell on Linux, `bash --noprofile --norc -eo pipefail` (docs.github.com, "Workflow syntax",
 * defaults.run.shell), stopping at the first failure as a job does.
 */
function runJob(checkout: string, github: { event_name: string; base_ref: string }): JobRun {
  const steps: JobRun['steps'] = [];
  for (const s of workflowSteps()) {
    if (s.uses !== undefined) {
      assert.ok(/^actions\/(checkout|setup-node)@v4$/.test(s.uses), `only checkout and setup-node are used: ${s.uses}`);
      continue;
    }
    if (!condition(s.if, github)) continue;
    const env = Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, expand(String(v), github)]));
    const script = expand(s.run!, github);
    const r = run('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], checkout, { ...env, GITHUB_ACTIONS: 'true' });
    steps.push({ run: script, code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr });
    if (r.status !== 0) return { code: r.status ?? 1, steps };
  }
  return { code: 0, steps };
}

/** A config repository with only the config, its out/, package.json and package-lock.json, committed on main. */
function ciRepo(): string {
  const repo = devDependencyRepo('ci-origin', `file:../${TARBALL}`);
  ok(run('npx', ['phoenix-compile'], repo), 'first compile');
  fs.writeFileSync(path.join(repo, '.gitignore'), 'node_modules/\n');
  ok(run('git', ['init', '-q', '-b', 'main'], repo), 'git init');
  ok(run('git', ['add', '-A'], repo), 'git add');
  ok(run('git', ['commit', '-qm', 'fleet'], repo), 'git commit');
  const tracked = ok(run('git', ['ls-files'], repo), 'ls-files')
    .stdout.split('\n')
    .filter(Boolean)
    .map((f) => f.split('/')[0]);
  assert.equal([...new Set(tracked)].sort(), ['.gitignore', 'out', 'package-lock.json', 'package.json', 'phoenix_lxc_configs.json']);
  return repo;
}

/** What actions/checkout with fetch-depth 0 leaves: a full clone at `branch`, with origin/* refs. */
function checkout(origin: string, branch: string, name: string): string {
  const dir = path.join(S, name);
  ok(run('git', ['clone', '-q', '--branch', branch, origin, dir], S), 'clone');
  return dir;
}

let ciOrigin: string | undefined;
/** The scratch config repository of the clean-tree test (the later workflow tests build on it). */
function originRepo(): string {
  assert.ok(ciOrigin, 'the clean-tree workflow test made the config repository');
  return ciOrigin!;
}

test('the example CI workflow passes on a clean tree (push)', () => {
  ciOrigin = ciRepo();
  const job = runJob(checkout(ciOrigin!, 'main', 'ci-clean'), { event_name: 'push', base_ref: '' });
  assert.is(job.code, 0, JSON.stringify(job.steps, null, 2));
  assert.equal(
    job.steps.map((s) => s.run.split(' ').slice(0, 2).join(' ')),
    ['npm ci', 'npx phoenix-compile'],
  );
  assert.not.match(job.steps[1].stdout, /^::error/m);
});

test('the example CI workflow fails on drift with annotations: a config change not compiled, a generated file edited by hand', () => {
  const origin = originRepo();
  ok(run('git', ['checkout', '-qb', 'drift'], origin), 'branch');
  const cfg = JSON.parse(fs.readFileSync(path.join(origin, 'phoenix_lxc_configs.json'), 'utf8'));
  cfg.lxc_configs['921'].vllm_engine_config.ServerConfig.port = 8100;
  fs.writeFileSync(path.join(origin, 'phoenix_lxc_configs.json'), JSON.stringify(cfg, null, 4) + '\n');
  fs.appendFileSync(path.join(origin, 'out', '900', 'create.sh'), 'echo hand-made\n');
  ok(run('git', ['commit', '-qam', 'drift'], origin), 'commit');
  ok(run('git', ['checkout', '-q', 'main'], origin), 'back to main');
  const job = runJob(checkout(origin, 'drift', 'ci-drift'), { event_name: 'push', base_ref: '' });
  assert.is(job.code, 2, JSON.stringify(job.steps, null, 2));
  const check = job.steps[job.steps.length - 1];
  assert.match(check.run, /^npx phoenix-compile --check/);
  const annotations = check.stdout.split('\n').filter((l) => l.startsWith('::error '));
  const lines = fs.readFileSync(path.join(ROOT, 'out', '900', 'create.sh'), 'utf8').split('\n').length;
  assert.ok(
    annotations.includes(
      `::error file=out/900/create.sh,line=${lines},title=phoenix-compile PHX202::edited by hand: its sha256 differs from out/manifest.json`,
    ),
    annotations.join('\n'),
  );
  assert.ok(
    annotations.some((a) =>
      /^::error file=out\/921\/vllm\.argv\.json,line=\d+,title=phoenix-compile PHX201::stale: not what phoenix_lxc_configs\.json compiles to$/.test(a),
    ),
    annotations.join('\n'),
  );
  assert.match(check.stderr, /phoenix-compile: \d+ errors?, 1 note; out is not up to date; run `phoenix-compile`\n$/);
});

test('the example CI workflow on a pull request: the check passes and the diff against the base is shown', () => {
  const origin = originRepo();
  ok(run('git', ['checkout', '-qb', 'sampler-off', 'main'], origin), 'branch');
  const cfg = JSON.parse(fs.readFileSync(path.join(origin, 'phoenix_lxc_configs.json'), 'utf8'));
  cfg.lxc_configs['921'].vllm_service = { flashinfer_sampler: false };
  fs.writeFileSync(path.join(origin, 'phoenix_lxc_configs.json'), JSON.stringify(cfg, null, 4) + '\n');
  ok(run('npx', ['phoenix-compile'], origin), 'recompile');
  ok(run('git', ['commit', '-qam', 'sampler off'], origin), 'commit');
  ok(run('git', ['checkout', '-q', 'main'], origin), 'back to main');
  const job = runJob(checkout(origin, 'sampler-off', 'ci-pr'), { event_name: 'pull_request', base_ref: 'main' });
  assert.is(job.code, 0, JSON.stringify(job.steps, null, 2));
  assert.is(job.steps.length, 3);
  const diff = job.steps[2];
  assert.match(diff.run, /^npx phoenix-compile diff --base "origin\/\$BASE_REF"/);
  assert.match(
    diff.stdout,
    /^::stop-commands::phx-[0-9a-f]{64}\nchanges in the generated files \(base origin\/main -> working copy\):\n {2}CTID 921: 0 added, 0 removed, \d+ changed\n/,
  );
  assert.match(diff.stdout, /\n-Environment="VLLM_USE_FLASHINFER_SAMPLER=1"\n\+Environment="VLLM_USE_FLASHINFER_SAMPLER=0"\n/);
  assert.match(diff.stdout, /\n::phx-[0-9a-f]{64}::\n$/);
});

test.run();
