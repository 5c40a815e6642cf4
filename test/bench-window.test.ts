// The fwd bench reads a tsfwd lcore's empty-poll share and busy time per frame
// over its measured window from the periodic --stats-json lines, so the
// warm-up and teardown (when the lcore spins on empty queues) do not dilute them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { tsfwdWindow, windowTaken } from '../bench/contenders';

const line = (ms: number, polls: number, empty: number, busyUs: number, fwd: number): string => JSON.stringify({
  level: 30, time: new Date(ms).toISOString(), msg: 'stats',
  ports: [{ port: 0, forwarded: 0 }, { port: 1, forwarded: fwd }],
  lcores: [{ lcore: 1, polls, emptyPolls: empty, busyUs }],
});

test('tsfwdWindow: differences between the first and last stats lines inside the window; none outside it count', () => {
  const t = Date.parse('2026-12-01T10:00:00Z');
  const out = [
    'some banner line',
    line(t - 2000, 9_000_000, 9_000_000, 0, 0), // warm-up: empty polls only, before the window
    line(t, 9_100_000, 9_050_000, 100_000, 100_000),
    line(t + 1000, 9_130_000, 9_050_500, 1_050_000, 1_050_000),
    line(t + 2000, 9_160_000, 9_051_000, 2_000_000, 2_000_000),
    line(t + 9000, 99_000_000, 98_000_000, 2_000_000, 2_000_000), // teardown spin, after the window
    JSON.stringify({ level: 30, time: new Date(t + 9500).toISOString(), msg: 'final' }),
  ].join('\n');
  const w = tsfwdWindow({ out }, t - 500, t + 2500);
  assert.ok(w);
  assert.equal(w.emptyPolls, 1000 / 60_000);
  assert.equal(w.busyNsPerFrame, (1_900_000 * 1000) / 1_900_000);
  assert.equal(tsfwdWindow({ out }, t + 500, t + 1500), undefined, 'one line in the window is not a difference');
  assert.equal(tsfwdWindow({ out: 'no json here' }, 0, Date.now()), undefined);
});

test('windowTaken: a sink\'s frames/s between its first and last stats lines inside the window', () => {
  const t = Date.parse('2026-12-01T10:00:00Z');
  const rec = (ms: number, frames: number): string => JSON.stringify({ level: 30, time: new Date(ms).toISOString(), frames, msg: 'stats' });
  const out = [rec(t - 1000, 10), rec(t, 1_000_000), rec(t + 1000, 1_700_000), rec(t + 2000, 2_300_000), rec(t + 5000, 9_000_000),
    JSON.stringify({ level: 30, time: new Date(t + 6000).toISOString(), frames: 9_500_000, msg: 'final' })].join('\n');
  assert.equal(windowTaken({ out }, t - 100, t + 2100), 650_000);
  assert.equal(windowTaken({ out }, t + 500, t + 1500), undefined, 'one line in the window is not a difference');
  assert.equal(windowTaken({ out: '{"msg":"stats","time":"x"' }, 0, Date.now()), undefined, 'a cut line is skipped');
});
