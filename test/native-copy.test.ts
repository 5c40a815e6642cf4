// The shim's registered burst copy (exact bytes, bounds checked in C, slots
// released and reusable), and its allocation-free file write and clock.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clockRealtime, fdWrite, memCopyBurst, memCopyRegister, memCopyUnregister } from '../src/native';

test('memCopyBurst copies every described range and refuses out-of-bounds ones', () => {
  const src = new Uint8Array(new SharedArrayBuffer(1000)).map((_, i) => i & 0xff);
  const dst = new Uint8Array(500);
  const desc = new Uint32Array(3 * 4);
  const id = memCopyRegister(dst, src, desc);
  try {
    desc.set([0, 10, 5, 100, 997, 3, 200, 0, 0]);
    assert.equal(memCopyBurst(id, 3), 3);
    assert.deepEqual([...dst.subarray(0, 6)], [10, 11, 12, 13, 14, 0]);
    assert.deepEqual([...dst.subarray(100, 104)], [997 & 0xff, 998 & 0xff, 999 & 0xff, 0]);
    desc.set([496, 0, 5]); // one byte past dst
    assert.equal(memCopyBurst(id, 1), -22, 'EINVAL, nothing written');
    assert.equal(dst[496], 0);
    desc.set([0, 996, 5]); // past src
    assert.equal(memCopyBurst(id, 1), -22);
    assert.equal(memCopyBurst(id, 5), -22, 'more triples than desc holds');
    assert.equal(memCopyBurst(id, 0), 0);
  } finally {
    memCopyUnregister(id);
  }
  assert.equal(memCopyBurst(id, 0), -22, 'unregistered id');
  assert.throws(() => memCopyRegister(dst, src, new Uint32Array(4)), /triples/);
  // Slots are reused: far more register/unregister cycles than there are slots.
  for (let i = 0; i < 10_000; i++) memCopyUnregister(memCopyRegister(dst, src, desc));
});

test('fdWrite writes the whole range or returns -errno', () => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-fdw-')), 'out');
  const fd = fs.openSync(f, 'w');
  try {
    const buf = Uint8Array.from({ length: 100 }, (_, i) => i);
    assert.equal(fdWrite(fd, buf, 10, 50), 50);
    assert.equal(fdWrite(fd, buf, 0, 0), 0);
    assert.equal(fdWrite(fd, buf, 60, 41), -22, 'past the view: EINVAL');
  } finally {
    fs.closeSync(fd);
  }
  assert.deepEqual([...fs.readFileSync(f)], Array.from({ length: 50 }, (_, i) => i + 10));
  assert.equal(fdWrite(1_000_000, new Uint8Array(4), 0, 4), -9, 'no such fd: EBADF');
  fs.rmSync(path.dirname(f), { recursive: true });
});

test('clockRealtime gives the wall clock as seconds and nanoseconds', () => {
  const t = new Float64Array(2);
  const before = Date.now();
  assert.equal(clockRealtime(t), 0);
  const after = Date.now();
  assert.ok(Number.isInteger(t[0]) && Number.isInteger(t[1]) && t[1] >= 0 && t[1] < 1e9);
  const ms = t[0] * 1000 + t[1] / 1e6;
  assert.ok(ms >= before - 1 && ms <= after + 1, `${ms} within [${before}, ${after}]`);
  assert.equal(clockRealtime(new Float64Array(1)), -22);
});
