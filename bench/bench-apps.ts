// lcore apps for the micro benchmarks. Each waits for the shared GO word, runs
// its loop until stop, and reports its own count, elapsed time and the number
// of garbage collections during the timed loop (v8.GCProfiler, per isolate).
import * as v8 from 'node:v8';
import { LcoreContext, stopped } from '../src/eal/app';
import { Mempool } from '../src/mempool/mempool';
import { Ring } from '../src/ring/ring';
import { backoff } from '../src/ring/relax';

export interface MicroConfig {
  ring?: SharedArrayBuffer;
  pool?: SharedArrayBuffer;
  burst: number;
  /** Int32 word 0: the main thread sets it to 1 to start every lcore at once. */
  go: SharedArrayBuffer;
}

export interface MicroResult {
  objs: number;
  seconds: number;
  gcs: number;
}

function waitGo(go: Int32Array): void {
  // Observes the start signal; pairs with the Atomics.store + notify in bench/micro.ts.
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0, 10);
}

function timed(ctx: LcoreContext<MicroConfig>, loop: () => number): MicroResult {
  waitGo(new Int32Array(ctx.config.go));
  const prof = new v8.GCProfiler();
  prof.start();
  const t0 = process.hrtime.bigint();
  const objs = loop();
  const t1 = process.hrtime.bigint();
  const gcs = prof.stop().statistics.length;
  return { objs, seconds: Number(t1 - t0) / 1e9, gcs };
}

/** Enqueues bursts of `burst` until stopped; backs off only after SPIN_LIMIT failures in a row. */
export function ringProducer(ctx: LcoreContext<MicroConfig>): MicroResult {
  const ring = Ring.attach(ctx.config.ring!);
  const burst = ctx.config.burst;
  const objs = new Uint32Array(burst);
  for (let i = 0; i < burst; i++) objs[i] = i;
  return timed(ctx, () => {
    let n = 0;
    let spins = 0;
    while (!stopped(ctx)) {
      const r = ring.enqueueBulk(objs, burst);
      if (r === 0) { backoff(++spins); continue; }
      spins = 0;
      n += r;
    }
    return n;
  });
}

export function ringConsumer(ctx: LcoreContext<MicroConfig>): MicroResult {
  const ring = Ring.attach(ctx.config.ring!);
  const burst = ctx.config.burst;
  const out = new Uint32Array(burst);
  return timed(ctx, () => {
    let n = 0;
    let spins = 0;
    while (!stopped(ctx)) {
      const r = ring.dequeueBulk(out, burst);
      if (r === 0) { backoff(++spins); continue; }
      spins = 0;
      n += r;
    }
    return n;
  });
}

/** getBulk + putBulk of `burst` mbufs through this lcore's cache; counts objects cycled. */
export function poolCycle(ctx: LcoreContext<MicroConfig>): MicroResult {
  const mp = Mempool.attach(ctx.config.pool!, ctx.lcoreId);
  const burst = ctx.config.burst;
  const objs = new Uint32Array(burst);
  const r = timed(ctx, () => {
    let n = 0;
    while (!stopped(ctx)) {
      if (mp.getBulk(objs, burst) === 0) continue;
      mp.putBulk(objs, burst);
      n += burst;
    }
    return n;
  });
  mp.flushCache();
  return r;
}
