#!/usr/bin/env node
'use strict';
// Entry point: runs the bundled CLI (dist/bundle/phoenix-compile.js, built by `npm ci` / `npm run
// build`, see tools/bundle.ts). The bundle is compiled with V8's code cache saved beside it at build
// time when this Node accepts it (same V8 and flags), else compiled from source as usual.
const fs = require('fs');
const path = require('path');

const BUNDLE = path.join(__dirname, '..', 'dist', 'bundle', 'phoenix-compile.js');

/** Loads the bundle as a CommonJS module (in require.cache, so its lazy parts share it). */
function loadBundle() {
  const Module = require('module');
  const vm = require('vm');
  // ASCII (tools/bundle.ts checks it): latin1 decodes it to the same text in half the time of utf8.
  const source = fs.readFileSync(BUNDLE, 'latin1');
  const saveTo = process.env.PHOENIX_COMPILE_SAVE_CODE_CACHE; // build time only (tools/bundle.ts)
  let cachedData;
  if (!saveTo) {
    try {
      cachedData = fs.readFileSync(BUNDLE + '.cache');
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, ...(cachedData ? { cachedData } : {}) });
  const mod = new Module(BUNDLE, module);
  mod.filename = BUNDLE;
  mod.paths = Module._nodeModulePaths(path.dirname(BUNDLE));
  Module._cache[BUNDLE] = mod;
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  mod.loaded = true;
  if (saveTo) process.on('exit', () => fs.writeFileSync(saveTo, script.createCachedData()));
  return mod.exports;
}

let cli;
try {
  cli = loadBundle();
} catch (e) {
  // Only a missing build is "not built yet"; any other missing file is a broken install (the message names it).
  if (e && e.code === 'ENOENT' && e.path === BUNDLE) {
    process.stderr.write('phoenix-compile: not built yet; run `npm ci` (or `npm run build`) first\n');
    process.exit(1);
  }
  throw e;
}
/**
 * Writes a line to fd 1 or 2 with write(2) directly: creating process.stdout/stderr loads Node's
 * stream machinery (a few ms of a start-up measured in tens). A non-blocking descriptor that is
 * full (EAGAIN) falls back to the stream, which waits; a closed reader (EPIPE) ends the output.
 */
function lineWriter(fd, stream) {
  let viaStream = false;
  let closed = false;
  return (s) => {
    if (closed) return;
    const data = Buffer.from(s + '\n', 'utf8');
    let done = 0;
    while (!viaStream && done < data.length) {
      try {
        done += fs.writeSync(fd, data, done);
      } catch (e) {
        if (e && e.code === 'EAGAIN') viaStream = true;
        else if (e && e.code === 'EPIPE') {
          closed = true;
          return;
        } else throw e;
      }
    }
    if (done < data.length) stream().write(data.subarray(done));
  };
}

let code;
try {
  code = cli.main(process.argv.slice(2), {
    out: lineWriter(1, () => process.stdout),
    err: lineWriter(2, () => process.stderr),
    cwd: process.cwd(),
    // Colour only on a terminal, and never when NO_COLOR is set to a non-empty value (https://no-color.org).
    color: Boolean(process.stderr.isTTY) && !process.env.NO_COLOR,
  });
} catch (e) {
  process.stderr.write(`phoenix-compile: internal error: ${e && e.message ? e.message : String(e)}\n`);
  if (process.env.PHOENIX_COMPILE_DEBUG) process.stderr.write(String(e && e.stack) + '\n');
  process.stderr.write('This is a bug in phoenix-compile, not in your config; please report it.\n');
  code = 70;
}
process.exitCode = code;
