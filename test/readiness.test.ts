/**
 * The unit's readiness check (ExecStartPost=, compiler/plan/vllm.ts READY_SCRIPT) against the real
 * systemd (PID 1 of an nspawn container), with the stand-in server of
 * test/harness/standins/ct-standin.py in place of vLLM: like vLLM 0.10.2 it binds its port at
 * once but listens only after "loading the model" (PHX_STANDIN_LOAD_SECONDS), so /health is
 * refused meanwhile.
 *
 * Asserted, with the generated unit byte for byte (plus a test drop-in for the stand-in's
 * switches): while the model loads the unit is "activating" (start-post) and `systemctl start`
 * blocks; it becomes "active" exactly when /health answers. vLLM exiting while loading fails the
 * start within seconds (not at the deadline) with the check's own message; a server that never
 * answers fails at the check's deadline (TimeoutStartSec= minus 15 s) with its message, before
 * systemd's own timeout would kill it (Result=exit-code, not timeout).
 */
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Container } from './harness/container';
import { realSystemdAvailable } from './lib/real-systemd';
import { installStandins, setInstalled } from './lib/fake-host';
import { repoRoot, tmpDir } from './lib/paths';
import { runCli } from './lib/cli';

const SUITE = 'real-systemd readiness suite';
const UNIT = 'vllm_model_server.service';
const TEST_DROPIN = `/etc/systemd/system/${UNIT}.d/90-test.conf`;

if (realSystemdAvailable(SUITE)) {
  let ct: Container;
  const prop = (name: string): string => ct.exec(['systemctl', 'show', '-p', name, '--value', UNIT], { check: true }).stdout.trim();
  const journal = (): string => ct.exec(['journalctl', '-u', UNIT, '--no-pager', '-o', 'cat']).stdout;
  const useUnit = (unit: string, env: Record<string, string>): void => {
    ct.exec(['sh', '-c', `systemctl stop ${UNIT}; systemctl reset-failed ${UNIT}; journalctl --rotate; journalctl --vacuum-time=1s`]);
    ct.writeFile(`/etc/systemd/system/${UNIT}`, unit);
    ct.writeFile(
      TEST_DROPIN,
      `[Service]\n${Object.entries(env)
        .map(([k, v]) => `Environment="${k}=${v}"\n`)
        .join('')}`,
    );
    ct.exec(['systemctl', 'daemon-reload'], { check: true });
  };
  const exampleUnit = (): string => fs.readFileSync(path.join(repoRoot(), 'out', '921', UNIT), 'utf8');

  test.before(async () => {
    ct = await Container.boot();
    installStandins(ct);
    setInstalled(ct);
    // the example declares HF_TOKEN: its unit reads the container's secrets file (EnvironmentFile=)
    ct.writeFile('/etc/vllm/secrets.env', 'HF_TOKEN=hf_readinessTestNotARealToken\n', 0o600);
  });
  test.after(async () => {
    await ct?.stop();
  });

  test('the unit is activating while vLLM loads, and active exactly when /health answers', () => {
    useUnit(exampleUnit(), { PHX_STANDIN_LOAD_SECONDS: '4' });
    const t0 = Date.now();
    ct.exec(['systemctl', 'start', '--no-block', UNIT], { check: true });
    ct.exec(['sleep', '1.5']);
    assert.is(prop('ActiveState'), 'activating');
    assert.is(prop('SubState'), 'start-post');
    assert.is(ct.exec(['systemctl', 'is-active', UNIT]).status, 3, 'is-active fails while loading');
    assert.is(ct.exec(['curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8000/health']).status, 7, 'refused while loading');
    while (prop('ActiveState') === 'activating' && Date.now() - t0 < 30000) ct.exec(['sleep', '0.2']);
    assert.is(prop('ActiveState'), 'active');
    assert.ok(Date.now() - t0 >= 4000, 'not active before the model was loaded');
    assert.is(ct.exec(['curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8000/health']).status, 0);
    assert.match(journal(), /vLLM answers on http:\/\/127\.0\.0\.1:8000\/health/);

    // A blocking restart returns once vLLM answers again.
    const t1 = Date.now();
    const r = ct.exec(['systemctl', 'restart', UNIT]);
    assert.is(r.status, 0, r.stderr);
    assert.ok(Date.now() - t1 >= 4000, 'restart returned before the model was loaded');
    assert.is(prop('ActiveState'), 'active');
    assert.is(ct.exec(['curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8000/health']).status, 0);
  });

  test('vLLM exits while loading: the start fails within seconds, with the check saying so', () => {
    useUnit(exampleUnit(), { PHX_STANDIN_LOAD_SECONDS: '1', PHX_STANDIN_CRASH: '1' });
    const t0 = Date.now();
    const r = ct.exec(['systemctl', 'start', UNIT]);
    const took = Date.now() - t0;
    assert.is(r.status, 1);
    assert.match(r.stderr, /Job for vllm_model_server\.service failed because the control process exited with error code/);
    assert.ok(took < 15000, `took ${took} ms (the check's deadline is 1785 s)`);
    assert.is(prop('Result'), 'exit-code');
    assert.match(journal(), /vLLM exited before it answered on http:\/\/127\.0\.0\.1:8000\/health/);
    ct.exec(['systemctl', 'stop', UNIT]);
  });

  test('vLLM never answers: the check gives up at its own deadline, before TimeoutStartSec=', () => {
    const cfg = JSON.parse(fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8'));
    cfg.lxc_configs['921'].vllm_service = { start_timeout_sec: 60 };
    const work = tmpDir('readiness');
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify(cfg, null, 2));
    const c = runCli(['--config', 'config.json', '--out', 'out', '--only', '921'], work);
    assert.is(c.code, 0, c.stderr);
    const unit = fs.readFileSync(path.join(work, 'out', '921', UNIT), 'utf8');
    assert.match(unit, /^TimeoutStartSec=60$/m);
    assert.match(unit, / vllm-ready http:\/\/127\.0\.0\.1:8000\/health 45$/m);
    useUnit(unit, { PHX_STANDIN_LOAD_SECONDS: '1', PHX_STANDIN_NO_LISTEN: '1' });
    const t0 = Date.now();
    const r = ct.exec(['systemctl', 'start', UNIT], { timeoutMs: 120000 });
    const took = Date.now() - t0;
    assert.is(r.status, 1);
    // 45 s at least (its clock is /proc/uptime, not whole wall-clock seconds), well before 60
    assert.ok(took >= 45000 && took < 58000, `took ${took} ms`);
    assert.is(prop('Result'), 'exit-code', 'the check failed the start, not systemd timing it out');
    assert.match(journal(), /vLLM did not answer on http:\/\/127\.0\.0\.1:8000\/health within 45 seconds/);
    assert.not.match(journal(), /start-post operation timed out/);
    ct.exec(['systemctl', 'stop', UNIT]);
  });

  test.run();
}
