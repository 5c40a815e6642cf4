// Rings across threads: every value arrives exactly once (count, sum, xor and a
// duplicate bitmap) with 2 producers + 2 consumers on MP/MC and 1 + 1 on SP/SC,
// 10 million values each, indices starting just below 2^32 so they wrap.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LcoreGroup, Ring, RING_F_SC_DEQ, RING_F_SP_ENQ } from '../src/index';
import type { StressConfig } from './helpers/ring-stress-app';

const TOTAL = 10_000_000;
const APP = path.join(__dirname, 'helpers', 'ring-stress-app.js');

function expectedXor(n: number): number {
  let x = 0;
  for (let v = 0; v < n; v++) x ^= v;
  return x;
}

async function stress(flags: number, producers: number, consumers: number): Promise<void> {
  const ring = Ring.create(512, flags, { startIndex: 2 ** 32 - 4096 });
  const config: StressConfig = {
    ring: ring.buffer,
    bitmap: new SharedArrayBuffer(Math.ceil(TOTAL / 32) * 4),
    consumed: new SharedArrayBuffer(4),
    producers,
    perProducer: TOTAL / producers,
    total: TOTAL,
  };
  const apps = [
    ...Array.from({ length: producers }, () => ({ module: APP, export: 'producer' })),
    ...Array.from({ length: consumers }, () => ({ module: APP, export: 'consumer' })),
  ];
  // Unpinned: with 4 threads on 2 CPUs this is exactly the preemption case.
  const group = LcoreGroup.launch({ lcores: apps.map((_, i) => i), app: apps, config, pin: false });
  const watchdog = setTimeout(() => group.stop(), 120_000);
  const results = await group.wait().finally(() => clearTimeout(watchdog));
  let sent = 0;
  for (const r of results.slice(0, producers)) sent += (r.result as { sent: number }).sent;
  let count = 0;
  let sum = 0;
  let xor = 0;
  let dups = 0;
  let outOfRange = 0;
  for (const r of results.slice(producers)) {
    const c = r.result as { count: number; sum: number; xor: number; dups: number; outOfRange: number };
    count += c.count;
    sum += c.sum;
    xor ^= c.xor;
    dups += c.dups;
    outOfRange += c.outOfRange;
  }
  assert.equal(sent, TOTAL, 'producers sent everything before the watchdog');
  assert.equal(count, TOTAL, 'value count');
  assert.equal(dups, 0, 'no value twice');
  assert.equal(outOfRange, 0, 'no value that was never sent');
  assert.equal(sum, (TOTAL * (TOTAL - 1)) / 2, 'sum of values');
  assert.equal(xor, expectedXor(TOTAL), 'xor of values');
  const bits = new Int32Array(config.bitmap);
  let seen = 0;
  for (let i = 0; i < bits.length; i++) for (let v = bits[i]; v !== 0; v &= v - 1) seen++;
  assert.equal(seen, TOTAL, 'every value marked in the bitmap');
  assert.equal(ring.count(), 0);
}

test('MP/MC ring, 2 producers + 2 consumers, 10M values exactly once', { timeout: 180_000 }, async () => {
  await stress(0, 2, 2);
});

test('SP/SC ring, 1 producer + 1 consumer, 10M values exactly once', { timeout: 180_000 }, async () => {
  await stress(RING_F_SP_ENQ | RING_F_SC_DEQ, 1, 1);
});
