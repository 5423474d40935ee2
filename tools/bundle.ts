/**
 * Build step (`npm run build`, and `prepare` on `npm ci`, after tsc): bundles the command line
 * with esbuild, so that starting `phoenix-compile` reads and compiles one file instead of resolving
 * and loading some fifty modules and three packages (bench/RESULTS.md has the figures).
 *
 * Output, in dist/bundle/:
 *   phoenix-compile.js           the compile path: cli/main.ts and everything it loads up front,
 *                                exporting the modules the lazy parts take from it (`__modules`)
 *   phoenix-compile-explain.js   `explain`, `diff`, `migrate`: loaded only when that command runs
 *   phoenix-compile-diff.js
 *   phoenix-compile-migrate.js
 *   phoenix-compile-schema.js
 *   phoenix-compile-textdiff.js  unified diffs for --check, loaded only when a file differs
 *   phoenix-compile-load-errors.js  the momoa loader that reports a broken config file, loaded
 *                                only when the fast JSON pass refuses the text
 *   phoenix-compile.js.cache     V8's code cache for phoenix-compile.js after compiling the example
 *                                (bin/phoenix-compile.js uses it when this Node accepts it)
 *
 * A lazy part imports the compile path's modules from phoenix-compile.js (never a second copy, so
 * `instanceof` and module state hold across the two files); what only it needs is bundled into it.
 * The `diff` package stays in node_modules and loads with the textdiff part. The JSON data the
 * compile reads (vLLM flag catalogs and facts, the schema that explains errors) is carried as JSON
 * text, parsed on first use (`JSON.parse` of a string is faster than evaluating an object literal).
 */
import { spawnSync } from 'child_process';
import * as esbuild from 'esbuild';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { repoRoot } from './repo-root';

const ROOT = repoRoot();
export const BUNDLE_DIR = path.join(ROOT, 'dist', 'bundle');
export const MAIN_BUNDLE = 'phoenix-compile.js';
/** The lazily loaded parts: name -> source module (relative to the repository root, no extension). */
export const LAZY_PARTS: Record<string, string> = {
  explain: 'cli/explain',
  diff: 'cli/diff',
  migrate: 'cli/migrate',
  schema: 'cli/schema',
  textdiff: 'compiler/util/textdiff',
  'load-errors': 'compiler/load-errors',
};
/** Packages left in node_modules (loaded by a lazy part only). */
const EXTERNAL_PACKAGES = ['diff'];

const lazyFile = (name: string) => `phoenix-compile-${name}.js`;
const noExt = (f: string) => f.replace(/\.(d\.)?[cm]?[jt]s$/, '');

/** `require('../../../schema/...json')` in compiler/ is relative to dist/compiler/<dir>/: carry the file as JSON text. */
const schemaData: esbuild.Plugin = {
  name: 'phoenix-schema-data',
  setup(build) {
    build.onResolve({ filter: /^(\.\.\/)+schema\/.*\.json$/ }, (args) => ({
      path: path.join(ROOT, 'schema', args.path.replace(/^(\.\.\/)+schema\//, '')),
      namespace: 'phx-json',
    }));
    build.onLoad({ filter: /.*/, namespace: 'phx-json' }, (args) => {
      // Parsed here, so bad JSON fails the build, not a user's run; carried without its indentation
      // (the same value in about a fifth fewer bytes to read, keep in the code cache and parse).
      const text = JSON.stringify(JSON.parse(fs.readFileSync(args.path, 'utf8')));
      return { contents: `module.exports = JSON.parse(${JSON.stringify(text)});`, loader: 'js', watchFiles: [args.path] };
    });
  },
};

/** In the main bundle, a lazy part is a runtime require of its own file beside it. */
function lazyPartsExternal(except?: string): esbuild.Plugin {
  const byModule = new Map(Object.entries(LAZY_PARTS).map(([name, mod]) => [path.join(ROOT, mod), name]));
  return {
    name: 'phoenix-lazy-parts',
    setup(build) {
      build.onResolve({ filter: /^\./ }, (args) => {
        const name = byModule.get(noExt(path.resolve(args.resolveDir, args.path)));
        if (name === undefined || name === except) return undefined;
        return { path: `./${lazyFile(name)}`, external: true };
      });
    },
  };
}

/**
 * In a lazy part, every module the main bundle holds comes from the main bundle's `__modules`;
 * each one taken so is added to `used` (the main bundle exposes only those).
 */
function fromMainBundle(mainModules: Set<string>, used: Set<string>): esbuild.Plugin {
  return {
    name: 'phoenix-from-main',
    setup(build) {
      build.onResolve({ filter: new RegExp(`^\\./${MAIN_BUNDLE.replace(/\./g, '\\.')}$`) }, () => ({ path: `./${MAIN_BUNDLE}`, external: true }));
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === 'phx-inner' || args.kind === 'entry-point') return undefined;
        const r = await build.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: 'phx-inner' });
        if (r.errors.length || r.external || r.namespace !== 'file') return undefined;
        const key = path.relative(ROOT, r.path).split(path.sep).join('/');
        if (!mainModules.has(key)) return undefined;
        used.add(key);
        return { path: key, namespace: 'phx-main' };
      });
      build.onLoad({ filter: /.*/, namespace: 'phx-main' }, (args) => ({
        contents: `module.exports = require(${JSON.stringify(`./${MAIN_BUNDLE}`)}).__modules[${JSON.stringify(args.path)}];`,
        loader: 'js',
      }));
    },
  };
}

const COMMON: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
  external: EXTERNAL_PACKAGES,
  // jsonc-parser's "main" is a UMD build whose inner requires esbuild cannot follow; its ES module
  // build is the same code (its package.json "module" field names it).
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  legalComments: 'none',
};

/** Builds dist/bundle/ (see the file comment). Returns the main bundle's metafile. */
export async function bundle(): Promise<esbuild.Metafile> {
  fs.rmSync(BUNDLE_DIR, { recursive: true, force: true });
  // 1. Which modules the compile path holds.
  const probe = await esbuild.build({
    ...COMMON,
    entryPoints: [path.join(ROOT, 'cli', 'main.ts')],
    write: false,
    outdir: BUNDLE_DIR,
    metafile: true,
    plugins: [schemaData, lazyPartsExternal()],
  });
  const mainModules = Object.keys(probe.metafile.inputs)
    .filter((f) => !f.includes(':') && /\.[cm]?[jt]s$/.test(f))
    .sort();
  // 2. The lazy parts, each on its own, taking shared modules from the main bundle; which ones they
  // take is recorded, so that the main bundle builds module objects for those alone (a module object
  // is a getter per export, made at start-up: for every module it cost about 2 ms of each start).
  const shared = new Set(mainModules);
  const exposed = new Set<string>();
  for (const [name, mod] of Object.entries(LAZY_PARTS)) {
    await esbuild.build({
      ...COMMON,
      entryPoints: [path.join(ROOT, `${mod}.ts`)],
      outfile: path.join(BUNDLE_DIR, lazyFile(name)),
      plugins: [schemaData, lazyPartsExternal(name), fromMainBundle(shared, exposed)],
    });
  }
  // 3. The main bundle: cli/main's exports plus, under its repository path, every module a lazy part takes.
  const entry = [
    `export * from ${JSON.stringify('./cli/main')};`,
    ...[...exposed].sort().map((f, i) => `import * as m${i} from ${JSON.stringify(`./${f}`)};`),
    `export const __modules = {${[...exposed]
      .sort()
      .map((f, i) => `${JSON.stringify(f)}: m${i}`)
      .join(', ')}};`,
  ].join('\n');
  const main = await esbuild.build({
    ...COMMON,
    stdin: { contents: entry, resolveDir: ROOT, sourcefile: 'phoenix-compile-entry.ts', loader: 'ts' },
    outfile: path.join(BUNDLE_DIR, MAIN_BUNDLE),
    metafile: true,
    plugins: [schemaData, lazyPartsExternal()],
  });
  // The main bundle is ASCII (esbuild's default charset escapes the rest), so bin/ reads it as
  // latin1, which takes half the time of utf8; and its sha256 and size are written beside it, the
  // compiler's identity in compile records (cli/context.ts compilerBuild) without hashing 1 MB on
  // every start.
  const mainFile = path.join(BUNDLE_DIR, MAIN_BUNDLE);
  const bytes = fs.readFileSync(mainFile);
  if (bytes.some((b) => b > 0x7f)) throw new Error(`${MAIN_BUNDLE} is not ASCII: bin/phoenix-compile.js reads it as latin1`);
  fs.writeFileSync(`${mainFile}.sha256`, `${createHash('sha256').update(bytes).digest('hex')} ${bytes.length}\n`);
  return main.metafile;
}

/**
 * V8's code cache for the main bundle: bin/phoenix-compile.js compiles the example with it once
 * (into a temporary folder) and saves the cache, which then holds every function that run compiled.
 */
export function writeCodeCache(): void {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'phx-bundle-'));
  const cache = path.join(BUNDLE_DIR, `${MAIN_BUNDLE}.cache`);
  try {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'bin', 'phoenix-compile.js'), '--config', path.join(ROOT, 'fixtures', 'phoenix_lxc_configs.json'), '--out', path.join(tmp, 'out')],
      {
        cwd: tmp,
        env: { ...process.env, PHOENIX_COMPILE_SAVE_CODE_CACHE: cache, PHOENIX_COMPILE_CACHE_DIR: 'off' },
        encoding: 'utf8',
      },
    );
    if (r.status !== 0 || !fs.existsSync(cache)) throw new Error(`compiling the example with the bundle failed (exit ${r.status}):\n${r.stderr}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  bundle()
    .then((meta) => {
      fs.writeFileSync(path.join(BUNDLE_DIR, 'meta.json'), JSON.stringify(meta));
      writeCodeCache();
    })
    .catch((e: unknown) => {
      process.stderr.write(`bundle: ${(e as Error).message}\n`);
      process.exit(1);
    });
}
