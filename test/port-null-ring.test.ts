// net_null and net_ring through the conformance suite, plus their own rules.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Mempool } from '../src/mempool/mempool';
import { nullTemplate } from '../src/port/memory/null';
import { openPort } from '../src/port/registry';
import { frameOf, runConformance, testFrame } from './helpers/conformance';

let nextId = 0;

runConformance({
  name: 'net_null',
  async open(pool) {
    const port = await openPort(`net_null${nextId},size=128,copy=1`, { id: nextId++, pool });
    return { port, generated: () => nullTemplate(128, [...port.mac]), teardown: () => port.close() };
  },
  async devargs(pool) {
    return { open: () => openPort('net_null99,size=64', { id: 99, pool }) };
  },
});

// A looped-back net_ring: what it sends it receives, so inject = tx, collect = rx.
runConformance({
  name: 'net_ring (loopback)',
  async open(pool) {
    const port = await openPort(`net_ring${nextId},size=256`, { id: nextId++, pool });
    const inject = (frames: Uint8Array[]): void => {
      const m = new Uint32Array(frames.length);
      assert.equal(pool.getBulk(m, frames.length), frames.length);
      frames.forEach((f, i) => { pool.setDataLen(m[i], f.length); pool.data.set(f, pool.mtod(m[i])); });
      // Straight into its rx ring through a second attachment of the same ring.
      const tx = new Uint32Array(m);
      let sent = 0;
      while (sent < frames.length) sent += port.txBurst(0, tx.subarray(sent), frames.length - sent);
      // Those were not "wire" frames: forget the tx they caused.
      statsBase = port.stats().opackets;
      obase = port.stats().obytes;
    };
    let statsBase = 0;
    let obase = 0;
    const wrapped = {
      ...port, id: port.id, name: port.name, mac: port.mac, nbQueues: port.nbQueues,
      rxBurst: (q: number, b: Uint32Array, max: number) => port.rxBurst(q, b, max),
      txBurst: (q: number, b: Uint32Array, n: number) => port.txBurst(q, b, n),
      stats: () => { const s = port.stats(); return { ...s, opackets: s.opackets - statsBase, obytes: s.obytes - obase }; },
      close: () => port.close(),
    };
    const collect = (n: number): Uint8Array[] => {
      const out: Uint8Array[] = [];
      const b = new Uint32Array(32);
      for (let k = port.rxBurst(0, b, 32); k > 0 && out.length < n; k = port.rxBurst(0, b, 32)) {
        for (let i = 0; i < k; i++) out.push(frameOf(pool, b[i]));
        pool.putBulk(b, k);
      }
      return out;
    };
    return { port: wrapped, inject, collect, teardown: () => port.close() };
  },
  async devargs(pool) {
    return { open: () => openPort('net_ring99', { id: 99, pool }) };
  },
});

test('net_ring peer=: two ports joined crosswise, a full ring takes what fits', async () => {
  const pool = Mempool.create({ n: 512, cacheSize: 0 });
  const a = await openPort('net_ring_a,size=64,peer=net_ring_b', { id: 0, pool });
  const b = await openPort('net_ring_b,size=64,peer=net_ring_a', { id: 1, pool });
  try {
    const m = new Uint32Array(100);
    assert.equal(pool.getBulk(m, 100), 100);
    for (let i = 0; i < 100; i++) { const f = testFrame(i, 60); pool.setDataLen(m[i], 60); pool.data.set(f, pool.mtod(m[i])); }
    const sent = a.txBurst(0, m, 100);
    assert.equal(sent, 64, 'the 64-slot ring takes 64');
    assert.equal(a.stats().oerrors, 0, 'a short burst is the caller\'s drop, not an oerror');
    assert.equal(a.stats().opackets, 64);
    pool.putBulk(m.subarray(64), 36); // the caller frees what was not sent
    const out = new Uint32Array(100);
    assert.equal(a.rxBurst(0, out, 100), 0, 'nothing loops back to the sender');
    assert.equal(b.rxBurst(0, out, 100), 64);
    for (let i = 0; i < 64; i++) assert.deepEqual(frameOf(pool, out[i]), testFrame(i, 60));
    assert.equal(b.stats().ipackets, 64);
    assert.equal(b.txBurst(0, out, 10), 10, 'and back the other way');
    assert.equal(a.rxBurst(0, m, 32), 10);
    pool.putBulk(m, 10);
    pool.putBulk(out.subarray(10), 54);
  } finally {
    a.close();
    b.close();
  }
  assert.equal(pool.availCount(), pool.n);
});

test('net_ring close returns queued mbufs to the pool', async () => {
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const p = await openPort('net_ring7', { id: 7, pool });
  const m = new Uint32Array(20);
  pool.getBulk(m, 20);
  assert.equal(p.txBurst(0, m, 20), 20);
  assert.equal(pool.availCount(), 44);
  p.close();
  assert.equal(pool.availCount(), 64, 'what was still in the ring came back');
});

test('net_null: tx frees everything, rx counts no-mbuf when the pool is empty', async () => {
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const p = await openPort('net_null5,size=60', { id: 5, pool });
  const m = new Uint32Array(64);
  assert.equal(p.rxBurst(0, m, 64), 64);
  assert.equal(pool.dataLen(m[0]), 60);
  assert.equal(p.rxBurst(0, m, 1), 0);
  assert.equal(p.stats().rxNombuf, 1);
  assert.equal(p.txBurst(0, m, 64), 64);
  assert.equal(pool.availCount(), 64);
  assert.deepEqual(p.stats(), { ipackets: 64, ibytes: 3840, opackets: 64, obytes: 3840, imissed: 0, ierrors: 0, oerrors: 0, oerrorsLate: 0, rxNombuf: 1 });
  p.close();
});

test('devargs errors are one clear line', async () => {
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const cases: [string, RegExp][] = [
    ['net_bogus0', /^unknown driver for device 'net_bogus0' \(known: .*net_null.*\)$/],
    ['net_null0,sizes=64', /^net_null0: unknown devarg 'sizes' \(net_null takes: size, copy, qpairs, count\)$/],
    ['net_null0,size=10', /^net_null0: devarg size=10 must be an integer 14\.\.2048$/],
    ['net_null0,copy=yes', /^net_null0: devarg copy=yes must be 0 or 1$/],
    ['net_null0,size', /^net_null0: bad devarg 'size' \(expected key=value\)$/],
    ['net_null0,size=64,size=65', /^net_null0: devarg 'size' given twice$/],
    ['net_ring0,size=100', /^net_ring0: devarg size=100 must be a power of two$/],
    ['net_ring0,peer=net_ring0', /^net_ring0: devarg peer=net_ring0 must name another net_ring device$/],
    [',x=1', /^bad device name '' in devargs ',x=1'$/],
  ];
  for (const [d, re] of cases) await assert.rejects(openPort(d, { id: 0, pool }), (e: Error) => { assert.match(e.message, re); return true; });
  const p = await openPort('net_null3', { id: 3, pool });
  await assert.rejects(openPort('net_null3', { id: 4, pool }), /^Error: net_null3: device is already open$|net_null3: device is already open/);
  p.close();
  const again = await openPort('net_null3', { id: 3, pool });
  again.close();
});
