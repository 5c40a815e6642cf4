// The shim's registered burst copy: exact bytes, bounds checked in C, slots
// released and reusable.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { memCopyBurst, memCopyRegister, memCopyUnregister } from '../src/native';

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
