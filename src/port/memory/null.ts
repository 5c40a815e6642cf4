// net_null: rx hands out `size`-byte frames as fast as the mempool allows, tx
// frees everything (DPDK's null PMD). With copy=1 each rx frame gets a
// template copied in, so the cost of touching frame data is measured too.
// With count=N rx stops after exactly N frames (count=0: a tx-only port), so
// a run has a known total to check every counter against.
import { Mempool } from '../../mempool/mempool';
import { boolArg, intArg } from '../devargs';
import { virtualMac } from '../claims';
import { RX_BYTES, RX_NOMBUF, RX_PACKETS, TX_BYTES, TX_PACKETS, rxLine, statsBytesFor, sumStats, txLine } from '../stats';
import { OpenContext, Port, PortDriver, PortError, PortHandle, PortStats, RxWake } from '../types';

interface NullState { size: number; copy: boolean; count: number }

/** The frame copy=1 writes: broadcast, EtherType 0x88b5 (local experimental), payload i & 0xff. */
export function nullTemplate(size: number, mac: readonly number[]): Uint8Array {
  const f = new Uint8Array(size);
  f.fill(0xff, 0, 6);
  f.set(mac, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  for (let i = 14; i < size; i++) f[i] = i & 0xff;
  return f;
}

class NullPort implements Port {
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues: number;
  private readonly rx: Float64Array[];
  private readonly tx: Float64Array[];
  private readonly size: number;
  private readonly copy: boolean;
  /** Frames rx hands out in total (count=), -1 = unlimited: a number either way, so one shape. */
  private readonly count: number;
  private readonly template: Uint8Array;

  constructor(private readonly h: PortHandle, private readonly mp: Mempool) {
    const st = h.state as NullState;
    this.id = h.id;
    this.name = h.name;
    this.mac = Uint8Array.from(h.mac);
    this.nbQueues = h.nbQueues;
    this.size = st.size;
    this.copy = st.copy;
    this.count = st.count;
    this.template = nullTemplate(st.size, h.mac);
    this.rx = Array.from({ length: h.nbQueues }, (_, q) => rxLine(h.stats, q));
    this.tx = Array.from({ length: h.nbQueues }, (_, q) => txLine(h.stats, q));
  }

  rxBurst(queue: number, mbufs: Uint32Array, max: number): number {
    const mp = this.mp;
    const st = this.rx[queue];
    if (this.count >= 0) {
      // The queue's own rx counter is the number handed out so far: count=
      // implies one queue, and that counter has this lcore as its only writer.
      const left = this.count - st[RX_PACKETS];
      if (max > left) max = left;
    }
    if (max <= 0) return 0;
    if (mp.getBulk(mbufs, max) === 0) { st[RX_NOMBUF]++; return 0; }
    const size = this.size;
    for (let i = 0; i < max; i++) {
      const m = mbufs[i];
      mp.reset(m);
      mp.setDataLen(m, size);
      mp.setPort(m, this.id);
      if (this.copy) mp.data.set(this.template, mp.mtod(m));
    }
    st[RX_PACKETS] += max;
    st[RX_BYTES] += max * size;
    return max;
  }

  txBurst(queue: number, mbufs: Uint32Array, n: number): number {
    const mp = this.mp;
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += mp.dataLen(mbufs[i]);
    mp.putBulk(mbufs, n);
    const st = this.tx[queue];
    st[TX_PACKETS] += n;
    st[TX_BYTES] += bytes;
    return n;
  }

  stats(): PortStats { return sumStats(this.h.stats, this.nbQueues); }
  /** No fd to wait on (and without count= it always has frames): napped on, never waited for. */
  rxWake(): RxWake { return null; }
  close(): void { /* nothing per thread */ }
}

export const driver: PortDriver = {
  name: 'net_null',
  keys: ['size', 'copy', 'qpairs', 'count'],
  required: [],
  open(ctx: OpenContext): PortHandle {
    const size = intArg(ctx.name, ctx.args, 'size', 64, 14, ctx.pool.dataRoom);
    const copy = boolArg(ctx.name, ctx.args, 'copy', false);
    const nbQueues = intArg(ctx.name, ctx.args, 'qpairs', 1, 1, 64);
    const count = intArg(ctx.name, ctx.args, 'count', -1, 0, Number.MAX_SAFE_INTEGER);
    if (count >= 0 && nbQueues > 1) throw new PortError(`${ctx.name}: devarg count= needs qpairs=1 (it counts the frames of one rx queue)`);
    const state: NullState = { size, copy, count };
    return { driver: 'net_null', id: ctx.id, name: ctx.name, mac: virtualMac(ctx.id), nbQueues, stats: new SharedArrayBuffer(statsBytesFor(nbQueues)), state };
  },
  attach: (h, pool) => new NullPort(h, pool),
  release() { /* no OS resources */ },
};
