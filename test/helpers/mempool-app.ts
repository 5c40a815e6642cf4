// lcore apps for the mempool conservation test: one lcore allocates mbufs
// through its cache and hands them over an SP/SC ring; the other frees them
// through its own cache. A per-mbuf "owned" mark catches an mbuf handed out twice.
import { LcoreContext, stopped } from '../../src/eal/app';
import { Mempool } from '../../src/mempool/mempool';
import { Ring } from '../../src/ring/ring';
import { backoff } from '../../src/ring/relax';

export interface PoolStressConfig {
  pool: SharedArrayBuffer;
  ring: SharedArrayBuffer;
  total: number;
}

const SIZES = [32, 1, 17, 64, 8, 3, 32, 128];

export function allocator(ctx: LcoreContext<PoolStressConfig>): { allocated: number; doubleAlloc: number; emptyPolls: number } {
  const mp = Mempool.attach(ctx.config.pool, ctx.lcoreId);
  const ring = Ring.attach(ctx.config.ring);
  const bufs = new Uint32Array(128);
  let allocated = 0;
  let doubleAlloc = 0;
  let emptyPolls = 0;
  let spins = 0;
  let it = 0;
  while (allocated < ctx.config.total && !stopped(ctx)) {
    let n = SIZES[it++ % SIZES.length];
    if (n > ctx.config.total - allocated) n = ctx.config.total - allocated;
    if (mp.getBulk(bufs, n) === 0) {
      emptyPolls++;
      backoff(++spins);
      continue;
    }
    for (let i = 0; i < n; i++) {
      if (mp.user(bufs[i]) !== 0) doubleAlloc++;
      mp.setUser(bufs[i], 1);
    }
    let sent = 0;
    while (sent < n) {
      const r = ring.enqueueFrom(bufs, sent, n - sent, false);
      sent += r;
      if (r === 0) backoff(++spins); else spins = 0;
    }
    allocated += n;
  }
  mp.flushCache();
  return { allocated, doubleAlloc, emptyPolls };
}

export function freer(ctx: LcoreContext<PoolStressConfig>): { freed: number } {
  const mp = Mempool.attach(ctx.config.pool, ctx.lcoreId);
  const ring = Ring.attach(ctx.config.ring);
  const bufs = new Uint32Array(64);
  let freed = 0;
  let spins = 0;
  let it = 0;
  while (freed < ctx.config.total && !stopped(ctx)) {
    const n = ring.dequeueBurst(bufs, SIZES[it++ % SIZES.length] & 63 || 64);
    if (n === 0) {
      backoff(++spins);
      continue;
    }
    for (let i = 0; i < n; i++) mp.setUser(bufs[i], 0);
    mp.putBulk(bufs, n);
    freed += n;
  }
  mp.flushCache();
  return { freed };
}
