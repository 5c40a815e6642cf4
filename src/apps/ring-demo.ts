// Core demo (no kernel): a producer lcore allocates mbufs, stamps a sequence
// number into each frame and enqueues them to a ring; a consumer lcore
// dequeues, checks the sequence and frees them. Shows mempool + ring + lcores
// moving real buffers between pinned threads.
import { LcoreContext, stopped } from '../eal/app';
import { Mempool } from '../mempool/mempool';
import { Ring } from '../ring/ring';

export interface RingDemoConfig {
  pool: SharedArrayBuffer;
  ring: SharedArrayBuffer;
  /** Float64 counters, one 64-byte line per lcore index: see DEMO_* below. */
  stats: SharedArrayBuffer;
  burst: number;
}

export const DEMO_LINE = 8;     // Float64 words per lcore (64 bytes)
export const DEMO_OBJS = 0;     // objects produced / consumed
export const DEMO_FULL = 1;     // producer: enqueue refused, mbufs freed (ring full)
export const DEMO_NOMBUF = 2;   // producer: pool empty
export const DEMO_BADSEQ = 3;   // consumer: a sequence number not above the previous one (reorder/dup)
export const DEMO_STAMPED = 4;  // producer: sequence numbers handed out

export function producer(ctx: LcoreContext<RingDemoConfig>): number {
  const { burst } = ctx.config;
  const mp = Mempool.attach(ctx.config.pool, ctx.lcoreId);
  const ring = Ring.attach(ctx.config.ring);
  const st = new Float64Array(ctx.config.stats, ctx.index * DEMO_LINE * 8, DEMO_LINE);
  const bufs = new Uint32Array(burst);
  const data = mp.data;
  let seq = 0;
  while (!stopped(ctx)) {
    if (mp.getBulk(bufs, burst) === 0) { st[DEMO_NOMBUF]++; continue; }
    for (let i = 0; i < burst; i++) {
      const m = bufs[i];
      const off = mp.mtod(m);
      data[off] = seq & 0xff; // first byte of the frame, checked by the consumer
      mp.setUser(m, seq);
      mp.setDataLen(m, 64);
      seq++;
    }
    st[DEMO_STAMPED] = seq;
    const sent = ring.enqueueBurst(bufs, burst);
    if (sent < burst) {
      // Drop what does not fit rather than wait: a busy-poll loop never blocks.
      mp.putBulkFrom(bufs, sent, burst - sent);
      st[DEMO_FULL] += burst - sent;
    }
    st[DEMO_OBJS] += sent;
  }
  mp.flushCache();
  return seq;
}

export function consumer(ctx: LcoreContext<RingDemoConfig>): number {
  const { burst } = ctx.config;
  const mp = Mempool.attach(ctx.config.pool, ctx.lcoreId);
  const ring = Ring.attach(ctx.config.ring);
  const st = new Float64Array(ctx.config.stats, ctx.index * DEMO_LINE * 8, DEMO_LINE);
  const bufs = new Uint32Array(burst);
  const data = mp.data;
  let expect = 0;
  // Drain after stop too, so every mbuf is back in the pool when we return.
  for (;;) {
    const n = ring.dequeueBurst(bufs, burst);
    if (n === 0) { if (stopped(ctx) && ring.count() === 0) break; continue; }
    for (let i = 0; i < n; i++) {
      const m = bufs[i];
      const seq = mp.user(m);
      // Gaps are the producer's counted ring-full drops; going backwards is a bug.
      if (seq < expect || data[mp.mtod(m)] !== (seq & 0xff)) st[DEMO_BADSEQ]++;
      expect = seq + 1;
    }
    mp.putBulk(bufs, n);
    st[DEMO_OBJS] += n;
  }
  mp.flushCache();
  return expect;
}
