// The volume proof: VOLUME_FRAMES frames through tsfwd l2fwd on net_null and
// net_ring with exact counts and every mbuf back (test/helpers/soak-volume.ts);
// `npm run soak` runs 10^8. First, net_null's count= devarg that makes the
// total exact.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Mempool } from '../src/mempool/mempool';
import { openPort } from '../src/port/registry';
import { BIN } from './helpers/cli-proc';
import { FinalLine, balanceProblems } from './helpers/soak-final';
import { runVolume } from './helpers/soak-volume';

/** 10^7 in `npm test`, to keep it fast (10^8 took 29-40 s on the shared 2-CPU machine); `npm run soak` runs 10^8. */
const VOLUME_FRAMES = 10_000_000;

test('net_null count=N: rx hands out exactly N frames in total, then nothing, with no mbuf taken', async () => {
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  const p = await openPort('net_null0,size=60,count=100', { id: 0, pool });
  try {
    const b = new Uint32Array(32);
    const got: number[] = [];
    for (let i = 0; i < 6; i++) {
      const n = p.rxBurst(0, b, 32);
      got.push(n);
      if (n > 0) assert.equal(pool.dataLen(b[n - 1]), 60);
      pool.putBulk(b, n);
    }
    assert.deepEqual(got.slice(0, 4), [32, 32, 32, 4], 'the last burst is cut to what is left');
    assert.deepEqual(got.slice(4), [0, 0], 'then nothing');
    const s = p.stats();
    assert.equal(s.ipackets, 100);
    assert.equal(s.ibytes, 6000);
    assert.equal(s.rxNombuf, 0, 'an exhausted source is not a missing mbuf');
    assert.equal(pool.availCount(), 256, 'no mbuf taken once exhausted');
  } finally {
    p.close();
  }
  const z = await openPort('net_null1,count=0', { id: 1, pool });
  try {
    assert.equal(z.rxBurst(0, new Uint32Array(32), 32), 0, 'count=0: a tx-only port');
    assert.equal(pool.availCount(), 256);
  } finally {
    z.close();
  }
});

test('net_null count= errors are one line', async () => {
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  for (const [d, re] of [
    ['net_null0,count=-1', /^net_null0: devarg count=-1 must be an integer 0\.\.9007199254740991$/],
    ['net_null0,count=1e8', /^net_null0: devarg count=1e8 must be an integer 0\.\.9007199254740991$/],
    ['net_null0,count=10,qpairs=2', /^net_null0: devarg count= needs qpairs=1 \(it counts the frames of one rx queue\)$/],
  ] as const) {
    await assert.rejects(openPort(d, { id: 0, pool }), (e: Error) => { assert.match(e.message, re); return true; });
  }
  const r = spawnSync(process.execPath, [BIN, 'l2fwd', '-l', '0', '--vdev', 'net_null0,count=x', '--', '-p', '0x1'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'tsfwd: net_null0: devarg count=x must be an integer 0..9007199254740991\n');
});

test('the soak/volume checker catches an unbalanced port, a send mismatch and a leaked mbuf', () => {
  const drops = { txFail: 2, badFrame: 0, ringFull: 0, imissed: 7, noMbuf: 0, ierrors: 0 };
  const port = (n: number, ipackets: number, forwarded: number, opackets: number) => ({
    port: n, name: `p${n}`, ipackets, opackets, ibytes: 0, obytes: 0, forwarded, generated: 0, dropped: { ...drops },
  });
  const good: FinalLine = { msg: 'final', ok: true, ports: [port(0, 10, 8, 5), port(1, 7, 5, 8)], mempool: { size: 64, inUse: 0 }, gcs: [0], maxRssKb: 1 };
  assert.deepEqual(balanceProblems(good), []);
  const bad: FinalLine = { ...good, ports: [port(0, 11, 8, 5), port(1, 7, 5, 9)], mempool: { size: 64, inUse: 3 } };
  assert.deepEqual(balanceProblems(bad), [
    'port 0: received 11 != forwarded 8 + dropped 2',
    'port 1: sent 9 != forwarded from port 0 8',
    'mempool: 3 of 64 mbufs still in use after stop',
  ]);
});

test(`volume: ${VOLUME_FRAMES} frames through l2fwd net_null0 <-> net_ring1, exact counts both ways, no mbuf leak`, { timeout: 180_000 }, async () => {
  const r = await runVolume(VOLUME_FRAMES);
  console.log(r.summary);
  assert.deepEqual(r.problems, [], r.summary);
  const [p0, p1] = r.final!.ports;
  assert.equal(p0.ipackets, VOLUME_FRAMES, 'net_null0 delivered exactly count= frames');
  assert.equal(p1.opackets, p0.forwarded, 'port 1 sent what port 0 forwarded');
  assert.equal(p1.ipackets, p1.opackets, 'the loopback ring returned all of it');
  assert.equal(p0.opackets, p1.forwarded, 'port 0 sent what port 1 forwarded');
  assert.equal(r.final!.mempool.inUse, 0, 'every mbuf back in the pool');
});
