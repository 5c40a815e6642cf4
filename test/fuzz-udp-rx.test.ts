// Fuzzing net_udp's receive validation through real sockets: batches of
// datagrams (VXLAN for this VNI and for others, I flag clear, cut short,
// runt and oversize inner frames, random bytes) sent over loopback inside a
// namespace this run creates. Every datagram must be accounted for: the
// valid ones delivered byte for byte and in order (ipackets, ibytes), every
// other one counted in ierrors, none missed, every mbuf back in the pool.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import type * as dgram from 'node:dgram';
import fc from 'fast-check';
import { Mempool } from '../src/mempool/mempool';
import { ETH_HLEN } from '../src/net/headers';
import { VXLAN_HLEN, vxlanHeader } from '../src/net/vxlan';
import type { Port } from '../src/port/types';
import { frameOf } from './helpers/conformance';
import { TestNet, netSkipReason } from './helpers/testnet';
import { closeSock, dgramIn, free, openIn, send } from './helpers/udp-peer';

const skip = netSkipReason();
const tn = new TestNet('fz');
after(() => tn.destroy());
process.on('exit', () => tn.destroy());

// Each case is a batch of up to 16 datagrams (2000 batches: over 10^4 datagrams per mode); `npm run fuzz` runs FUZZ_RUNS/50.
const RUNS = process.env.FUZZ_RUNS ? Math.ceil(Number(process.env.FUZZ_RUNS) / 50) : 2000;
const VNI = 0x123456;
const DATA_ROOM = 2048;

interface Dgram { bytes: Uint8Array; frame?: Uint8Array }

const inner = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.integer({ min: 0, max: 2100 }).map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff)),
  fc.constantFrom(13, 14, DATA_ROOM, DATA_ROOM + 1).map((n) => new Uint8Array(n).fill(n & 0xff)));
/** A datagram for the VXLAN port and the frame it must deliver, if any. */
const vxDgram: fc.Arbitrary<Dgram> = fc.oneof(
  inner.map((f) => ({ bytes: concat(vxlanHeader(VNI), f), frame: f.length >= ETH_HLEN && f.length <= DATA_ROOM ? f : undefined })),
  fc.tuple(fc.nat(0xffffff), inner).map(([v, f]) => ({ bytes: concat(vxlanHeader(v), f), frame: v === VNI && f.length >= ETH_HLEN && f.length <= DATA_ROOM ? f : undefined })),
  inner.map((f) => { const h = vxlanHeader(VNI); h[0] = 0; return { bytes: concat(h, f) }; }), // I flag clear
  fc.uint8Array({ maxLength: VXLAN_HLEN - 1 }).map((b) => ({ bytes: b })), // shorter than the header
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ bytes: b, frame: expectVx(b) })),
);
/** A datagram for the plain port: any frame of 14..2048 bytes is delivered as it is. */
const plainDgram: fc.Arbitrary<Dgram> = inner.map((f) => ({ bytes: f, frame: f.length >= ETH_HLEN && f.length <= DATA_ROOM ? f : undefined }));

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** RFC 7348 read by the book: I flag set, this VNI, an inner frame of 14..DATA_ROOM bytes. */
function expectVx(b: Uint8Array): Uint8Array | undefined {
  if (b.length < VXLAN_HLEN || (b[0] & 0x08) === 0 || ((b[4] << 16) | (b[5] << 8) | b[6]) !== VNI) return undefined;
  const f = b.subarray(VXLAN_HLEN);
  return f.length >= ETH_HLEN && f.length <= DATA_ROOM ? f : undefined;
}

/** Sends the batch, then receives until every datagram is counted (ipackets + ierrors) or 5 s pass. */
async function batch(port: Port, pool: Mempool, peer: dgram.Socket, to: number, ds: Dgram[]): Promise<void> {
  const s0 = port.stats();
  for (const d of ds) await send(peer, d.bytes, to, '127.0.0.1');
  const got: number[] = [];
  const bufs = new Uint32Array(32);
  const end = Date.now() + 5000;
  let s = port.stats();
  while (s.ipackets + s.ierrors - s0.ipackets - s0.ierrors < ds.length && Date.now() < end) {
    const k = port.rxBurst(0, bufs, 32);
    for (let i = 0; i < k; i++) got.push(bufs[i]);
    if (k === 0) await new Promise((r) => setImmediate(r));
    s = port.stats();
  }
  const want = ds.flatMap((d) => (d.frame ? [d.frame] : []));
  try {
    assert.equal(s.imissed - s0.imissed, 0);
    assert.equal(s.ipackets - s0.ipackets, want.length);
    assert.equal(s.ierrors - s0.ierrors, ds.length - want.length);
    assert.equal(s.ibytes - s0.ibytes, want.reduce((n, f) => n + f.length, 0));
    assert.equal(got.length, want.length);
    for (let i = 0; i < got.length; i++) assert.deepEqual(frameOf(pool, got[i]), want[i]);
  } finally {
    free(pool, got);
  }
  assert.equal(pool.availCount(), pool.n, 'an mbuf was not returned');
}

test(`fuzz: net_udp rx delivers exactly the valid datagrams and counts the rest in ierrors (${RUNS} batches per mode)`, { skip, timeout: 600_000 }, async () => {
  const ns = tn.ns('u');
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  const vx = await openIn(ns, `net_udp0,local=127.0.0.1:4789,remote=127.0.0.1:4790,vni=${VNI}`, 0, pool);
  const plain = await openIn(ns, 'net_udp1,local=127.0.0.1:5001,remote=127.0.0.1:5002', 1, pool);
  const vxPeer = await dgramIn(ns, 4, '127.0.0.1', 4790);
  const plainPeer = await dgramIn(ns, 4, '127.0.0.1', 5002);
  try {
    await fc.assert(fc.asyncProperty(fc.array(vxDgram, { maxLength: 16 }), (ds) => batch(vx, pool, vxPeer, 4789, ds)), { numRuns: RUNS, timeout: 10_000 });
    await fc.assert(fc.asyncProperty(fc.array(plainDgram, { maxLength: 16 }), (ds) => batch(plain, pool, plainPeer, 5001, ds)), { numRuns: RUNS, timeout: 10_000 });
  } finally {
    await closeSock(vxPeer);
    await closeSock(plainPeer);
    vx.close();
    plain.close();
  }
  assert.equal(pool.availCount(), pool.n);
});
