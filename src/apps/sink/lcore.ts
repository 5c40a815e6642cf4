// The sink's lcore: receive bursts, check every pktgen frame's sequence number
// and latency, count the rest, free everything. Results go back at exit.
import { LcoreContext, stopped } from '../../eal/app';
import { Mempool } from '../../mempool/mempool';
import { monoNs } from '../../native';
import { Idler } from '../../eal/idler';
import { rxWakes } from '../../eal/rx-wakes';
import type { PollConfig } from '../../eal/poll-mode';
import { hasUdp4Payload } from '../../net/headers';
import { attachPort } from '../../port/registry';
import type { Port, PortHandle } from '../../port/types';
import { PAYLOAD_LEN, PAYLOAD_MAGIC, P_MAGIC, P_SEQ, P_STREAM, P_TS } from '../pktgen/payload';
import { Histogram } from './histogram';
import { MAX_STREAMS, SeqTracker } from './seq';

export interface SinkLcoreConfig {
  pool: SharedArrayBuffer;
  ports: PortHandle[];
  /** (port, queue) pairs each lcore polls: every queue of every port, all of a port's on one lcore. */
  rxByLcore: [number, number][][];
  burst: number;
  /** Float64 per lcore index, SINK_LINE words: [frames, pktgen frames, other frames], then its Idler line at SINK_IDLER. */
  counters: SharedArrayBuffer;
  /** --poll-mode (the sink's default: interrupt). */
  poll: PollConfig;
}

export const SINK_LINE = 16;
export const SINK_IDLER = 8;
/** Bursts per queue the sink still reads after the stop: what arrived before it, bounded so a flood cannot keep it running. */
const FINAL_DRAIN_BURSTS = 256;

export const K_FRAMES = 0;
export const K_TAGGED = 1;
export const K_OTHER = 2;

export interface SinkResult {
  streams: ReturnType<SeqTracker['summary']>;
  hist: { counts: Float64Array; n: number; min: number; max: number };
}

export function sinkLcore(ctx: LcoreContext<SinkLcoreConfig>): SinkResult {
  const c = ctx.config;
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const mine = c.rxByLcore[ctx.index] ?? [];
  const attached = new Map<number, Port>();
  for (const [p] of mine) if (!attached.has(p)) attached.set(p, attachPort(c.ports[p], mp));
  const ports = mine.map(([p]) => attached.get(p)!);
  const qs = Int32Array.from(mine, ([, q]) => q);
  const cnt = new Float64Array(c.counters, ctx.index * SINK_LINE * 8, SINK_LINE);
  const seq = new SeqTracker();
  const hist = new Histogram();
  const bufs = new Uint32Array(c.burst);
  const clk = new Float64Array(1);
  const data = mp.data;
  const np = ports.length;
  const drain = (): number => {
    let got = 0;
    for (let i = 0; i < np; i++) {
      const n = ports[i].rxBurst(qs[i], bufs, c.burst);
      if (n === 0) continue;
      got += n;
      // One clock read per burst, after rx: every frame in it was sent before.
      monoNs(clk);
      const now = clk[0] % 4294967296;
      let tagged = 0;
      for (let j = 0; j < n; j++) {
        const m = bufs[j];
        const off = mp.mtod(m);
        if (!hasUdp4Payload(data, off, mp.dataLen(m), PAYLOAD_LEN) || ((data[off + P_MAGIC] << 8) | data[off + P_MAGIC + 1]) !== PAYLOAD_MAGIC) continue;
        const s = ((data[off + P_STREAM] << 8) | data[off + P_STREAM + 1]) % MAX_STREAMS;
        const q = ((data[off + P_SEQ] << 24) | (data[off + P_SEQ + 1] << 16) | (data[off + P_SEQ + 2] << 8) | data[off + P_SEQ + 3]) >>> 0;
        const ts = ((data[off + P_TS] << 24) | (data[off + P_TS + 1] << 16) | (data[off + P_TS + 2] << 8) | data[off + P_TS + 3]) >>> 0;
        seq.add(s, q);
        const lat = (now - ts) >>> 0;
        hist.add(lat < 0x80000000 ? lat : 0);
        tagged++;
      }
      mp.putBulk(bufs, n);
      cnt[K_FRAMES] += n;
      cnt[K_TAGGED] += tagged;
      cnt[K_OTHER] += n - tagged;
    }
    return got;
  };
  // A sink often shares a CPU with the generator (2-CPU machines): by default
  // it blocks until a queue has frames (--poll-mode interrupt).
  const idler = new Idler(ctx, c.poll, rxWakes(c.poll, ports, qs), cnt, SINK_IDLER);
  while (!stopped(ctx)) idler.poll(drain());
  idler.close();
  for (let k = 0; k < FINAL_DRAIN_BURSTS && drain() > 0; k++) { /* what arrived before the stop */ }
  for (const p of attached.values()) p.close();
  mp.flushCache();
  return { streams: seq.summary(), hist: { counts: hist.counts, n: hist.n, min: hist.min, max: hist.max } };
}
