// Giving the CPU away from a spin loop. Node 20 has no Atomics.pause, and a
// spinner that never yields can burn a whole time slice while the thread it
// waits for sits preempted on the same CPU (4 spinners on 2 CPUs collapsed an
// MP/MC ring to <1 M/s in a prototype, DESIGN.md). So every spin is bounded:
// after SPIN_LIMIT failed polls, sched_yield() hands the CPU to a runnable
// thread on it (returning at once if there is none, when spinning is right);
// after YIELDS_BEFORE_SLEEP such rounds, a short real sleep.
import { cpuYield } from '../native';

/** Polls a waiter makes before it yields; ~1 µs of Atomics.load polling. */
export const SPIN_LIMIT = 256;

/** Yield rounds before falling back to a timed sleep. */
export const YIELDS_BEFORE_SLEEP = 8;

/** Sleep, in milliseconds, once yielding has not helped (50 µs). */
export const RELAX_MS = 0.05;

// Private cell nobody ever notifies: waiting on it is a pure timed sleep.
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps the calling thread for about `ms` milliseconds (fractions allowed). */
export function relax(ms: number = RELAX_MS): void {
  // Observes nothing and pairs with no notify: value 0 never changes, so this
  // always times out; it exists only to block in the kernel for `ms`.
  Atomics.wait(cell, 0, 0, ms);
}

/**
 * Call after each failed poll with the count of consecutive failures (from 1).
 * Costs nothing until SPIN_LIMIT, then yields, then sleeps.
 */
export function backoff(failures: number): void {
  if ((failures & (SPIN_LIMIT - 1)) !== 0) return;
  if (failures < SPIN_LIMIT * YIELDS_BEFORE_SLEEP) cpuYield();
  else relax();
}
