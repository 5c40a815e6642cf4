// net_af_xdp's Port in one thread: the hot path. Each queue has a native
// binding and a stash of free mbufs; the C side moves stash entries to the
// fill ring as the kernel uses them and reports how many (io word), so a poll
// is one integer-only native call. Sent mbufs belong to the kernel until the
// completion ring returns them: each tx call hands back the completed ones in
// `done`, which this side returns to the pool.
import type { Mempool } from '../../mempool/mempool';
import { XSK_IO, addressOf, errnoName, xskBind, xskRxIo, xskSetMbufs, xskTxIo, xskUnbind } from '../../native';
import { RX_NOMBUF, rxLine, sumStats } from '../stats';
import { Port, PortError, PortHandle, PortStats, RxWake } from '../types';

/** Frames per native call (XSK_MAX_BURST in xsk.h). */
export const XSK_MAX_BURST = 512;
/** Completions plus refused frames one tx call may return (XSK_DONE_CAP in xsk.h). */
export const XSK_DONE_CAP = 2048 + XSK_MAX_BURST;
/** Buffers kept on offer in the fill ring (XSK_FILL_TARGET) plus what the stash keeps back. */
const STASH_CAP = 1024 + 256;
const STASH_LOW = 256;
const { FILLED: IO_FILLED, DONE: IO_DONE, AVAIL: IO_AVAIL, MAX: IO_MAX, START: IO_START, N: IO_N, RESULT: IO_RESULT } = XSK_IO;
const NONE = new Uint32Array(0);

/** What open() records per port (structured-cloneable). */
export interface XskState {
  prog: number;
  queues: number[];
  fds: number[];
  devQueues: number[];
  iface: string;
  ifindex: number;
  mtu: number;
  xdpMode: 'native' | 'generic';
  zeroCopy: boolean;
  /** Address of the mempool data region registered as UMEM. */
  dataAddr: number;
}

export class AfXdpPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues: number;
  private readonly binds: Int32Array;
  private readonly stash: Uint32Array[];
  private readonly avail: Int32Array;
  private readonly io: Int32Array[];
  private readonly done: Uint32Array[];
  private readonly rxReg: Uint32Array[];
  private readonly txReg: Uint32Array[];
  private readonly rxSt: Float64Array[];
  private closed = false;

  constructor(private readonly h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as XskState;
    if (addressOf(mp.data) !== st.dataAddr) throw new PortError(`${h.name}: attached with a mempool other than the one registered as its UMEM`);
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.nbQueues = h.nbQueues;
    this.binds = new Int32Array(h.nbQueues);
    this.avail = new Int32Array(h.nbQueues);
    this.stash = [];
    this.io = [];
    this.done = [];
    this.rxReg = [];
    this.txReg = [];
    this.rxSt = [];
    for (let q = 0; q < h.nbQueues; q++) {
      this.stash.push(new Uint32Array(STASH_CAP));
      this.io.push(new Int32Array(XSK_IO.WORDS));
      this.done.push(new Uint32Array(XSK_DONE_CAP));
      this.rxReg.push(NONE);
      this.txReg.push(NONE);
      this.rxSt.push(rxLine(h.stats, q));
      let b = xskBind(st.queues[q], this.stash[q], this.io[q]);
      if (b >= 0) {
        const rc = xskSetMbufs(b, 2, this.done[q]);
        if (rc < 0) { xskUnbind(b); b = rc; }
      }
      if (b < 0) {
        for (let i = 0; i < q; i++) xskUnbind(this.binds[i]);
        throw new PortError(`${h.name}: cannot attach queue ${q}: ${errnoName(-b)}${-b === 9 ? ' (port already closed)' : ''}`);
      }
      this.binds[q] = b;
    }
  }

  rxBurst(queue: number, mbufs: Uint32Array, max: number): number {
    if ((queue >>> 0) >= this.nbQueues || max <= 0) return 0;
    if (this.rxReg[queue] !== mbufs) this.register(queue, 0, mbufs);
    let avail = this.avail[queue];
    if (avail < STASH_LOW) avail = this.refill(queue, avail);
    const io = this.io[queue];
    io[IO_AVAIL] = avail;
    io[IO_MAX] = max;
    xskRxIo(this.binds[queue]);
    this.avail[queue] = avail - io[IO_FILLED];
    const n = io[IO_RESULT];
    return n > 0 ? n : 0;
  }

  txBurst(queue: number, mbufs: Uint32Array, n: number): number {
    if ((queue >>> 0) >= this.nbQueues || n <= 0) return 0;
    if (this.txReg[queue] !== mbufs) this.register(queue, 1, mbufs);
    if (n > mbufs.length) n = mbufs.length;
    let sent = 0;
    while (sent < n) {
      const k = n - sent > XSK_MAX_BURST ? XSK_MAX_BURST : n - sent;
      const r = this.txChunk(queue, sent, k);
      if (r <= 0) break;
      sent += r;
      if (r < k) break;
    }
    return sent;
  }

  stats(): PortStats { return sumStats(this.h.stats, this.nbQueues); }
  /** The queue's XSK: poll() says POLLIN once its rx ring has descriptors. */
  rxWake(queue: number): RxWake { return { fd: (this.h.state as XskState).fds[queue] }; }

  /** Returns stashed mbufs to the pool and drops this thread's bindings (the sockets stay open). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let q = 0; q < this.nbQueues; q++) {
      // A last tx call with nothing to send collects completions still queued.
      if (this.txReg[q] !== NONE) this.txChunk(q, 0, 0);
      if (this.avail[q] > 0) this.mp.putBulk(this.stash[q], this.avail[q]);
      this.avail[q] = 0;
      xskUnbind(this.binds[q]);
      // Burst calls on an unbound binding write nothing: calls after close read 0.
      this.io[q].fill(0);
    }
  }

  /** One native tx call: sends mbufs[start..start+k) (a prefix of them), frees what completed. */
  private txChunk(queue: number, start: number, k: number): number {
    const io = this.io[queue];
    io[IO_START] = start;
    io[IO_N] = k;
    xskTxIo(this.binds[queue]);
    const r = io[IO_RESULT];
    const done = r >= 0 ? io[IO_DONE] : 0;
    if (done > 0) this.mp.putBulk(this.done[queue], done);
    io[IO_DONE] = 0;
    return r;
  }

  private register(queue: number, tx: 0 | 1, mbufs: Uint32Array): void {
    const rc = xskSetMbufs(this.binds[queue], tx, mbufs);
    if (rc < 0) return; // a closed port keeps failing its calls (rx/tx return 0)
    if (tx) this.txReg[queue] = mbufs;
    else this.rxReg[queue] = mbufs;
  }

  /** Tops the stash up from the pool; returns the new count (counts an empty pool). */
  private refill(queue: number, avail: number): number {
    const want = STASH_CAP - avail;
    let got = this.mp.getBulkInto(this.stash[queue], avail, want);
    // getBulk is all or nothing: with the pool nearly empty, take a burst's worth.
    if (got === 0) got = this.mp.getBulkInto(this.stash[queue], avail, 32);
    avail += got;
    this.avail[queue] = avail;
    if (avail === 0) this.rxSt[queue][RX_NOMBUF]++;
    return avail;
  }
}
