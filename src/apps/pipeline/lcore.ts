// Pipeline mode: rx lcores pull bursts from their (port, queue) pairs, rewrite
// MACs and enqueue mbuf indices to the ring of each frame's destination port;
// tx lcores dequeue and send on their own tx queue of that port. A full ring
// is a counted drop (ring-full), never a stall. At stop, tx lcores keep
// draining until every rx lcore has left its loop (or died) and their rings
// are empty, so no mbuf is stranded in a ring and no tx lcore waits forever.
import { LcoreContext, stopped } from '../../eal/app';
import { CTL_STATE, LcoreState, lcoreWord } from '../../eal/control';
import { Mempool } from '../../mempool/mempool';
import { attachPort } from '../../port/registry';
import { Ring } from '../../ring/ring';
import type { Port, PortHandle } from '../../port/types';
import { C_DROP_BAD, C_DROP_RING, C_DROP_TX, C_FWD, C_RX, C_TX, C_WORDS, Counters } from '../../stats/counters';
import { Idler } from '../../eal/idler';
import { rxWakes } from '../../eal/rx-wakes';
import type { PollConfig } from '../../eal/poll-mode';
import { GcWindow } from '../gc-window';
import { macUpdate } from '../l2fwd/mac';
import type { RxQueue } from '../l2fwd/plan';

/** Test hook, read once at setup: the rx lcore with this id throws before its loop. */
export const FAIL_RX_ENV = 'TSFWD_TEST_FAIL_RX_LCORE';

export interface PipelineConfig {
  pool: SharedArrayBuffer;
  ports: PortHandle[];
  dst: number[];
  /** (port, queue) pairs of rx lcore i (launch indexes 0..nRx-1). */
  rxByLcore: RxQueue[][];
  /** Destination ports whose ring tx lcore nRx+j drains, at index j. */
  txByLcore: number[][];
  /** txQueues[j][port]: the tx queue tx lcore nRx+j owns on the port, -1 if none. */
  txQueues: number[][];
  nRx: number;
  /** rings[p]: frames on their way out of port p, or null if p is not a destination. */
  rings: (SharedArrayBuffer | null)[];
  /** Int32 per rx lcore index: 1 once it enqueues no more. */
  rxDone: SharedArrayBuffer;
  macUpdating: boolean;
  burst: number;
  counters: SharedArrayBuffer;
  nbLcores: number;
  /** --poll-mode and its limits (tx lcores sleep on their rings' doorbells). */
  poll: PollConfig;
}

export function pipelineLcore(ctx: LcoreContext<PipelineConfig>): Promise<{ gcs: number }> {
  const c = ctx.config;
  const isRx = ctx.index < c.nRx;
  if (!isRx) return txLcore(ctx, c);
  try {
    if (process.env[FAIL_RX_ENV] === String(ctx.lcoreId)) throw new Error(`rx lcore failure injected by ${FAIL_RX_ENV}`);
    return rxLcore(ctx, c);
  } finally {
    // Publishes "rx lcore i enqueues no more", after its last enqueue and even
    // if it threw; pairs with the loads in rxFinished() on the tx lcores.
    Atomics.store(new Int32Array(c.rxDone), ctx.index, 1);
  }
}

function rxLcore(ctx: LcoreContext<PipelineConfig>, c: PipelineConfig): Promise<{ gcs: number }> {
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const mine = c.rxByLcore[ctx.index] ?? [];
  const used = new Set(mine.map(([p]) => p));
  const ports: Port[] = c.ports.map((h, id) => (used.has(id) ? attachPort(h, mp) : (undefined as unknown as Port)));
  const rings = c.rings.map((b) => (b ? Ring.attach(b) : (undefined as unknown as Ring)));
  const cnt = new Counters(c.counters, c.nbLcores, c.ports.length).lcoreView(ctx.index);
  const burst = c.burst;
  const buf = new Uint32Array(burst);
  const bad = new Uint32Array(burst);
  const rxIds = Int32Array.from(mine, ([p]) => p);
  const rxQs = Int32Array.from(mine, ([, q]) => q);
  const rxPorts = mine.map(([p]) => ports[p]);
  const dst = Int32Array.from(c.dst);
  const macs = c.ports.map((h) => Uint8Array.from(h.mac));
  const data = mp.data;
  const macUpdating = c.macUpdating;
  const lc = c.ports.length * C_WORDS;
  const n = rxIds.length;
  const idler = new Idler(ctx, c.poll, rxWakes(c.poll, rxPorts, rxQs), cnt, lc);
  const gc = new GcWindow();
  let sawTraffic = false;
  while (!stopped(ctx)) {
    let got = 0;
    for (let i = 0; i < n; i++) {
      const k = rxPorts[i].rxBurst(rxQs[i], buf, burst);
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
        if (macUpdating) macUpdate(data, mp.mtod(m), d, macs[d]);
        buf[good++] = m;
      }
      // Drops are booked on every burst, most of them 0: a branch first taken
      // after the loop was optimized has no type feedback and deoptimizes it,
      // and the interpreter allocates until it is optimized again (a soak run
      // whose ring filled once, late, counted a GC in this lcore).
      mp.putBulk(bad, nBad);
      cnt[p * C_WORDS + C_DROP_BAD] += nBad;
      const q = rings[d].enqueueBurst(buf, good);
      mp.putBulkFrom(buf, q, good - q);
      cnt[p * C_WORDS + C_DROP_RING] += good - q;
    }
    idler.poll(got);
    if (got > 0 && !sawTraffic) { sawTraffic = true; gc.traffic(); }
  }
  const gcEnd = gc.stop();
  idler.close();
  for (const p of ports) p?.close();
  mp.flushCache();
  return gcEnd.then((gcs) => ({ gcs }));
}

/** True once every rx lcore enqueues no more: it said so, or the main thread marked it failed. */
function rxFinished(ctx: LcoreContext, rxDone: Int32Array, nRx: number): boolean {
  for (let i = 0; i < nRx; i++) {
    // Observes the rx lcore's store in pipelineLcore's finally, or the main
    // thread's Failed store (launch.ts, on the worker's 'error' event, after
    // its thread stopped running): an lcore that died before its finally ran
    // (pinning, module load) can enqueue nothing either.
    if (Atomics.load(rxDone, i) !== 1 && Atomics.load(ctx.control, lcoreWord(i, CTL_STATE)) !== LcoreState.Failed) return false;
  }
  return true;
}

function txLcore(ctx: LcoreContext<PipelineConfig>, c: PipelineConfig): Promise<{ gcs: number }> {
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const j = ctx.index - c.nRx;
  const mine = c.txByLcore[j] ?? [];
  const used = new Set(mine);
  const ports: Port[] = c.ports.map((h, id) => (used.has(id) ? attachPort(h, mp) : (undefined as unknown as Port)));
  const cnt = new Counters(c.counters, c.nbLcores, c.ports.length).lcoreView(ctx.index);
  const burst = c.burst;
  const buf = new Uint32Array(burst);
  const txIds = Int32Array.from(mine);
  const txQs = Int32Array.from(mine, (d) => c.txQueues[j][d]);
  const txPorts = mine.map((d) => ports[d]);
  const txRings = mine.map((d) => Ring.attach(c.rings[d]!));
  const dst = Int32Array.from(c.dst);
  const rxDone = new Int32Array(c.rxDone);
  const nRx = c.nRx;
  const lc = c.ports.length * C_WORDS;
  const n = txIds.length;
  const idler = new Idler(ctx, c.poll, txRings.map((ring) => ({ ring })), cnt, lc);
  const gc = new GcWindow();
  let sawTraffic = false;
  for (;;) {
    // Checked before polling, so an empty poll after it means the rings are drained for good.
    const last = stopped(ctx) && rxFinished(ctx, rxDone, nRx);
    let got = 0;
    for (let i = 0; i < n; i++) {
      const k = txRings[i].dequeueBurst(buf, burst);
      if (k === 0) continue;
      got += k;
      const d = txIds[i];
      const src = dst[d] * C_WORDS; // dst is an involution: everything in d's ring came from dst[d]
      const sent = txPorts[i].txBurst(txQs[i], buf, k);
      cnt[d * C_WORDS + C_TX] += sent;
      cnt[src + C_FWD] += sent;
      mp.putBulkFrom(buf, sent, k - sent); // on every burst, as on the rx side: no branch first taken late
      cnt[src + C_DROP_TX] += k - sent;
    }
    idler.poll(got);
    if (got === 0) {
      if (last) break;
    } else if (!sawTraffic) { sawTraffic = true; gc.traffic(); }
  }
  const gcEnd = gc.stop();
  idler.close();
  for (const p of ports) p?.close();
  mp.flushCache();
  return gcEnd.then((gcs) => ({ gcs }));
}
