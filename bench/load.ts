/**
 * The load stage on its own: how long `loadConfig` takes on a config file, what it keeps, and the
 * process's peak, in one line of JSON. Run it under `--expose-gc` (the retained figure is the heap
 * in use after a full collection, minus the same before the load):
 *
 *   node --expose-gc dist/bench/load.js fleet.json [--lookups]
 *
 * --lookups also asks, for every CTID, the key position of its `name` and the value position of
 * its `network_config.ip` (what a fleet with a warning per CTID asks), and times that.
 *
 * Output fields: loadMs and lookupsMs (milliseconds), retainedMB (MiB of heap still held, the value
 * and whatever positions were built), maxRssMB (the process's peak resident set, MiB, Node's own
 * included).
 */
import * as fs from 'fs';
import { loadConfig } from '../compiler/load';

function main(): void {
  const [file, flag] = process.argv.slice(2);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!file || !gc) throw new Error('usage: node --expose-gc dist/bench/load.js <config.json> [--lookups]');
  const text = fs.readFileSync(file, 'utf8');
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const r = loadConfig(file, text);
  const t1 = process.hrtime.bigint();
  if (!r.ok) throw new Error(`${file} does not load: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  let lookupsMs = 0;
  if (flag === '--lookups') {
    const configs = (r.config.value as { lxc_configs?: Record<string, unknown> }).lxc_configs ?? {};
    const l0 = process.hrtime.bigint();
    for (const id of Object.keys(configs)) {
      r.config.keyPos.get(`/lxc_configs/${id}/name`);
      r.config.valuePos.get(`/lxc_configs/${id}/network_config/ip`);
    }
    lookupsMs = Number(process.hrtime.bigint() - l0) / 1e6;
  }
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;
  process.stdout.write(
    `${JSON.stringify({
      file,
      loadMs: Math.round(Number(t1 - t0) / 1e5) / 10,
      lookupsMs: Math.round(lookupsMs * 10) / 10,
      retainedMB: mb(retained),
      maxRssMB: mb(process.resourceUsage().maxRSS * 1024),
      // Keeps the loaded config alive until the heap is measured.
      kind: typeof r.config.value,
    })}\n`,
  );
}

main();
