// Every driver's tx checks each entry before using it: an index that is no
// mbuf, a data offset beyond the mbuf's buffer, a length of 0, larger than the
// buffer or "negative" (0xffffffff). A bad entry is consumed and counted once
// in oerrors, never read or written, never returned to the pool; the good
// frames of the same burst go out byte for byte and the pool ends whole.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Mempool } from '../src/mempool/mempool';
import { openPort } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import { load } from './helpers/afp-frames';
import { wireHarness } from './helpers/afp-net';
import { testFrame } from './helpers/conformance';
import { readPcap } from './helpers/pcap-file';
import { TestNet, netSkipReason, xskSkipReason } from './helpers/testnet';
import { closeSock, dgramIn, openIn, sleep } from './helpers/udp-peer';

interface Harness { port: Port; collect(n: number): Promise<Uint8Array[]>; teardown(): Promise<void> | void }

let nextId = 0;
const openNs = (ns: string, devargs: string, pool: Mempool): Promise<Port> => withNetns(ns, () => openPort(devargs, { id: nextId++, pool }));

/** A port on a veth whose peer captures (net_af_packet, net_af_xdp). */
async function onWire(devargs: (dev: string) => string, pool: Mempool): Promise<Harness> {
  const w = await wireHarness('b', (ns, dev) => openNs(ns, devargs(dev), pool));
  return { port: w.port, collect: async (n) => w.collect!(n), teardown: () => w.teardown() };
}

/** net_udp on loopback in a namespace, a dgram peer at its remote. */
async function onUdp(pool: Mempool): Promise<Harness> {
  const tn = new TestNet('bu');
  try {
    const ns = tn.ns('lo');
    const port = await openIn(ns, `net_udp${nextId},local=127.0.0.1:41000,remote=127.0.0.1:41001`, nextId++, pool);
    const peer = await dgramIn(ns, 4, '127.0.0.1', 41001);
    const got: Uint8Array[] = [];
    peer.on('message', (m) => got.push(new Uint8Array(m)));
    return {
      port,
      async collect(n) {
        for (let t = 0; t < 500 && got.length < n; t++) await sleep(10);
        await sleep(50);
        return got.splice(0);
      },
      async teardown() { port.close(); await closeSock(peer); tn.destroy(); },
    };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

/** net_pcap writing a file: what reached it is read back after close. */
async function onPcap(pool: Mempool): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-bounds-'));
  const file = path.join(dir, 'out.pcap');
  const port = await openPort(`net_pcap${nextId},tx_pcap=${file}`, { id: nextId++, pool });
  let closed = false;
  return {
    port,
    collect() {
      port.close();
      closed = true;
      return Promise.resolve(readPcap(file).records.map((r) => r.data));
    },
    teardown() { if (!closed) port.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

const net = netSkipReason();
const drivers: { name: string; skip: string | undefined; open: (pool: Mempool) => Promise<Harness> }[] = [
  { name: 'net_af_packet mode=mmap', skip: net, open: (p) => onWire((d) => `net_af_packet${nextId},iface=${d},mode=mmap`, p) },
  { name: 'net_af_packet mode=mmsg', skip: net, open: (p) => onWire((d) => `net_af_packet${nextId},iface=${d},mode=mmsg`, p) },
  { name: 'net_af_xdp', skip: xskSkipReason(), open: (p) => onWire((d) => `net_af_xdp${nextId},iface=${d}`, p) },
  { name: 'net_udp', skip: net, open: onUdp },
  { name: 'net_pcap', skip: undefined, open: onPcap },
];

for (const d of drivers) {
  test(`${d.name}: bad indices, offsets and lengths in a tx burst are counted oerrors; good frames sent; pool whole`, { skip: d.skip, timeout: 60_000 }, async () => {
    const pool = Mempool.create({ n: 4096, cacheSize: 0 }); // net_af_xdp keeps ~1300 on offer to the kernel
    const h = await d.open(pool);
    try {
      const good = [testFrame(0, 64), testFrame(1, 300), testFrame(2, 64)];
      const g = load(pool, good);
      const elt = pool.eltSize;
      // [data offset, data length] of real mbufs whose metadata points outside their buffer.
      const badMeta: [number, number][] = [
        [elt + 100, 64],          // offset beyond the buffer
        [0xffffffff, 64],         // offset "negative"
        [pool.headroom, 0],       // empty
        [pool.headroom, elt],     // longer than the buffer
        [pool.headroom, 0xffffffff], // length "negative"
        [elt - 10, 64],           // straddles the buffer's end
      ];
      const b = load(pool, badMeta.map(() => testFrame(9, 64)));
      badMeta.forEach(([off, len], i) => { pool.setDataOff(b[i], off); pool.setDataLen(b[i], len); });
      const burst = Uint32Array.from([g[0], pool.n, b[0], b[1], g[1], 0xffffffff, b[2], b[3], b[4], b[5], g[2]]);
      const bad = burst.length - good.length;
      assert.equal(h.port.txBurst(0, burst, burst.length), burst.length, 'every entry consumed');
      const s = h.port.stats();
      assert.equal(s.opackets, good.length, JSON.stringify(s));
      assert.equal(s.obytes, 64 + 300 + 64);
      assert.equal(s.oerrors, bad, 'each bad entry counted once');
      assert.deepEqual(await h.collect(good.length), good, 'only the good frames, byte for byte');
      // The port still works after the bad burst.
      const again = load(pool, [testFrame(3, 64)]);
      if (d.name !== 'net_pcap') {
        assert.equal(h.port.txBurst(0, again, 1), 1);
        assert.deepEqual(await h.collect(1), [testFrame(3, 64)]);
      } else {
        pool.putBulk(again, 1);
      }
    } finally {
      await h.teardown();
    }
    assert.equal(pool.availCount(), pool.n, 'the pool is whole: every real mbuf back, no foreign index in it');
  });
}
