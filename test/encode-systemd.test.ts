/**
 * The systemd encoders (encode/systemd.ts), two ways:
 *
 *  - without systemd: the forms they write, and what they refuse (control characters, line breaks,
 *    NUL, unpaired surrogates, invalid variable names), each with an EncodeError that says why;
 *  - through the REAL systemd (PID 1 of an nspawn container): seeded fast-check values, 100 per
 *    unit, go into one unit as the arguments of ExecStart= (a recorder that writes its argv
 *    NUL-separated) and as Environment= lines; the unit is started (Type=oneshot) and what the
 *    process received is compared byte for byte with the values.
 *
 * `systemd-analyze verify` of the generated units is test/systemd-unit.test.ts's job.
 */
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { EncodeError } from '../encode/bash';
import { envAssignment, envName, execArg, execLine, unitPath, unitText } from '../encode/systemd';
import { compile } from '../compiler/compile';
import { Container } from './harness/container';
import { hostileString, printableString, SEED } from './lib/arbitraries';
import { realSystemdAvailable } from './lib/real-systemd';
import * as fs from 'fs';
import * as path from 'path';
import { repoRoot } from './lib/paths';

const SUITE = 'real-systemd encoder property suite';

/** Hand-picked values that systemd's unit parser treats specially, or that look like it might. */
export const HOSTILE: readonly string[] = [
  '%n',
  '%h',
  '%%',
  '%',
  '100%',
  '%%n',
  '%i%I%u%U%p%P%t%T%S%C%L%E%H%b%m%o%v%a%g%G%j%J%s%y%Y%f%d%q%w%W%l%M%A%B',
  '$VAR',
  '${VAR}',
  '$$',
  '$',
  '${',
  '$1',
  '$PATH',
  '${HOME}x',
  'a$',
  '$$$',
  '"',
  "'",
  '""',
  "''",
  '"a b"',
  "'a b'",
  '\\',
  '\\\\',
  'a\\',
  '\\n',
  '\\t',
  '\\x41',
  '\\u00e9',
  '\\"',
  "\\'",
  '\\;',
  ';',
  ' ; ',
  ';;',
  'a;',
  '-',
  '--',
  '-x',
  '--model=x',
  '@x',
  '+x',
  '!x',
  '!!x',
  ':x',
  '-@:+!x',
  '|',
  '&&',
  '`id`',
  '$(id)',
  '$(touch /tmp/pwned)',
  '#',
  '# comment',
  '; comment',
  '',
  ' ',
  '  ',
  ' leading',
  'trailing ',
  '\u00a0',
  'x=y',
  '=',
  'A=B=C',
  '[Service]',
  'ExecStart=/bin/false',
  'héllo wörld ✓ 😀',
  '\u0085',
  '\u2028',
  '\u2029',
  '\ufeff',
  '\u200b',
  '\u{10fffd}',
  '\ufdcf',
  '\ufdf0',
  '\ufffd',
  '\ud83d\ude00',
];

/**
 * Unicode noncharacters (U+FDD0-U+FDEF and the last two code points of every plane): systemd
 * refuses a unit line holding one ("String is not UTF-8 clean", and the unit does not load). The
 * encoders do not refuse them yet; the compiler does, for every string of the config (PHX013).
 */
const NONCHARACTERS = ['\ufdd0', '\ufdef', '\ufffe', '\uffff', '\u{1fffe}', '\u{10ffff}'];
const hasNoncharacter = (s: string) =>
  [...s].some((ch) => {
    const cp = ch.codePointAt(0)!;
    return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
  });
/** printableString and hostileString (test/lib/arbitraries.ts) without noncharacters. */
const unitPrintable = printableString.filter((s) => !hasNoncharacter(s));
const unitHostile = hostileString.filter((s) => !hasNoncharacter(s));

/** Control characters the unit format cannot hold (a unit is line based): C0 and DEL. */
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)), '\u007f'];

const isEncodeError = (why: RegExp) => (e: unknown) => e instanceof EncodeError && why.test((e as Error).message);

// ---------------------------------------------------------------------------------------------
// Without systemd

const unit = suite('systemd encoders (no systemd needed)');

unit('ExecStart= arguments: plain words bare, everything else quoted with \\ " % $ escaped', () => {
  assert.is(execArg('abc-1.2/x:y,z=w+v_'), 'abc-1.2/x:y,z=w+v_');
  assert.is(execArg(''), '""');
  assert.is(execArg(';'), '";"');
  assert.is(execArg('a b'), '"a b"');
  assert.is(execArg('100%'), '"100%%"');
  assert.is(execArg('$HOME ${X}'), '"$$HOME $${X}"');
  assert.is(execArg('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
  assert.is(execArg("it's"), `"it's"`);
  assert.is(execArg('-x'), '-x');
  assert.is(execLine(['/usr/bin/env', 'a b', '%n']), '/usr/bin/env "a b" "%%n"');
});

unit('Environment= assignments: quoted, \\ " % escaped, $ left alone (not special there)', () => {
  assert.is(envAssignment('A', ''), '"A="');
  assert.is(envAssignment('HF_HOME', '/data/hf $dir %n 100%'), '"HF_HOME=/data/hf $dir %%n 100%%"');
  assert.is(envAssignment('_x9', 'a\\b"c'), '"_x9=a\\\\b\\"c"');
  assert.is(envName('PYTHONPATH'), 'PYTHONPATH');
});

unit('ExecStart= arguments carry control characters as C escapes inside the quotes; NUL is refused', () => {
  assert.is(execArg('line1\nline2'), '"line1\\nline2"');
  assert.is(execArg('a\tb\rc'), '"a\\tb\\rc"');
  assert.is(execArg('\u0001\u001f\u007f'), '"\\x01\\x1f\\x7f"');
  assert.throws(() => execArg('nul\0'), isEncodeError(/contains a NUL character, which no command argument can hold/));
  assert.throws(() => execLine(['/bin/x\ny']), isEncodeError(/may not contain control characters/));
});

unit('Environment=, Description= and paths refuse every control character, with an EncodeError that says so', () => {
  for (const c of CONTROLS) {
    const v = `a${c}b`;
    const why = /cannot encode .* for a systemd unit: contains a control character \(such as a line break\), which a unit file cannot hold/;
    assert.throws(() => envAssignment('A', v), isEncodeError(why), `envAssignment ${JSON.stringify(v)}`);
    assert.throws(() => unitText(v), isEncodeError(why), `unitText ${JSON.stringify(v)}`);
    assert.throws(() => unitPath(`/x${c}`), isEncodeError(why), `unitPath ${JSON.stringify(v)}`);
  }
  // The message names the value, escaped, so the reader sees which one.
  assert.throws(
    () => envAssignment('A', 'nul\0'),
    (e: unknown) => e instanceof EncodeError && (e as Error).message.includes('"A=nul\\u0000"'),
  );
});

unit('refuses unpaired UTF-16 surrogates (not valid UTF-8); accepts proper pairs', () => {
  const why = /contains an unpaired UTF-16 surrogate \(not valid UTF-8\)/;
  for (const v of ['\ud800', '\udfff', 'a\udc00b', '\udc00\ud800', '\ud83d', 'x\ude00', '\ud83d\ude00\ud83d']) {
    assert.throws(() => execArg(v), isEncodeError(why), `execArg ${JSON.stringify(v)}`);
    assert.throws(() => envAssignment('A', v), isEncodeError(why), `envAssignment ${JSON.stringify(v)}`);
    assert.throws(() => unitText(v), isEncodeError(why), `unitText ${JSON.stringify(v)}`);
  }
  assert.is(execArg('\ud83d\ude00'), '"\ud83d\ude00"');
  assert.is(envAssignment('A', '\u{10fffd}'), '"A=\u{10fffd}"');
  // U+10FFFF is a noncharacter, which systemd refuses in a unit line.
  assert.throws(() => envAssignment('A', '\u{10ffff}'), isEncodeError(/noncharacter U\+10FFFF/));
});

unit('refuses invalid environment variable names, saying so', () => {
  const why = /is not a valid environment variable name/;
  for (const n of ['', '1A', 'A-B', 'A B', 'A=B', 'Ä', 'A.B', '$A', 'A\n', ' A', 'A%', '-A']) {
    assert.throws(() => envAssignment(n, 'v'), isEncodeError(why), `envAssignment name ${JSON.stringify(n)}`);
    assert.throws(() => envName(n), isEncodeError(why), `envName ${JSON.stringify(n)}`);
  }
});

unit('the executable must be an absolute path; an empty command line is refused', () => {
  assert.throws(() => execLine([]), isEncodeError(/an empty command line/));
  for (const v of ['python', 'bin/python', '', '-/bin/x', '@/bin/x', ' /bin/x']) {
    assert.throws(() => execLine([v]), isEncodeError(/the executable must be an absolute path/), JSON.stringify(v));
  }
});

unit('property: a control character anywhere is refused with the reason in Environment= and Description= (600 runs)', () => {
  const withControl = fc.tuple(printableString, fc.constantFrom(...CONTROLS), printableString).map(([a, c, b]) => a + c + b);
  fc.assert(
    fc.property(withControl, (v) => {
      for (const f of [() => envAssignment('V', v), () => unitText(v)]) {
        try {
          f();
          return false;
        } catch (e) {
          if (!(e instanceof EncodeError) || !/control character/.test(e.message)) return false;
        }
      }
      return true;
    }),
    { seed: SEED, numRuns: 600 },
  );
});

unit('property: an unpaired surrogate anywhere is refused with the reason (300 runs)', () => {
  const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  const withLone = fc
    .tuple(printableString, lone, printableString)
    .map(([a, c, b]) => a + c + b)
    .filter((v) => /[\ud800-\udfff]/.test(v.replace(/[\ud800-\udbff][\udc00-\udfff]/g, '')));
  fc.assert(
    fc.property(withLone, (v) => {
      try {
        execArg(v);
        return false;
      } catch (e) {
        return e instanceof EncodeError && /unpaired UTF-16 surrogate/.test(e.message);
      }
    }),
    { seed: SEED + 1, numRuns: 300 },
  );
});

unit('property: names outside [A-Za-z_][A-Za-z0-9_]* are refused, names inside accepted (600 runs)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12, unit: 'binary' }), (n) => {
      const valid = /^[A-Za-z_][A-Za-z0-9_]*$/.test(n);
      try {
        envAssignment(n, 'v');
        envName(n);
        return valid;
      } catch (e) {
        return !valid && e instanceof EncodeError && /is not a valid environment variable name/.test(e.message);
      }
    }),
    { seed: SEED + 2, numRuns: 600 },
  );
});

unit('property: every printable value is accepted, as one bare word or one quoted string (1000 runs)', () => {
  fc.assert(
    fc.property(fc.oneof(unitPrintable, unitHostile, fc.constantFrom(...HOSTILE)), (v) => {
      const a = execArg(v);
      const e = envAssignment('V', v);
      const oneWord = /^[A-Za-z0-9_+=:,./-]+$/.test(a) || /^"([^"\\%$]|\\[\\"]|%%|\$\$)*"$/u.test(a);
      return oneWord && /^"V=([^"\\%]|\\[\\"]|%%)*"$/u.test(e);
    }),
    { seed: SEED + 3, numRuns: 1000 },
  );
});

unit('the compiler refuses a Unicode noncharacter in any string, before it reaches a unit', () => {
  const text = fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');
  for (const nc of NONCHARACTERS) {
    const cfg = JSON.parse(text);
    cfg.lxc_configs['921'].vllm_engine_config.ModelConfig.model = `org/model${nc}`;
    cfg.lxc_configs['921'].vllm_service = { environment: { HF_HOME: `/data${nc}` } };
    const r = compile({
      file: 'input.json',
      text: JSON.stringify(cfg, null, 2),
      source: { file: 'input.json', regenerate: 'x' },
      compiler: { name: 'phoenix-compile', version: '0' },
    });
    assert.is(r.ok, false);
    const hex = 'U+' + nc.codePointAt(0)!.toString(16).toUpperCase();
    const msgs = r.diagnostics.map((d) => `${d.path}: ${d.message} [${d.code}]`);
    for (const p of ['$.lxc_configs.921.vllm_engine_config.ModelConfig.model', '$.lxc_configs.921.vllm_service.environment.HF_HOME']) {
      assert.ok(
        msgs.includes(`${p}: the string contains ${hex}, a Unicode noncharacter, which systemd refuses in unit files (the unit would not load) [PHX013]`),
        msgs.join('\n'),
      );
    }
  }
});

unit('executables the encoder would mis-write never reach a unit: the compiler refuses such a venv', () => {
  // systemd refuses an executable path holding quotes or backslashes ("Executable name contains
  // special characters") and does not apply $$ unescaping to the path it executes, so the venv
  // (whose bin/python is the unit's executable) may hold none of " ' \ $ % or white space.
  const text = fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');
  for (const venv of ['/opt/v"env', "/opt/v'env", '/opt/v\\env', '/opt/v$env', '/opt/v%nenv', '/opt/v env']) {
    const cfg = JSON.parse(text);
    cfg.lxc_configs['921'].vllm_install = { venv };
    const r = compile({
      file: 'input.json',
      text: JSON.stringify(cfg, null, 2),
      source: { file: 'input.json', regenerate: 'x' },
      compiler: { name: 'phoenix-compile', version: '0' },
    });
    assert.is(r.ok, false, venv);
    assert.ok(
      r.diagnostics.some((d) => d.code === 'PHX030' && d.path === '$.lxc_configs.921.vllm_install.venv'),
      `${venv}: ${r.diagnostics.map((d) => d.message).join('; ')}`,
    );
  }
});

unit.run();

// ---------------------------------------------------------------------------------------------
// Through the real systemd

/** The recorder: writes its argv and its environment, NUL-separated, to /run/rec/<argv[1]>.{argv,env}. */
const RECORDER = `#!/usr/bin/python3
import os, sys
tag = sys.argv[1]
with open("/run/rec/" + tag + ".argv.tmp", "wb") as f:
    f.write(b"".join(os.fsencode(a) + b"\\0" for a in sys.argv))
with open("/run/rec/" + tag + ".env.tmp", "wb") as f:
    f.write(b"".join(os.fsencode(k) + b"=" + os.fsencode(v) + b"\\0" for k, v in sorted(os.environ.items())))
os.rename("/run/rec/" + tag + ".argv.tmp", "/run/rec/" + tag + ".argv")
os.rename("/run/rec/" + tag + ".env.tmp", "/run/rec/" + tag + ".env")
`;
const REC = '/usr/local/bin/rec';
const PER_UNIT = 100;

/** Splits NUL-terminated records, keeping bytes. */
function records(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0) {
      out.push(b.subarray(start, i));
      start = i + 1;
    }
  }
  assert.is(start, b.length, 'the record ends with a NUL');
  return out;
}

function envMap(b: Buffer): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const r of records(b)) {
    const eq = r.indexOf(0x3d);
    m.set(r.subarray(0, eq).toString('utf8'), r.subarray(eq + 1));
  }
  return m;
}

function sameBytes(got: Buffer | undefined, want: string): boolean {
  return got !== undefined && got.equals(Buffer.from(want, 'utf8'));
}

if (realSystemdAvailable(SUITE)) {
  const real = suite('systemd encoders through the real systemd');
  let ct: Container;

  // Values: seeded samples of printable Unicode and of clustered metacharacters, plus the hand-picked set.
  const argValues = [...HOSTILE, ...fc.sample(unitPrintable, { seed: SEED + 10, numRuns: 400 }), ...fc.sample(unitHostile, { seed: SEED + 11, numRuns: 150 })];
  const envValues = [...HOSTILE, ...fc.sample(unitPrintable, { seed: SEED + 12, numRuns: 250 }), ...fc.sample(unitHostile, { seed: SEED + 13, numRuns: 100 })];
  const envSuffixes = fc.sample(fc.stringMatching(/^[A-Za-z0-9_]{0,6}$/), { seed: SEED + 14, numRuns: envValues.length });
  const envNames = envValues.map((_, i) => `P${i}_${envSuffixes[i]}`);
  const units = Math.ceil(Math.max(argValues.length, envValues.length) / PER_UNIT);

  real.before(async () => {
    ct = await Container.boot();
    ct.writeFile(REC, RECORDER, 0o755);
    ct.exec(['mkdir', '-p', '/run/rec'], { check: true });
  });
  real.after(async () => {
    await ct?.stop();
  });

  real(
    `${argValues.length} ExecStart= arguments and ${envValues.length} Environment= values arrive byte for byte (${units} units of up to ${PER_UNIT})`,
    () => {
      const names: string[] = [];
      for (let u = 0; u < units; u++) {
        const args = argValues.slice(u * PER_UNIT, (u + 1) * PER_UNIT);
        const lines = ['[Unit]', `Description=${unitText(`encoder batch ${u} %n $X`)}`, '', '[Service]', 'Type=oneshot'];
        for (let i = u * PER_UNIT; i < Math.min((u + 1) * PER_UNIT, envValues.length); i++)
          lines.push(`Environment=${envAssignment(envNames[i], envValues[i])}`);
        // A manager-side variable with the name the values mention: the unit must not expand it.
        lines.push(`Environment=${envAssignment('VAR', 'expanded!')}`, `Environment=${envAssignment('X', 'expanded!')}`);
        lines.push(`ExecStart=${execLine([REC, `b${u}`, ...args])}`, '');
        const name = `phx-enc-${u}.service`;
        ct.writeFile(`/etc/systemd/system/${name}`, lines.join('\n'));
        names.push(name);
      }
      ct.exec(['systemctl', 'daemon-reload'], { check: true });
      ct.exec(['systemctl', 'start', ...names], { check: true });
      const problems: string[] = [];
      for (let u = 0; u < units; u++) {
        const args = argValues.slice(u * PER_UNIT, (u + 1) * PER_UNIT);
        const argv = records(ct.readFile(`/run/rec/b${u}.argv`));
        if (argv.length !== args.length + 2) problems.push(`unit ${u}: ${argv.length - 2} arguments arrived, ${args.length} were written`);
        args.forEach((v, i) => {
          if (!sameBytes(argv[i + 2], v)) problems.push(`argument ${JSON.stringify(v)} arrived as ${JSON.stringify(argv[i + 2]?.toString('utf8'))}`);
        });
        const env = envMap(ct.readFile(`/run/rec/b${u}.env`));
        for (let i = u * PER_UNIT; i < Math.min((u + 1) * PER_UNIT, envValues.length); i++) {
          if (!sameBytes(env.get(envNames[i]), envValues[i]))
            problems.push(`${envNames[i]}=${JSON.stringify(envValues[i])} arrived as ${JSON.stringify(env.get(envNames[i])?.toString('utf8'))}`);
        }
      }
      assert.equal(problems, []);
      // The journal has no complaint about these units (an ignored line would be one).
      const journal = ct.exec(['journalctl', '--no-pager', '-o', 'cat', ...names.flatMap((n) => ['-u', n])]).stdout;
      assert.not.match(journal, /ignoring|Invalid|Failed|bad unit/i, journal);
    },
  );

  real('a quoted "\\n" escape in ExecStart= arrives as a line feed; every other control character but NUL arrives as itself', () => {
    const controls = CONTROLS.filter((c) => c !== '\u0000');
    const values = [...controls, ...controls.map((c) => `pre${c}post`), 'line1\nline2', '{"a":\n 1}\n', '\r\n', ' \t ', '\\n', '%\n$'];
    // One argument written by hand, exactly as the question is asked: "line\nfeed" inside quotes.
    const lines = [
      '[Service]',
      'Type=oneshot',
      `ExecStart=${REC} ctl0 "line\\nfeed" "tab\\there" "x\\x01y"`,
      `ExecStart=${execLine([REC, 'ctl1', ...values])}`,
      '',
    ];
    ct.writeFile('/etc/systemd/system/phx-ctl.service', lines.join('\n'));
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    ct.exec(['systemctl', 'start', 'phx-ctl.service'], { check: true });
    const byHand = records(ct.readFile('/run/rec/ctl0.argv'))
      .slice(2)
      .map((b) => b.toString('utf8'));
    assert.equal(byHand, ['line\nfeed', 'tab\there', 'x\u0001y']);
    const got = records(ct.readFile('/run/rec/ctl1.argv')).slice(2);
    const problems: string[] = [];
    if (got.length !== values.length) problems.push(`${got.length} arguments arrived, ${values.length} were written`);
    values.forEach((v, i) => {
      if (!sameBytes(got[i], v)) problems.push(`${JSON.stringify(v)} arrived as ${JSON.stringify(got[i]?.toString('utf8'))}`);
    });
    assert.equal(problems, []);
    const verify = ct.exec(['systemd-analyze', 'verify', '/etc/systemd/system/phx-ctl.service']);
    assert.is(verify.stderr.replace(/.*(Failed to prepare filename|not executable|No such file).*\n?/g, ''), '', verify.stderr);
  });

  real('executable paths with spaces, %, ;, unicode and the like run the right file', () => {
    const segment = (s: string) => s.replace(/[/"'\\$]/g, '');
    const generated = fc.sample(
      unitPrintable.map(segment).filter((s) => s !== '' && s !== '.' && s !== '..'),
      { seed: SEED + 20, numRuns: 40 },
    );
    const picked = ['a b', '%n', '100%', ';', 'x;y', '-x', '@x', '+!:', '`id`', '#', 'ünï ✓ 😀', '\u00a0', '\u2028', '(x)', '{y}', '*', '?', '~'];
    const paths = [...picked, ...generated].map((s, i) => `/opt/exe${i}/${s}/rec`);
    // Create every path (NUL-separated on stdin), then one oneshot unit with one ExecStart= per path.
    ct.exec(
      [
        'python3',
        '-c',
        'import os, shutil, sys\nfor p in sys.stdin.buffer.read().split(b"\\0")[:-1]:\n    os.makedirs(os.path.dirname(p), exist_ok=True); shutil.copy("/usr/local/bin/rec", p)',
      ],
      { input: Buffer.from(paths.map((p) => p + '\0').join(''), 'utf8'), check: true },
    );
    const lines = ['[Service]', 'Type=oneshot', ...paths.map((p, i) => `ExecStart=${execLine([p, `e${i}`])}`), ''];
    ct.writeFile('/etc/systemd/system/phx-exe.service', lines.join('\n'));
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
    ct.exec(['systemctl', 'start', 'phx-exe.service'], { check: true });
    const problems: string[] = [];
    paths.forEach((p, i) => {
      // For a script, the kernel passes the path it executed as the interpreter's argv[1]: sys.argv[0].
      const got = records(ct.readFile(`/run/rec/e${i}.argv`))[0];
      if (!sameBytes(got, p)) problems.push(`${JSON.stringify(p)} ran as ${JSON.stringify(got?.toString('utf8'))}`);
    });
    assert.equal(problems, []);
  });

  real('systemd refuses a unit line holding a Unicode noncharacter (why the compiler refuses them)', () => {
    const problems: string[] = [];
    NONCHARACTERS.forEach((nc, i) => {
      for (const [kind, line] of [
        // Written by hand: the encoders refuse noncharacters (asserted below).
        ['ExecStart=', `ExecStart=${REC} n${i} "a${nc}"`],
        ['Environment=', `Environment="A=${nc}"\nExecStart=${REC} n${i}`],
      ]) {
        const file = `/etc/systemd/system/phx-nc-${i}-${kind === 'ExecStart=' ? 'x' : 'e'}.service`;
        ct.writeFile(file, `[Service]\nType=oneshot\n${line}\n`);
        const r = ct.exec(['systemd-analyze', 'verify', file]);
        if (!/String is not UTF-8 clean, ignoring assignment/.test(r.stderr) || r.status === 0)
          problems.push(`${kind} with U+${nc.codePointAt(0)!.toString(16)}: ${JSON.stringify(r.stderr)} (exit ${r.status})`);
      }
    });
    assert.equal(problems, []);
    for (const nc of NONCHARACTERS) {
      assert.throws(() => execArg(`a${nc}`), isEncodeError(/noncharacter/));
      assert.throws(() => envAssignment('A', nc), isEncodeError(/noncharacter/));
    }
  });

  real.run();
}
