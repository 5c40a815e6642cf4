// The fwd bench's placement probe: a run is kept only when the two CPUs read
// near (a handoff within 2x of the near cost) before and after it.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { getAffinity } from '../src/native';
import { FAR_FACTOR, FAR_FLOOR_NS, PLACE_RETRIES, Placement, Probe, isFar, nearCost, placedRun } from '../bench/placement';

test('nearCost is the 10th percentile; far is over 2x near and over 800 ns, so the usual near placement never reads far against a rarer faster one', () => {
  assert.equal(nearCost([1100, 310, 300, 1200, 305]), 300);
  const mostlyFar = [409, 313, 1471, 1127, 1470, 1469, 1459, 1114, 1442, 1472, 1460];
  assert.equal(nearCost(mostlyFar), 409, 'far 80% of the time still leaves the near cost near');
  assert.equal(isFar(1114, nearCost(mostlyFar)), true);
  assert.equal(isFar(405, nearCost(mostlyFar)), false);
  assert.equal(isFar(400, 133), false, 'over 2x of ~130 ns, under the 800 ns floor: near');
  assert.equal(isFar(2200, 1100), false, 'a machine where every reading is over the floor: exactly 2x is still near');
  assert.equal(isFar(FAR_FLOOR_NS + 1, 100), true);
  assert.equal(isFar(FAR_FACTOR * 500, 500), false);
});

/** A probe that reads `script` in order (then near forever); far = over 600 ns. */
function fake(script: number[]): Probe & { calls: string[] } {
  const calls: string[] = [];
  const next = (): number => script.shift() ?? 300;
  return {
    calls,
    probe: () => { const v = next(); calls.push(`probe ${v}`); return v; },
    far: (ns) => ns > 600,
    waitNear: async () => { const v = next(); calls.push(`wait ${v}`); return v; },
  };
}

test('placedRun: near before and after keeps the first run; a far reading after makes it again; far before skips the run', async () => {
  let runs = 0;
  const once = async (): Promise<number> => ++runs;
  const notes: string[] = [];
  const a = await placedRun(fake([300, 310]), once, (w) => notes.push(w));
  assert.deepEqual(a, { result: 1, xcpuNs: [300, 310], far: false });
  assert.deepEqual(notes, [] as string[]);

  const p = fake([300, 1100, 1100, 320, 330]);
  const b = await placedRun(p, once, (w) => notes.push(w));
  assert.deepEqual(b, { result: 3, xcpuNs: [320, 330], far: false }, 'run 2 read far after, the wait before run 3 read far (no run), then near');
  assert.deepEqual(p.calls, ['wait 300', 'probe 1100', 'wait 1100', 'wait 320', 'probe 330']);
  assert.equal(notes.length, 2);
  assert.match(notes[0], /far apart \(300\/1100 ns\): made again/);
  assert.match(notes[1], /still far apart \(1100 ns\) after the wait: not run/);
});

test(`placedRun: still far after ${PLACE_RETRIES} more tries runs once more and says far; a failing probe leaves the run unchecked`, async () => {
  let runs = 0;
  const once = async (): Promise<number> => ++runs;
  const far = await placedRun(fake(Array(20).fill(1100)), once, () => {});
  assert.deepEqual(far, { result: 1, xcpuNs: [1100, 1100], far: true }, 'the tries before the last are skipped, the last runs');

  const broken: Probe = { probe: () => { throw new Error('xcpu: gone'); }, far: () => false, waitNear: async () => 300 };
  const notes: string[] = [];
  const r = await placedRun(broken, once, (w) => notes.push(w));
  assert.deepEqual(r, { result: 2, far: false });
  assert.deepEqual(notes, ['placement probe failed (xcpu: gone): run not checked after']);
  assert.deepEqual(await placedRun(undefined, once, () => assert.fail('no probe, no note')), { result: 3, far: false });
  await assert.rejects(placedRun(fake([]), async () => { throw new Error('forwarder died'); }, () => {}), /forwarder died/, 'a run that fails is the row\'s error');
});

test('the probe builds with cc and reads a handoff time between two CPUs of this process', async () => {
  const cpus = getAffinity();
  const p = await Placement.build([cpus[0], cpus[cpus.length - 1]], 2);
  assert.ok(p instanceof Placement, String(p));
  try {
    const ns = p.probe();
    assert.ok(ns > 0 && ns < 1e6, `handoff ${ns} ns`);
    assert.equal(p.readings.length, 3);
    assert.equal(p.sampleCount, 3);
  } finally {
    p.dispose();
  }
});

test('a CPU this process may not use is a one-line reason at once, not a hang', async () => {
  const t0 = Date.now();
  const p = await Placement.build([getAffinity()[0], 4095], 1);
  assert.equal(p, 'placement probe failed: xcpu: cannot run on CPU 4095');
  assert.ok(Date.now() - t0 < 5000);
});
