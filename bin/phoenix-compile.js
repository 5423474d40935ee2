#!/usr/bin/env node
'use strict';
// Entry point: runs the precompiled CLI (dist/, built by `npm run build` / `npm ci`).
const path = require('path');
const fs = require('fs');
let cli;
try {
  cli = require('../dist/cli/main.js');
} catch (e) {
  // Only a missing build is "not built yet"; any other missing module is a broken install (the message names it).
  if (e && e.code === 'MODULE_NOT_FOUND' && !fs.existsSync(path.join(__dirname, '..', 'dist', 'cli', 'main.js'))) {
    process.stderr.write('phoenix-compile: not built yet; run `npm ci` (or `npm run build`) first\n');
    process.exit(1);
  }
  throw e;
}
let code;
try {
  code = cli.main(process.argv.slice(2), {
    out: (s) => process.stdout.write(s + '\n'),
    err: (s) => process.stderr.write(s + '\n'),
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
