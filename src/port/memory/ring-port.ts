// net_ring: a port over tsfwd rings of mbuf indices, no kernel and no copy
// (DPDK's ring PMD). Alone it loops back: what it sends it receives. With
// peer=<other net_ring device> two ports are joined crosswise, like a cable.
// Rings are named after the port that receives from them and created by
// whichever of the two opens first.
import { Mempool } from '../../mempool/mempool';
import { Ring } from '../../ring/ring';
import { intArg } from '../devargs';
import { virtualMac } from '../claims';
import { RX_BYTES, RX_PACKETS, TX_BYTES, TX_PACKETS, rxLine, statsBytesFor, sumStats, txLine } from '../stats';
import { OpenContext, Port, PortDriver, PortError, PortHandle, PortStats, RxWake } from '../types';

interface RingState { rx: SharedArrayBuffer; tx: SharedArrayBuffer }

// Main thread only: rings by receiving device name, with how many open ports use each.
const rings = new Map<string, { ring: Ring; users: number }>();

function useRing(name: string, size: number): Ring {
  let r = rings.get(name);
  if (!r) {
    r = { ring: Ring.create(size), users: 0 };
    rings.set(name, r);
  } else if (r.ring.capacity !== size) {
    throw new PortError(`${name}: ring size ${size} differs from its peer's ${r.ring.capacity}`);
  }
  r.users++;
  return r.ring;
}

class RingPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues = 1;
  private readonly rxRing: Ring;
  private readonly txRing: Ring;
  private readonly rxSt: Float64Array;
  private readonly txSt: Float64Array;

  constructor(private readonly h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as RingState;
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.rxRing = Ring.attach(st.rx);
    this.txRing = Ring.attach(st.tx);
    this.rxSt = rxLine(h.stats, 0);
    this.txSt = txLine(h.stats, 0);
  }

  rxBurst(_queue: number, mbufs: Uint32Array, max: number): number {
    const n = this.rxRing.dequeueBurst(mbufs, max);
    if (n === 0) return 0;
    const mp = this.mp;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      mp.setPort(mbufs[i], this.id);
      bytes += mp.dataLen(mbufs[i]);
    }
    this.rxSt[RX_PACKETS] += n;
    this.rxSt[RX_BYTES] += bytes;
    return n;
  }

  txBurst(_queue: number, mbufs: Uint32Array, n: number): number {
    const mp = this.mp;
    const sent = this.txRing.enqueueBurst(mbufs, n);
    let bytes = 0;
    for (let i = 0; i < sent; i++) bytes += mp.dataLen(mbufs[i]);
    // A full ring refuses the rest: not an oerror (as in DPDK, a short tx
    // burst is the caller's drop to count, and the caller frees those mbufs).
    this.txSt[TX_PACKETS] += sent;
    this.txSt[TX_BYTES] += bytes;
    return sent;
  }

  stats(): PortStats { return sumStats(this.h.stats, 1); }
  /** The producer (the peer's tx) rings the doorbell of a consumer that sleeps. */
  rxWake(): RxWake { return { ring: this.rxRing }; }
  close(): void { /* nothing per thread */ }
}

export const driver: PortDriver = {
  name: 'net_ring',
  keys: ['size', 'peer'],
  required: [],
  open(ctx: OpenContext): PortHandle {
    const size = intArg(ctx.name, ctx.args, 'size', 1024, 1, 1 << 20);
    if ((size & (size - 1)) !== 0) throw new PortError(`${ctx.name}: devarg size=${size} must be a power of two`);
    const peer = ctx.args.get('peer');
    if (peer !== undefined && (!/^net_ring\w*$/.test(peer) || peer === ctx.name)) {
      throw new PortError(`${ctx.name}: devarg peer=${peer} must name another net_ring device`);
    }
    const rx = useRing(ctx.name, size);
    let tx = rx;
    if (peer !== undefined) {
      try {
        tx = useRing(peer, size);
      } catch (e) {
        releaseRing(ctx.name, ctx.pool);
        throw e;
      }
    }
    const state: RingState = { rx: rx.buffer, tx: tx.buffer };
    return { driver: 'net_ring', id: ctx.id, name: ctx.name, mac: virtualMac(ctx.id), nbQueues: 1, stats: new SharedArrayBuffer(statsBytesFor(1)), state: { ...state, peer, pool: ctx.pool.buffer } };
  },
  attach: (h, pool) => new RingPort(h, pool),
  release(h: PortHandle): void {
    const st = h.state as { peer?: string; pool: SharedArrayBuffer };
    const pool = Mempool.attach(st.pool);
    releaseRing(h.name, pool);
    if (st.peer !== undefined) releaseRing(st.peer, pool);
  },
};

/** Drops one user of a ring; the last one returns any mbufs still queued to the pool. */
function releaseRing(name: string, pool: Mempool): void {
  const r = rings.get(name);
  if (!r) return;
  if (--r.users > 0) return;
  rings.delete(name);
  const tmp = new Uint32Array(64);
  for (let n = r.ring.dequeueBurst(tmp, 64); n > 0; n = r.ring.dequeueBurst(tmp, 64)) pool.putBulk(tmp, n);
}
