// lcore app for `npm run bench -- udp`: two net_udp ports joined back to
// back (each one's remote is the other), frames injected once (l2fwd's
// --tx-first) and then forwarded rx -> tx between them until stopped.
import * as v8 from 'node:v8';
import { LcoreContext, stopped } from '../src/eal/app';
import { Mempool } from '../src/mempool/mempool';
import { attachPort } from '../src/port/registry';
import type { Port, PortHandle } from '../src/port/types';

export interface UdpLoopConfig {
  pool: SharedArrayBuffer;
  ports: [PortHandle, PortHandle];
  /** Frame size in bytes and frames injected per direction. */
  size: number;
  inflight: number;
  burst: number;
  /** Int32 word 0: the main thread sets it to 1 to start the timed loop. */
  go: SharedArrayBuffer;
}

export interface UdpLoopResult { frames: number; seconds: number; gcs: number }

function inject(pool: Mempool, port: Port, size: number, n: number, burst: number): void {
  const m = new Uint32Array(burst);
  for (let left = n; left > 0;) {
    const k = left < burst ? left : burst;
    if (pool.allocBulk(m, k) === 0) return;
    for (let i = 0; i < k; i++) {
      pool.setDataLen(m[i], size);
      const off = pool.mtod(m[i]);
      pool.data.fill(0xff, off, off + 6); // broadcast
      pool.data[off + 12] = 0x88;
      pool.data[off + 13] = 0xb5;
    }
    const sent = port.txBurst(0, m, k);
    if (sent < k) pool.putBulkFrom(m, sent, k - sent);
    left -= k;
  }
}

/** Forwards a -> b and b -> a; returns frames forwarded during the timed part. */
export function udpLoop(ctx: LcoreContext<UdpLoopConfig>): UdpLoopResult {
  const c = ctx.config;
  const pool = Mempool.attach(c.pool, ctx.lcoreId);
  const a = attachPort(c.ports[0], pool);
  const b = attachPort(c.ports[1], pool);
  inject(pool, a, c.size, c.inflight, c.burst);
  inject(pool, b, c.size, c.inflight, c.burst);
  const go = new Int32Array(c.go);
  // Observes the start signal; pairs with the Atomics.store + notify in udp.bench.ts.
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0, 10);
  const m = new Uint32Array(c.burst);
  const burst = c.burst;
  const prof = new v8.GCProfiler();
  prof.start();
  const t0 = process.hrtime.bigint();
  let frames = 0;
  while (!stopped(ctx)) {
    let k = a.rxBurst(0, m, burst);
    if (k > 0) {
      const s = b.txBurst(0, m, k);
      if (s < k) pool.putBulkFrom(m, s, k - s); // tx full: drop, as l2fwd does
      frames += s;
    }
    k = b.rxBurst(0, m, burst);
    if (k > 0) {
      const s = a.txBurst(0, m, k);
      if (s < k) pool.putBulkFrom(m, s, k - s);
      frames += s;
    }
  }
  const t1 = process.hrtime.bigint();
  const gcs = prof.stop().statistics.length;
  // Drain what is still in flight so the pool is whole again.
  for (let idle = 0; idle < 1000; idle++) {
    for (const p of [a, b]) {
      const k = p.rxBurst(0, m, burst);
      if (k > 0) { pool.putBulk(m, k); idle = 0; }
    }
  }
  a.close();
  b.close();
  pool.flushCache();
  return { frames, seconds: Number(t1 - t0) / 1e9, gcs };
}
