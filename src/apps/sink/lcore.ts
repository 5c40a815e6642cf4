// The sink's lcore: receive bursts, check every pktgen frame's sequence number
// and latency, count the rest, free everything. Results go back at exit.
import { LcoreContext, stopped } from '../../eal/app';
import { Mempool } from '../../mempool/mempool';
import { monoNs } from '../../native';
import { backoff } from '../../ring/relax';
import { hasUdp4Payload } from '../../net/headers';
import { attachPort } from '../../port/registry';
import type { PortHandle } from '../../port/types';
import { PAYLOAD_LEN, PAYLOAD_MAGIC, P_MAGIC, P_SEQ, P_STREAM, P_TS } from '../pktgen/payload';
import { Histogram } from './histogram';
import { MAX_STREAMS, SeqTracker } from './seq';

export interface SinkLcoreConfig {
  pool: SharedArrayBuffer;
  ports: PortHandle[];
  portsByLcore: number[][];
  burst: number;
  /** Float64 per lcore index, 8 words: [frames, pktgen frames, other frames]. */
  counters: SharedArrayBuffer;
}

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
  const ports = (c.portsByLcore[ctx.index] ?? []).map((p) => attachPort(c.ports[p], mp));
  const cnt = new Float64Array(c.counters, ctx.index * 64, 8);
  const seq = new SeqTracker();
  const hist = new Histogram();
  const bufs = new Uint32Array(c.burst);
  const clk = new Float64Array(1);
  const data = mp.data;
  const np = ports.length;
  const drain = (): number => {
    let got = 0;
    for (let i = 0; i < np; i++) {
      const n = ports[i].rxBurst(0, bufs, c.burst);
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
  // A sink often shares a CPU with the generator (2-CPU machines): after a run
  // of empty polls it yields, then naps, instead of spinning through its slice.
  let idle = 0;
  while (!stopped(ctx)) {
    if (drain() === 0) backoff(++idle);
    else idle = 0;
  }
  while (drain() > 0) { /* what arrived before the stop */ }
  for (const p of ports) p.close();
  mp.flushCache();
  return { streams: seq.summary(), hist: { counts: hist.counts, n: hist.n, min: hist.min, max: hist.max } };
}
