// lcore apps for the ring stress test: producers enqueue the disjoint value
// sets {p, p+P, p+2P, ...} in bursts of mixed sizes; consumers dequeue, mark
// each value in a shared bitmap (catching duplicates) and sum/xor what they saw.
import { LcoreContext, stopped } from '../../src/eal/app';
import { Ring } from '../../src/ring/ring';
import { backoff } from '../../src/ring/relax';

export interface StressConfig {
  ring: SharedArrayBuffer;
  bitmap: SharedArrayBuffer; // one bit per value
  consumed: SharedArrayBuffer; // Int32 word 0: values consumed so far, all consumers
  producers: number;
  perProducer: number;
  total: number;
}

const PROD_SIZES = [1, 7, 32, 3, 64, 16, 5, 33, 2, 8];
const CONS_SIZES = [2, 32, 9, 64, 1, 17, 8, 31];

export function producer(ctx: LcoreContext<StressConfig>): { sent: number; retries: number } {
  const c = ctx.config;
  const ring = Ring.attach(c.ring);
  const p = ctx.index;
  const buf = new Uint32Array(64);
  let k = 0;
  let it = 0;
  let spins = 0;
  let retries = 0;
  while (k < c.perProducer && !stopped(ctx)) {
    let n = PROD_SIZES[it % PROD_SIZES.length];
    if (n > c.perProducer - k) n = c.perProducer - k;
    for (let i = 0; i < n; i++) buf[i] = p + c.producers * (k + i);
    const bulk = (it & 1) === 0;
    it++;
    let done = 0;
    while (done < n && !stopped(ctx)) {
      // Bulk first, then bursts for the remainder: both paths get traffic.
      const r = bulk && done === 0 ? ring.enqueueBulk(buf, n) : ring.enqueueFrom(buf, done, n - done, false);
      if (r === 0) {
        retries++;
        backoff(++spins);
      } else {
        spins = 0;
        done += r;
      }
    }
    k += done;
  }
  return { sent: k, retries };
}

export function consumer(ctx: LcoreContext<StressConfig>): { count: number; sum: number; xor: number; dups: number; outOfRange: number } {
  const c = ctx.config;
  const ring = Ring.attach(c.ring);
  const bitmap = new Int32Array(c.bitmap);
  const consumed = new Int32Array(c.consumed);
  const out = new Uint32Array(64);
  let count = 0;
  let sum = 0;
  let xor = 0;
  let dups = 0;
  let outOfRange = 0;
  let it = 0;
  let spins = 0;
  // Observes every consumer's progress; pairs with the Atomics.add below.
  while (Atomics.load(consumed, 0) < c.total && !stopped(ctx)) {
    const want = CONS_SIZES[it % CONS_SIZES.length];
    const n = (it & 1) === 0 ? ring.dequeueBulk(out, want) : ring.dequeueBurst(out, want);
    it++;
    if (n === 0) {
      backoff(++spins);
      continue;
    }
    spins = 0;
    for (let i = 0; i < n; i++) {
      const v = out[i];
      if (v >= c.total) { outOfRange++; continue; }
      // Sets the value's bit and observes whether it was set before; pairs with
      // the same Atomics.or in the other consumer.
      const old = Atomics.or(bitmap, v >>> 5, 1 << (v & 31));
      if ((old & (1 << (v & 31))) !== 0) dups++;
      sum += v;
      xor ^= v;
    }
    count += n;
    // Publishes progress for the loop condition of every consumer.
    Atomics.add(consumed, 0, n);
  }
  return { count, sum, xor, dups, outOfRange };
}
