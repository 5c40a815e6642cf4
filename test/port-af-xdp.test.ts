// net_af_xdp on veth pairs in namespaces this file creates and always
// removes. Frames are put on the wire and read back with the same independent
// python3 AF_PACKET tool as the net_af_packet tests, never with tsfwd itself.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Mempool } from '../src/mempool/mempool';
import { xskLive } from '../src/native';
import { openPort, portHandle } from '../src/port/registry';
import { RX_PACKETS, rxLine } from '../src/port/stats';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import { udpFrame } from './helpers/afp-frames';
import { Wire1, inject, quietNs, wire1, wireHarness } from './helpers/afp-net';
import { frameOf, rxAll, runConformance, testFrame } from './helpers/conformance';
import { TestNet, xskSkipReason } from './helpers/testnet';

const skip = xskSkipReason();
let nextId = 0;
const shared: Wire1[] = [];
after(() => { for (const w of shared.splice(0)) w.tn.destroy(); });

const open = (ns: string, devargs: string, pool: Mempool, id = nextId++): Promise<Port> =>
  withNetns(ns, () => openPort(devargs, { id, pool }));

for (const xdpMode of ['native', 'generic'] as const) {
  runConformance({
    name: `net_af_xdp xdp_mode=${xdpMode}`,
    skip,
    cycles: 200,
    open: (pool) => wireHarness('x', (ns, dev) => open(ns, `net_af_xdp${nextId},iface=${dev},xdp_mode=${xdpMode}`, pool)),
    async devargs(pool) {
      const w = wire1('y');
      shared.push(w);
      const live = xskLive();
      let opened = 0;
      return {
        open: () => {
          if (opened++ > 0) assert.deepEqual(xskLive(), live, 'no native queue, binding or program left behind');
          if (opened % 50 === 2) assert.doesNotMatch(w.tn.exec(w.nsF, ['ip', 'link', 'show', w.dev]), /xdp/, 'no XDP program left attached');
          return open(w.nsF, `net_af_xdp99,iface=${w.dev},xdp_mode=${xdpMode}`, pool, 99);
        },
      };
    },
  });
}

test('net_af_xdp bad input: one-line errors, nothing left open', { skip, timeout: 60_000 }, async () => {
  const w = wire1('e');
  const pool = Mempool.create({ n: 4096, cacheSize: 0 });
  try {
    const live = xskLive();
    const cases: [string, RegExp][] = [
      [`net_af_xdp0,iface=nosuch0`, /^net_af_xdp0: interface 'nosuch0' does not exist$/],
      [`net_af_xdp0,iface=${w.dev},mode=zc`, /^net_af_xdp0: the driver of '.*' has no AF_XDP zero-copy \(use mode=copy or auto\)$/],
      [`net_af_xdp0,iface=${w.dev},queue_count=2`, /^net_af_xdp0: AF_XDP socket bind on '.*' queue 1 failed: EINVAL \(does the device have that many queues\?\)$/],
      [`net_af_xdp0,iface=${w.dev},mode=fast`, /^net_af_xdp0: devarg mode=fast/],
      [`net_af_xdp0,iface=${w.dev},xdp_mode=hw`, /^net_af_xdp0: devarg xdp_mode=hw/],
      [`net_af_xdp0,iface=${w.dev},queue_count=0`, /^net_af_xdp0: devarg queue_count=0/],
      [`net_af_xdp0,iface=${w.dev},bogus=1`, /^net_af_xdp0: unknown devarg 'bogus'/],
    ];
    for (const [devargs, re] of cases) {
      await assert.rejects(open(w.nsF, devargs, pool, 0), (e: Error) => { assert.match(e.message, re); return true; }, devargs);
      assert.deepEqual(xskLive(), live, `${devargs}: nothing left open`);
      assert.equal(pool.availCount(), pool.n, `${devargs}: every mbuf back`);
    }
    assert.doesNotMatch(w.tn.exec(w.nsF, ['ip', 'link', 'show', w.dev]), /xdp/, 'no XDP program left attached');
    // A second port on the same interface is refused before touching the device.
    const a = await open(w.nsF, `net_af_xdp1,iface=${w.dev}`, pool, 1);
    try {
      await assert.rejects(open(w.nsF, `net_af_xdp2,iface=${w.dev}`, pool, 2), /^Error: net_af_xdp2: interface '.*' is already in use by port net_af_xdp1$/);
    } finally {
      a.close();
    }
    assert.equal(pool.availCount(), pool.n, 'fill ring buffers returned at close');
  } finally {
    w.tn.destroy();
  }
});

test('net_af_xdp imissed: frames beyond the fill ring are counted from XDP_STATISTICS', { skip, timeout: 60_000 }, async () => {
  const w = wire1('m');
  const pool = Mempool.create({ n: 4096, cacheSize: 0 });
  try {
    const port = await open(w.nsF, `net_af_xdp0,iface=${w.dev}`, pool, 0);
    // Nothing polls while 1500 frames arrive: the fill ring offers 1024 buffers, the rest are missed.
    inject(w.tn, w.nsW, w.peer, Array.from({ length: 1500 }, (_, i) => testFrame(i, 64)));
    const got = await rxAll(port, 1500, 32, 1500);
    pool.putBulk(Uint32Array.from(got), got.length);
    port.close(); // the lcore-side close reads the socket's final XDP_STATISTICS
    const s = port.stats();
    assert.equal(got.length, 1024, 'as many frames as the fill ring had buffers');
    assert.equal(s.ipackets, 1024);
    assert.equal(s.imissed, 1500 - 1024, 'the rest: fill ring empty');
    assert.equal(pool.availCount(), pool.n);
  } finally {
    w.tn.destroy();
  }
});

test('net_af_xdp queue_count=2 on a 2-queue veth: every frame once, byte-exact, over both sockets', { skip, timeout: 60_000 }, async () => {
  const tn = new TestNet('q');
  const pool = Mempool.create({ n: 4096, cacheSize: 0 });
  try {
    const nsF = quietNs(tn, 'f');
    const nsW = quietNs(tn, 'w');
    const dev = `${tn.prefix}f0`;
    const peer = `${tn.prefix}w0`;
    tn.veth(dev, nsF, peer, nsW, { queues: 2 });
    const port = await open(nsF, `net_af_xdp0,iface=${dev},queue_count=2`, pool, 0);
    try {
      assert.equal(port.nbQueues, 2);
      // 64 flows: the sender's tx queue (= our rx queue on veth) follows the flow hash.
      const frames = Array.from({ length: 256 }, (_, i) => udpFrame(i, i % 64, 60 + (i % 200)));
      inject(tn, nsW, peer, frames);
      const got = await rxAll(port, frames.length, 32);
      const seen = got.map((m) => Buffer.from(frameOf(pool, m)).toString('hex')).sort();
      assert.deepEqual(seen, frames.map((f) => Buffer.from(f).toString('hex')).sort(), 'every frame once, byte-exact');
      pool.putBulk(Uint32Array.from(got), got.length);
      assert.equal(port.stats().ipackets, frames.length);
      const perQueue = [0, 1].map((q) => rxLine(portHandle(port).stats, q)[RX_PACKETS]);
      assert.ok(perQueue[0] > 0 && perQueue[1] > 0, `both sockets received frames (${perQueue.join(' + ')})`);
    } finally {
      port.close();
    }
    assert.equal(pool.availCount(), pool.n);
  } finally {
    tn.destroy();
  }
});
