// Tests of the real-systemd harness (test/harness/container.ts). Skipped, loudly, where containers
// cannot run (not root, no systemd-nspawn/debootstrap); with CI=true a skip is a failure.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'fs';
import { Container, containerSupport, isAlive, repoRoot } from './container';

const support = containerSupport();

if (!support.ok) {
  const line = `SKIPPED real-systemd harness: ${support.reason}`;
  console.log(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
  test('real-systemd harness is supported (required when CI=true)', () => {
    if (process.env.CI === 'true') assert.unreachable(`CI=true but ${line}`);
  });
} else {
  test('repoRoot finds the repository', () => {
    const root = repoRoot();
    assert.ok(fs.existsSync(`${root}/package.json`));
    assert.ok(fs.existsSync(`${root}/test/harness/rootfs.sh`));
  });

  test('boots systemd, manager environment reaches a unit, verify is clean, stop leaves nothing', async () => {
    const t0 = Date.now();
    const ct = await Container.boot();
    const bootMs = Date.now() - t0;
    console.log(`  [harness] boot of ${ct.name} (incl. rootfs ensure) took ${bootMs} ms; state ${ct.bootState}`);
    const nspawnPid = ct.nspawnPid;
    const leader = ct.pid;
    try {
      assert.ok(leader > 0);
      assert.is(fs.readFileSync(`/proc/${leader}/comm`, 'utf8').trim(), 'systemd');

      const state = ct.exec(['systemctl', 'is-system-running']).stdout.trim();
      assert.ok(state === 'running' || state === 'degraded', `state ${state}`);
      const failed = ct.exec(['systemctl', '--failed', '--no-legend', '--plain']).stdout.trim();
      assert.is(failed, '', `failed units: ${failed}`);

      // exec: no shell, exact argv, clean environment, stdin, status
      const echo = ct.exec(['printf', '%s|', 'a b', '$HOME', "'q'"]);
      assert.equal(echo, { status: 0, stdout: "a b|$HOME|'q'|", stderr: '' });
      assert.is(ct.exec(['cat'], { input: 'from stdin' }).stdout, 'from stdin');
      assert.is(ct.exec(['sh', '-c', 'exit 7']).status, 7);
      assert.throws(() => ct.exec(['false'], { check: true }), /exited 1/);
      const env = ct
        .exec(['env'], { env: { ZED: 'z z' } })
        .stdout.split('\n')
        .filter((l) => l !== '')
        .sort();
      assert.equal(env, ['HOME=/root', 'LANG=C.UTF-8', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'ZED=z z']);
      assert.is(ct.exec(['hostname']).stdout.trim(), ct.name);

      // files, seen from inside, from the host through rootDir, and back
      ct.writeFile('/opt/x/y/hello.sh', '#!/bin/sh\necho "hi $1"\n', 0o755);
      assert.is(ct.exec(['/opt/x/y/hello.sh', 'there']).stdout, 'hi there\n');
      assert.is(ct.exec(['stat', '-c', '%a', '/opt/x/y/hello.sh']).stdout.trim(), '755');
      assert.is(fs.readFileSync(`${ct.rootDir}/opt/x/y/hello.sh`, 'utf8'), '#!/bin/sh\necho "hi $1"\n');
      const bin = Buffer.from([0, 1, 2, 255, 10, 13]);
      ct.writeFile('/tmp/bin', bin);
      assert.ok(ct.readFile('/tmp/bin').equals(bin));
      assert.throws(() => ct.readFile('/nonexistent'), /No such file/);

      // the manager-environment pollution trick: set-environment leaks into a unit that does not set FOO
      ct.exec(['systemctl', 'set-environment', 'FOO=bar'], { check: true });
      const unit = ['[Unit]', 'Description=harness probe', '', '[Service]', 'Type=oneshot', "ExecStart=/bin/sh -c 'env > /tmp/env'", ''].join('\n');
      ct.writeFile('/etc/systemd/system/probe.service', unit);
      ct.exec(['systemctl', 'daemon-reload'], { check: true });
      ct.exec(['systemctl', 'start', 'probe.service'], { check: true });
      const unitEnv = ct.readFile('/tmp/env').toString().split('\n');
      assert.ok(unitEnv.includes('FOO=bar'), `FOO=bar not in the unit's environment:\n${unitEnv.join('\n')}`);

      const verify = ct.exec(['systemd-analyze', 'verify', '/etc/systemd/system/probe.service']);
      assert.is(verify.stdout + verify.stderr, '', 'systemd-analyze verify printed something');
      assert.is(verify.status, 0);
      // and verify does complain about a broken unit (so the empty output above means something)
      ct.writeFile('/etc/systemd/system/broken.service', '[Service]\nExecStart=/nonexistent/bin\nBogus=1\n');
      const bad = ct.exec(['systemd-analyze', 'verify', '/etc/systemd/system/broken.service']);
      assert.ok(bad.stdout + bad.stderr !== '', 'verify of a broken unit printed nothing');

      // python3 is there for stand-ins
      assert.is(ct.exec(['python3', '-c', 'import sys, http.server; print(sys.version_info[0])']).stdout.trim(), '3');
    } finally {
      const s0 = Date.now();
      await ct.stop();
      console.log(`  [harness] stop took ${Date.now() - s0} ms`);
    }
    assert.not.ok(isAlive(nspawnPid), 'systemd-nspawn still alive');
    assert.not.ok(isAlive(leader), 'container PID 1 still alive');
    assert.not.ok(fs.existsSync(`/run/systemd/nspawn/propagate/${ct.name}`), 'propagate dir left over');
    assert.throws(() => ct.exec(['true']), /not running/);
    // --volatile=overlay: nothing the container wrote reached the cached root
    assert.not.ok(fs.existsSync(`${ct.imageDir}/etc/systemd/system/probe.service`), 'cached root was modified');
    assert.not.ok(fs.existsSync(`${ct.imageDir}/opt/x`), 'cached root was modified');
  });

  test('two containers at once are independent', async () => {
    const t0 = Date.now();
    const [a, b] = await Promise.all([Container.boot(), Container.boot()]);
    console.log(`  [harness] two concurrent boots took ${Date.now() - t0} ms`);
    try {
      assert.is.not(a.pid, b.pid);
      for (const ct of [a, b]) {
        const st = ct.exec(['systemctl', 'is-system-running']).stdout.trim();
        assert.ok(st === 'running' || st === 'degraded', st);
      }
      a.writeFile('/tmp/who', 'a');
      assert.is(b.exec(['test', '-e', '/tmp/who']).status, 1, "b sees a's file");
      // separate cgroup trees: stopping a service in one leaves the other's running
      for (const ct of [a, b]) {
        ct.writeFile('/etc/systemd/system/sleeper.service', '[Service]\nExecStart=/bin/sleep infinity\n');
        ct.exec(['systemctl', 'daemon-reload'], { check: true });
        ct.exec(['systemctl', 'start', 'sleeper.service'], { check: true });
      }
      a.exec(['systemctl', 'stop', 'sleeper.service'], { check: true });
      assert.is(b.exec(['systemctl', 'is-active', 'sleeper.service']).stdout.trim(), 'active');
      assert.is(b.exec(['systemctl', 'show', '-P', 'MainPID', 'sleeper.service']).stdout.trim() !== '0', true);
      assert.is(a.exec(['systemctl', 'is-active', 'sleeper.service']).stdout.trim(), 'inactive');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    for (const ct of [a, b]) {
      assert.not.ok(isAlive(ct.nspawnPid));
      assert.not.ok(isAlive(ct.pid));
    }
  });
}

test.run();
