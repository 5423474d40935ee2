/**
 * Keeps a large compile's memory near what it holds live. The streaming compile lets each
 * container's plan and files go once they are written (compiler/compile.ts emitFiles), but V8
 * collects its old generation only when it reaches a limit set from the live size at its previous
 * full collection, up to four times that size (V8's heap growing factor,
 * v8/src/heap/heap-controller.cc), so the garbage of thousands of containers would pile up first:
 * a 10,000-CTID compile reached 514 MB where 210 MB were live (bench/RESULTS.md).
 *
 * `heapKeeper(slack)`: `tick` as files pass (every 1,000 calls it reads the heap's used size,
 * v8.getHeapStatistics, cheap, and runs a full collection when the heap has grown by more than
 * `slack` bytes since the last one), `settle` when the compile let much go at once (the effective
 * configurations, once every container is planned). A compile of a hundred CTIDs never pays for
 * one. V8's gc function is reached the way Jest reaches it for
 * --logHeapUsage (v8.setFlagsFromString('--expose-gc'), then vm.runInNewContext('gc')); where that
 * does not work, the keeper does nothing and V8 collects on its own schedule.
 */

export function heapKeeper(slack: number): { tick(): void; settle(): void } {
  // v8 and vm are loaded on first use (v8 costs some 1.5 ms to load; a small compile never needs it).
  let v8: typeof import('v8') | undefined;
  let gc: (() => void) | undefined;
  let calls = 0;
  let base: number | undefined;
  const used = () => (v8 ??= require('v8') as typeof import('v8')).getHeapStatistics().used_heap_size;
  const collect = () => {
    if (gc === undefined) {
      used();
      v8!.setFlagsFromString('--expose-gc');
      const found = (require('vm') as typeof import('vm')).runInNewContext('gc') as unknown;
      gc = typeof found === 'function' ? (found as () => void) : () => undefined;
    }
    gc();
    base = used();
  };
  return {
    /** Call as each file passes: collects when the heap grew by more than `slack` since the first check or the last collection (checked every 1,000 calls). */
    tick() {
      if (++calls % 1000 !== 0) return;
      if (base === undefined) base = used();
      else if (used() - base > slack) collect();
    },
    /** Call when much was let go at once: collects when the compile was large (past 5,000 files). */
    settle() {
      if (calls >= 5000) collect();
    },
  };
}
