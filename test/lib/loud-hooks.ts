/**
 * Preloaded by `npm test` (tools/test.ts runs uvu with `node -r`): uvu runs a suite's before and
 * after hooks inside a `finally` that returns, so an error thrown there vanishes and the suite
 * only shows fewer passes. This wraps every hook registration so the error and its stack are
 * printed before uvu swallows it, and marks the run failed.
 */
import uvu = require('uvu');

type Hook = (fn: (state: unknown) => unknown) => void;
type Registrar = Hook & { each: Hook };

function loud(test: Record<string, unknown>, label: string): void {
  for (const kind of ['before', 'after'] as const) {
    const register = test[kind] as Registrar;
    const wrapped = ((fn: (state: unknown) => unknown) =>
      register(async (state) => {
        try {
          await fn(state);
        } catch (e) {
          process.stderr.write(`\nFAILED: the ${kind} hook of ${label} threw:\n${(e as Error)?.stack ?? String(e)}\n`);
          process.exitCode = 1;
          throw e;
        }
      })) as Registrar;
    wrapped.each = register.each;
    test[kind] = wrapped;
  }
}

loud(uvu.test as unknown as Record<string, unknown>, 'the default suite');
const makeSuite = uvu.suite;
(uvu as { suite: typeof uvu.suite }).suite = ((name?: string, state?: unknown) => {
  const s = makeSuite(name, state as never);
  loud(s as unknown as Record<string, unknown>, `suite ${JSON.stringify(name ?? '')}`);
  return s;
}) as typeof uvu.suite;
