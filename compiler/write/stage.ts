/**
 * The staging folder's file system operations (compiler/write/output.ts builds the new set with
 * them): make a folder, write a new file, hard-link an unchanged one. Done on the main thread for
 * a small set; for a large one, a worker thread does them while the main thread goes on emitting,
 * so the compile's CPU and the file system's work overlap instead of adding up (bench/RESULTS.md).
 *
 * The worker is fed in batches, at most MAX_IN_FLIGHT operations ahead (memory stays bounded when
 * the disk is slower than the emitters), and `drain` waits until it has done everything; the first
 * error it meets is thrown by the next `write`, `link`, `mkdir` or `drain` on the main thread.
 */
import fs = require('fs');
import type { Worker } from 'worker_threads';

/**
 * Operations on absolute paths. write: one open (exclusive create), the writes, one close. mkdir
 * with a mode: that exact mode (a folder carried over from the old set).
 */
export interface StagingOps {
  mkdir(dir: string, mode?: number): void;
  write(file: string, bytes: Uint8Array, mode: number): void;
  link(src: string, dst: string): void;
}

/**
 * The operations over `files` (the fs module), self-contained: no outer name is used, since the
 * worker runs this function's text.
 * The mode given to open is filtered by the umask while the manifest promises the exact mode: the
 * first file of each mode is fstat-ed, and an fchmod follows only when the umask stripped a bit.
 */
export function stagingOps(files: typeof fs): StagingOps {
  const needsChmod = new Map<number, boolean>();
  return {
    mkdir(dir, mode) {
      files.mkdirSync(dir);
      if (mode !== undefined) files.chmodSync(dir, mode);
    },
    write(file, bytes, mode) {
      const fd = files.openSync(file, 'wx', mode);
      try {
        let n = 0;
        while (n < bytes.length) n += files.writeSync(fd, bytes, n, bytes.length - n);
        let chmod = needsChmod.get(mode);
        if (chmod === undefined) {
          chmod = (files.fstatSync(fd).mode & 0o777) !== mode;
          needsChmod.set(mode, chmod);
        }
        if (chmod) files.fchmodSync(fd, mode);
      } finally {
        files.closeSync(fd);
      }
    },
    link(src, dst) {
      try {
        files.linkSync(src, dst);
      } catch {
        // A file system without hard links: a copy with the same mode.
        files.copyFileSync(src, dst);
        files.chmodSync(dst, files.statSync(src).mode & 0o777);
      }
    },
  };
}

/** A stager: the operations, plus `drain` (everything done; throws the first error) and `close`. */
export interface Stager extends StagingOps {
  drain(): void;
  close(): void;
}

/** Files written on the main thread before a worker is worth starting (it takes some 20 ms to boot). */
const THREAD_AFTER = 256;
const BATCH = 64;
const MAX_IN_FLIGHT = 2048;
const ERROR_BYTES = 4096;

type Op = ['mkdir', string, number | undefined] | ['write', string, Uint8Array, number] | ['link', string, string];

/** The worker's program: applies batches of operations in order, counts them, records the first error. */
function workerMain(): void {
  const { parentPort, workerData } = require('worker_threads') as typeof import('worker_threads');
  const ops = ((0, eval)(`(${workerData.ops as string})`) as typeof stagingOps)(require('fs') as typeof import('fs'));
  const state = new Int32Array(workerData.state as SharedArrayBuffer);
  const error = new Uint8Array(workerData.error as SharedArrayBuffer);
  let failed = false;
  parentPort!.on('message', (batch: Op[]) => {
    for (const op of batch) {
      if (!failed) {
        try {
          if (op[0] === 'mkdir') ops.mkdir(op[1], op[2]);
          else if (op[0] === 'write') ops.write(op[1], op[2], op[3]);
          else ops.link(op[1], op[2]);
        } catch (e) {
          failed = true;
          const err = e as NodeJS.ErrnoException;
          const text = Buffer.from(JSON.stringify({ message: String(err && err.message), code: err && err.code }));
          error.set(text.subarray(0, error.length));
          Atomics.store(state, 1, Math.min(text.length, error.length));
        }
      }
      Atomics.add(state, 0, 1);
    }
    Atomics.notify(state, 0);
  });
}

/** The stager for one staging run: main thread first, a worker once the set proves large. */
export function openStager(): Stager {
  const local = stagingOps(fs);
  let worker: Worker | undefined;
  let state: Int32Array | undefined;
  let errorBuf: Uint8Array | undefined;
  let posted = 0;
  let written = 0;
  let batch: Op[] = [];
  let transfer: ArrayBuffer[] = [];

  const rethrow = () => {
    const n = state ? Atomics.load(state, 1) : 0;
    if (n === 0) return;
    const { message, code } = JSON.parse(Buffer.from(errorBuf!.subarray(0, n)).toString('utf8')) as { message: string; code?: string };
    const e = new Error(message) as NodeJS.ErrnoException;
    if (code) e.code = code;
    throw e;
  };
  const waitUntil = (maxInFlight: number) => {
    for (;;) {
      const done = Atomics.load(state!, 0);
      if (posted - done <= maxInFlight) return;
      Atomics.wait(state!, 0, done, 1000);
    }
  };
  const flush = () => {
    if (!worker || batch.length === 0) return;
    worker.postMessage(batch, transfer);
    posted += batch.length;
    batch = [];
    transfer = [];
    waitUntil(MAX_IN_FLIGHT);
    rethrow();
  };
  const start = () => {
    const shared = new SharedArrayBuffer(8);
    const err = new SharedArrayBuffer(ERROR_BYTES);
    state = new Int32Array(shared);
    errorBuf = new Uint8Array(err);
    // Loaded here, not at start-up: worker_threads costs some 1.6 ms to load, a small compile never needs it.
    const { Worker: WorkerThread } = require('worker_threads') as typeof import('worker_threads');
    worker = new WorkerThread(`(${workerMain.toString()})()`, { eval: true, workerData: { ops: stagingOps.toString(), state: shared, error: err } });
    worker.unref();
  };
  const queue = (op: Op) => {
    batch.push(op);
    if (batch.length >= BATCH) flush();
  };

  return {
    mkdir(dir, mode) {
      if (worker) queue(['mkdir', dir, mode]);
      else local.mkdir(dir, mode);
    },
    write(file, bytes, mode) {
      if (!worker && ++written > THREAD_AFTER) start();
      if (!worker) return local.write(file, bytes, mode);
      // The bytes move to the worker (no copy) when the buffer is theirs alone.
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
      const ab = own ? (bytes.buffer as ArrayBuffer) : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      transfer.push(ab as ArrayBuffer);
      queue(['write', file, new Uint8Array(ab as ArrayBuffer), mode]);
    },
    link(src, dst) {
      if (worker) queue(['link', src, dst]);
      else local.link(src, dst);
    },
    drain() {
      if (!worker) return;
      flush();
      waitUntil(0);
      rethrow();
    },
    close() {
      // Never throws (it runs on the way out of errors too): posts what is queued, waits for the
      // worker to be done with the staging folder, and stops it.
      if (!worker) return;
      if (batch.length) worker.postMessage(batch, transfer);
      posted += batch.length;
      batch = [];
      waitUntil(0);
      void worker.terminate();
      worker = undefined;
    },
  };
}
