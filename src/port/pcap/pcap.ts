// net_pcap: replays a pcap file on rx and writes one on tx (DPDK's pcap PMD).
//   net_pcap0,rx_pcap=in.pcap[,tx_pcap=out.pcap][,infinite_rx=1]
// rx: the whole capture is loaded at open into a shared image (pcap-image.ts)
// and copied into mbufs burst by burst with one native call per burst; the
// capture timestamp goes into the mbuf. Frames that do not fit the data room,
// and runts, are counted in ierrors and skipped. Without infinite_rx rx
// returns 0 after the last packet; with it the replay wraps around.
// tx: records are built in a preallocated buffer (headers by DataView, frames
// by the native burst copy) and written with one write per burst to a
// nanosecond pcap file, as DPDK's pcap PMD writes. The mbuf timestamp is used
// when set, else the time of the burst. Without tx_pcap, tx frees and counts
// (DPDK's eth_tx_drop).
// A truncated or corrupt rx file (cut mid-record, caplen above 262144) still
// opens when packets precede the damage: one stderr line names the byte
// offset and how many packets are replayed, and ierrors starts at 1. With no
// packet before it, or with a bad magic, wrong version or non-Ethernet link
// type, open fails with one line. Like `tcpdump -r`, which prints what it
// could read and then the error.
import * as fs from 'node:fs';
import { Mempool } from '../../mempool/mempool';
import { MBUF_META_WORDS, MBUF_TS_HI, MBUF_TS_LO } from '../../mempool/layout';
import { clockRealtime, memCopyBurst, memCopyRegister, memCopyUnregister } from '../../native';
import { boolArg } from '../devargs';
import { claim, virtualMac } from '../claims';
import { ETHER_HDR_LEN, PCAP_REC_HDR_LEN, splitNsAt } from './pcap-format';
import { IDX_LEN, IDX_OFF, IDX_TS_HI, IDX_TS_LO, IDX_WORDS, attachImage } from './pcap-image';
import { CaptureError, loadCapture } from './pcap-load';
import { cutTorn, openTx, txTarget, writeSome } from './pcap-writer';
import { RX_BYTES, RX_ERRORS, RX_NOMBUF, RX_PACKETS, TX_BYTES, TX_ERRORS, TX_PACKETS, rxLine, statsBytesFor, sumStats, txLine } from '../stats';
import { OpenContext, Port, PortDriver, PortError, PortHandle, PortStats, RxWake } from '../types';

interface PcapState {
  /** Capture image, or null without rx_pcap. */
  image: SharedArrayBuffer | null;
  /** Uint32 words CTL_*: the replay position, written by whichever thread polls rx. */
  ctl: SharedArrayBuffer;
  infinite: boolean;
  /** tx_pcap file descriptor (process-wide), or -1: tx drops. */
  txFd: number;
}

const CTL_RX_NEXT = 0;   // index of the next packet to replay
const CTL_RX_PASSES = 1; // completed passes over the capture (infinite_rx)
const CTL_WORDS = 16;    // one cache line

/** Copy descriptors per native call; longer bursts make several calls. */
const DESC_N = 256;
/** tx buffer: a burst of 256 max-size frames is a few writes; any one record fits. */
const TX_BUF_BYTES = 256 * 1024;

class PcapPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues = 1;
  private readonly rxSt: Float64Array;
  private readonly txSt: Float64Array;
  private readonly ctl: Uint32Array;
  private readonly infinite: boolean;
  private readonly count: number;
  private readonly index: Uint32Array;
  private readonly imageBytes: Uint8Array; // registered copy source: held while registered
  private readonly rxDesc = new Uint32Array(DESC_N * 3);
  private readonly rxCopy: number;
  private readonly fd: number;
  private readonly txBuf: Uint8Array;
  private readonly txView: DataView;
  private readonly txDesc = new Uint32Array(DESC_N * 3);
  private readonly txCopy: number;
  private readonly ts = new Float64Array(2);
  private readonly now = new Float64Array(2);
  /** tx: invalid frames and bytes lost to a write error in the current burst. */
  private invalid = 0;
  private lostBytes = 0;

  constructor(private readonly h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as PcapState;
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.rxSt = rxLine(h.stats, 0);
    this.txSt = txLine(h.stats, 0);
    this.ctl = new Uint32Array(st.ctl);
    this.infinite = st.infinite;
    const img = st.image ? attachImage(st.image) : { count: 0, index: new Uint32Array(0), bytes: new Uint8Array(0) };
    this.count = img.count;
    this.index = img.index;
    this.imageBytes = img.bytes;
    this.rxCopy = st.image ? memCopyRegister(mp.data, this.imageBytes, this.rxDesc) : -1;
    this.fd = st.txFd;
    this.txBuf = new Uint8Array(st.txFd >= 0 ? TX_BUF_BYTES : 0);
    this.txView = new DataView(this.txBuf.buffer);
    try {
      this.txCopy = st.txFd >= 0 ? memCopyRegister(this.txBuf, mp.data, this.txDesc) : -1;
    } catch (e) {
      if (this.rxCopy >= 0) memCopyUnregister(this.rxCopy);
      throw e;
    }
  }

  rxBurst(_queue: number, mbufs: Uint32Array, max: number): number {
    const count = this.count;
    const ctl = this.ctl;
    const inf = this.infinite;
    let next = ctl[CTL_RX_NEXT]; // only the thread polling rx writes it
    let want = max;
    if (!inf && count - next < want) want = count - next;
    if (want <= 0 || count === 0) return 0;
    const mp = this.mp;
    if (mp.getBulk(mbufs, want) === 0) { this.rxSt[RX_NOMBUF]++; return 0; }
    const idx = this.index;
    const desc = this.rxDesc;
    const meta = mp.meta;
    const room = mp.dataRoom;
    let k = 0;
    let d = 0;
    let bytes = 0;
    let errors = 0;
    for (let v = 0; v < want; v++) {
      const b = next * IDX_WORDS;
      if (++next === count && inf) { next = 0; ctl[CTL_RX_PASSES]++; }
      const len = idx[b + IDX_LEN];
      if (len < ETHER_HDR_LEN || len > room) { errors++; continue; }
      const m = mbufs[k++];
      mp.reset(m);
      mp.setDataLen(m, len);
      mp.setPort(m, this.id);
      meta[m * MBUF_META_WORDS + MBUF_TS_LO] = idx[b + IDX_TS_LO];
      meta[m * MBUF_META_WORDS + MBUF_TS_HI] = idx[b + IDX_TS_HI];
      desc[d * 3] = mp.mtod(m);
      desc[d * 3 + 1] = idx[b + IDX_OFF];
      desc[d * 3 + 2] = len;
      if (++d === DESC_N) { memCopyBurst(this.rxCopy, d); d = 0; }
      bytes += len;
    }
    // Lengths were checked against the data room and offsets at load: the copy cannot fail.
    if (d > 0) memCopyBurst(this.rxCopy, d);
    if (k < want) mp.putBulkFrom(mbufs, k, want - k);
    ctl[CTL_RX_NEXT] = next;
    const st = this.rxSt;
    st[RX_PACKETS] += k;
    st[RX_BYTES] += bytes;
    st[RX_ERRORS] += errors;
    return k;
  }

  txBurst(_queue: number, mbufs: Uint32Array, n: number): number {
    const mp = this.mp;
    const st = this.txSt;
    if (this.fd < 0) {
      let dropped = 0;
      let skip = 0;
      for (let i = 0; i < n; i++) {
        const m = mbufs[i];
        if (!this.valid(m)) { skip = this.refuse(mbufs, i, skip); continue; }
        dropped += mp.dataLen(m);
      }
      if (n > skip) mp.putBulkFrom(mbufs, skip, n - skip);
      st[TX_PACKETS] += n - this.invalid;
      st[TX_BYTES] += dropped;
      st[TX_ERRORS] += this.invalid;
      this.invalid = 0;
      return n;
    }
    const buf = this.txBuf;
    const dv = this.txView;
    const desc = this.txDesc;
    const meta = mp.meta;
    const ts = this.ts;
    let nowSec = -1;
    let nowNs = 0;
    let pos = 0;
    let d = 0;
    let bytes = 0;
    let lostPkts = 0;
    let skip = 0;
    for (let i = 0; i < n; i++) {
      const m = mbufs[i];
      if (!this.valid(m)) { skip = this.refuse(mbufs, i, skip); continue; }
      const len = mp.dataLen(m);
      if (pos + PCAP_REC_HDR_LEN + len > buf.length || d === DESC_N) {
        lostPkts += this.flush(pos, d);
        pos = 0;
        d = 0;
      }
      const w = m * MBUF_META_WORDS;
      // (a | b) keeps the test in int32; the words themselves are read inside
      // splitNsAt: a uint32 >= 2^30 passed as an argument would be boxed (a GC).
      if ((meta[w + MBUF_TS_HI] | meta[w + MBUF_TS_LO]) !== 0) {
        splitNsAt(meta, w + MBUF_TS_HI, w + MBUF_TS_LO, ts);
        dv.setUint32(pos, ts[0], true);
        dv.setUint32(pos + 4, ts[1], true);
      } else {
        if (nowSec < 0) {
          // One clock read per burst, and only if some mbuf carries no timestamp.
          clockRealtime(this.now);
          nowSec = this.now[0];
          nowNs = this.now[1];
        }
        dv.setUint32(pos, nowSec, true);
        dv.setUint32(pos + 4, nowNs, true);
      }
      dv.setUint32(pos + 8, len, true);
      dv.setUint32(pos + 12, len, true);
      desc[d * 3] = pos + PCAP_REC_HDR_LEN;
      desc[d * 3 + 1] = mp.mtod(m);
      desc[d * 3 + 2] = len;
      d++;
      pos += PCAP_REC_HDR_LEN + len;
      bytes += len;
    }
    if (d > 0) lostPkts += this.flush(pos, d);
    if (n > skip) mp.putBulkFrom(mbufs, skip, n - skip);
    // Every frame is consumed (DPDK's pcap PMD): written ones are opackets,
    // the rest (invalid, or lost to a write error such as ENOSPC) oerrors.
    st[TX_PACKETS] += n - this.invalid - lostPkts;
    st[TX_BYTES] += bytes - this.lostBytes;
    st[TX_ERRORS] += this.invalid + lostPkts;
    this.invalid = 0;
    this.lostBytes = 0;
    return n;
  }

  /** An mbuf index whose frame lies inside its buffer and holds at least an Ethernet header. */
  private valid(m: number): boolean {
    const mp = this.mp;
    if (m >= mp.n) return false;
    const len = mp.dataLen(m);
    return len >= ETHER_HDR_LEN && mp.dataOff(m) + len <= mp.eltSize;
  }

  /**
   * Counts mbufs[i] as an invalid frame; if it is no mbuf index at all, moves
   * it to mbufs[skip] (before the range txBurst frees: the entry it swaps with
   * was already handled) and returns skip + 1.
   */
  private refuse(mbufs: Uint32Array, i: number, skip: number): number {
    this.invalid++;
    const m = mbufs[i];
    if (m < this.mp.n) return skip; // a real mbuf: freed with the others
    mbufs[i] = mbufs[skip];
    mbufs[skip] = m;
    return skip + 1;
  }

  /** Writes records [0, d) built in txBuf[0, pos); returns how many did not reach the file. */
  private flush(pos: number, d: number): number {
    memCopyBurst(this.txCopy, d);
    const w = writeSome(this.fd, this.txBuf, pos);
    if (w === pos) return 0;
    // Disk full (or another write error): records wholly written count as
    // sent; a torn one is cut off the file; the rest are lost.
    const desc = this.txDesc;
    let k = 0;
    let whole = 0;
    while (k < d && desc[k * 3] + desc[k * 3 + 2] <= w) { whole = desc[k * 3] + desc[k * 3 + 2]; k++; }
    cutTorn(this.fd, w - whole);
    for (let j = k; j < d; j++) this.lostBytes += desc[j * 3 + 2];
    return d - k;
  }

  stats(): PortStats { return sumStats(this.h.stats, 1); }
  /** A file: never waited for. */
  rxWake(): RxWake { return null; }

  close(): void {
    if (this.rxCopy >= 0) memCopyUnregister(this.rxCopy);
    if (this.txCopy >= 0) memCopyUnregister(this.txCopy);
  }
}

export const driver: PortDriver = {
  name: 'net_pcap',
  keys: ['rx_pcap', 'tx_pcap', 'infinite_rx'],
  required: [],
  async open(ctx: OpenContext): Promise<PortHandle> {
    const { name, args } = ctx;
    const rxFile = args.get('rx_pcap');
    const txFile = args.get('tx_pcap');
    const infinite = boolArg(name, args, 'infinite_rx', false);
    if (rxFile === undefined && txFile === undefined) throw new PortError(`${name}: needs rx_pcap=FILE, tx_pcap=FILE or both`);
    if (rxFile === '' || txFile === '') throw new PortError(`${name}: empty file name in ${rxFile === '' ? 'rx_pcap' : 'tx_pcap'}=`);
    if (infinite && rxFile === undefined) throw new PortError(`${name}: infinite_rx=1 needs rx_pcap=FILE`);
    const target = txFile !== undefined ? txTarget(name, txFile) : undefined;
    if (target !== undefined) claim(name, `file:${target}`, `file ${txFile}`);
    const stats = new SharedArrayBuffer(statsBytesFor(1));
    let image: SharedArrayBuffer | null = null;
    if (rxFile !== undefined) {
      const where = `${name}: rx_pcap ${rxFile}`;
      const cap = await loadCapture(rxFile).catch((e: Error) => {
        throw e instanceof CaptureError ? new PortError(`${where}: ${e.message}`) : e;
      });
      if (cap.damage !== undefined) {
        if (cap.count === 0) throw new PortError(`${where}: ${cap.damage}; no packets before it to replay`);
        // Open still succeeds (as tcpdump -r prints what it read); one line, counted once in ierrors.
        process.stderr.write(`${where}: ${cap.damage}; replaying the ${cap.count} packets before it\n`);
        rxLine(stats, 0)[RX_ERRORS] = 1;
      }
      image = cap.image;
    }
    // Last, so that nothing is left open when the rx file fails.
    const txFd = txFile !== undefined ? openTx(name, txFile, target!) : -1;
    const state: PcapState = { image, ctl: new SharedArrayBuffer(CTL_WORDS * 4), infinite, txFd };
    return { driver: 'net_pcap', id: ctx.id, name, mac: virtualMac(ctx.id), nbQueues: 1, stats, state };
  },
  attach: (h, pool) => new PcapPort(h, pool),
  release(h: PortHandle): void {
    const st = h.state as PcapState;
    if (st.txFd >= 0) fs.closeSync(st.txFd);
  },
};
