// Mempool: layout (no overlap, aligned data rooms), all-or-nothing getBulk at
// exhaustion with and without caches, metadata accessors, and conservation of
// mbufs across two threads.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LcoreGroup, Mempool, Ring, RING_F_SC_DEQ, RING_F_SP_ENQ } from '../src/index';
import { addressOf } from '../src/native';
import type { PoolStressConfig } from './helpers/mempool-app';

test('defaults and layout: sections do not overlap, data rooms are cache-line aligned', () => {
  const mp = Mempool.create({ n: 1000 });
  assert.equal(mp.n, 1000);
  assert.equal(mp.dataRoom, 2048);
  assert.equal(mp.headroom, 128);
  assert.equal(mp.cacheSize, 256);
  assert.equal(mp.eltSize, 2176);
  assert.equal(mp.availCount(), 1000);
  const ringEnd = mp.ring.byteOffset + Ring.bytesFor(mp.ring.capacity);
  assert.ok(ringEnd <= mp.meta.byteOffset, 'ring before metadata');
  assert.ok(mp.meta.byteOffset + mp.meta.byteLength <= mp.data.byteOffset, 'metadata before data');
  assert.ok(mp.data.byteOffset + mp.data.byteLength <= mp.buffer.byteLength, 'data inside the buffer');
  assert.equal(mp.data.byteLength, 1000 * 2176);
  assert.equal(addressOf(mp.data) % 4096, 0, 'data region page-aligned in memory');
  for (let i = 0; i < mp.n; i++) {
    assert.equal(mp.bufOffset(i), i * mp.eltSize);
    assert.equal(mp.dataOff(i), 128);
    assert.equal((addressOf(mp.data) + mp.mtod(i)) % 64, 0, `mbuf ${i} data room cache-line aligned`);
    if (i > 0) assert.ok(mp.bufOffset(i - 1) + mp.headroom + mp.dataRoom <= mp.bufOffset(i), 'no overlap');
  }
});

test('writing a whole data room touches only that mbuf', () => {
  const mp = Mempool.create({ n: 4, headroom: 64, dataRoom: 1000 });
  assert.equal(mp.eltSize, 1088);
  mp.data.fill(0);
  const room = mp.data.subarray(mp.mtod(1), mp.mtod(1) + mp.dataRoom);
  room.fill(0xab);
  let outside = 0;
  for (let i = 0; i < mp.data.length; i++) if (mp.data[i] !== 0 && (i < mp.mtod(1) || i >= mp.mtod(1) + 1000)) outside++;
  assert.equal(outside, 0);
  assert.equal(mp.data[mp.mtod(2)], 0);
  assert.equal(mp.data[mp.mtod(1) - 1], 0, 'headroom untouched');
});

test('options are validated', () => {
  assert.throws(() => Mempool.create({ n: 0 }), /mempool size/);
  assert.throws(() => Mempool.create({ n: 10, headroom: 100 }), /multiple of 64/);
  assert.throws(() => Mempool.create({ n: 1000, cacheSize: 513 }), /cacheSize/);
  assert.throws(() => Mempool.create({ n: 10, cacheSize: 20 }), /cacheSize/);
  assert.throws(() => Mempool.create({ n: 10, dataRoom: 10 }), /dataRoom/);
  assert.throws(() => Mempool.attach(Mempool.create({ n: 8, maxLcores: 2 }).buffer, 2), /out of range/);
  assert.throws(() => Mempool.attach(new SharedArrayBuffer(4096)), /no mempool/);
});

test('getBulk is all or nothing at exhaustion (no cache)', () => {
  const mp = Mempool.create({ n: 100 });
  const a = new Uint32Array(100);
  const b = new Uint32Array(100);
  assert.equal(mp.getBulk(a, 60), 60);
  assert.equal(mp.getBulk(b, 50), 0);
  assert.equal(mp.availCount(), 40, 'a failed get takes nothing');
  assert.equal(mp.getBulk(b, 40), 40);
  assert.equal(mp.getBulk(b, 1), 0);
  assert.equal(mp.availCount(), 0);
  const seen = new Set([...a.subarray(0, 60), ...b.subarray(0, 40)]);
  assert.equal(seen.size, 100, 'every index handed out once');
  for (const v of seen) assert.ok(v < 100);
  mp.putBulk(a, 60);
  mp.putBulk(b, 40);
  assert.equal(mp.availCount(), 100);
  // The free ring is sized to the next power of two; past it, an extra put is caught.
  const exact = Mempool.create({ n: 128, cacheSize: 0 });
  assert.throws(() => exact.putBulk(a, 1), /double free/);
});

test('per-lcore cache: refill and flush by half, availCount counts caches, exhaustion is all or nothing', () => {
  const main = Mempool.create({ n: 1000, cacheSize: 64, maxLcores: 4 });
  const mp = Mempool.attach(main.buffer, 2);
  const out = new Uint32Array(1000);
  assert.equal(mp.getBulk(out, 10), 10);
  assert.equal(main.ring.count(), 1000 - 10 - 32, 'refilled so half a cache (32) remains');
  assert.equal(main.availCount(), 990, 'cached objects count as available');
  mp.putBulk(out, 10);
  assert.equal(main.ring.count(), 958, 'fits in cache: nothing flushed');
  assert.equal(main.availCount(), 1000);
  // Fill the cache past its size: it flushes down to half.
  assert.equal(main.getBulk(out, 100), 100);
  mp.putBulk(out, 30);
  mp.putBulk(out.subarray(30), 30);
  assert.equal(main.availCount(), 960);
  assert.ok(main.ring.count() >= 958 - 100 + 1, 'flush went back to the ring');
  main.putBulk(out.subarray(60), 40);
  assert.equal(main.availCount(), 1000);
  // Drain everything through the cache in bursts of 32, then ask for more than is left.
  let got = 0;
  while (mp.getBulk(out.subarray(got), 32) === 32) got += 32;
  assert.equal(got, 992);
  assert.equal(main.availCount(), 8);
  assert.equal(mp.getBulk(out.subarray(got), 9), 0, 'one short: nothing taken');
  assert.equal(main.availCount(), 8);
  assert.equal(mp.getBulk(out.subarray(got), 8), 8);
  assert.equal(new Set(out).size, 1000, 'every mbuf exactly once');
  mp.putBulk(out, 1000); // larger than the cache: straight to the ring
  assert.equal(main.availCount(), 1000);
  mp.flushCache();
  assert.equal(main.ring.count(), 1000, 'flushCache empties the cache into the ring');
});

test('mbuf metadata accessors and reset', () => {
  const mp = Mempool.create({ n: 8, cacheSize: 0 });
  const m = new Uint32Array(1);
  assert.equal(mp.allocBulk(m, 1), 1);
  const i = m[0];
  mp.setDataLen(i, 1514);
  mp.setDataOff(i, 64);
  mp.setPort(i, 3);
  mp.setFlags(i, 0x5);
  mp.setUser(i, 0xdeadbeef);
  mp.setTimestamp(i, 2 ** 40 + 12345);
  assert.deepEqual([mp.dataLen(i), mp.dataOff(i), mp.port(i), mp.flags(i), mp.user(i), mp.timestamp(i)],
    [1514, 64, 3, 5, 0xdeadbeef, 2 ** 40 + 12345]);
  assert.equal(mp.mtod(i), mp.bufOffset(i) + 64);
  mp.reset(i);
  assert.deepEqual([mp.dataLen(i), mp.dataOff(i), mp.port(i), mp.flags(i), mp.user(i), mp.timestamp(i)],
    [0, 128, 0xffff, 0, 0, 0]);
  mp.putBulk(m, 1);
});

test('conservation across threads: 3M mbufs allocated on one lcore, freed on another', { timeout: 120_000 }, async () => {
  const total = 3_000_000;
  const main = Mempool.create({ n: 2048, cacheSize: 256 });
  const ring = Ring.create(1024, RING_F_SP_ENQ | RING_F_SC_DEQ);
  const config: PoolStressConfig = { pool: main.buffer, ring: ring.buffer, total };
  const app = path.join(__dirname, 'helpers', 'mempool-app.js');
  const group = LcoreGroup.launch({
    lcores: [0, 1], pin: false, config,
    app: [{ module: app, export: 'allocator' }, { module: app, export: 'freer' }],
  });
  const watchdog = setTimeout(() => group.stop(), 100_000);
  const [a, f] = await group.wait().finally(() => clearTimeout(watchdog));
  const alloc = a.result as { allocated: number; doubleAlloc: number };
  assert.equal(alloc.allocated, total);
  assert.equal(alloc.doubleAlloc, 0, 'no mbuf handed out while in use');
  assert.equal((f.result as { freed: number }).freed, total);
  assert.equal(main.availCount(), main.n, 'every mbuf back');
  assert.equal(main.ring.count(), main.n, 'both lcores flushed their caches');
});
