// Single-thread semantics of the ring: bulk/burst, free space/available,
// empty/full, FIFO order, and the 2^32 wrap of the free-running indices.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Ring, RING_F_SC_DEQ, RING_F_SP_ENQ } from '../src/index';
import { RING_CONS_TAIL, RING_PROD_HEAD } from '../src/ring/layout';

const MODES = [
  { name: 'MP/MC', flags: 0 },
  { name: 'SP/SC', flags: RING_F_SP_ENQ | RING_F_SC_DEQ },
  { name: 'SP/MC', flags: RING_F_SP_ENQ },
  { name: 'MP/SC', flags: RING_F_SC_DEQ },
];

const seq = (from: number, n: number): Uint32Array => Uint32Array.from({ length: n }, (_, i) => from + i);

test('capacity must be a power of two within range', () => {
  for (const bad of [0, 3, 1000, -8, 1.5, 2 ** 31]) assert.throws(() => Ring.create(bad), /power of two/);
  assert.throws(() => Ring.create(8, 0x10), /unknown ring flags/);
  assert.equal(Ring.create(1).capacity, 1);
});

for (const { name, flags } of MODES) {
  test(`${name}: empty ring`, () => {
    const r = Ring.create(16, flags);
    const out = new Uint32Array(16);
    const info = new Uint32Array(1).fill(99);
    assert.equal(r.count(), 0);
    assert.equal(r.freeCount(), 16);
    assert.ok(r.empty());
    assert.ok(!r.full());
    assert.equal(r.dequeueBulk(out, 1, info), 0);
    assert.equal(info[0], 0);
    assert.equal(r.dequeueBurst(out, 16, info), 0);
    assert.equal(r.dequeueBulk(out, 0), 0);
  });

  test(`${name}: bulk is all or nothing, burst takes what fits`, () => {
    const r = Ring.create(16, flags);
    const info = new Uint32Array(1);
    assert.equal(r.enqueueBulk(seq(0, 17), 17, info), 0, 'more than capacity');
    assert.equal(info[0], 16, 'free space reported on failure');
    assert.equal(r.enqueueBulk(seq(0, 13), 13, info), 13);
    assert.equal(info[0], 3);
    assert.equal(r.enqueueBulk(seq(13, 4), 4, info), 0, 'only 3 free');
    assert.equal(r.count(), 13);
    assert.equal(r.enqueueBurst(seq(13, 10), 10, info), 3);
    assert.equal(info[0], 0);
    assert.ok(r.full());
    assert.equal(r.freeCount(), 0);
    assert.equal(r.enqueueBurst(seq(99, 1), 1, info), 0);

    const out = new Uint32Array(32);
    assert.equal(r.dequeueBulk(out, 17, info), 0);
    assert.equal(info[0], 16, 'available reported on failure');
    assert.equal(r.dequeueBulk(out, 5, info), 5);
    assert.equal(info[0], 11);
    assert.deepEqual([...out.subarray(0, 5)], [0, 1, 2, 3, 4]);
    assert.equal(r.dequeueBurst(out, 32, info), 11);
    assert.equal(info[0], 0);
    assert.deepEqual([...out.subarray(0, 11)], [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    assert.ok(r.empty());
  });

  test(`${name}: FIFO order across the slot wrap and the 2^32 index wrap`, () => {
    const start = 2 ** 32 - 37;
    const r = Ring.create(8, flags, { startIndex: start });
    const h = new Uint32Array(r.buffer);
    const out = new Uint32Array(8);
    const info = new Uint32Array(1);
    let next = 0;
    let expect = 0;
    const sizes = [3, 5, 1, 8, 2, 7, 4, 6];
    for (let i = 0; i < 200; i++) {
      const n = sizes[i % sizes.length];
      const got = r.enqueueBurst(seq(next, n), n, info);
      assert.equal(got, Math.min(n, 8 - (next - expect)));
      next += got;
      assert.equal(r.count(), next - expect);
      assert.equal(info[0], 8 - r.count());
      const m = sizes[(i + 3) % sizes.length];
      const d = r.dequeueBurst(out, m, info);
      assert.equal(d, Math.min(m, next - expect));
      for (let j = 0; j < d; j++) assert.equal(out[j], expect + j, 'FIFO order');
      expect += d;
      assert.equal(info[0], next - expect);
    }
    assert.ok(next > 37, 'traffic crossed the 2^32 wrap');
    assert.equal(h[RING_PROD_HEAD], (start + next) % 2 ** 32, 'producer head wrapped to a small value');
    assert.equal(h[RING_CONS_TAIL], (start + expect) % 2 ** 32);
    assert.ok(h[RING_PROD_HEAD] < 1000);
  });

  test(`${name}: enqueueFrom/dequeueInto work at offsets`, () => {
    const r = Ring.create(8, flags);
    const src = seq(100, 10);
    assert.equal(r.enqueueFrom(src, 4, 3, true), 3);
    const out = new Uint32Array(10);
    assert.equal(r.dequeueInto(out, 6, 3, true), 3);
    assert.deepEqual([...out.subarray(6, 9)], [104, 105, 106]);
    assert.throws(() => r.enqueueFrom(src, 8, 3, true), RangeError);
    assert.throws(() => r.dequeueInto(out, 9, 2, false), RangeError);
  });
}

test('attach rebuilds the same ring from its buffer; garbage is rejected', () => {
  const r = Ring.create(32, RING_F_SP_ENQ);
  r.enqueueBulk(seq(7, 5), 5);
  const again = Ring.attach(r.buffer);
  assert.equal(again.capacity, 32);
  assert.equal(again.flags, RING_F_SP_ENQ);
  assert.equal(again.count(), 5);
  const out = new Uint32Array(5);
  assert.equal(again.dequeueBulk(out, 5), 5);
  assert.deepEqual([...out], [7, 8, 9, 10, 11]);
  assert.equal(r.count(), 0, 'both handles see one ring');
  assert.throws(() => Ring.attach(new SharedArrayBuffer(1024)), /no ring/);
});

test('a ring can live at an offset inside a larger buffer', () => {
  const buf = new SharedArrayBuffer(4096);
  const r = Ring.init(buf, 1024, 16, 0);
  assert.equal(r.enqueueBulk(seq(1, 16), 16), 16);
  assert.equal(Ring.attach(buf, 1024).count(), 16);
  assert.throws(() => Ring.init(buf, 10, 16, 0), /aligned/);
});
