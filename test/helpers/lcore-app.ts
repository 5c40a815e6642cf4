// lcore apps for the EAL tests.
import { LcoreContext, stopped } from '../../src/eal/app';
import { currentCpu } from '../../src/native';

/** Samples sched_getcpu while spinning; returns the distinct CPUs seen. */
export function whereAmI(_ctx: LcoreContext): number[] {
  const seen = new Set<number>();
  const end = Date.now() + 200;
  while (Date.now() < end) seen.add(currentCpu());
  return [...seen];
}

/** Spins until told to stop; returns its iteration count. */
export function spinner(ctx: LcoreContext): number {
  let n = 0;
  while (!stopped(ctx)) n++;
  return n;
}

/** Throws after spinning a little. */
export function thrower(ctx: LcoreContext<{ afterMs: number }>): never {
  const end = Date.now() + ctx.config.afterMs;
  while (Date.now() < end) { /* busy */ }
  throw new Error(`boom on lcore ${ctx.lcoreId}`);
}

/** Never looks at the stop flag: an lcore whose stop hangs (for forced-exit tests). */
export function stubborn(ctx: LcoreContext<{ counters: SharedArrayBuffer }>): never {
  const c = new Float64Array(ctx.config.counters);
  for (;;) c[0]++;
}
