// net_memif's Port in one thread: the hot path. As net_af_packet's port, each
// queue has a native binding (this thread's mempool views, registered once)
// and a stash of free mbufs the shim copies received frames into; the
// caller's burst arrays are registered again only when a different array
// object comes in. While the link is down rx returns 0 and tx consumes and
// counts every frame (oerrors), as a NIC without carrier would.
import type { Mempool } from '../../mempool/mempool';
import { errnoName, memifBind, memifRx, memifRxWake, memifSetMbufs, memifTx, memifUnbind } from '../../native';
import { RX_NOMBUF, rxLine, sumStats, txLine } from '../stats';
import { Port, PortError, PortHandle, PortStats, RxWake } from '../types';

/** Extra mbufs a refill takes beyond the burst asked for, so the next polls need none. */
const STASH_SLACK = 32;
const MAX_BURST = 512;
const STASH_CAP = MAX_BURST + STASH_SLACK;
const NONE = new Uint32Array(0);

/** What open() records (structured-cloneable). */
export interface MemifState {
  /** Native port id (process-wide). */
  port: number;
  server: boolean;
  socket: string;
  /** Int32 word 0: 1 while the peer is connected (written by the main thread's control timer). */
  link: SharedArrayBuffer;
}

export class MemifPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues: number;
  private readonly binds: Int32Array;
  private readonly stash: Uint32Array[];
  private readonly avail: Int32Array;
  private readonly rxReg: Uint32Array[];
  private readonly txReg: Uint32Array[];
  private readonly rxSt: Float64Array[];
  private readonly link: Int32Array;
  private readonly portId: number;
  private closed = false;

  constructor(h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as MemifState;
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.nbQueues = h.nbQueues;
    this.link = new Int32Array(st.link);
    this.portId = st.port;
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
      const b = memifBind(st.port, q, mp.data, mp.meta, this.stash[q], this.rxSt[q], txLine(h.stats, q), params);
      if (b < 0) {
        for (let i = 0; i < q; i++) memifUnbind(this.binds[i]);
        throw new PortError(`${h.name}: cannot attach queue ${q}: ${errnoName(-b)}${-b === 9 ? ' (port already closed)' : ''}`);
      }
      this.binds[q] = b;
    }
  }

  /** 1 while the peer is connected. */
  linkUp(): number {
    // Observes the control timer's Atomics.store in memif.ts.
    return Atomics.load(this.link, 0);
  }

  rxBurst(queue: number, mbufs: Uint32Array, max: number): number {
    if ((queue >>> 0) >= this.nbQueues || max <= 0) return 0;
    if (this.rxReg[queue] !== mbufs) this.register(queue, 0, mbufs);
    if (max > mbufs.length) max = mbufs.length;
    if (max > MAX_BURST) max = MAX_BURST;
    let avail = this.avail[queue];
    if (avail < max) {
      avail = this.refill(queue, avail, max);
      if (avail === 0) return 0;
    }
    const n = memifRx(this.binds[queue], avail, max);
    if (n <= 0) return 0;
    this.avail[queue] = avail - n;
    return n;
  }

  txBurst(queue: number, mbufs: Uint32Array, n: number): number {
    if ((queue >>> 0) >= this.nbQueues || n <= 0) return 0;
    if (this.txReg[queue] !== mbufs) this.register(queue, 1, mbufs);
    if (n > mbufs.length) n = mbufs.length;
    const c = memifTx(this.binds[queue], 0, n);
    if (c <= 0) return 0;
    // Consumed frames were copied into the peer's buffers (or counted as
    // errors): their mbufs go back to the pool now.
    this.mp.putBulk(mbufs, c);
    return c;
  }

  stats(): PortStats {
    const s = sumStats(this.statsBuf(), this.nbQueues);
    s.link = this.linkUp() ? 'up' : 'down';
    return s;
  }
  /**
   * An epoll fd that lives as long as the port and holds the current
   * connection's ring eventfd; asking for it makes the peer kick that ring
   * after each tx burst (memif's ring flags), as DPDK's rx interrupt mode does.
   * That is a syscall per peer burst even while we poll: adaptive naps do
   * without it (null), only a blocking lcore asks.
   */
  rxWake(queue: number, nap: boolean): RxWake {
    if (nap) return null;
    const fd = memifRxWake(this.portId, queue);
    return fd >= 0 ? { fd } : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (let q = 0; q < this.nbQueues; q++) {
      if (this.avail[q] > 0) this.mp.putBulk(this.stash[q], this.avail[q]);
      this.avail[q] = 0;
      memifUnbind(this.binds[q]);
    }
  }

  private statsBuf(): SharedArrayBuffer { return this.rxSt[0].buffer as SharedArrayBuffer; }

  private register(queue: number, tx: 0 | 1, mbufs: Uint32Array): void {
    if (memifSetMbufs(this.binds[queue], tx, mbufs) < 0) return;
    if (tx) this.txReg[queue] = mbufs;
    else this.rxReg[queue] = mbufs;
  }

  /** Tops the stash up to max + slack; returns the new count (0: pool empty, counted). */
  private refill(queue: number, avail: number, max: number): number {
    const stash = this.stash[queue];
    const need = max - avail;
    let want = need + STASH_SLACK;
    if (want > STASH_CAP - avail) want = STASH_CAP - avail;
    let got = want > 0 ? this.mp.getBulkInto(stash, avail, want) : 0;
    if (got === 0 && need > 0 && need < want) got = this.mp.getBulkInto(stash, avail, need);
    avail += got;
    this.avail[queue] = avail;
    if (avail === 0) this.rxSt[queue][RX_NOMBUF]++;
    return avail;
  }
}
