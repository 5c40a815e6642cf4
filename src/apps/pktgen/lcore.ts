// pktgen's lcore: for each stream it owns, build frames from templates
// (valid IPv4/UDP, flows cycling through the configured ranges, a sequence
// number and a send time in the payload) and send them at the configured
// rate. Frames the port does not take are kept and retried first, so
// `count` frames go out exactly and in sequence order.
//
// Queues: each port (stream) belongs to exactly one lcore (cli/pktgen.ts
// spreads ports, never splits one), so tx queue 0 is this lcore's own and no
// other lcore sends on it. The only rx is the --pcap source, a net_pcap port
// with a single queue, so queue 0 there is every queue.
import { LcoreContext, stopped } from '../../eal/app';
import { Mempool } from '../../mempool/mempool';
import { Idler } from '../../eal/idler';
import type { PollConfig } from '../../eal/poll-mode';
import { MONO_US_MASK, memCopyBurst, memCopyRegister, memCopyUnregister, monoNs } from '../../native';
import { attachPort } from '../../port/registry';
import type { Port, PortHandle } from '../../port/types';
import { PAYLOAD_MAGIC, P_MAGIC, P_SEQ, P_STREAM, P_TS } from './payload';
import {
  K_GEN, K_RUN, K_WORDS, N_BYTES, N_DONE, N_NOMBUF, N_PENDING, N_SENT, N_WORDS, S_COUNT, S_DPORT, S_DST_IP, S_DST_MAC, S_PPS,
  S_RANGE, S_SPORT, S_SRC_IP, S_SRC_MAC, S_TTL, S_WORDS, StreamBuffers, sizeCycle,
} from './stream';
import { Template, bakeTemplate, fold, makeTemplate } from './template';

export interface PktgenLcoreConfig extends StreamBuffers {
  pool: SharedArrayBuffer;
  ports: PortHandle[];
  /** Stream (= port) ids each lcore index sends. */
  streamsByLcore: number[][];
  burst: number;
  /** --pcap: per stream, a net_pcap port whose frames are sent as they are, instead of templates. */
  sources?: PortHandle[];
  /** --poll-mode: busy spins between paced bursts; adaptive and interrupt sleep until the next one is due. */
  poll: PollConfig;
  /** Each lcore's Idler line (8 Float64 words per lcore index): polls, sleeps, busy time. */
  lcoreStats: SharedArrayBuffer;
}

/** Shortest gap worth sleeping through, µs: a timed sleep overshoots by the timer slack (~50 µs), which the rate budget then catches up. */
const PACE_MIN_US = 20;
/** Longest a paced burst waits to fill before it goes out short, µs (at 100 kpps a burst of 32 fills in 320 µs). */
const PACE_FILL_US = 1000;

/** Per-stream state private to the lcore; rebuilt when the stream is (re)started. */
class StreamState {
  gen = 0;
  running = false;
  sizes: number[] = [];
  templates: Template[] = [];
  sizeIdx = 0;
  k = 0;              // frames built since this start: drives the flow ranges
  seq = 0;            // never reset: the sink sees one sequence per stream
  sentThisStart = 0;
  count = 0;
  pps = 0;
  elapsedUs = 0;
  lastUs = 0;
  pend: Uint32Array;
  /** Frame length of each pending mbuf, recorded when built: once sent, the mbuf is the port's. */
  lens: Uint32Array;
  pendLen = 0;
  // flow fields: min and number of values
  sip = 0; sipN = 1; dip = 0; dipN = 1; sp = 0; spN = 1; dp = 0; dpN = 1;
  smacHi = 0; smacLo = 0; smacN = 1; dmacHi = 0; dmacLo = 0; dmacN = 1;
  /** No ranges: templates carry every fixed field (bakeTemplate), frames only get seq, ts and the UDP checksum. */
  fixed = false;
  /** Fixed streams: every baked template in one buffer, tplOff[len] its offset, copied into mbufs by one native call per burst. */
  tplBuf = new Uint8Array(0);
  tplOff = new Int32Array(0);
  /** (mbuf data offset, tplBuf offset, length) per frame of the burst, read by memCopyBurst. */
  desc: Uint32Array;
  copyId = -1;
  constructor(burst: number) { this.pend = new Uint32Array(burst); this.lens = new Uint32Array(burst); this.desc = new Uint32Array(burst * 3); }
}

export function pktgenLcore(ctx: LcoreContext<PktgenLcoreConfig>): { pending: number } {
  const c = ctx.config;
  const mp = Mempool.attach(c.pool, ctx.lcoreId);
  const mine = c.streamsByLcore[ctx.index] ?? [];
  const ports: Port[] = mine.map((s) => attachPort(c.ports[s], mp));
  const sources: (Port | undefined)[] = mine.map((s) => (c.sources ? attachPort(c.sources[s], mp) : undefined));
  const cfg = new Float64Array(c.config);
  const ctl = new Int32Array(c.control);
  const cnt = new Float64Array(c.counters);
  const states = mine.map(() => new StreamState(c.burst));
  const burst = c.burst;
  const data = mp.data;
  const clk = new Float64Array(1);
  const n = mine.length;
  // Nothing to wait on (tx only): the Idler naps when no stream runs, and
  // pktgen itself sleeps between paced bursts unless --poll-mode busy.
  const idler = new Idler(ctx, c.poll, [], new Float64Array(c.lcoreStats, ctx.index * 64, 8), 0);
  const pace = c.poll.mode !== 'busy';

  while (!stopped(ctx)) {
    const now = idler.now;
    let sentPass = 0;
    let gapUs = Infinity; // until the next frame of a paced stream is due
    for (let i = 0; i < n; i++) {
      const sid = mine[i];
      const st = states[i];
      // Observes the main thread's start/stop, K_RUN first: pairs with PktgenControl.start,
      // which bumps K_GEN before it sets K_RUN, so a start seen here comes with its generation.
      const run = Atomics.load(ctl, sid * K_WORDS + K_RUN) === 1;
      const gen = Atomics.load(ctl, sid * K_WORDS + K_GEN);
      if (gen !== st.gen) { load(st, cfg, sid, gen, now, data); cnt[sid * N_WORDS + N_DONE] = 0; }
      st.running = run && (st.count === 0 || st.sentThisStart + st.pendLen < st.count);
      const port = ports[i];
      const cb = sid * N_WORDS;
      if (st.pendLen > 0) {
        // Retry what the port refused last time before building anything new.
        const sent = port.txBurst(0, st.pend, st.pendLen);
        account(st, cnt, cb, sent);
        sentPass += sent;
        continue;
      }
      if (!st.running) {
        if (st.count > 0 && st.sentThisStart >= st.count) cnt[cb + N_DONE] = st.gen;
        continue;
      }
      st.elapsedUs += (now - st.lastUs) & MONO_US_MASK;
      st.lastUs = now;
      let want = burst;
      if (st.pps > 0) {
        const allowed = Math.floor((st.elapsedUs * st.pps) / 1e6) - st.sentThisStart;
        if (allowed < want) want = allowed;
      }
      if (st.count > 0 && st.count - st.sentThisStart < want) want = st.count - st.sentThisStart;
      if (pace && st.pps > 0 && want < burst && (st.count === 0 || st.count - st.sentThisStart > want)) {
        // Sleep rather than spin: until the next frame is due or, when a full
        // burst is due soon, until then (one syscall per burst instead of per frame).
        const next = Math.ceil(((st.sentThisStart + (want > 0 ? burst : 1)) * 1e6) / st.pps) - st.elapsedUs;
        if (want === 0 || (next <= PACE_FILL_US && next >= PACE_MIN_US)) {
          if (next < gapUs) gapUs = next;
          continue;
        }
      }
      if (want <= 0) continue;
      const src = sources[i];
      if (src !== undefined) {
        // Replay: frames come from the capture unchanged (no stamp, no checksum work).
        const got = src.rxBurst(0, st.pend, want);
        for (let j = 0; j < got; j++) st.lens[j] = mp.dataLen(st.pend[j]);
        st.pendLen = got;
        if (got > 0) { const sent = port.txBurst(0, st.pend, got); account(st, cnt, cb, sent); sentPass += sent; }
        continue;
      }
      if (mp.getBulk(st.pend, want) === 0) { cnt[cb + N_NOMBUF]++; continue; }
      monoNs(clk);
      const ts = clk[0] % 4294967296;
      if (st.fixed) buildFixed(st, mp, data, want, ts);
      else buildRanged(st, mp, data, want, ts, sid);
      st.pendLen = want;
      const sent = port.txBurst(0, st.pend, want);
      account(st, cnt, cb, sent);
      sentPass += sent;
    }
    // Pacing by sleeping: when nothing went out and every paced stream's next
    // frame is a while away, sleep until then (the budget is elapsed-time based,
    // so an overshoot is caught up and the rate over a second holds).
    if (pace && sentPass === 0 && gapUs >= PACE_MIN_US && gapUs !== Infinity) idler.pause(gapUs);
    else idler.poll(sentPass);
  }
  idler.close();
  let pending = 0;
  for (const st of states) {
    if (st.pendLen > 0) mp.putBulk(st.pend, st.pendLen);
    pending += st.pendLen;
    st.pendLen = 0;
    if (st.copyId >= 0) memCopyUnregister(st.copyId);
    st.copyId = -1;
  }
  for (const p of ports) p.close();
  for (const p of sources) p?.close();
  mp.flushCache();
  return { pending };
}

/** Writes a frame's sequence number, send time and UDP checksum (the fields every frame has its own of). */
function stamp(data: Uint8Array, off: number, seq: number, ts: number, udpSum: number): void {
  data[off + P_SEQ] = seq >>> 24; data[off + P_SEQ + 1] = (seq >>> 16) & 0xff; data[off + P_SEQ + 2] = (seq >>> 8) & 0xff; data[off + P_SEQ + 3] = seq & 0xff;
  data[off + P_TS] = ts >>> 24; data[off + P_TS + 1] = (ts >>> 16) & 0xff; data[off + P_TS + 2] = (ts >>> 8) & 0xff; data[off + P_TS + 3] = ts & 0xff;
  let uc = ~fold(udpSum + (seq >>> 16) + (seq & 0xffff) + (ts >>> 16) + (ts & 0xffff)) & 0xffff;
  if (uc === 0) uc = 0xffff; // RFC 768: zero means "no checksum"
  data[off + 40] = uc >>> 8; data[off + 41] = uc & 0xff;
}

/**
 * No flow ranges: the baked template holds the whole frame but its stamp (~3x cheaper per
 * frame); one native call copies the burst's templates (a TypedArray.set per 64-byte frame
 * cost as much as everything else pktgen does for it).
 */
function buildFixed(st: StreamState, mp: Mempool, data: Uint8Array, want: number, ts: number): void {
  const desc = st.desc;
  for (let j = 0; j < want; j++) {
    const m = st.pend[j];
    const len = st.sizes[st.sizeIdx];
    if (++st.sizeIdx === st.sizes.length) st.sizeIdx = 0;
    desc[3 * j] = mp.mtod(m);
    desc[3 * j + 1] = st.tplOff[len];
    desc[3 * j + 2] = len;
    mp.setDataLen(m, len);
    st.lens[j] = len;
  }
  if (memCopyBurst(st.copyId, want) !== want) throw new Error('pktgen: a template copy fell outside the mempool (bug)');
  for (let j = 0; j < want; j++) {
    const seq = st.seq;
    st.seq = (seq + 1) >>> 0;
    stamp(data, desc[3 * j], seq, ts, st.templates[st.lens[j]].udpSum);
  }
}

/** Flow ranges: each frame gets its addresses, ports and both checksums from the template and k. */
function buildRanged(st: StreamState, mp: Mempool, data: Uint8Array, want: number, ts: number, sid: number): void {
  for (let j = 0; j < want; j++) {
    const m = st.pend[j];
    const len = st.sizes[st.sizeIdx];
    if (++st.sizeIdx === st.sizes.length) st.sizeIdx = 0;
    const t = st.templates[len];
    const off = mp.mtod(m);
    data.set(t.bytes, off);
    const k = st.k++;
    const sip = st.sip + (k % st.sipN);
    const dip = st.dip + (k % st.dipN);
    const sp = st.sp + (k % st.spN);
    const dp = st.dp + (k % st.dpN);
    const dmac = st.dmacLo + (k % st.dmacN);
    const smac = st.smacLo + (k % st.smacN);
    const seq = st.seq;
    st.seq = (seq + 1) >>> 0;
    data[off] = st.dmacHi >>> 24; data[off + 1] = (st.dmacHi >>> 16) & 0xff; data[off + 2] = (st.dmacHi >>> 8) & 0xff;
    data[off + 3] = st.dmacHi & 0xff; data[off + 4] = (dmac >>> 8) & 0xff; data[off + 5] = dmac & 0xff;
    data[off + 6] = st.smacHi >>> 24; data[off + 7] = (st.smacHi >>> 16) & 0xff; data[off + 8] = (st.smacHi >>> 8) & 0xff;
    data[off + 9] = st.smacHi & 0xff; data[off + 10] = (smac >>> 8) & 0xff; data[off + 11] = smac & 0xff;
    data[off + 26] = sip >>> 24; data[off + 27] = (sip >>> 16) & 0xff; data[off + 28] = (sip >>> 8) & 0xff; data[off + 29] = sip & 0xff;
    data[off + 30] = dip >>> 24; data[off + 31] = (dip >>> 16) & 0xff; data[off + 32] = (dip >>> 8) & 0xff; data[off + 33] = dip & 0xff;
    data[off + 34] = sp >>> 8; data[off + 35] = sp & 0xff;
    data[off + 36] = dp >>> 8; data[off + 37] = dp & 0xff;
    data[off + P_MAGIC] = PAYLOAD_MAGIC >>> 8; data[off + P_MAGIC + 1] = PAYLOAD_MAGIC & 0xff;
    data[off + P_STREAM] = sid >>> 8; data[off + P_STREAM + 1] = sid & 0xff;
    const addr = (sip >>> 16) + (sip & 0xffff) + (dip >>> 16) + (dip & 0xffff);
    const ipc = ~fold(t.ipSum + addr) & 0xffff;
    data[off + 24] = ipc >>> 8; data[off + 25] = ipc & 0xff;
    stamp(data, off, seq, ts, t.udpSum + addr + sp + dp + PAYLOAD_MAGIC + sid);
    mp.setDataLen(m, len);
    st.lens[j] = len;
  }
}

/** Books `sent` frames and keeps the rest pending, in order, for the next retry. */
function account(st: StreamState, cnt: Float64Array, cb: number, sent: number): void {
  let bytes = 0;
  for (let j = 0; j < sent; j++) bytes += st.lens[j];
  cnt[cb + N_SENT] += sent;
  cnt[cb + N_BYTES] += bytes;
  st.sentThisStart += sent;
  if (sent < st.pendLen) {
    st.pend.copyWithin(0, sent, st.pendLen);
    st.lens.copyWithin(0, sent, st.pendLen);
  }
  st.pendLen -= sent;
  cnt[cb + N_PENDING] = st.pendLen;
}

function load(st: StreamState, cfg: Float64Array, sid: number, gen: number, now: number, data: Uint8Array): void {
  const b = sid * S_WORDS;
  st.gen = gen;
  st.sizes = sizeCycle(cfg, b);
  st.templates = [];
  for (const s of new Set(st.sizes)) st.templates[s] = makeTemplate(s, cfg[b + S_TTL]);
  st.sizeIdx = 0;
  st.k = 0;
  st.sentThisStart = 0;
  st.count = cfg[b + S_COUNT];
  st.pps = cfg[b + S_PPS];
  st.elapsedUs = 0;
  st.lastUs = now;
  const ranged = cfg[b + S_RANGE] === 1;
  const span = (w: number): number => (ranged ? Math.max(1, cfg[b + w + 1] - cfg[b + w] + 1) : 1);
  st.sip = cfg[b + S_SRC_IP]; st.sipN = span(S_SRC_IP);
  st.dip = cfg[b + S_DST_IP]; st.dipN = span(S_DST_IP);
  st.sp = cfg[b + S_SPORT]; st.spN = span(S_SPORT);
  st.dp = cfg[b + S_DPORT]; st.dpN = span(S_DPORT);
  const smac = cfg[b + S_SRC_MAC];
  const dmac = cfg[b + S_DST_MAC];
  st.smacHi = Math.floor(smac / 65536); st.smacLo = smac % 65536; st.smacN = ranged ? Math.max(1, cfg[b + S_SRC_MAC + 1]) : 1;
  st.dmacHi = Math.floor(dmac / 65536); st.dmacLo = dmac % 65536; st.dmacN = ranged ? Math.max(1, cfg[b + S_DST_MAC + 1]) : 1;
  st.fixed = st.sipN === 1 && st.dipN === 1 && st.spN === 1 && st.dpN === 1 && st.smacN === 1 && st.dmacN === 1;
  if (st.fixed) {
    const flow = { dmacHi: st.dmacHi, dmacLo: st.dmacLo, smacHi: st.smacHi, smacLo: st.smacLo, sip: st.sip, dip: st.dip, sp: st.sp, dp: st.dp,
      magic: PAYLOAD_MAGIC, sid, pMagic: P_MAGIC, pStream: P_STREAM };
    const sizes = [...new Set(st.sizes)];
    for (const z of sizes) st.templates[z] = bakeTemplate(st.templates[z], flow);
    st.tplBuf = new Uint8Array(sizes.reduce((a, z) => a + z, 0));
    st.tplOff = new Int32Array(Math.max(...sizes) + 1);
    let at = 0;
    for (const z of sizes) { st.tplBuf.set(st.templates[z].bytes, at); st.tplOff[z] = at; at += z; }
    if (st.copyId >= 0) memCopyUnregister(st.copyId);
    st.copyId = memCopyRegister(data, st.tplBuf, st.desc);
  }
}
