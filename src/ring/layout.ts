// Shared-memory layout of a Ring. All offsets are 32-bit word indices into the
// ring's region. Each of the four indices sits alone on its own 64-byte line so
// producers and consumers never false-share (rte_ring_core.h does the same).
//
// Wrap-around: heads and tails are free-running uint32 counters. A slot is
// `index & MASK`; distances are `(a - b) >>> 0`, which stays correct across the
// 2^32 wrap because capacity <= 2^31.

export const RING_MAGIC = 0x52494e47; // "RING"

export const RING_MAGIC_W = 0;
export const RING_CAPACITY = 1; // power of two; all `capacity` slots are usable
export const RING_MASK = 2;
export const RING_FLAGS = 3;
// Doorbell (--poll-mode interrupt): a consumer about to sleep publishes its
// eventfd, then sets SLEEPING; a producer that sees SLEEPING after publishing
// slots clears it and writes the eventfd. Both words live on the read-mostly
// first line: producers read SLEEPING on every enqueue, it is written only
// when a consumer goes to sleep or wakes.
export const RING_CONS_SLEEPING = 4; // 1: the consumer sleeps until the doorbell rings
export const RING_CONS_WAKE_FD = 5;  // the sleeping consumer's eventfd

export const RING_PROD_HEAD = 16; // byte 64: next slot a producer will claim
export const RING_PROD_TAIL = 32; // byte 128: slots below are visible to consumers
export const RING_CONS_HEAD = 48; // byte 192: next slot a consumer will claim
export const RING_CONS_TAIL = 64; // byte 256: slots below are free for producers

export const RING_HEADER_BYTES = 320;
export const RING_SLOTS_W = RING_HEADER_BYTES / 4;

/** Producer side is single-threaded: no compare-and-swap on the head. */
export const RING_F_SP_ENQ = 0x1;
/** Consumer side is single-threaded: no compare-and-swap on the head. */
export const RING_F_SC_DEQ = 0x2;

export const RING_MAX_CAPACITY = 0x40000000; // 2^30: keeps bytes < 2^32

/** Bytes a ring of `capacity` slots occupies (header + slots). */
export function ringBytesFor(capacity: number): number {
  return RING_HEADER_BYTES + capacity * 4;
}

export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}
