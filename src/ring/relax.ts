// Giving the CPU away from a spin loop. Node 20 has no Atomics.pause, and a
// spinner that never sleeps can burn a whole time slice while the thread it
// waits for sits preempted on the same CPU (4 spinners on 2 CPUs collapsed an
// MP/MC ring to <1 M/s in a prototype). Atomics.wait with a short timeout is a
// real futex sleep, so the scheduler runs someone else.

/** Spins a waiter makes before it sleeps; ~1 µs of Atomics.load polling. */
export const SPIN_LIMIT = 256;

/** Sleep, in milliseconds, once SPIN_LIMIT is reached (50 µs). */
export const RELAX_MS = 0.05;

// Private cell nobody ever notifies: waiting on it is a pure timed sleep.
const cell = new Int32Array(new SharedArrayBuffer(4));

/** Sleeps the calling thread for about `ms` milliseconds (fractions allowed). */
export function relax(ms: number = RELAX_MS): void {
  // Observes nothing and pairs with no notify: value 0 never changes, so this
  // always times out; it exists only to block in the kernel for `ms`.
  Atomics.wait(cell, 0, 0, ms);
}
