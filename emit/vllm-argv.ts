/**
 * out/<ctid>/vllm.argv.json: the vLLM server's full command line, interpreter first, one JSON
 * string per argv item. A plain JSON array (no header: JSON has no comments; the manifest marks it
 * generated), so tests and tools can read the exact argv.
 */
import type { ContainerEmitter } from './artifact';

export const emitVllmArgv: ContainerEmitter = (c) =>
  c.vllm
    ? [
        {
          kind: 'vllm.argv.json',
          path: `${c.ctid}/vllm.argv.json`,
          mode: 0o644,
          content: '[\n' + c.vllm.argv.map((a) => '  ' + JSON.stringify(a)).join(',\n') + '\n]\n',
        },
      ]
    : [];
