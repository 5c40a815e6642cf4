// The l2fwd lcore loop, in DPDK l2fwd's order: drain tx buffers that have
// waited ~100 µs, then rx a burst from each of this lcore's (port, queue)
// pairs, rewrite MACs and buffer each frame for its destination port, sending
// a buffer as soon as it holds a burst on this lcore's own tx queue of that
// port. Unsent frames are freed and counted, never retried.
import { LcoreContext, stopped } from '../../eal/app';
import { Mempool } from '../../mempool/mempool';
import { Idler } from '../../eal/idler';
import { rxWakes } from '../../eal/rx-wakes';
import type { PollConfig } from '../../eal/poll-mode';
import { MONO_US_MASK } from '../../native';
import { GcWindow } from '../gc-window';
import { attachPort } from '../../port/registry';
import type { Port, PortHandle } from '../../port/types';
import {
  C_DROP_BAD, C_DROP_TX, C_FWD, C_GENERATED, C_RX, C_TX, C_WORDS, Counters,
} from '../../stats/counters';
import { macUpdate, primeFrame } from './mac';
import type { RxQueue } from './plan';

export interface L2fwdLcoreConfig {
  pool: SharedArrayBuffer;
  /** Every configured port by id (only enabled ones are used). */
  ports: PortHandle[];
  dst: number[];
  /** (port, queue) pairs each lcore polls, by lcore index (plan.ts). */
  rxByLcore: RxQueue[][];
  /** txQueues[lcore index][port]: the tx queue that lcore owns on the port, -1 if it sends nothing there. */
  txQueues: number[][];
  macUpdating: boolean;
  burst: number;
  counters: SharedArrayBuffer;
  nbLcores: number;
  txFirst: boolean;
  /** --poll-mode and its limits. */
  poll: PollConfig;
  /** Tx buffer drain interval, µs (l2fwd: BURST_TX_DRAIN_US = 100). */
  drainUs: number;
  /** Unused by l2fwd (it always counts after warm-up); kept for callers that set it. */
  profileGc?: boolean;
}


export function l2fwdLcore(ctx: LcoreContext<L2fwdLcoreConfig>): Promise<{ gcs: number }> {
  const c = ctx.config;
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const nbPorts = c.ports.length;
  const rxList = c.rxByLcore[ctx.index] ?? [];
  const nRx = rxList.length;
  const used = new Set<number>();
  for (const [p] of rxList) { used.add(p); used.add(c.dst[p]); }
  // Ports this lcore does not touch stay unattached (undefined is never called).
  const ports: Port[] = c.ports.map((h, id) => (used.has(id) ? attachPort(h, mp) : (undefined as unknown as Port)));
  const rxPorts = rxList.map(([p]) => ports[p]);
  const rxIds = Int32Array.from(rxList, ([p]) => p);
  const rxQs = Int32Array.from(rxList, ([, q]) => q);
  const txq = Int32Array.from(c.txQueues[ctx.index] ?? []);
  const dst = Int32Array.from(c.dst);
  const macs = ports.map((p) => (p ? p.mac : new Uint8Array(6)));
  const burst = c.burst;
  const txBuf = ports.map(() => new Uint32Array(burst));
  const txLen = new Int32Array(nbPorts);
  const bad = new Uint32Array(burst);
  const rx = new Uint32Array(burst);
  const cnt = new Counters(c.counters, c.nbLcores, nbPorts).lcoreView(ctx.index);
  const lc = nbPorts * C_WORDS;
  const data = mp.data;
  const macUpdating = c.macUpdating;

  // Sends what port d's buffer holds. dst is an involution, so the frames in
  // d's buffer all came from dst[d]: their fate is booked to that rx port.
  const flush = (d: number): void => {
    const n = txLen[d];
    const sent = ports[d].txBurst(txq[d], txBuf[d], n);
    const src = dst[d] * C_WORDS;
    cnt[d * C_WORDS + C_TX] += sent;
    cnt[src + C_FWD] += sent;
    // Refusals are booked on every flush, most of them 0: a branch first taken
    // after the loop was optimized has no type feedback and deoptimizes it, and
    // the interpreter allocates until it is optimized again (pipeline/lcore.ts).
    mp.putBulkFrom(txBuf[d], sent, n - sent);
    cnt[src + C_DROP_TX] += n - sent;
    txLen[d] = 0;
  };

  if (c.txFirst) {
    for (let i = 0; i < nRx; i++) {
      const d = dst[rxIds[i]];
      if (mp.getBulk(txBuf[d], burst) === 0) continue;
      for (let k = 0; k < burst; k++) {
        const m = txBuf[d][k];
        mp.reset(m);
        mp.setDataLen(m, primeFrame(data, mp.mtod(m), d, macs[d]));
        mp.setPort(m, rxIds[i]);
      }
      const sent = ports[d].txBurst(txq[d], txBuf[d], burst);
      if (sent < burst) mp.putBulkFrom(txBuf[d], sent, burst - sent);
      cnt[d * C_WORDS + C_TX] += sent;
      cnt[d * C_WORDS + C_GENERATED] += sent;
    }
  }

  const drainAll = (): void => {
    for (let d = 0; d < nbPorts; d++) if (txLen[d] > 0) flush(d);
  };
  // Counts polls, busy and asleep time; naps or blocks when idle (--poll-mode),
  // draining the tx buffers first so no frame waits through a sleep.
  const idler = new Idler(ctx, c.poll, rxWakes(c.poll, rxPorts, rxQs), cnt, lc, drainAll);
  // Collections are counted in the steady state only (gc-window.ts).
  const gc = new GcWindow();
  const drainUs = c.drainUs;
  let lastDrain = idler.now;
  let sawTraffic = false;
  while (!stopped(ctx)) {
    // The Idler reads the clock once per iteration (a native call, ~25 ns;
    // performance.now() would allocate): its reading serves the drain check.
    const now = idler.now;
    if (((now - lastDrain) & MONO_US_MASK) >= drainUs) {
      drainAll();
      lastDrain = now;
    }
    let got = 0;
    for (let i = 0; i < nRx; i++) {
      const n = rxPorts[i].rxBurst(rxQs[i], rx, burst);
      if (n === 0) continue;
      got += n;
      const p = rxIds[i];
      const d = dst[p];
      const buf = txBuf[d];
      const mac = macs[d];
      cnt[p * C_WORDS + C_RX] += n;
      let nBad = 0;
      for (let k = 0; k < n; k++) {
        const m = rx[k];
        if (mp.dataLen(m) < 14) { bad[nBad++] = m; continue; }
        if (macUpdating) macUpdate(data, mp.mtod(m), d, mac);
        buf[txLen[d]++] = m;
        if (txLen[d] === burst) flush(d);
      }
      mp.putBulk(bad, nBad); // on every burst, as in flush
      cnt[p * C_WORDS + C_DROP_BAD] += nBad;
    }
    idler.poll(got);
    if (got > 0 && !sawTraffic) { sawTraffic = true; gc.traffic(); }
  }
  const gcEnd = gc.stop(); // the window closes here, before the teardown below
  idler.close();
  for (let d = 0; d < nbPorts; d++) if (txLen[d] > 0) flush(d);
  for (const p of ports) p?.close();
  mp.flushCache();
  // -1: no traffic for the whole warm-up, nothing was measured.
  return gcEnd.then((gcs) => ({ gcs }));
}
