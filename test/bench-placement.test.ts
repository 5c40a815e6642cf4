// The fwd bench's placement probe: a run is kept only when the two CPUs read
// near (a handoff within 2x of the near cost) before and after it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { getAffinity } from '../src/native';
import { FAR_FACTOR, Placement, isFar, nearCost } from '../bench/placement';

test('nearCost is the 25th percentile: a few odd low readings do not make every near reading far, a third far ones do not make far near', () => {
  assert.equal(nearCost([1100, 310, 300, 1200]), 300);
  const readings = [133, 130, ...Array.from({ length: 12 }, (_, i) => 300 + i), ...Array.from({ length: 7 }, (_, i) => 1100 + i)];
  assert.equal(nearCost(readings), 303);
  assert.equal(isFar(610, nearCost(readings)), true);
  assert.equal(isFar(350, nearCost(readings)), false);
  assert.equal(isFar(FAR_FACTOR * 300, 300), false, 'exactly 2x is still near');
});

test('the probe builds with cc and reads a handoff time between two CPUs of this process', { skip: !process.env.CI && getAffinity().length < 2 ? 'needs two CPUs' : false }, () => {
  const cpus = getAffinity();
  const p = Placement.build([cpus[0], cpus[cpus.length - 1]]);
  assert.ok(p instanceof Placement, String(p));
  try {
    const ns = p.probe();
    assert.ok(ns > 0 && ns < 1e6, `handoff ${ns} ns`);
    assert.equal(p.readings.length, 2, 'build reads once, then probe');
  } finally {
    p.dispose();
  }
});

test('a CPU this process may not use is a one-line reason, not a hang', () => {
  const p = Placement.build([getAffinity()[0], 4095]);
  assert.equal(typeof p, 'string');
  assert.match(String(p), /^placement probe failed: xcpu: cannot run on CPU 4095$/);
});
