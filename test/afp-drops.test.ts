// net_af_packet's kernel drop count (PACKET_STATISTICS, clear-on-read) is
// read now and then, not on every burst even while frames say
// TP_STATUS_LOSING (a getsockopt per burst would slow rx exactly when it is
// saturated), and once more when the binding goes, so no drop is lost.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Mempool } from '../src/mempool/mempool';
import { openPort } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import { inject, wire1 } from './helpers/afp-net';
import { testFrame } from './helpers/conformance';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
let nextId = 0;
const open = (ns: string, devargs: string, pool: Mempool): Promise<Port> => withNetns(ns, () => openPort(devargs, { id: nextId++, pool }));

for (const mode of ['mmap', 'mmsg'] as const) {
  test(`mode=${mode}: a few polls under loss read no drop count; closing the port reads the rest: received + imissed = sent`, { skip, timeout: 30_000 }, async () => {
    const w = wire1('d');
    const pool = Mempool.create({ n: 1024, cacheSize: 0 });
    try {
      // A 64-frame ring (mmap) or a socket buffer of a few frames (mmsg) for 300 frames.
      // The open says once what mmsg costs (and mmap says nothing).
      const said: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = ((c: string | Uint8Array): boolean => { said.push(String(c)); return true; }) as typeof process.stderr.write;
      let port: Port;
      try {
        port = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},mode=${mode},framecnt=${mode === 'mmap' ? 64 : 8}`, pool);
      } finally {
        process.stderr.write = write;
      }
      assert.deepEqual(said.map((l) => l.replace(/^net_af_packet\d+: /, '')), mode === 'mmap' ? [] : [
        "mode=mmsg: a recvmmsg/sendmmsg per burst, 0.4 to 0.7 times mode=mmap's rate on veth (npm run bench -- fwd loop); use it only where PACKET_MMAP rings are unavailable\n"]);
      let closed = false;
      try {
        const buf = new Uint32Array(32);
        let got = 0;
        const poll = (times: number): void => {
          for (let i = 0; i < times; i++) {
            const k = port.rxBurst(0, buf, 32);
            if (k > 0) pool.putBulk(buf, k);
            got += k;
          }
        };
        // 300 frames overflow the ring; once it is drained, 100 more arrive while the
        // kernel's drop count is unread, so (mode mmap) they carry TP_STATUS_LOSING.
        inject(w.tn, w.nsW, w.peer, Array.from({ length: 300 }, (_, i) => testFrame(i, 64)));
        poll(3);
        inject(w.tn, w.nsW, w.peer, Array.from({ length: 100 }, (_, i) => testFrame(300 + i, 64)));
        poll(5);
        const n = 400;
        assert.equal(w.tn.counter(w.nsF, w.dev, 'rx_packets'), n);
        let s = port.stats();
        assert.equal(s.ipackets, got);
        assert.ok(got > 0 && got < n, `some frames were kept (${got}), the rest dropped by the kernel`);
        // 8 polls: below both read intervals (64 polls while losing, 4096 otherwise).
        assert.equal(s.imissed, 0, `no PACKET_STATISTICS read yet${mode === 'mmap' ? ', although frames said TP_STATUS_LOSING' : ''}`);
        port.close();
        closed = true;
        s = port.stats();
        assert.equal(s.ipackets + s.imissed, n, `received ${s.ipackets} + missed ${s.imissed} = sent: the read at close`);
      } finally {
        if (!closed) port.close();
      }
    } finally {
      w.tn.destroy();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}
