// net_udp's Port: one L2 frame per UDP datagram, bursts moved by the shim's
// recvmmsg/sendmmsg with iovecs into the mbufs' data rooms (native-shims/src/udp/udp.c).
// rx: the caller's mbufs are filled from the pool, the shim receives into
// them, and this file keeps the valid ones (in arrival order) and returns the
// rest to the pool. With VXLAN each datagram lands 8 bytes before the data
// offset, so the header sits in headroom and the inner frame where an mbuf's
// frame always starts.
import * as os from 'node:os';
import type { Mempool } from '../../mempool/mempool';
import { errnoName, udpCtxCreate, udpCtxFree, udpCtxSetMbufs, udpRx, udpTx } from '../../native';
import { ETH_HLEN } from '../../net/headers';
import { VXLAN_HLEN, vxlanVni } from '../../net/vxlan';
import {
  RX_BYTES, RX_ERRORS, RX_MISSED, RX_NOMBUF, RX_OERRORS, RX_PACKETS, TX_BYTES, TX_ERRORS, TX_LATE, TX_PACKETS, rxLine, sumStats, txLine,
} from '../stats';
import { Port, PortError, PortHandle, PortStats, RxWake } from '../types';

/** What a net_udp handle's `state` holds (structured-cloneable). */
export interface UdpState {
  fd: number;
  family: 4 | 6;
  /** VXLAN network identifier, or -1 for plain frames. */
  vni: number;
  /** Plain mode connects (the kernel then filters by peer); VXLAN does not (any source port). */
  connected: boolean;
  remoteAddr: string;
  remotePort: number;
}

// Must equal udp.c's constants (test/port-udp.test.ts compares them with udpLayout()).
export const UDP_BURST_MAX = 64;
export const UDP_IO_LEN = 0;
export const UDP_IO_FLAGS = UDP_IO_LEN + UDP_BURST_MAX;
export const UDP_IO_FOREIGN = UDP_IO_FLAGS + UDP_BURST_MAX;
export const UDP_IO_DROPS = UDP_IO_FOREIGN + UDP_BURST_MAX;
export const UDP_IO_WORDS = UDP_IO_DROPS + 1;
export const MSG_TRUNC = 0x20; // recvmsg(2) msg_flags: datagram longer than the buffer

// An ICMP error for an earlier datagram is reported once by whichever of
// send/recv runs next (udp(7), connected sockets). When rx sees it, it is
// counted in RX_OERRORS of the rx line (one writer: the rx lcore), when tx
// sees it in TX_LATE; sumStats adds both to oerrors and to oerrorsLate (the
// datagram it is about was counted in opackets).

const E = os.constants.errno;
const [EAGAIN, ENOBUFS, EBADF, EINVAL] = [-E.EAGAIN, -E.ENOBUFS, -E.EBADF, -E.EINVAL];

/** Errors a connected UDP socket reports for an earlier datagram (ICMP), not necessarily this one. */
function maybeIcmp(rc: number): boolean {
  return rc === -E.ECONNREFUSED || rc === -E.EHOSTUNREACH || rc === -E.ENETUNREACH ||
    rc === -E.EPROTO || rc === -E.ENOPROTOOPT;
}

export class UdpPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues = 1;
  private readonly rxSt: Float64Array;
  private readonly txSt: Float64Array;
  private readonly io = new Uint32Array(UDP_IO_WORDS);
  private readonly vni: number;
  private ctx: number;
  /** The mbufs array the shim's iovecs come from (kept referenced while registered). */
  private reg: Uint32Array = new Uint32Array(0);

  constructor(private readonly h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as UdpState;
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.vni = st.vni;
    this.rxSt = rxLine(h.stats, 0);
    this.txSt = txLine(h.stats, 0);
    this.ctx = udpCtxCreate({
      fd: st.fd, connected: st.connected, vni: st.vni, family: st.family, remoteAddr: st.remoteAddr,
      remotePort: st.remotePort, data: mp.data, meta: mp.meta, eltSize: mp.eltSize, headroom: mp.headroom,
      dataRoom: mp.dataRoom, io: this.io,
    });
    if (this.ctx < 0) throw new PortError(`${h.name}: cannot set up a queue: ${errnoName(-this.ctx)}`);
  }

  rxBurst(_queue: number, mbufs: Uint32Array, max: number): number {
    if (max > mbufs.length) throw new RangeError(`${this.name}: rxBurst max ${max} > mbufs.length ${mbufs.length}`);
    if (max > UDP_BURST_MAX) max = UDP_BURST_MAX;
    if (max <= 0) return 0;
    if (mbufs !== this.reg) this.register(mbufs);
    const mp = this.mp;
    const st = this.rxSt;
    if (mp.getBulk(mbufs, max) === 0) { st[RX_NOMBUF]++; return 0; }
    const r = udpRx(this.ctx, max);
    if (r <= 0) {
      mp.putBulk(mbufs, max);
      if (r < 0 && r !== EAGAIN) this.rxFailed(r);
      return 0;
    }
    const io = this.io;
    const data = mp.data;
    const vni = this.vni;
    const hdr = mp.headroom - VXLAN_HLEN; // VXLAN header offset in an mbuf's buffer
    const elt = mp.eltSize;
    let good = 0;
    let bytes = 0;
    for (let i = 0; i < r; i++) {
      const m = mbufs[i];
      let len = io[UDP_IO_LEN + i];
      // Truncated (longer than the data room) or, unconnected, from another host.
      if ((io[UDP_IO_FLAGS + i] & MSG_TRUNC) !== 0 || io[UDP_IO_FOREIGN + i] !== 0) continue;
      if (vni >= 0) {
        if (vxlanVni(data, m * elt + hdr, len) !== vni) continue; // short, no I flag, other VNI
        len -= VXLAN_HLEN;
      }
      if (len < ETH_HLEN) continue;
      // Keep valid frames in front, in arrival order; rejected ones move back.
      mbufs[i] = mbufs[good];
      mbufs[good++] = m;
      mp.reset(m);
      mp.setDataLen(m, len);
      mp.setPort(m, this.id);
      bytes += len;
    }
    // Rejected and unused mbufs go straight back; nothing else holds them.
    if (good < max) mp.putBulkFrom(mbufs, good, max - good);
    st[RX_PACKETS] += good;
    st[RX_BYTES] += bytes;
    st[RX_ERRORS] += r - good;
    const drops = io[UDP_IO_DROPS]; // cumulative kernel drops (SO_RXQ_OVFL), as of the last datagram
    if (drops > st[RX_MISSED]) st[RX_MISSED] = drops;
    return good;
  }

  txBurst(_queue: number, mbufs: Uint32Array, n: number): number {
    if (n > mbufs.length) throw new RangeError(`${this.name}: txBurst n ${n} > mbufs.length ${mbufs.length}`);
    if (n <= 0) return 0;
    if (mbufs !== this.reg) this.register(mbufs);
    const mp = this.mp;
    let done = 0; // mbufs[0..done) are consumed: sent or dropped as errors
    let skip = 0; // mbufs[0..skip) are consumed entries that were no mbuf index: never freed
    let sent = 0;
    let bytes = 0;
    let errors = 0;
    let late = 0;
    let retried = -1;
    let lateRc = 0;
    while (done < n) {
      const k = n - done > UDP_BURST_MAX ? UDP_BURST_MAX : n - done;
      const r = udpTx(this.ctx, done, k);
      if (r > 0) {
        for (let i = done; i < done + r; i++) bytes += mp.dataLen(mbufs[i]);
        done += r;
        sent += r;
        continue;
      }
      // Socket buffer full: the caller keeps the rest (and decides to drop or retry).
      if (r === EAGAIN || r === ENOBUFS || r === 0) break;
      if (r === EBADF && done === 0) throw new PortError(`${this.name}: txBurst failed: EBADF (port closed?)`);
      if (maybeIcmp(r) && retried !== done) {
        // Perhaps an earlier datagram's ICMP error, now consumed: an error
        // for a frame already counted sent (TX_LATE); retry this frame once.
        late++;
        retried = done;
        lateRc = r;
        continue;
      }
      // The same error again at once: it was this frame's own (no route), not a pending ICMP.
      if (retried === done && r === lateRc) late--;
      // This frame cannot be sent (EMSGSIZE, no route, bad metadata or not an
      // mbuf index: EINVAL): drop it, counted, and go on with the next.
      errors++;
      if (mbufs[done] >= mp.n) {
        // Not an mbuf: move it in front of the consumed range, out of putBulk's way.
        const t = mbufs[skip];
        mbufs[skip++] = mbufs[done];
        mbufs[done] = t;
      }
      done++;
    }
    if (done > skip) mp.putBulkFrom(mbufs, skip, done - skip);
    const st = this.txSt;
    st[TX_PACKETS] += sent;
    st[TX_BYTES] += bytes;
    st[TX_ERRORS] += errors;
    st[TX_LATE] += late;
    return done;
  }

  /** The socket: readable once a datagram waits. */
  rxWake(): RxWake { return { fd: (this.h.state as UdpState).fd }; }

  stats(): PortStats {
    return sumStats(this.h.stats, 1);
  }

  /** Detaches this thread's queue context; the socket stays open until release(). */
  close(): void {
    if (this.ctx < 0) return;
    udpCtxFree(this.ctx);
    this.ctx = -1;
    this.reg = new Uint32Array(0);
  }

  private register(mbufs: Uint32Array): void {
    const rc = udpCtxSetMbufs(this.ctx, mbufs);
    if (rc < 0) throw new PortError(`${this.name}: ${rc === EBADF ? 'port is closed' : `cannot register mbufs: ${errnoName(-rc)}`}`);
    this.reg = mbufs;
  }

  private rxFailed(rc: number): void {
    if (rc === EBADF || rc === EINVAL) throw new PortError(`${this.name}: rxBurst failed: ${errnoName(-rc)}${rc === EBADF ? ' (port closed?)' : ''}`);
    this.rxSt[maybeIcmp(rc) ? RX_OERRORS : RX_ERRORS]++;
  }
}
