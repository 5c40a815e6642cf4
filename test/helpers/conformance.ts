// The conformance suite every port driver passes: exact frames in = exact
// frames out (bytes compared), burst limits honoured, stats equal to what was
// moved, every mbuf back in the pool, and open/close 1000 times without
// leaking a file descriptor. A driver test supplies a Harness saying how to put
// frames on its "wire" and how to read what it transmitted.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { Mempool } from '../../src/mempool/mempool';
import type { Port } from '../../src/port/types';

export interface Wire {
  port: Port;
  /** Puts frames where the port's rx will find them (undefined: the driver generates its own rx). */
  inject?(frames: Uint8Array[]): void | Promise<void>;
  /** Frames the port transmitted since the last call, in order (undefined: tx is a sink). */
  collect?(expected: number): Uint8Array[] | Promise<Uint8Array[]>;
  /** The frame rx must produce when the driver generates its own (null). */
  generated?: (len: number) => Uint8Array;
  /** Releases everything the harness made (port included). */
  teardown(): void | Promise<void>;
}

export interface Harness {
  name: string;
  /** Reason the driver cannot be tested here (never under CI=true for required drivers). */
  skip?: string;
  /** Frame sizes to use; default a spread from 60 to 1514. */
  sizes?: number[];
  open(pool: Mempool): Promise<Wire>;
  /** devargs that open the same device again, for the open/close cycle test. */
  devargs?: (pool: Mempool) => Promise<{ open(): Promise<Port> }>;
  /** Open/close cycles in the leak test (default 1000). */
  cycles?: number;
}

const SIZES = [60, 64, 100, 128, 256, 512, 1000, 1024, 1280, 1514];

/** A frame of `len` bytes whose every byte depends on (seq, position). */
export function testFrame(seq: number, len: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x88, 0xb5]);
  for (let i = 14; i < len; i++) f[i] = (seq * 7 + i * 13) & 0xff;
  f[14] = seq & 0xff;
  f[15] = (seq >> 8) & 0xff;
  return f;
}

export function frameOf(pool: Mempool, m: number): Uint8Array {
  const off = pool.mtod(m);
  return pool.data.slice(off, off + pool.dataLen(m));
}

/** Polls rxBurst until `n` frames arrived or `ms` passed; checks every burst <= max. */
export async function rxAll(port: Port, n: number, max: number, ms = 5000): Promise<number[]> {
  const got: number[] = [];
  const bufs = new Uint32Array(max);
  const end = Date.now() + ms;
  while (got.length < n && Date.now() < end) {
    for (let q = 0; q < port.nbQueues; q++) {
      const k = port.rxBurst(q, bufs, max);
      assert.ok(k <= max, `rxBurst returned ${k} > max ${max}`);
      for (let i = 0; i < k; i++) got.push(bufs[i]);
    }
    await new Promise((r) => setImmediate(r));
  }
  return got;
}

/** Sends mbufs, retrying what was not taken, freeing nothing: all must go. */
export async function txAll(port: Port, mbufs: number[], burst: number, ms = 5000): Promise<void> {
  const buf = new Uint32Array(burst);
  const end = Date.now() + ms;
  let i = 0;
  while (i < mbufs.length && Date.now() < end) {
    const n = Math.min(burst, mbufs.length - i);
    for (let j = 0; j < n; j++) buf[j] = mbufs[i + j];
    i += port.txBurst(0, buf, n);
    if (i < mbufs.length) await new Promise((r) => setImmediate(r));
  }
  assert.equal(i, mbufs.length, 'tx took every frame');
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

export function runConformance(h: Harness): void {
  const opts = { skip: h.skip, timeout: 120_000 };
  const sizes = h.sizes ?? SIZES;

  test(`${h.name}: frames in = frames out, byte for byte, with exact stats`, opts, async () => {
    const pool = Mempool.create({ n: 4096, cacheSize: 0 });
    const w = await h.open(pool);
    try {
      const n = 200;
      const frames = Array.from({ length: n }, (_, i) => (w.generated ? w.generated(sizes[0]) : testFrame(i, sizes[i % sizes.length])));
      if (w.inject) await w.inject(frames);
      const got = await rxAll(w.port, n, 32);
      // A generator returns as many as asked: give back the extras of the last burst.
      if (w.generated) for (const m of got.splice(n)) pool.putBulk(Uint32Array.of(m), 1);
      assert.equal(got.length, n, 'every frame received');
      let ibytes = 0;
      for (let i = 0; i < n; i++) {
        assert.deepEqual(frameOf(pool, got[i]), frames[i], `rx frame ${i} byte-exact`);
        assert.equal(pool.port(got[i]), w.port.id, 'mbuf carries the input port');
        ibytes += frames[i].length;
      }
      if (!w.generated) {
        const s = w.port.stats();
        assert.equal(s.ipackets, n);
        assert.equal(s.ibytes, ibytes);
        assert.equal(s.ierrors, 0);
      }
      await txAll(w.port, got, 32);
      if (w.collect) {
        const out = await w.collect(n);
        assert.equal(out.length, n, 'every frame transmitted');
        for (let i = 0; i < n; i++) assert.deepEqual(out[i], frames[i], `tx frame ${i} byte-exact`);
      }
      const s = w.port.stats();
      assert.equal(s.opackets, n);
      assert.equal(s.obytes, ibytes);
      assert.equal(s.oerrors, 0);
    } finally {
      await w.teardown();
    }
    assert.equal(pool.availCount(), pool.n, 'every mbuf back in the pool');
  });

  test(`${h.name}: rxBurst never returns more than max`, opts, async () => {
    const pool = Mempool.create({ n: 4096, cacheSize: 0 });
    const w = await h.open(pool);
    try {
      const n = 100;
      if (w.inject) await w.inject(Array.from({ length: n }, (_, i) => testFrame(i, 64)));
      for (const max of [1, 7, 32]) {
        const got = await rxAll(w.port, w.inject ? Math.min(n, 10) : max, max);
        for (const m of got) pool.putBulk(Uint32Array.of(m), 1);
      }
      // Drain what is left so the pool is whole again.
      for (const m of await rxAll(w.port, Infinity, 32, 300)) pool.putBulk(Uint32Array.of(m), 1);
      if (w.generated) return;
      assert.equal(w.port.stats().ipackets, n);
    } finally {
      await w.teardown();
    }
    assert.equal(pool.availCount(), pool.n);
  });

  const cycles = h.cycles ?? 1000;
  test(`${h.name}: open/close ${cycles} times leaks no file descriptor`, opts, async () => {
    const pool = Mempool.create({ n: 1024, cacheSize: 0 });
    const again = h.devargs ? await h.devargs(pool) : undefined;
    const w = again ? undefined : await h.open(pool);
    try {
      const reopen = again ?? { open: async () => w!.port };
      const before = openFds();
      for (let i = 0; i < cycles; i++) {
        const p = await reopen.open();
        p.close();
      }
      assert.equal(openFds(), before, 'fd count unchanged');
    } finally {
      await w?.teardown();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}
