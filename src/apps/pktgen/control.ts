// The main thread's handle on pktgen's streams: writes configuration, starts
// and stops streams through shared control words, and reads the counters the
// lcores write. `clr` is a baseline kept here, because counters have one
// writer (the lcore) and the main thread never writes them.
import { parseIpv4, parseMac } from '../../net/headers';
import {
  K_GEN, K_RUN, K_WORDS, N_BYTES, N_DONE, N_PENDING, N_SENT, N_WORDS, S_COUNT, S_DPORT, S_DST_IP, S_DST_MAC, S_IMIX, S_PPS, S_RANGE,
  S_SIZE_MAX, S_SIZE_MIN, S_SPORT, S_SRC_IP, S_SRC_MAC, S_TTL, S_WORDS, StreamBuffers, macToNumber, sizeCycle,
} from './stream';

export class PktgenControl {
  private readonly cfg: Float64Array;
  private readonly ctl: Int32Array;
  private readonly cnt: Float64Array;
  private readonly base: Float64Array;
  /** Rate as a percentage of lineRate, per stream (pktgen's `set N rate P`), or undefined for pps. */
  private readonly percent: (number | undefined)[];
  /** Largest frame with FCS: 1518, or the mbuf data room + 4 when --mbuf-size raised it (jumbo frames). */
  maxSize = 1518;

  constructor(readonly bufs: StreamBuffers, readonly n: number, portMacs: Uint8Array[], readonly lineRate: number) {
    this.cfg = new Float64Array(bufs.config);
    this.ctl = new Int32Array(bufs.control);
    this.cnt = new Float64Array(bufs.counters);
    this.base = new Float64Array(n * 2);
    this.percent = new Array<number | undefined>(n).fill(undefined);
    for (let s = 0; s < n; s++) {
      const b = s * S_WORDS;
      this.cfg[b + S_SIZE_MIN] = 60;
      this.cfg[b + S_SIZE_MAX] = 60;
      this.cfg[b + S_TTL] = 64;
      this.setIp(s, 'src', '10.0.0.1');
      this.setIp(s, 'dst', '10.0.0.2');
      this.setPort(s, 'src', 1234);
      this.setPort(s, 'dst', 5678);
      this.cfg[b + S_SRC_MAC] = macToNumber([...portMacs[s]]);
      this.cfg[b + S_SRC_MAC + 1] = 1;
      this.cfg[b + S_DST_MAC] = macToNumber([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
      this.cfg[b + S_DST_MAC + 1] = 1;
    }
  }

  /** Frame size with FCS, as pktgen counts it (64..maxSize); stored without the 4-byte FCS. */
  setSize(s: number, min: number, max = min): void {
    if (max > this.maxSize) {
      throw new RangeError(this.maxSize === 1518 ? `size ${max} is a jumbo frame: give the EAL option --mbuf-size ${max - 4} or more`
        : `size ${max} does not fit the mbuf data room (--mbuf-size ${this.maxSize - 4})`);
    }
    this.cfg[s * S_WORDS + S_SIZE_MIN] = min - 4;
    this.cfg[s * S_WORDS + S_SIZE_MAX] = max - 4;
    this.cfg[s * S_WORDS + S_IMIX] = 0;
    this.refreshRate(s);
  }
  setImix(s: number): void {
    if (this.maxSize < 1518) throw new RangeError(`imix sends 1518-byte frames, more than the mbuf data room (--mbuf-size ${this.maxSize - 4})`);
    this.cfg[s * S_WORDS + S_IMIX] = 1;
    this.refreshRate(s);
  }
  setPps(s: number, pps: number): void { this.percent[s] = undefined; this.cfg[s * S_WORDS + S_PPS] = pps; }
  /** Percent of the line rate, counting 20 bytes of preamble and gap per frame. */
  setPercent(s: number, pct: number): void { this.percent[s] = pct; this.refreshRate(s); }
  setMbps(s: number, mbps: number): void { this.setPps(s, (mbps * 1e6) / (8 * this.avgSize(s))); }
  setCount(s: number, n: number): void { this.cfg[s * S_WORDS + S_COUNT] = n; }
  setTtl(s: number, ttl: number): void { this.cfg[s * S_WORDS + S_TTL] = ttl; }
  setRangeMode(s: number, on: boolean): void { this.cfg[s * S_WORDS + S_RANGE] = on ? 1 : 0; }
  setIp(s: number, which: 'src' | 'dst', ip: string, max?: string): void {
    const w = s * S_WORDS + (which === 'src' ? S_SRC_IP : S_DST_IP);
    this.cfg[w] = parseIpv4(ip);
    this.cfg[w + 1] = max === undefined ? this.cfg[w] : parseIpv4(max);
  }
  setIpBound(s: number, which: 'src' | 'dst', bound: 'min' | 'max', ip: string): void {
    this.cfg[s * S_WORDS + (which === 'src' ? S_SRC_IP : S_DST_IP) + (bound === 'max' ? 1 : 0)] = parseIpv4(ip);
  }
  setPort(s: number, which: 'src' | 'dst', p: number, max = p): void {
    const w = s * S_WORDS + (which === 'src' ? S_SPORT : S_DPORT);
    this.cfg[w] = p;
    this.cfg[w + 1] = max;
  }
  setPortBound(s: number, which: 'src' | 'dst', bound: 'min' | 'max', p: number): void {
    this.cfg[s * S_WORDS + (which === 'src' ? S_SPORT : S_DPORT) + (bound === 'max' ? 1 : 0)] = p;
  }
  /** MAC, and how many consecutive values (low 16 bits) the range cycles through. */
  setMac(s: number, which: 'src' | 'dst', mac: string, count = 1): void {
    const w = s * S_WORDS + (which === 'src' ? S_SRC_MAC : S_DST_MAC);
    this.cfg[w] = macToNumber(parseMac(mac));
    this.cfg[w + 1] = count;
  }

  start(streams: readonly number[]): void {
    for (const s of streams) {
      // Publishes the configuration written above (K_GEN), then the start
      // (K_RUN), in that order: pktgenLcore loads K_RUN before K_GEN, so an
      // lcore that sees the start also sees the new generation and loads the
      // configuration before it builds a frame. (The other order let an lcore
      // start a stream it had never loaded, and its first frame read a
      // template that did not exist.)
      Atomics.add(this.ctl, s * K_WORDS + K_GEN, 1);
      Atomics.store(this.ctl, s * K_WORDS + K_RUN, 1);
    }
  }

  stop(streams: readonly number[]): void {
    // Publishes the stop; pairs with the K_RUN load in pktgenLcore.
    for (const s of streams) Atomics.store(this.ctl, s * K_WORDS + K_RUN, 0);
  }

  /** True once stream s has sent the count of its latest start (or has no count and is stopped). */
  done(s: number): boolean {
    const gen = Atomics.load(this.ctl, s * K_WORDS + K_GEN);
    return this.cnt[s * N_WORDS + N_DONE] === gen && gen > 0;
  }

  count(s: number): number { return this.cfg[s * S_WORDS + S_COUNT]; }
  /** Frames built but not yet taken by the port (retried by the lcore). */
  pending(s: number): number { return this.cnt[s * N_WORDS + N_PENDING]; }
  sent(s: number): number { return this.cnt[s * N_WORDS + N_SENT] - this.base[2 * s]; }
  bytes(s: number): number { return this.cnt[s * N_WORDS + N_BYTES] - this.base[2 * s + 1]; }
  clear(): void {
    for (let s = 0; s < this.n; s++) {
      this.base[2 * s] = this.cnt[s * N_WORDS + N_SENT];
      this.base[2 * s + 1] = this.cnt[s * N_WORDS + N_BYTES];
    }
  }

  private avgSize(s: number): number {
    const sizes = sizeCycle(this.cfg, s * S_WORDS);
    return sizes.reduce((a, b) => a + b, 0) / sizes.length + 4;
  }

  private refreshRate(s: number): void {
    const pct = this.percent[s];
    if (pct !== undefined) this.cfg[s * S_WORDS + S_PPS] = ((pct / 100) * this.lineRate) / (8 * (this.avgSize(s) + 20));
  }
}
