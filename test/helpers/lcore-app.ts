// lcore apps for the EAL tests.
import { LcoreContext, stopped } from '../../src/eal/app';
import { currentCpu, monoUs } from '../../src/native';
import { Idler } from '../../src/eal/idler';
import type { PollConfig } from '../../src/eal/poll-mode';
import { Ring } from '../../src/ring/ring';

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

/**
 * Consumes a ring through an Idler: word 0 of `out` gets the monoUs time of
 * the first dequeue, word 1 the values dequeued; the stats line follows at word 8.
 */
export function ringSleeper(ctx: LcoreContext<{ ring: SharedArrayBuffer; out: SharedArrayBuffer; poll: PollConfig }>): void {
  const ring = Ring.attach(ctx.config.ring);
  const out = new Float64Array(ctx.config.out);
  const idler = new Idler(ctx, ctx.config.poll, [{ ring }], out, 8);
  const buf = new Uint32Array(32);
  while (!stopped(ctx)) {
    const n = ring.dequeueBurst(buf, 32);
    if (n > 0 && out[0] === 0) out[0] = monoUs();
    out[1] += n;
    idler.poll(n);
  }
  idler.close();
}
