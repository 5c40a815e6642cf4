// net_af_packet's Port in one thread: the hot path. Every queue has a native
// binding (this thread's views of the mempool, registered once) and a small
// stash of free mbufs the C side receives into, so an empty poll is one
// integer-only native call and touches no mempool line. The caller's burst
// arrays are registered lazily, again only when a different array object is
// passed (identity check), because unwrapping a TypedArray costs ~50 ns a call.
import type { Mempool } from '../../mempool/mempool';
import { afpBind, afpRx, afpSetMbufs, afpTx, afpUnbind, errnoName } from '../../native';
import { RX_NOMBUF, rxLine, sumStats, txLine } from '../stats';
import { Port, PortError, PortHandle, PortStats, RxWake } from '../types';

/** Frames per native call (AFP_MAX_BURST in afp.h; a test checks they agree). */
export const AFP_MAX_BURST = 512;
/** afpTx returns consumed | nonMbufs << 16 (AFP_TX_NONMBUF_SHIFT in afp.h). */
const NONMBUF_SHIFT = 16;
const CONSUMED_MASK = (1 << NONMBUF_SHIFT) - 1;
/** Extra mbufs a refill takes beyond the burst asked for, so the next polls need none. */
const STASH_SLACK = 32;
const STASH_CAP = AFP_MAX_BURST + STASH_SLACK;
const NONE = new Uint32Array(0);

/** What open() records per port (structured-cloneable: numbers and strings). */
export interface AfpState {
  /** Native queue ids, one per queue pair (process-wide, see afp_setup.c). */
  queues: number[];
  /** The queues' socket fds, for diagnostics. */
  fds: number[];
  mode: 'mmap' | 'mmsg';
  iface: string;
  ifindex: number;
  mtu: number;
}

export class AfPacketPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues: number;
  private readonly binds: Int32Array;
  private readonly stash: Uint32Array[];
  private readonly avail: Int32Array;   // free mbufs at the bottom of each stash
  private readonly rxReg: Uint32Array[]; // array registered as each binding's rx/tx burst array
  private readonly txReg: Uint32Array[];
  private readonly rxSt: Float64Array[];
  private closed = false;

  constructor(private readonly h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as AfpState;
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.nbQueues = h.nbQueues;
    this.binds = new Int32Array(h.nbQueues);
    this.avail = new Int32Array(h.nbQueues);
    this.stash = [];
    this.rxReg = [];
    this.txReg = [];
    this.rxSt = [];
    const params = { port: h.id, headroom: mp.headroom, dataRoom: mp.dataRoom, eltSize: mp.eltSize, nbMbufs: mp.n };
    for (let q = 0; q < h.nbQueues; q++) {
      this.stash.push(new Uint32Array(STASH_CAP));
      this.rxReg.push(NONE);
      this.txReg.push(NONE);
      this.rxSt.push(rxLine(h.stats, q));
      const b = afpBind(st.queues[q], mp.data, mp.meta, this.stash[q], this.rxSt[q], txLine(h.stats, q), params);
      if (b < 0) {
        for (let i = 0; i < q; i++) afpUnbind(this.binds[i]);
        throw new PortError(`${h.name}: cannot attach queue ${q}: ${errnoName(-b)}${-b === 9 ? ' (port already closed)' : ''}`);
      }
      this.binds[q] = b;
    }
  }

  rxBurst(queue: number, mbufs: Uint32Array, max: number): number {
    if ((queue >>> 0) >= this.nbQueues || max <= 0) return 0;
    if (this.rxReg[queue] !== mbufs) this.register(queue, 0, mbufs);
    let avail = this.avail[queue];
    if (avail < max) {
      avail = this.refill(queue, avail, max);
      if (avail === 0) return 0;
    }
    const n = afpRx(this.binds[queue], avail, max);
    if (n <= 0) return 0;
    this.avail[queue] = avail - n;
    return n;
  }

  txBurst(queue: number, mbufs: Uint32Array, n: number): number {
    if ((queue >>> 0) >= this.nbQueues || n <= 0) return 0;
    if (this.txReg[queue] !== mbufs) this.register(queue, 1, mbufs);
    if (n > mbufs.length) n = mbufs.length;
    const b = this.binds[queue];
    const r = afpTx(b, 0, n > AFP_MAX_BURST ? AFP_MAX_BURST : n);
    if (r < 0) return 0;
    let sent = r & CONSUMED_MASK;
    if (n > AFP_MAX_BURST && sent === AFP_MAX_BURST) return this.txRest(b, mbufs, n, r >>> NONMBUF_SHIFT);
    // The driver owns what it consumed: sent frames are copied out (mmap) or
    // already on their way (mmsg), invalid ones were dropped and counted.
    // Entries that were no mbuf index at all (counted too) sit at the end of
    // the consumed prefix and never reach the pool.
    if (r > CONSUMED_MASK) this.freeConsumed(mbufs, 0, sent, r >>> NONMBUF_SHIFT);
    else if (sent > 0) this.mp.putBulk(mbufs, sent);
    return sent;
  }

  stats(): PortStats { return sumStats(this.h.stats, this.nbQueues); }
  /** The queue's socket: poll() says POLLIN once a frame is in its rx ring or queue (packet(7)). */
  rxWake(queue: number): RxWake { return { fd: (this.h.state as AfpState).fds[queue] }; }

  /** Returns stashed mbufs to the pool and drops this thread's bindings (the sockets stay open). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let q = 0; q < this.nbQueues; q++) {
      if (this.avail[q] > 0) this.mp.putBulk(this.stash[q], this.avail[q]);
      this.avail[q] = 0;
      afpUnbind(this.binds[q]);
    }
  }

  private register(queue: number, tx: 0 | 1, mbufs: Uint32Array): void {
    const rc = afpSetMbufs(this.binds[queue], tx, mbufs);
    // A closed port keeps failing its calls (rx/tx return 0); nothing to record.
    if (rc < 0) return;
    if (tx) this.txReg[queue] = mbufs;
    else this.rxReg[queue] = mbufs;
  }

  /** Tops the stash up to max + slack; returns the new count (0: pool empty, counted). */
  private refill(queue: number, avail: number, max: number): number {
    const stash = this.stash[queue];
    const need = (max > AFP_MAX_BURST ? AFP_MAX_BURST : max) - avail;
    let want = need + STASH_SLACK;
    if (want > STASH_CAP - avail) want = STASH_CAP - avail;
    let got = want > 0 ? this.mp.getBulkInto(stash, avail, want) : 0;
    // getBulk is all or nothing: with the pool nearly empty, ask for just the burst.
    if (got === 0 && need > 0 && need < want) got = this.mp.getBulkInto(stash, avail, need);
    avail += got;
    this.avail[queue] = avail;
    if (avail === 0) this.rxSt[queue][RX_NOMBUF]++;
    return avail;
  }

  /** Bursts above AFP_MAX_BURST: further native calls while each takes a full chunk; frees what they consumed. */
  private txRest(b: number, mbufs: Uint32Array, n: number, nonMbufs: number): number {
    this.freeConsumed(mbufs, 0, AFP_MAX_BURST, nonMbufs);
    let sent = AFP_MAX_BURST;
    while (sent < n) {
      const k = n - sent > AFP_MAX_BURST ? AFP_MAX_BURST : n - sent;
      const r = afpTx(b, sent, k);
      if (r <= 0) break;
      const c = r & CONSUMED_MASK;
      this.freeConsumed(mbufs, sent, c, r >>> NONMBUF_SHIFT);
      sent += c;
      if (c < k) break;
    }
    return sent;
  }

  /** Returns mbufs[start, start + consumed) to the pool but its last nonMbufs entries (not mbuf indices). */
  private freeConsumed(mbufs: Uint32Array, start: number, consumed: number, nonMbufs: number): void {
    if (consumed > nonMbufs) this.mp.putBulkFrom(mbufs, start, consumed - nonMbufs);
  }
}
