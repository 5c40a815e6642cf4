// Poll modes at the lcore level: a ring consumer asleep on its doorbell (blocked
// or napping) wakes on the first enqueue, a napping or blocked lcore ends within 100 ms of
// stop(), and busy-ness is counted (issue 12).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LcoreGroup } from '../src/eal/launch';
import { L_BUSY_US, L_EMPTY, L_POLLS, L_SLEEPS, L_SLEEP_US } from '../src/eal/idler';
import { PollConfig, defaultPoll } from '../src/eal/poll-mode';
import { getAffinity, monoUs } from '../src/native';
import { Ring } from '../src/ring/ring';

const cpus = getAffinity();
const APP = { module: path.join(__dirname, 'helpers', 'lcore-app.js'), export: 'ringSleeper' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function launch(poll: PollConfig): { group: LcoreGroup; ring: Ring; out: Float64Array } {
  const ring = Ring.create(64);
  const out = new Float64Array(new SharedArrayBuffer(16 * 8));
  const group = LcoreGroup.launch({ lcores: [cpus[cpus.length - 1]], app: APP, config: { ring: ring.buffer, out: out.buffer, poll } });
  return { group, ring, out };
}

async function settle(out: Float64Array): Promise<void> {
  const end = Date.now() + 5000;
  // The sleep counter moves when a sleep ends: wait for the empty polls that start one.
  while (out[8 + L_EMPTY] < 64) {
    assert.ok(Date.now() < end, 'the lcore never polled');
    await sleep(10);
  }
  await sleep(100);
}

// Adaptive with naps growing to 1 s: the doorbell ends a nap as it ends a block.
for (const mode of ['interrupt', 'adaptive'] as const) test(`${mode} mode: a ring consumer asleep on its doorbell wakes on the first enqueue`, async () => {
  const { group, ring, out } = launch({ ...defaultPoll(mode), emptyPolls: 64, maxSleepUs: 1_000_000 });
  try {
    await settle(out);
    const pollsBefore = out[8 + L_POLLS];
    await sleep(300);
    // Asleep, not spinning: a few polls around a safety wake-up or between growing naps at most.
    assert.ok(out[8 + L_POLLS] - pollsBefore <= 2 * 64, `${out[8 + L_POLLS] - pollsBefore} polls in 300 ms: not asleep`);
    const t0 = monoUs();
    assert.equal(ring.enqueueBurst(Uint32Array.of(7), 1), 1);
    const end = Date.now() + 2000;
    while (out[0] === 0 && Date.now() < end) await sleep(1);
    assert.ok(out[0] > 0, 'woke and dequeued');
    const us = (out[0] - t0) & 0x3fffffff;
    assert.ok(us < 50_000, `woke ${us} µs after the enqueue (the safety timeout and the longest nap are 1 s)`);
    assert.equal(out[1], 1);
  } finally {
    group.stop();
    await group.wait();
  }
});

for (const mode of ['adaptive', 'interrupt'] as const) {
  test(`${mode} mode: a sleeping lcore stops within 100 ms; polls, empty polls, sleep and busy time are counted`, async () => {
    // Naps growing to 1 s: only stop()'s eventfd write can end the last one within 100 ms.
    const { group, ring, out } = launch({ ...defaultPoll(mode), emptyPolls: 64, maxSleepUs: 1_000_000 });
    await settle(out);
    ring.enqueueBurst(Uint32Array.of(1, 2, 3), 3);
    await sleep(200);
    const t0 = Date.now();
    group.stop();
    await group.wait();
    const ms = Date.now() - t0;
    assert.ok(ms < 100, `stopped in ${ms} ms`);
    assert.equal(out[1], 3);
    assert.ok(out[8 + L_POLLS] > out[8 + L_EMPTY], 'one poll had work');
    assert.ok(out[8 + L_EMPTY] > 0 && out[8 + L_SLEEPS] > 0 && out[8 + L_SLEEP_US] > 100_000, `slept ${out[8 + L_SLEEP_US]} µs`);
    assert.ok(out[8 + L_BUSY_US] < out[8 + L_SLEEP_US], 'mostly asleep');
  });
}

test('busy mode never sleeps', async () => {
  const { group, out } = launch(defaultPoll('busy'));
  await sleep(300);
  group.stop();
  await group.wait();
  assert.ok(out[8 + L_POLLS] > 1000);
  assert.equal(out[8 + L_SLEEPS], 0);
  assert.equal(out[8 + L_SLEEP_US], 0);
});
