// net_udp: the conformance suite over loopback in a test namespace (peer: a
// node:dgram socket at the port's remote address), the shim/driver layout
// agreement, invalid datagrams, transmit errors, kernel drops, IPv6, use from
// an lcore, and the open errors. VXLAN against a Linux vxlan device is in
// port-udp-vxlan.test.ts. Every namespace is this run's own and removed at the
// end, whatever happened.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LcoreGroup } from '../src/eal/launch';
import { Mempool } from '../src/mempool/mempool';
import { MBUF_DATA_LEN, MBUF_DATA_OFF, MBUF_META_WORDS } from '../src/mempool/layout';
import { udpLayout } from '../src/native';
import { portHandle } from '../src/port/registry';
import { PortError } from '../src/port/types';
import {
  MSG_TRUNC, UDP_BURST_MAX, UDP_IO_DROPS, UDP_IO_FLAGS, UDP_IO_FOREIGN, UDP_IO_LEN, UDP_IO_WORDS,
} from '../src/port/udp/udp-port';
import { frameOf, runConformance, rxAll, testFrame, txAll } from './helpers/conformance';
import { TestNet, netSkipReason } from './helpers/testnet';
import { SIZES, closeSock, dgramIn, free, load, openIn, send, sleep } from './helpers/udp-peer';

const skip = netSkipReason();
const tn = new TestNet('u');
after(() => tn.destroy());
process.on('exit', () => tn.destroy());

const P0 = 40000; // the port's local UDP port
const P1 = 40001; // its remote
const VNI = 4242;

let loNs: string | undefined;
/** A namespace with only loopback, made on first use. */
function lo(): string {
  loNs ??= tn.ns('lo');
  return loNs;
}

let nextId = 0;

runConformance({
  name: 'net_udp (loopback)',
  skip,
  async open(pool) {
    const id = nextId++;
    const port = await openIn(lo(), `net_udp${id},local=127.0.0.1:${P0},remote=127.0.0.1:${P1}`, id, pool);
    const peer = await dgramIn(lo(), 4, '127.0.0.1', P1);
    const got: Uint8Array[] = [];
    peer.on('message', (msg) => got.push(new Uint8Array(msg)));
    return {
      port,
      async inject(frames) { for (const f of frames) await send(peer, f, P0, '127.0.0.1'); },
      async collect(n) {
        for (let t = 0; t < 500 && got.length < n; t++) await sleep(10);
        return got.splice(0);
      },
      async teardown() {
        port.close();
        await closeSock(peer);
      },
    };
  },
  async devargs(pool) {
    return { open: () => openIn(lo(), `net_udp99,local=127.0.0.1:${P0 + 99},remote=127.0.0.1:${P1}`, 99, pool) };
  },
});

test('net_udp: the shim and the driver agree on layout constants', () => {
  assert.deepEqual(udpLayout(), {
    burstMax: UDP_BURST_MAX, ioLen: UDP_IO_LEN, ioFlags: UDP_IO_FLAGS, ioForeign: UDP_IO_FOREIGN, ioDrops: UDP_IO_DROPS,
    ioWords: UDP_IO_WORDS, metaWords: MBUF_META_WORDS, metaDataOff: MBUF_DATA_OFF, metaDataLen: MBUF_DATA_LEN,
    msgTrunc: MSG_TRUNC, maxCtx: 1024,
  });
});

test('net_udp: runts and oversize datagrams are ierrors; other senders never reach the port', { skip }, async () => {
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  const port = await openIn(lo(), `net_udp3,local=127.0.0.1:${P0},remote=127.0.0.1:${P1}`, 3, pool);
  const peer = await dgramIn(lo(), 4, '127.0.0.1', P1);
  const stranger = await dgramIn(lo(), 4, '127.0.0.1', P1 + 1);
  try {
    await send(peer, testFrame(1, 64).slice(0, 13), P0, '127.0.0.1');
    await send(peer, testFrame(2, 2049), P0, '127.0.0.1');
    await send(stranger, testFrame(3, 64), P0, '127.0.0.1');
    await send(peer, testFrame(4, 64).slice(0, 14), P0, '127.0.0.1');
    const got = await rxAll(port, 2, 32, 300); // waits: nothing else may arrive
    assert.equal(got.length, 1);
    assert.deepEqual(frameOf(pool, got[0]), testFrame(4, 64).slice(0, 14), 'a 14-byte frame is valid');
    free(pool, got);
    const s = port.stats();
    assert.equal(s.ipackets, 1);
    assert.equal(s.ierrors, 2);
  } finally {
    port.close();
    await closeSock(peer);
    await closeSock(stranger);
  }
  const closed = (e: Error): boolean => e instanceof PortError && e.message === 'net_udp3: port is closed';
  assert.throws(() => port.rxBurst(0, new Uint32Array(32), 32), closed);
  assert.throws(() => port.txBurst(0, new Uint32Array(1), 1), closed);
  assert.equal(pool.availCount(), pool.n, 'a closed port takes no mbuf');
});

test('net_udp: tx drops a frame it cannot send, counts ICMP errors in oerrors, and goes on', { skip }, async () => {
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  // Nobody listens at the remote: every datagram draws an ICMP port unreachable.
  const port = await openIn(lo(), `net_udp4,local=127.0.0.1:${P0},remote=127.0.0.1:${P1}`, 4, pool);
  try {
    const m = Uint32Array.from(load(pool, [testFrame(0, 64), testFrame(1, 64), testFrame(2, 64)]));
    pool.setDataLen(m[1], 5000); // points past its buffer: the shim refuses it (EINVAL)
    assert.equal(port.txBurst(0, m, 3), 3, 'all three consumed');
    let s = port.stats();
    assert.equal(s.opackets, 2);
    assert.equal(s.obytes, 128);
    // One for the bad frame; the first ICMP error (for frame 0) was reported to frame 2's send, retried.
    assert.equal(s.oerrors, 2);
    assert.equal(pool.availCount(), pool.n, 'sent and dropped mbufs freed');
    // The ICMP error for frame 2 is still pending: rx sees it, and counts it for tx.
    const r = new Uint32Array(32);
    assert.equal(port.rxBurst(0, r, 32), 0);
    s = port.stats();
    assert.equal(s.oerrors, 3);
    assert.equal(s.ierrors, 0);
    assert.equal(pool.availCount(), pool.n);
  } finally {
    port.close();
  }
});

// Sends argv[3] zero-filled 64-byte datagrams from 127.0.0.1:argv[1] to 127.0.0.1:argv[2].
const PY_FLOOD = `import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
s.bind(('127.0.0.1',int(sys.argv[1])))
s.connect(('127.0.0.1',int(sys.argv[2])))
b=bytes(64)
for i in range(int(sys.argv[3])): s.send(b)`;

test('net_udp: kernel drops show as imissed (SO_RXQ_OVFL)', { skip, timeout: 30_000 }, async () => {
  const pool = Mempool.create({ n: 16384, cacheSize: 0 });
  const port = await openIn(lo(), `net_udp5,local=127.0.0.1:${P0},remote=127.0.0.1:${P1}`, 5, pool);
  try {
    // More than the receive buffer holds, sent from the remote before the port reads anything.
    const flood = 20_000;
    tn.exec(lo(), ['python3', '-c', PY_FLOOD, String(P1), String(P0), String(flood)]);
    let got = 0;
    for (let k = await rxAll(port, Infinity, 32, 200); k.length > 0; k = await rxAll(port, Infinity, 32, 50)) {
      got += k.length;
      free(pool, k);
    }
    assert.ok(got > 0 && got < flood, `some but not all of the flood was read (${got})`);
    // A datagram carries the drop count as of its own queueing: send one more.
    tn.exec(lo(), ['python3', '-c', PY_FLOOD, String(P1), String(P0), '1']);
    free(pool, await rxAll(port, 1, 32));
    const s = port.stats();
    assert.equal(s.ipackets, got + 1);
    assert.equal(s.imissed, flood - got, 'imissed = what the kernel dropped');
  } finally {
    port.close();
  }
  assert.equal(pool.availCount(), pool.n);
});

test('net_udp: IPv6, plain and VXLAN, between two ports', { skip }, async () => {
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  for (const vni of ['', `,vni=${VNI}`]) {
    const a = await openIn(lo(), `net_udp6,local=[::1]:${P0},remote=[::1]:${P1}${vni}`, 6, pool);
    const b = await openIn(lo(), `net_udp7,local=[::1]:${P1},remote=[::1]:${P0}${vni}`, 7, pool);
    try {
      const frames = [testFrame(0, 60), testFrame(1, 1514), testFrame(2, 2048)];
      await txAll(a, load(pool, frames), 32);
      const got = await rxAll(b, 3, 32);
      assert.deepEqual(got.map((m) => frameOf(pool, m)), frames, `IPv6${vni} frames byte-exact`);
      await txAll(b, got, 32);
      const back = await rxAll(a, 3, 32);
      assert.deepEqual(back.map((m) => frameOf(pool, m)), frames);
      free(pool, back);
    } finally {
      a.close();
      b.close();
    }
  }
  assert.equal(pool.availCount(), pool.n);
});

test('net_udp: an lcore attaches the handle and echoes; release closes the socket', { skip, timeout: 30_000 }, async () => {
  const pool = Mempool.create({ n: 512, cacheSize: 0 });
  const port = await openIn(lo(), `net_udp8,local=127.0.0.1:${P0},remote=127.0.0.1:${P1}`, 8, pool);
  const peer = await dgramIn(lo(), 4, '127.0.0.1', P1);
  const echoed: Uint8Array[] = [];
  peer.on('message', (msg) => echoed.push(new Uint8Array(msg)));
  const handle = portHandle(port);
  const fd = (handle.state as { fd: number }).fd;
  try {
    const n = 100;
    const group = LcoreGroup.launch({
      lcores: [0], pin: false, app: { module: path.join(__dirname, 'helpers', 'udp-app.js'), export: 'echo' },
      config: { handle, pool: pool.buffer, n },
    });
    const frames = Array.from({ length: n }, (_, i) => testFrame(i, SIZES[i % SIZES.length]));
    for (const f of frames) await send(peer, f, P0, '127.0.0.1');
    for (let i = 0; i < 500 && echoed.length < n; i++) await sleep(10);
    group.stop();
    const [res] = await group.wait();
    assert.deepEqual(res.result, { rx: n, tx: n });
    assert.deepEqual(echoed, frames, 'echoed byte-exact, in order');
    assert.equal(port.stats().ipackets, n, 'counters are shared with the lcore');
    assert.equal(port.stats().opackets, n);
  } finally {
    port.close();
    await closeSock(peer);
  }
  assert.throws(() => fs.fstatSync(fd), /EBADF/, 'release() closed the socket');
  assert.equal(pool.availCount(), pool.n);
});

test('net_udp: open errors are one exact line and leave nothing open', { skip }, async () => {
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const tiny = Mempool.create({ n: 64, cacheSize: 0, headroom: 0 });
  const fds = (): number => fs.readdirSync('/proc/self/fd').length;
  const busy = await openIn(lo(), 'net_udp9,local=127.0.0.1:4789,remote=127.0.0.1:4790', 9, pool);
  const before = fds();
  const cases: [string, string, Mempool?][] = [
    ['net_udp0,local=10.0.0.1,remote=10.0.0.2:4789', 'net_udp0: devarg local=10.0.0.1 must be IPv4:PORT or [IPv6]:PORT with PORT 1..65535'],
    ['net_udp0,local=10.0.0.1:4789,remote=host:4789', 'net_udp0: devarg remote=host:4789 must be IPv4:PORT or [IPv6]:PORT with PORT 1..65535'],
    ['net_udp0,local=300.0.0.1:4789,remote=10.0.0.2:4789', 'net_udp0: devarg local=300.0.0.1:4789 must be IPv4:PORT or [IPv6]:PORT with PORT 1..65535'],
    ['net_udp0,local=10.0.0.1:0,remote=10.0.0.2:4789', 'net_udp0: devarg local=10.0.0.1:0 must be IPv4:PORT or [IPv6]:PORT with PORT 1..65535'],
    ['net_udp0,local=10.0.0.1:4789,remote=[::1:4789', 'net_udp0: devarg remote=[::1:4789 must be IPv4:PORT or [IPv6]:PORT with PORT 1..65535'],
    ['net_udp0,local=10.0.0.1:4789', "net_udp0: missing devarg 'remote'"],
    ['net_udp0,remote=10.0.0.1:4789', "net_udp0: missing devarg 'local'"],
    ['net_udp0,local=127.0.0.1:1,remote=[::1]:1', 'net_udp0: local 127.0.0.1:1 and remote [::1]:1 are not of the same address family'],
    ['net_udp0,local=127.0.0.1:1,remote=127.0.0.1:2,vni=16777216', 'net_udp0: devarg vni=16777216 must be an integer 0..16777215'],
    ['net_udp0,local=127.0.0.1:1,remote=127.0.0.1:2,vni=-1', 'net_udp0: devarg vni=-1 must be an integer 0..16777215'],
    ['net_udp0,local=127.0.0.1:1,remote=127.0.0.1:2,vni=5', 'net_udp0: vni needs a mempool headroom of at least 8 bytes, this pool has 0', tiny],
    ['net_udp0,local=127.0.0.1:4789,remote=127.0.0.1:4791', 'net_udp0: local 127.0.0.1:4789 is already in use'],
    ['net_udp0,local=10.0.0.1:4789,remote=127.0.0.1:4790', 'net_udp0: local 10.0.0.1:4789 is not an address of this host'],
    ['net_udp0,local=[fd00::1]:4789,remote=[::1]:4790', 'net_udp0: local [fd00::1]:4789 is not an address of this host'],
    ['net_udp0,local=127.0.0.1:4792,remote=10.9.9.9:4789', 'net_udp0: cannot connect to remote 10.9.9.9:4789: ENETUNREACH'],
    ['net_udp0,local=127.0.0.1:4792,remote=10.9.9.9:4789,vni=1', 'net_udp0: cannot connect to remote 10.9.9.9:4789: ENETUNREACH'],
    ['net_udp0,local=127.0.0.1:4792,remote=127.0.0.1:4789,vni=1,mtu=9000', "net_udp0: unknown devarg 'mtu' (net_udp takes: local, remote, vni, netns)"],
  ];
  try {
    for (const [d, msg, p] of cases) {
      await assert.rejects(openIn(lo(), d, 0, p ?? pool), (e: Error) => {
        assert.equal(e.message, msg, d);
        assert.ok(!e.message.includes('\n'));
        return true;
      });
    }
    assert.equal(fds(), before, 'no socket left open by a failed open');
    // The failures left no claim behind: the name opens fine now.
    const ok = await openIn(lo(), 'net_udp0,local=127.0.0.1:4792,remote=127.0.0.1:4789,vni=0', 0, pool);
    ok.close();
  } finally {
    busy.close();
  }
});
