// The bench's ratios between rows: pass i of one row pairs with pass i of the
// other only, a failed run leaves its pass out, and the spread is printed; and
// which runs kept up with the generator (those measured the generator).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { byPass, pairedRatio, ratioText } from '../bench/ratio';
import { Cell, MMAP_TX1024, RING_CEILING, genText, ratioLines } from '../bench/cells';

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

test('genText: the generator median, and for a forwarder row the runs that delivered >= 95% of what was generated', () => {
  const run = (pps: number, generated: number): Cell['runs'][number] => ({ pass: 0, pps, generated });
  const c: Cell = { runs: [run(689_000, 693_000), run(900_000, 1_400_000), run(650_000, 690_000)] };
  assert.equal(genText(c, true), '693 (1 of 3 kept up)', '689/693 kept up; 650/690 = 0.942 did not');
  assert.equal(genText({ runs: [run(900_000, 1_400_000)] }, true), '1400', 'no run kept up: no note');
  assert.equal(genText(c, false), '693', 'the generator-alone row has nothing to keep up with');
  assert.equal(genText({ runs: [] }, true), '-');
  assert.equal(genText(undefined, true), '-');
});

test('ratioLines: a subset without the mmap row still prints its own ratio lines; a row with nothing to compare prints none', () => {
  const cell = (...pps: number[]): Cell => ({ runs: pps.map((p, pass) => ({ pass, pps: p, generated: p * 2 })) });
  const only = (cells: Record<string, Cell>) => (f: string, len: number): Cell | undefined => (len === 64 ? cells[f] : undefined);
  const xdp = ratioLines('xdp-live', [64], only({ 'tsfwd l2fwd af_xdp': cell(1200, 1100, 1000), 'testpmd net_af_xdp mac': cell(1000, 1000, 1000) }));
  assert.equal(xdp.length, 1);
  assert.match(xdp[0], /^- xdp-live, 64 B: tsfwd l2fwd af_xdp \/ testpmd net_af_xdp mac = \*\*1\.10\*\* \(1\.00-1\.20 over 3 runs\) \(target >= 1\.2\)$/);
  assert.deepEqual(ratioLines('xdp-live', [64], only({ 'tsfwd l2fwd mmap': cell(800, 900, 1000) })), []);
  const afp = ratioLines('xdp-live', [64, 512], only({ 'tsfwd l2fwd mmap': cell(1300), 'testpmd net_af_packet mac': cell(1000), 'tsfwd l2fwd mmsg': cell(650) }));
  assert.deepEqual(afp, ['- xdp-live, 64 B: tsfwd l2fwd mmap / testpmd net_af_packet mac = **1.30** (1.30-1.30 over 1 run) (target >= 1.3); (mmsg / mmap = **0.50** (0.50-0.50 over 1 run))']);
  // The 1024-frame TX ring row is the reference of the default mmap row, not the other way round.
  const tx = ratioLines('xdp-live', [64], only({ 'tsfwd l2fwd mmap': cell(1200, 900), [`tsfwd l2fwd ${MMAP_TX1024}`]: cell(1000, 1000) }));
  assert.deepEqual(tx, [`- xdp-live, 64 B: tsfwd l2fwd mmap (mmap / ${MMAP_TX1024} = **1.05** (0.90-1.20 over 2 runs))`]);
});

test('ratioLines: the ring ceiling over testpmd mac, pass by pass, as its own line', () => {
  const cell = (...pps: number[]): Cell => ({ runs: pps.map((p, pass) => ({ pass, pps: p, generated: p })) });
  const cells: Record<string, Cell> = { [RING_CEILING]: cell(690, 1300, 650), 'testpmd net_af_packet mac': cell(600, 650, 620) };
  const lines = ratioLines('xdp-live', [1514], (f, len) => (len === 1514 ? cells[f] : undefined));
  assert.deepEqual(lines, [`- xdp-live, 1514 B: ${RING_CEILING} / testpmd net_af_packet mac = **1.15** (1.05-2.00 over 3 runs): about the highest ratio an mmap (TPACKET_V2) forwarder could show here`]);
});
