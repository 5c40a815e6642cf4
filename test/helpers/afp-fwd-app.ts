// lcore app for the net_af_packet tests: forwards port A <-> port B (queue 0
// each) on ports opened by the main thread, attached here by handle, until
// stopped. Unsent mbufs are freed (counted), as l2fwd does.
import { LcoreContext, stopped } from '../../src/eal/app';
import { Mempool } from '../../src/mempool/mempool';
import { attachPort } from '../../src/port/registry';
import type { Port, PortHandle } from '../../src/port/types';
import { backoff } from '../../src/ring/relax';

export interface FwdConfig { a: PortHandle; b: PortHandle; pool: SharedArrayBuffer; burst: number }
export interface FwdResult { ab: number; ba: number; dropped: number }

function pass(from: Port, to: Port, mp: Mempool, buf: Uint32Array, burst: number, res: FwdResult, ab: boolean): number {
  const n = from.rxBurst(0, buf, burst);
  if (n === 0) return 0;
  const sent = to.txBurst(0, buf, n);
  if (sent < n) {
    mp.putBulkFrom(buf, sent, n - sent);
    res.dropped += n - sent;
  }
  if (ab) res.ab += sent;
  else res.ba += sent;
  return n;
}

export function forward(ctx: LcoreContext<FwdConfig>): FwdResult {
  const { burst } = ctx.config;
  const mp = Mempool.attach(ctx.config.pool, ctx.lcoreId);
  const a = attachPort(ctx.config.a, mp);
  const b = attachPort(ctx.config.b, mp);
  const bufA = new Uint32Array(burst);
  const bufB = new Uint32Array(burst);
  const res: FwdResult = { ab: 0, ba: 0, dropped: 0 };
  let idle = 0;
  while (!stopped(ctx)) {
    const n = pass(a, b, mp, bufA, burst, res, true) + pass(b, a, mp, bufB, burst, res, false);
    // Give the CPU away when idle: the traffic sources share these 2 CPUs.
    if (n === 0) backoff(++idle);
    else idle = 0;
  }
  a.close();
  b.close();
  mp.flushCache();
  return res;
}
