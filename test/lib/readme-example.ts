/**
 * The README's "Reviewing a change" example, computed: the plan's fallback (FlashInfer sampler off,
 * FlashInfer v0.3.0) applied to the bundled example, and the exact `phoenix-compile diff` it prints.
 * test/readme.test.ts keeps the README equal to it; `npm run golden:update` rewrites it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runCli } from './cli';
import { repoRoot, tmpDir } from './paths';

export const FALLBACK_CHANGE = `"921": {
  ...
  "vllm_service": { "flashinfer_sampler": false },
  "vllm_install": { "flashinfer_tag": "v0.3.0" }
}`;

export function fallbackDiff(): string {
  const w = tmpDir('readme');
  try {
    const text = fs.readFileSync(path.join(repoRoot(), 'fixtures', 'phoenix_lxc_configs.json'), 'utf8');
    const cfg = JSON.parse(text);
    cfg.lxc_configs['921'].vllm_service = { flashinfer_sampler: false };
    cfg.lxc_configs['921'].vllm_install = { flashinfer_tag: 'v0.3.0' };
    fs.mkdirSync(path.join(w, 'before'));
    fs.mkdirSync(path.join(w, 'after'));
    fs.writeFileSync(path.join(w, 'before', 'phoenix_lxc_configs.json'), text);
    fs.writeFileSync(path.join(w, 'after', 'phoenix_lxc_configs.json'), JSON.stringify(cfg, null, 2) + '\n');
    const r = runCli(['diff', 'before/phoenix_lxc_configs.json', 'after/phoenix_lxc_configs.json'], w);
    if (r.code !== 2) throw new Error(`expected a difference: ${r.stderr}`);
    return r.stdout;
  } finally {
    fs.rmSync(w, { recursive: true, force: true });
  }
}

const BEGIN = '<!-- BEGIN EXAMPLE fallback-diff -->';
const END = '<!-- END EXAMPLE fallback-diff -->';

export function readmeSection(readme: string): string | undefined {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  return a < 0 || b < a ? undefined : readme.slice(a + BEGIN.length, b);
}

export function renderSection(diff: string): string {
  return `\n\`\`\`diff\n$ phoenix-compile diff before/phoenix_lxc_configs.json after/phoenix_lxc_configs.json\n${diff}\`\`\`\n`;
}

export function withSection(readme: string, diff: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  return readme.slice(0, a + BEGIN.length) + renderSection(diff) + readme.slice(b);
}
