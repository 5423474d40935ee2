/**
 * Shared gate for suites that need a real systemd (test/harness/container.ts): where containers
 * cannot run, the suite prints a loud SKIPPED line; under CI=true a skip is a failure.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerSupport } from '../harness/container';

export function realSystemdAvailable(suite: string): boolean {
  const support = containerSupport();
  if (support.ok) return true;
  const line = `SKIPPED ${suite}: ${support.reason}`;
  console.log(`\n${'!'.repeat(line.length)}\n${line}\n${'!'.repeat(line.length)}\n`);
  test(`${suite} can run (required when CI=true)`, () => {
    if (process.env.CI === 'true') assert.unreachable(`CI=true but ${line}`);
  });
  test.run();
  return false;
}

/**
 * A stand-in for the venv's python: started by the generated unit in place of vLLM, it records
 * its argv and environment NUL-separated (exact bytes), then stays up like a server.
 */
export const RECORDING_PYTHON = `#!/usr/bin/python3
import os, sys, time
tag = os.environ.get("INVOCATION_ID", "x")
with open("/run/vllm-record.argv.tmp", "wb") as f:
    f.write(b"\\0".join(os.fsencode(a) for a in sys.argv) + b"\\0")
with open("/run/vllm-record.env.tmp", "wb") as f:
    f.write(b"\\0".join(os.fsencode(k) + b"=" + os.fsencode(v) for k, v in sorted(os.environ.items())) + b"\\0")
os.rename("/run/vllm-record.argv.tmp", "/run/vllm-record.argv")
os.rename("/run/vllm-record.env.tmp", "/run/vllm-record.env")
while True:
    time.sleep(3600)
`;

export function splitNul(b: Buffer): string[] {
  const parts = b.toString('utf8').split('\0');
  parts.pop();
  return parts;
}
