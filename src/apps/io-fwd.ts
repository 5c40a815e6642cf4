// io forwarding (testpmd's "io" mode): each stream moves bursts from one
// port's rx queue to another port's tx queue unchanged. Unsent mbufs are
// freed and counted, never retried: a busy-poll loop drops rather than waits.
import * as v8 from 'node:v8';
import { LcoreContext, stopped } from '../eal/app';
import { Mempool } from '../mempool/mempool';
import { attachPort } from '../port/registry';
import type { Port, PortHandle } from '../port/types';

export interface IoFwdConfig {
  pool: SharedArrayBuffer;
  ports: PortHandle[];
  /** Streams per lcore index: [rxPort, rxQueue, txPort, txQueue] (port = index into `ports`). */
  streams: [number, number, number, number][][];
  burst: number;
  /** Float64 per lcore index, one 64-byte line each: [forwarded, txDropped]. */
  counters: SharedArrayBuffer;
  /** Count garbage collections during the loop (benchmarks). */
  profileGc?: boolean;
}

export const FWD_LINE = 8;
export const FWD_PACKETS = 0;
export const FWD_TX_DROPPED = 1;

export function ioFwd(ctx: LcoreContext<IoFwdConfig>): { forwarded: number; txDropped: number; gcs: number } {
  const c = ctx.config;
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const ports: Port[] = c.ports.map((h) => attachPort(h, mp));
  const streams = c.streams[ctx.index] ?? [];
  const ns = streams.length;
  const rxP = streams.map((s) => ports[s[0]]);
  const rxQ = Int32Array.from(streams.map((s) => s[1]));
  const txP = streams.map((s) => ports[s[2]]);
  const txQ = Int32Array.from(streams.map((s) => s[3]));
  const cnt = new Float64Array(c.counters, ctx.index * FWD_LINE * 8, FWD_LINE);
  const burst = c.burst;
  const bufs = new Uint32Array(burst);
  const prof = c.profileGc ? new v8.GCProfiler() : undefined;
  prof?.start();
  while (!stopped(ctx)) {
    for (let s = 0; s < ns; s++) {
      const n = rxP[s].rxBurst(rxQ[s], bufs, burst);
      if (n === 0) continue;
      const sent = txP[s].txBurst(txQ[s], bufs, n);
      if (sent < n) {
        mp.putBulkFrom(bufs, sent, n - sent);
        cnt[FWD_TX_DROPPED] += n - sent;
      }
      cnt[FWD_PACKETS] += sent;
    }
  }
  const gcs = prof ? prof.stop().statistics.length : 0;
  for (const p of ports) p.close();
  mp.flushCache();
  return { forwarded: cnt[FWD_PACKETS], txDropped: cnt[FWD_TX_DROPPED], gcs };
}
