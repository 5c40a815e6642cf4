// The bench's ratios between rows: pass i of one row pairs with pass i of the
// other only, a failed run leaves its pass out, and the spread is printed.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { byPass, pairedRatio, ratioText } from '../bench/ratio';

test('pairedRatio: median and min-max of per-pass ratios; a pass with a failed run is left out, never paired with another pass', () => {
  const r = pairedRatio([100, 120, undefined, 90], [50, 100, 80, 100]);
  assert.deepEqual(r, { median: 1.2, min: 0.9, max: 2, pairs: 3 });
  assert.equal(pairedRatio([undefined, 5], [3, undefined]), undefined);
  assert.equal(pairedRatio([], [1]), undefined);
  assert.equal(ratioText(r!), '**1.20** (0.90-2.00 over 3 runs)');
  assert.equal(ratioText(pairedRatio([3], [2])!), '**1.50** (1.50-1.50 over 1 run)');
});

test('byPass: runs tagged with their pass land in their slot; a missing pass is a hole', () => {
  assert.deepEqual(byPass([{ pass: 2, pps: 7 }, { pass: 0, pps: 5 }]), [5, undefined, 7]);
});
