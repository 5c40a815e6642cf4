// Pipeline mode: rx lcores pull bursts, rewrite MACs and enqueue mbuf indices
// to the ring of each frame's destination port; tx lcores dequeue and send.
// A full ring is a counted drop (ring-full), never a stall. At stop, tx lcores
// keep draining until every rx lcore has finished and their rings are empty,
// so no mbuf is stranded in a ring.
import * as v8 from 'node:v8';
import { LcoreContext, stopped } from '../../eal/app';
import { Mempool } from '../../mempool/mempool';
import { attachPort } from '../../port/registry';
import { Ring } from '../../ring/ring';
import type { Port, PortHandle } from '../../port/types';
import { C_DROP_BAD, C_DROP_RING, C_DROP_TX, C_FWD, C_RX, C_TX, C_WORDS, Counters, L_IDLE, L_ITERATIONS } from '../../stats/counters';
import { macUpdate } from '../l2fwd/mac';

export interface PipelineConfig {
  pool: SharedArrayBuffer;
  ports: PortHandle[];
  dst: number[];
  /** By lcore index: rx ports for the first `nRx` lcores, tx ports for the rest. */
  portsByLcore: number[][];
  nRx: number;
  /** rings[p]: frames on their way out of port p (SP/SC), or null if p is not a destination. */
  rings: (SharedArrayBuffer | null)[];
  /** Int32 word 0: rx lcores that have left their loop. */
  rxDone: SharedArrayBuffer;
  macUpdating: boolean;
  burst: number;
  counters: SharedArrayBuffer;
  nbLcores: number;
  profileGc?: boolean;
}

export function pipelineLcore(ctx: LcoreContext<PipelineConfig>): { gcs: number } {
  const c = ctx.config;
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const mine = c.portsByLcore[ctx.index] ?? [];
  const isRx = ctx.index < c.nRx;
  const used = new Set(mine);
  const ports: Port[] = c.ports.map((h, id) => (used.has(id) ? attachPort(h, mp) : (undefined as unknown as Port)));
  const rings = c.rings.map((b) => (b ? Ring.attach(b) : (undefined as unknown as Ring)));
  const cnt = new Counters(c.counters, c.nbLcores, c.ports.length).lcoreView(ctx.index);
  const prof = c.profileGc ? new v8.GCProfiler() : undefined;
  prof?.start();
  if (isRx) rxLoop(ctx, c, mp, mine, ports, rings, cnt);
  else txLoop(ctx, c, mp, mine, ports, rings, cnt);
  const gcs = prof ? prof.stop().statistics.length : 0;
  for (const p of ports) p?.close();
  mp.flushCache();
  return { gcs };
}

function rxLoop(ctx: LcoreContext<PipelineConfig>, c: PipelineConfig, mp: Mempool, mine: number[], ports: Port[], rings: Ring[], cnt: Float64Array): void {
  const burst = c.burst;
  const buf = new Uint32Array(burst);
  const bad = new Uint32Array(burst);
  const rxIds = Int32Array.from(mine);
  const rxPorts = mine.map((p) => ports[p]);
  const dst = Int32Array.from(c.dst);
  const macs = c.ports.map((h) => Uint8Array.from(h.mac));
  const data = mp.data;
  const lc = c.ports.length * C_WORDS;
  const n = rxIds.length;
  while (!stopped(ctx)) {
    cnt[lc + L_ITERATIONS]++;
    let got = 0;
    for (let i = 0; i < n; i++) {
      const k = rxPorts[i].rxBurst(0, buf, burst);
      if (k === 0) continue;
      got += k;
      const p = rxIds[i];
      const d = dst[p];
      cnt[p * C_WORDS + C_RX] += k;
      let good = 0;
      let nBad = 0;
      for (let j = 0; j < k; j++) {
        const m = buf[j];
        if (mp.dataLen(m) < 14) { bad[nBad++] = m; continue; }
        if (c.macUpdating) macUpdate(data, mp.mtod(m), d, macs[d]);
        buf[good++] = m;
      }
      if (nBad > 0) { mp.putBulk(bad, nBad); cnt[p * C_WORDS + C_DROP_BAD] += nBad; }
      const q = rings[d].enqueueBurst(buf, good);
      if (q < good) { mp.putBulkFrom(buf, q, good - q); cnt[p * C_WORDS + C_DROP_RING] += good - q; }
    }
    if (got === 0) cnt[lc + L_IDLE]++;
  }
  // Publishes "this rx lcore enqueues no more"; pairs with the load in txLoop.
  Atomics.add(new Int32Array(c.rxDone), 0, 1);
}

function txLoop(ctx: LcoreContext<PipelineConfig>, c: PipelineConfig, mp: Mempool, mine: number[], ports: Port[], rings: Ring[], cnt: Float64Array): void {
  const burst = c.burst;
  const buf = new Uint32Array(burst);
  const txIds = Int32Array.from(mine);
  const txPorts = mine.map((d) => ports[d]);
  const txRings = mine.map((d) => rings[d]);
  const dst = Int32Array.from(c.dst);
  const rxDone = new Int32Array(c.rxDone);
  const lc = c.ports.length * C_WORDS;
  const n = txIds.length;
  for (;;) {
    // Observes every rx lcore's exit; pairs with the Atomics.add in rxLoop. Read
    // before polling, so an empty poll after it means the rings are drained for good.
    const last = stopped(ctx) && Atomics.load(rxDone, 0) === c.nRx;
    cnt[lc + L_ITERATIONS]++;
    let got = 0;
    for (let i = 0; i < n; i++) {
      const k = txRings[i].dequeueBurst(buf, burst);
      if (k === 0) continue;
      got += k;
      const d = txIds[i];
      const src = dst[d] * C_WORDS; // dst is an involution: everything in d's ring came from dst[d]
      const sent = txPorts[i].txBurst(0, buf, k);
      cnt[d * C_WORDS + C_TX] += sent;
      cnt[src + C_FWD] += sent;
      if (sent < k) { mp.putBulkFrom(buf, sent, k - sent); cnt[src + C_DROP_TX] += k - sent; }
    }
    if (got === 0) {
      cnt[lc + L_IDLE]++;
      if (last) break;
    }
  }
}
