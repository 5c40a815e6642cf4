// lcore app for the net_af_packet benchmark: rx on one port, tx on the other,
// busy-polling (the lcore has its CPU to itself), freeing what tx did not
// take as l2fwd does. Counts forwarded frames and garbage collections during
// the loop; ports are opened by the main thread and attached here by handle.
import * as v8 from 'node:v8';
import { LcoreContext, stopped } from '../src/eal/app';
import { Mempool } from '../src/mempool/mempool';
import { attachPort } from '../src/port/registry';
import type { PortHandle } from '../src/port/types';

export interface AfpFwdConfig { rx: PortHandle; tx: PortHandle; pool: SharedArrayBuffer; burst: number }
export interface AfpFwdResult { frames: number; dropped: number; polls: number; gcs: number }

export function afpForward(ctx: LcoreContext<AfpFwdConfig>): AfpFwdResult {
  const { burst } = ctx.config;
  const mp = Mempool.attach(ctx.config.pool, ctx.lcoreId);
  const rx = attachPort(ctx.config.rx, mp);
  const tx = attachPort(ctx.config.tx, mp);
  const buf = new Uint32Array(burst);
  let frames = 0;
  let dropped = 0;
  let polls = 0;
  const prof = new v8.GCProfiler();
  prof.start();
  while (!stopped(ctx)) {
    polls++;
    const n = rx.rxBurst(0, buf, burst);
    if (n === 0) continue;
    const sent = tx.txBurst(0, buf, n);
    // Drop rather than wait: a full tx ring means the far side is slower.
    if (sent < n) {
      mp.putBulkFrom(buf, sent, n - sent);
      dropped += n - sent;
    }
    frames += sent;
  }
  const gcs = prof.stop().statistics.length;
  rx.close();
  tx.close();
  mp.flushCache();
  return { frames, dropped, polls, gcs };
}
