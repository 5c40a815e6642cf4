// net_af_packet on veth pairs in namespaces this file creates and always
// removes. Frames are put on the wire and read back with an independent tool
// (test/helpers/afp_wire.py: python3 AF_PACKET and UDP sockets via
// `ip netns exec`), never with tsfwd itself.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LcoreGroup } from '../src/eal/launch';
import { MBUF_DATA_LEN, MBUF_DATA_OFF, MBUF_FLAGS, MBUF_META_WORDS, MBUF_PORT, MBUF_TS_HI, MBUF_TS_LO } from '../src/mempool/layout';
import { Mempool } from '../src/mempool/mempool';
import { afpLayout, afpLive, afpSockVersion, getAffinity } from '../src/native';
import { AFP_STEPS } from '../src/port/af-packet/af-packet';
import { AFP_MAX_BURST, AfpState } from '../src/port/af-packet/af-packet-port';
import { openPort, portHandle } from '../src/port/registry';
import { RX_BYTES, RX_ERRORS, RX_MISSED, RX_PACKETS, TX_BYTES, TX_ERRORS, TX_PACKETS, rxLine } from '../src/port/stats';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import type { FwdConfig, FwdResult } from './helpers/afp-fwd-app';
import { load, tagged, udpFrame } from './helpers/afp-frames';
import { Capture, PYTHON, WIRE_PY, Wire1, inject, quietNs, ringMappings, runPy, socketMappings, udpSnmp, wire1, wireHarness } from './helpers/afp-net';
import { frameOf, runConformance, rxAll, testFrame, txAll } from './helpers/conformance';
import { TestNet, netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const MODES = ['mmap', 'mmsg', 'v3'] as const;
/** Each mode's devargs; v3 is mode=mmap over a TPACKET_V3 socket (rx in blocks). */
const DEV = { mmap: 'mode=mmap', mmsg: 'mode=mmsg', v3: 'mode=mmap,tpacket_version=3' } as const;
let nextId = 0;
const shared: Wire1[] = [];
after(() => { for (const w of shared.splice(0)) w.tn.destroy(); });

const open = (ns: string, devargs: string, pool: Mempool, id = nextId++): Promise<Port> =>
  withNetns(ns, () => openPort(devargs, { id, pool }));


for (const mode of MODES) {
  runConformance({
    name: `net_af_packet ${DEV[mode]}`,
    skip,
    // The setup path v3 adds is two ring options; 200 cycles check it for leaks (1000 take a minute).
    cycles: mode === 'v3' ? 200 : undefined,
    open: (pool) => wireHarness('c', (ns, dev) => open(ns, `net_af_packet${nextId},iface=${dev},${DEV[mode]}`, pool)),
    async devargs(pool) {
      const w = wire1('d');
      shared.push(w);
      const maps = socketMappings();
      const live = afpLive();
      let opened = 0;
      return {
        open: () => {
          // Each earlier cycle closed its port: no ring mapping and no native queue may be left.
          if (opened++ > 0) {
            assert.equal(socketMappings(), maps, 'no socket mapping left behind');
            assert.deepEqual(afpLive(), live, 'no native queue or binding left behind');
          }
          return open(w.nsF, `net_af_packet99,iface=${w.dev},${DEV[mode]}`, pool, 99);
        },
      };
    },
  });
}

test('C and TS agree on mbuf and stats layouts', () => {
  assert.deepEqual(afpLayout(), [MBUF_META_WORDS, MBUF_DATA_OFF, MBUF_DATA_LEN, MBUF_PORT, MBUF_FLAGS, MBUF_TS_LO, MBUF_TS_HI,
    RX_PACKETS, RX_BYTES, RX_ERRORS, RX_MISSED, TX_PACKETS, TX_BYTES, TX_ERRORS, AFP_STEPS.length, AFP_MAX_BURST]);
});

for (const mode of MODES) {
  for (const bypass of [1, 0]) {
    test(`${DEV[mode]} qdisc_bypass=${bypass}: VLAN tags survive rx and tx byte-exact; the port never hears its own tx`, { skip, timeout: 30_000 }, async () => {
      const w = wire1('v');
      const pool = Mempool.create({ n: 1024, cacheSize: 0 });
      try {
        const port = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},${DEV[mode]},qdisc_bypass=${bypass}`, pool);
        const cap = await Capture.start(w.nsW, w.peer);
        try {
          const frames = [
            tagged(0, 64, 0x8100, 0x0064), tagged(1, 1518, 0x8100, 0xe00a), tagged(2, 60, 0x8100, 0x0000),
            tagged(3, 100, 0x88a8, 0x0123, 0x0456), tagged(4, 1514, 0x88a8, 0x0fff, 0x0001), testFrame(5, 1514),
          ];
          // The socket really got the ring version asked for (V1 is the default of a socket without rings).
          assert.equal(afpSockVersion((portHandle(port).state as AfpState).fds[0]), { mmap: 2, mmsg: 1, v3: 3 }[mode]);
          const mac = w.tn.exec(w.nsF, ['cat', `/sys/class/net/${w.dev}/address`]).trim();
          assert.equal(Buffer.from(port.mac).toString('hex').match(/../g)!.join(':'), mac, 'the port has the interface MAC');
          inject(w.tn, w.nsW, w.peer, frames);
          const got = await rxAll(port, frames.length, 32);
          assert.deepEqual(got.map((m) => frameOf(pool, m)), frames, 'rx re-inserts the tags the kernel stripped');
          for (const m of got) {
            // mmap: the ring's kernel timestamp (ns, realtime); mmsg: none.
            if (mode !== 'mmsg') assert.ok(Math.abs(pool.timestamp(m) / 1e6 - Date.now()) < 60_000, 'rx timestamp is now');
            else assert.equal(pool.timestamp(m), 0);
          }
          await txAll(port, got, 32);
          assert.deepEqual(await cap.take(frames.length), frames, 'tx sends them as they are');
          assert.deepEqual(await rxAll(port, 1, 32, 200), [], 'nothing of our own tx comes back');
          const s = port.stats();
          assert.equal(s.ipackets, frames.length);
          assert.equal(s.opackets, frames.length);
          assert.equal(s.ibytes, frames.reduce((a, f) => a + f.length, 0));
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
}

for (const mode of MODES) {
  test(`${DEV[mode]} qpairs=2: fanout delivers every frame exactly once across the two queues`, { skip, timeout: 30_000 }, async () => {
    const w = wire1('q');
    const pool = Mempool.create({ n: 2048, cacheSize: 0 });
    try {
      const port = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},${DEV[mode]},qpairs=2,fanout_mode=hash`, pool);
      try {
        assert.equal(port.nbQueues, 2);
        const n = 400;
        const frames = Array.from({ length: n }, (_, i) => udpFrame(i, i % 64));
        inject(w.tn, w.nsW, w.peer, frames);
        const perQueue = [0, 0];
        const seen = new Map<string, number>();
        const buf = new Uint32Array(32);
        const end = Date.now() + 5000;
        let total = 0;
        while (total < n && Date.now() < end) {
          for (let q = 0; q < 2; q++) {
            const k = port.rxBurst(q, buf, 32);
            for (let i = 0; i < k; i++) {
              const key = Buffer.from(frameOf(pool, buf[i])).toString('hex');
              seen.set(key, (seen.get(key) ?? 0) + 1);
            }
            if (k) pool.putBulk(buf, k);
            perQueue[q] += k;
            total += k;
          }
          await new Promise((r) => setImmediate(r));
        }
        assert.equal(total, n, 'every frame received');
        assert.ok(perQueue[0] > 0 && perQueue[1] > 0, `hash fanout used both queues (${perQueue.join(' + ')})`);
        assert.equal(seen.size, n, 'no frame twice');
        for (const f of frames) assert.equal(seen.get(Buffer.from(f).toString('hex')), 1);
        const st = portHandle(port).stats;
        assert.deepEqual([0, 1].map((q) => rxLine(st, q)[RX_PACKETS]), perQueue, 'per-queue counters match');
        assert.equal(port.stats().ipackets, n);
        assert.equal(w.tn.counter(w.nsF, w.dev, 'rx_packets'), n, 'kernel rx counter agrees');
      } finally {
        port.close();
      }
    } finally {
      w.tn.destroy();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}

for (const mode of MODES) {
  test(`${DEV[mode]}: frames the kernel dropped while nobody polled show up as imissed (PACKET_STATISTICS)`, { skip, timeout: 30_000 }, async () => {
    const w = wire1('m');
    const pool = Mempool.create({ n: 1024, cacheSize: 0 });
    try {
      // A 64-frame ring (mmap), two 8 KiB blocks of ~50 frames each (v3) or a socket buffer of ~16 frames (mmsg) for 300 frames.
      const size = { mmap: 'framecnt=64', mmsg: 'framecnt=8', v3: 'blocksz=8192,framecnt=8' }[mode];
      const port = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},${DEV[mode]},${size}`, pool);
      try {
        const n = 300;
        inject(w.tn, w.nsW, w.peer, Array.from({ length: n }, (_, i) => testFrame(i, 64)));
        const got = await rxAll(port, n, 32, 300);
        pool.putBulk(Uint32Array.from(got), got.length);
        // The drop count is read every 4096 polls (or when a frame says TP_STATUS_LOSING).
        const buf = new Uint32Array(32);
        for (let i = 0; i < 5000; i++) assert.equal(port.rxBurst(0, buf, 32), 0);
        const s = port.stats();
        if (mode === 'mmap') assert.equal(s.ipackets, 64, 'the ring held 64');
        if (mode === 'v3') assert.ok(s.ipackets > 0 && s.ipackets <= 2 * 50, `the blocks held ${s.ipackets} (at most 2 x 50)`);
        assert.ok(s.imissed > 0, 'drops were counted');
        assert.equal(s.ipackets + s.imissed, n, 'received + missed = sent');
        assert.equal(w.tn.counter(w.nsF, w.dev, 'rx_packets'), n);
        assert.equal(s.ierrors, 0);
      } finally {
        port.close();
      }
    } finally {
      w.tn.destroy();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}

for (const mode of ['mmap', 'v3'] as const) {
  test(`${DEV[mode]}: txframecnt sizes the TX ring (the kernel's mapping and the frames a burst takes); 128 by default`, { skip, timeout: 30_000 }, async () => {
    const w = wire1('t');
    const pool = Mempool.create({ n: 1024, cacheSize: 0 });
    try {
      // V3 rings are whole blocks: 8 KiB blocks hold 4 frames of 2 KiB, so 8 frames are 2 blocks.
      const geo = mode === 'v3' ? ',blocksz=8192' : '';
      const before = ringMappings();
      const small = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},${DEV[mode]}${geo},framecnt=1024,txframecnt=8`, pool);
      const cap = await Capture.start(w.nsW, w.peer);
      try {
        // packet_mmap maps the RX ring (1024 frames) and the TX ring (8) as one mapping.
        const added = ringMappings().filter((x, i, a) => a.indexOf(x) === i && !before.includes(x));
        assert.deepEqual(added, [(1024 + 8) * 2048]);
        const frames = Array.from({ length: 20 }, (_, i) => testFrame(100 + i, 60 + i * 70));
        const m = load(pool, frames);
        assert.equal(small.txBurst(0, m, 20), 8, 'one burst fills the 8 TX frames, no more');
        await txAll(small, [...m.subarray(8)], 32);
        assert.deepEqual(await cap.take(20), frames, 'every frame on the wire, in order, byte for byte');
        assert.equal(small.stats().opackets, 20);
      } finally {
        cap.stop();
        small.close();
      }
      const big = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},${DEV[mode]}${geo},framecnt=1024`, pool);
      try {
        assert.deepEqual(ringMappings().filter((x) => !before.includes(x)), [(1024 + 128) * 2048], 'default: 128 TX frames');
        const m = load(pool, Array.from({ length: 32 }, (_, i) => testFrame(200 + i, 64)));
        assert.equal(big.txBurst(0, m, 32), 32);
        assert.equal(big.stats().opackets, 32);
      } finally {
        big.close();
      }
    } finally {
      w.tn.destroy();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}

for (const mode of MODES) {
  test(`${DEV[mode]}: GSO and oversize frames are rx errors, runt and oversize mbufs tx errors, nothing overflows`, { skip, timeout: 30_000 }, async () => {
    const w = wire1('g');
    const pool = Mempool.create({ n: 1024, cacheSize: 0 });
    try {
      w.tn.exec(w.nsW, ['ip', 'addr', 'add', '10.66.0.1/24', 'dev', w.peer]);
      w.tn.exec(w.nsW, ['ip', 'neigh', 'add', '10.66.0.2', 'lladdr', '02:00:00:00:00:09', 'dev', w.peer]);
      const port = await open(w.nsF, `net_af_packet${nextId},iface=${w.dev},${DEV[mode]}`, pool);
      const cap = await Capture.start(w.nsW, w.peer);
      try {
        const gso = (seg: number, total: number): void => {
          w.tn.exec(w.nsW, [PYTHON, WIRE_PY, 'udp-gso', '10.66.0.1', '10.66.0.2', '9', String(seg), String(total)]);
        };
        gso(400, 1200);   // 3 segments in one 1242-byte frame: fits, but is not one frame
        gso(1400, 30000); // a 30 kB super-frame: larger than any ring frame or data room
        gso(1400, 1000);  // a plain datagram
        const got = await rxAll(port, 1, 32, 3000);
        assert.equal(got.length, 1);
        assert.equal(pool.dataLen(got[0]), 1042);
        assert.equal((await rxAll(port, 1, 32, 200)).length, 0);
        let s = port.stats();
        assert.equal(s.ierrors, 2, 'both GSO frames dropped as errors');
        assert.equal(s.ipackets, 1);
        pool.putBulk(Uint32Array.from(got), 1);

        const good = [testFrame(0, 60), testFrame(1, 1514)];
        const frames = [good[0], new Uint8Array(10).fill(0xaa), testFrame(3, 1515), good[1]];
        const m = load(pool, frames);
        assert.equal(port.txBurst(0, m, 4), 4, 'invalid frames are consumed (dropped), not handed back');
        assert.deepEqual(await cap.take(2), good, 'only the valid frames are on the wire');
        s = port.stats();
        assert.equal(s.opackets, 2);
        assert.equal(s.oerrors, 2);
        assert.equal(s.obytes, 60 + 1514);
        assert.equal(w.tn.counter(w.nsF, w.dev, 'tx_packets'), 2);

        // Interface down: the kernel refuses the kick (ENETDOWN). As DPDK's af_packet
        // PMD does (err_pkts), the driver consumes them and counts oerrors, so the
        // caller does not count them a second time as its own drop.
        w.tn.exec(w.nsF, ['ip', 'link', 'set', w.dev, 'down']);
        const refused = load(pool, [testFrame(20, 64), testFrame(21, 64), testFrame(22, 64)]);
        assert.equal(port.txBurst(0, refused, 3), 3, 'consumed while down');
        assert.equal(port.stats().oerrors, 2 + 3);
        assert.equal(port.stats().opackets, 2);
        w.tn.exec(w.nsF, ['ip', 'link', 'set', w.dev, 'up']);
        // Wait for the link to be up again; the first send then meets the stale ENETDOWN (sk_err), which the driver retries past.
        for (let i = 0; i < 500 && w.tn.exec(w.nsF, ['cat', `/sys/class/net/${w.dev}/operstate`]).trim() !== 'up'; i++) {
          await new Promise((r) => setTimeout(r, 10));
        }
        const later = load(pool, [testFrame(10, 64), testFrame(11, 64), testFrame(12, 64)]);
        await txAll(port, [...later], 32);
        assert.deepEqual(await cap.take(3), [testFrame(10, 64), testFrame(11, 64), testFrame(12, 64)], 'the ring is not stuck');
        assert.equal(port.stats().opackets, 2 + 3);
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

for (const mode of MODES) {
  test(`${DEV[mode]}: kernel UDP sockets talk through two ports forwarded on an lcore; CHECKSUM_PARTIAL frames leave with valid checksums`, { skip, timeout: 60_000 }, async () => {
    const tn = new TestNet('u');
    const pool = Mempool.create({ n: 4096 });
    const ports: Port[] = [];
    let cap: Capture | undefined;
    try {
      const nsA = quietNs(tn, 'a');
      const nsF = quietNs(tn, 'f');
      const nsB = quietNs(tn, 'b');
      const [a0, f0, f1, b0] = ['a0', 'f0', 'f1', 'b0'].map((n) => `${tn.prefix}${n}`);
      const macA = '02:aa:00:00:00:01';
      const macB = '02:bb:00:00:00:02';
      tn.veth(a0, nsA, f0, nsF, { macA });
      tn.veth(f1, nsF, b0, nsB, { macB });
      tn.exec(nsA, ['ip', 'addr', 'add', '10.77.0.1/24', 'dev', a0]);
      tn.exec(nsB, ['ip', 'addr', 'add', '10.77.0.2/24', 'dev', b0]);
      tn.exec(nsA, ['ip', 'neigh', 'add', '10.77.0.2', 'lladdr', macB, 'dev', a0]);
      tn.exec(nsB, ['ip', 'neigh', 'add', '10.77.0.1', 'lladdr', macA, 'dev', b0]);
      ports.push(await open(nsF, `net_af_packet${nextId},iface=${f0},${DEV[mode]}`, pool));
      ports.push(await open(nsF, `net_af_packet${nextId},iface=${f1},${DEV[mode]}`, pool));
      const [pa, pb] = ports;
      // An independent observer on f0: the kernel's tp_status for what a0 sent.
      cap = await Capture.start(nsF, f0, 5000, 'status');
      const before = { a: udpSnmp(tn, nsA), b: udpSnmp(tn, nsB) };
      const k0 = { f0rx: tn.counter(nsF, f0, 'rx_packets'), f0tx: tn.counter(nsF, f0, 'tx_packets'), f1rx: tn.counter(nsF, f1, 'rx_packets'), f1tx: tn.counter(nsF, f1, 'tx_packets') };
      const cpus = getAffinity();
      const config: FwdConfig = { a: portHandle(pa), b: portHandle(pb), pool: pool.buffer, burst: 32 };
      const group = LcoreGroup.launch({ lcores: [cpus[cpus.length - 1]], app: { module: path.join(__dirname, 'helpers', 'afp-fwd-app.js'), export: 'forward' }, config });
      let result: FwdResult;
      try {
        const end = Date.now() + 5000;
        while (group.running() < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
        const n = 330;
        let ready!: () => void;
        const isReady = new Promise<void>((r) => { ready = r; });
        const echo = runPy(nsB, ['udp-echo', '10.77.0.2', '9000', String(n)], (l) => { if (l === 'ready') ready(); });
        await Promise.race([isReady, echo.then(() => { throw new Error('udp-echo ended before it was ready'); })]);
        const ping = (await runPy(nsA, ['udp-ping', '10.77.0.1', '10.77.0.2', '9000', String(n)])).trim();
        assert.equal(ping, `${n} ${n} 0`, 'every datagram echoed intact (sent echoed bad)');
        assert.equal((await echo).trim().split('\n').pop(), String(n));
        const after = { a: udpSnmp(tn, nsA), b: udpSnmp(tn, nsB) };
        for (const side of ['a', 'b'] as const) {
          assert.equal(after[side].InDatagrams - before[side].InDatagrams, n, `ns ${side}: every datagram delivered`);
          assert.equal(after[side].InCsumErrors, 0, `ns ${side}: no checksum errors`);
          assert.equal(after[side].InErrors, 0, `ns ${side}: no UDP errors`);
        }
      } finally {
        group.stop();
        result = (await group.wait())[0].result as FwdResult;
      }
      assert.equal(result.dropped, 0);
      assert.equal(result.ab, 330);
      assert.equal(result.ba, 330);
      // Every UDP frame a0 sent arrived at f0 with its checksum unfinished.
      const frames = (await cap.takeLines(330)).map((l) => l.split(' '));
      const udp = frames.filter(([, h]) => h.slice(24, 28) === '0800' && h.slice(46, 48) === '11');
      assert.equal(udp.length, 330);
      assert.ok(udp.every(([st]) => (Number(st) & 8) !== 0), 'TP_STATUS_CSUMNOTREADY: CHECKSUM_PARTIAL was in play');
      const sa = pa.stats();
      const sb = pb.stats();
      assert.equal(sa.ipackets + sa.imissed, tn.counter(nsF, f0, 'rx_packets') - k0.f0rx, 'port A rx = f0 kernel rx');
      assert.equal(sb.opackets, tn.counter(nsF, f1, 'tx_packets') - k0.f1tx, 'port B tx = f1 kernel tx');
      assert.equal(sb.ipackets + sb.imissed, tn.counter(nsF, f1, 'rx_packets') - k0.f1rx, 'port B rx = f1 kernel rx');
      assert.equal(sa.opackets, tn.counter(nsF, f0, 'tx_packets') - k0.f0tx, 'port A tx = f0 kernel tx');
      assert.deepEqual([sa.ierrors, sa.oerrors, sb.ierrors, sb.oerrors], [0, 0, 0, 0]);
    } finally {
      cap?.stop();
      for (const p of ports) p.close();
      tn.destroy();
    }
    assert.equal(pool.availCount(), pool.n);
  });
}

test('errors are one line and leave nothing open', { skip, timeout: 30_000 }, async () => {
  const w = wire1('e');
  const pool = Mempool.create({ n: 1024, cacheSize: 0 });
  const live = afpLive();
  const fds = fs.readdirSync('/proc/self/fd').length;
  try {
    const d = w.dev;
    const cases: [string, string][] = [
      ['net_af_packet0', "net_af_packet0: missing devarg 'iface'"],
      ['net_af_packet0,iface=nope0', "net_af_packet0: interface 'nope0' does not exist"],
      ['net_af_packet0,iface=lo', "net_af_packet0: interface 'lo' is not an Ethernet device"],
      ['net_af_packet0,iface=a/b', "net_af_packet0: devarg iface=a/b is not an interface name (1..15 characters, no '/', ':' or spaces)"],
      [`net_af_packet0,iface=${d},mode=ring`, 'net_af_packet0: devarg mode=ring must be one of mmap, mmsg'],
      [`net_af_packet0,iface=${d},qpairs=0`, 'net_af_packet0: devarg qpairs=0 must be an integer 1..16'],
      [`net_af_packet0,iface=${d},fanout_mode=rnd`, 'net_af_packet0: devarg fanout_mode=rnd must be one of hash, lb, cpu'],
      [`net_af_packet0,iface=${d},qdisc_bypass=2`, 'net_af_packet0: devarg qdisc_bypass=2 must be 0 or 1'],
      [`net_af_packet0,iface=${d},framesz=1000`, 'net_af_packet0: devarg framesz=1000 must be a multiple of 16 (TPACKET_ALIGNMENT)'],
      [`net_af_packet0,iface=${d},blocksz=6000`, 'net_af_packet0: devarg blocksz=6000 must be a multiple of the page size 4096'],
      [`net_af_packet0,iface=${d},framesz=3072`, 'net_af_packet0: devarg blocksz=4096 must be a multiple of framesz=3072'],
      [`net_af_packet0,iface=${d},framecnt=9`, 'net_af_packet0: devarg framecnt=9 must be a multiple of 2 (frames per block, blocksz/framesz)'],
      [`net_af_packet0,iface=${d},framesz=1024`, `net_af_packet0: devarg framesz=1024 is too small for MTU 1500 of '${d}' (needs at least 1600)`],
      [`net_af_packet0,iface=${d},tpacket_version=1`, 'net_af_packet0: devarg tpacket_version=1 must be one of 2, 3'],
      [`net_af_packet0,iface=${d},mode=mmsg,tpacket_version=3`, 'net_af_packet0: devarg tpacket_version=3 needs mode=mmap (mode=mmsg has no ring)'],
      [`net_af_packet0,iface=${d},mode=mmsg,tpacket_version=2`, 'net_af_packet0: devarg tpacket_version=2 needs mode=mmap (mode=mmsg has no ring)'],
      [`net_af_packet0,iface=${d},tpacket_version=3,framesz=4096,blocksz=4096`,
        'net_af_packet0: devarg blocksz=4096 is too small for tpacket_version=3 with framesz=4096 (a block must hold a whole frame: at least 8192)'],
      [`net_af_packet0,iface=${d},tpacket_version=3,framecnt=33`, 'net_af_packet0: devarg framecnt=33 must be a multiple of 32 (frames per block, blocksz/framesz)'],
      [`net_af_packet0,iface=${d},txframecnt=9`, 'net_af_packet0: devarg txframecnt=9 must be a multiple of 2 (frames per block, blocksz/framesz)'],
      [`net_af_packet0,iface=${d},mode=mmsg,txframecnt=64`, 'net_af_packet0: devarg txframecnt needs mode=mmap (mode=mmsg has no ring)'],
      [`net_af_packet0,iface=${d},bogus=1`, 'net_af_packet0: unknown devarg \'bogus\' (net_af_packet takes: iface, qpairs, mode, fanout_mode, framesz, blocksz, framecnt, txframecnt, qdisc_bypass, tpacket_version, netns)'],
    ];
    for (const [devargs, msg] of cases) {
      await assert.rejects(open(w.nsF, devargs, pool, 0), (e: Error) => { assert.equal(e.message, msg); return true; });
    }
    const small = Mempool.create({ n: 64, cacheSize: 0, dataRoom: 1024 });
    await assert.rejects(open(w.nsF, `net_af_packet0,iface=${d}`, small, 0), { message: `net_af_packet0: mempool data room 1024 is too small for MTU 1500 of '${d}' (needs 1518)` });

    const first = await open(w.nsF, `net_af_packet0,iface=${d}`, pool, 0);
    await assert.rejects(open(w.nsF, `net_af_packet1,iface=${d},mode=mmsg`, pool, 1), { message: `net_af_packet1: interface '${d}' is already in use by port net_af_packet0` });
    // Same name in another namespace is another interface.
    w.tn.exec(w.nsW, ['ip', 'link', 'set', w.peer, 'name', d]);
    const other = await open(w.nsW, `net_af_packet1,iface=${d}`, pool, 1);
    other.close();
    first.close();
    const again = await open(w.nsF, `net_af_packet1,iface=${d},mode=mmsg`, pool, 1);
    again.close();

    // Without CAP_NET_RAW (bounding set dropped) socket() fails with EPERM.
    const script = `const t=require(${JSON.stringify(path.resolve(__dirname, '..', 'src', 'index.js'))});` +
      `t.openPort('net_af_packet0,iface=${d}',{id:0,pool:t.Mempool.create({n:64,cacheSize:0})}).then(()=>console.log('opened'),(e)=>console.log(e.message))`;
    const r = spawnSync('ip', ['netns', 'exec', w.nsF, 'setpriv', '--bounding-set', '-net_raw', '--', process.execPath, '-e', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.stdout.trim(), 'net_af_packet0: cannot open an AF_PACKET socket: EPERM (needs CAP_NET_RAW)', r.stderr);
  } finally {
    w.tn.destroy();
  }
  assert.deepEqual(afpLive(), live, 'no native queue left open');
  assert.equal(fs.readdirSync('/proc/self/fd').length, fds, 'no fd left open');
  assert.equal(pool.availCount(), pool.n);
});
