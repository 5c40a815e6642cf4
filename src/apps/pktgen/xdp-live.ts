// pktgen --engine xdp-live: the kernel sends. One XDP program (`return
// XDP_TX`) runs over one template frame through BPF_PROG_RUN with
// BPF_F_TEST_XDP_LIVE_FRAMES; each call hands `chunk` more copies to the
// shim, which sends them from this thread and a twin thread on the same CPU
// (xdp_gen.c says why two). The frame is what the template lcore would build
// for sequence 0 (valid IPv4/UDP checksums); every copy is identical, with no
// rate limit: a flat-out throughput generator, not a measurement stream.
import { LcoreContext, stopped } from '../../eal/app';
import { xdpgenError, xdpgenRun } from '../../native';
import { PAYLOAD_MAGIC, P_MAGIC, P_STREAM } from './payload';
import { S_DPORT, S_DST_IP, S_DST_MAC, S_SIZE_MIN, S_SPORT, S_SRC_IP, S_SRC_MAC, S_TTL, S_WORDS } from './stream';
import { fold, makeTemplate } from './template';

/** Frames per xdpgenRun call: ~30 ms at 2 Mpps, so a stop is seen quickly. */
export const XDP_CHUNK = 65536;

// Float64 counter words shared with the main thread.
export const X_SENT = 0;
export const X_DONE = 1;
export const X_WORDS = 2;

export interface XdpLiveConfig {
  handle: number;
  iface: string;
  /** Frames to send, 0 = until stopped. */
  count: number;
  chunk: number;
  counters: SharedArrayBuffer;
}

/** Stream `sid`'s frame for k = 0, sequence 0, send time 0, from pktgen's stream config. */
export function xdpLiveFrame(cfg: Float64Array, sid: number): Uint8Array {
  const b = sid * S_WORDS;
  const len = cfg[b + S_SIZE_MIN];
  const t = makeTemplate(len, cfg[b + S_TTL]);
  const f = t.bytes;
  const put = (off: number, v: number, n: number): void => { for (let i = n - 1; i >= 0; i--) { f[off + i] = v % 256; v = Math.floor(v / 256); } };
  const sip = cfg[b + S_SRC_IP];
  const dip = cfg[b + S_DST_IP];
  const sp = cfg[b + S_SPORT];
  const dp = cfg[b + S_DPORT];
  put(0, cfg[b + S_DST_MAC], 6);
  put(6, cfg[b + S_SRC_MAC], 6);
  put(26, sip, 4);
  put(30, dip, 4);
  put(34, sp, 2);
  put(36, dp, 2);
  put(P_MAGIC, PAYLOAD_MAGIC, 2);
  put(P_STREAM, sid, 2);
  // Sequence and send time stay 0 (they add nothing to the sums).
  const addr = (sip >>> 16) + (sip & 0xffff) + (dip >>> 16) + (dip & 0xffff);
  put(24, ~fold(t.ipSum + addr) & 0xffff, 2);
  let uc = ~fold(t.udpSum + addr + sp + dp + PAYLOAD_MAGIC + sid) & 0xffff;
  if (uc === 0) uc = 0xffff;
  put(40, uc, 2);
  return f;
}

/**
 * The lcore: hands the shim chunks until `count` frames or the stop flag. A
 * frame is counted when handed over; up to XDPGEN_KEEP (xdp_gen.c) and one call
 * (48 K) are still being sent when this returns, and xdpgenClose waits for
 * them (it fails if a frame did not go).
 */
export function xdpLiveLcore(ctx: LcoreContext<XdpLiveConfig>): { sent: number } {
  const c = ctx.config;
  const cnt = new Float64Array(c.counters);
  let sent = 0;
  while (!stopped(ctx) && (c.count === 0 || sent < c.count)) {
    const n = c.count === 0 ? c.chunk : Math.min(c.chunk, c.count - sent);
    const rc = xdpgenRun(c.handle, n);
    if (rc < 0) {
      cnt[X_DONE] = 1;
      throw new Error(xdpgenError(rc, c.iface));
    }
    sent += n;
    cnt[X_SENT] = sent;
  }
  cnt[X_DONE] = 1;
  return { sent };
}
