// net_af_packet on veth pairs in namespaces this file creates and removes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Mempool } from '../src/mempool/mempool';
import { openPort } from '../src/port/registry';
import { withNetns } from '../src/topo/netns';
import { frameOf, rxAll, testFrame, txAll } from './helpers/conformance';
import { Capture, inject, wire1 } from './helpers/afp-net';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();

for (const mode of ['mmap', 'mmsg']) {
  test(`smoke ${mode}`, { skip }, async () => {
    const w = wire1('sm');
    const pool = Mempool.create({ n: 4096, cacheSize: 0 });
    try {
      const port = await withNetns(w.nsF, () => openPort(`net_af_packet0,iface=${w.dev},mode=${mode}`, { id: 0, pool }));
      const cap = await Capture.start(w.nsW, w.peer);
      try {
        const frames = Array.from({ length: 50 }, (_, i) => testFrame(i, [60, 64, 1514, 333][i % 4]));
        inject(w.tn, w.nsW, w.peer, frames);
        const got = await rxAll(port, 50, 32);
        assert.equal(got.length, 50);
        for (let i = 0; i < 50; i++) assert.deepEqual(frameOf(pool, got[i]), frames[i]);
        await txAll(port, got, 32);
        const out = await cap.take(50);
        assert.equal(out.length, 50);
        for (let i = 0; i < 50; i++) assert.deepEqual(out[i], frames[i]);
        console.log(port.stats());
      } finally {
        cap.stop();
        port.close();
      }
    } finally {
      w.tn.destroy();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}
