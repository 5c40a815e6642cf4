// net_udp: the conformance suite over loopback in a test namespace (peer: a
// node:dgram socket), VXLAN both ways with a Linux vxlan device, invalid
// datagrams counted and not leaked, transmit errors, kernel drops, IPv6, use
// from an lcore, and the open errors. Every namespace is this run's own and
// removed at the end, whatever happened.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LcoreGroup } from '../src/eal/launch';
import { Mempool } from '../src/mempool/mempool';
import { MBUF_DATA_LEN, MBUF_DATA_OFF, MBUF_META_WORDS } from '../src/mempool/layout';
import { udpBind, udpLayout, udpSocket } from '../src/native';
import { vxlanHeader } from '../src/net/vxlan';
import { openPort, portHandle } from '../src/port/registry';
import { Port, PortError } from '../src/port/types';
import {
  MSG_TRUNC, UDP_BURST_MAX, UDP_IO_DROPS, UDP_IO_FLAGS, UDP_IO_FOREIGN, UDP_IO_LEN, UDP_IO_WORDS,
} from '../src/port/udp-port';
import { withNetns } from '../src/topo/netns';
import { frameOf, runConformance, rxAll, testFrame, txAll } from './helpers/conformance';
import { TestNet, netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const tn = new TestNet('u');
after(() => tn.destroy());
process.on('exit', () => tn.destroy());

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const P0 = 40000; // the port's local UDP port
const P1 = 40001; // its remote

let loNs: string | undefined;
/** A namespace with only loopback, made on first use. */
function lo(): string {
  loNs ??= tn.ns('lo');
  return loNs;
}

/** A node:dgram socket bound at addr:port inside namespace `ns`, with a big receive buffer. */
async function dgramIn(ns: string, family: 4 | 6, addr: string, port: number): Promise<dgram.Socket> {
  const fd = withNetns(ns, () => {
    const s = udpSocket(family, 4 << 20);
    assert.ok(s >= 0, `socket: ${s}`);
    assert.equal(udpBind(s, family, addr, port), 0, `bind ${addr}:${port}`);
    return s;
  });
  const sock = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  await new Promise<void>((r) => sock.bind({ fd }, () => r()));
  return sock;
}

function send(sock: dgram.Socket, buf: Uint8Array, port: number, addr: string): Promise<void> {
  return new Promise((res, rej) => sock.send(buf, port, addr, (e) => (e ? rej(e) : res())));
}

function openIn(ns: string, devargs: string, id: number, pool: Mempool): Promise<Port> {
  return withNetns(ns, () => openPort(devargs, { id, pool }));
}

/** Copies frames into fresh mbufs (data at the default offset). */
function load(pool: Mempool, frames: Uint8Array[]): number[] {
  const m = new Uint32Array(frames.length);
  assert.equal(pool.getBulk(m, frames.length), frames.length);
  frames.forEach((f, i) => { pool.reset(m[i]); pool.setDataLen(m[i], f.length); pool.data.set(f, pool.mtod(m[i])); });
  return [...m];
}

function free(pool: Mempool, mbufs: number[]): void {
  if (mbufs.length > 0) pool.putBulk(Uint32Array.from(mbufs), mbufs.length);
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
        await new Promise<void>((r) => peer.close(r));
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

// ---- VXLAN with a Linux vxlan device ----

const VNI = 4242;
const VX_PORT = 4789;
const VX_MAC = [0x02, 0, 0, 0, 0x0a, 0x02];
const T_ADDR = '10.99.0.1';
const P_ADDR = '10.99.0.2';
const OTHER_ADDR = '10.99.0.3';

interface VxTopo { t: string; p: string }

/** nsT[t0 10.99.0.1] --veth-- [p0 10.99.0.2, .3] nsP with vx0 (VNI, remote 10.99.0.1, dstport 4789) up in nsP. */
function vxTopo(tag: string): VxTopo {
  const t = tn.ns(`${tag}t`);
  const p = tn.ns(`${tag}p`);
  // No IPv6: the kernel then sends nothing of its own on vx0, so its counters are ours alone.
  // (/proc/sys/net shows the namespace of the process reading it.)
  for (const n of [t, p]) {
    tn.exec(n, ['sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
  }
  const t0 = `${tn.prefix}${tag}0`;
  const p0 = `${tn.prefix}${tag}1`;
  tn.veth(t0, t, p0, p, { mtu: 1600, macA: '02:00:00:00:99:01', macB: '02:00:00:00:99:02' });
  tn.exec(t, ['ip', 'addr', 'add', `${T_ADDR}/24`, 'dev', t0]);
  tn.exec(p, ['ip', 'addr', 'add', `${P_ADDR}/24`, 'dev', p0]);
  tn.exec(p, ['ip', 'addr', 'add', `${OTHER_ADDR}/24`, 'dev', p0]);
  // Static neighbours: no ARP race with the first frames.
  tn.exec(t, ['ip', 'neigh', 'add', P_ADDR, 'lladdr', '02:00:00:00:99:02', 'dev', t0]);
  tn.exec(t, ['ip', 'neigh', 'add', OTHER_ADDR, 'lladdr', '02:00:00:00:99:02', 'dev', t0]);
  tn.exec(p, ['ip', 'neigh', 'add', T_ADDR, 'lladdr', '02:00:00:00:99:01', 'dev', p0]);
  tn.exec(p, ['ip', 'link', 'add', 'vx0', 'address', VX_MAC.map((b) => b.toString(16).padStart(2, '0')).join(':'),
    'type', 'vxlan', 'id', String(VNI), 'local', P_ADDR, 'remote', T_ADDR, 'dstport', String(VX_PORT), 'dev', p0]);
  tn.exec(p, ['ip', 'link', 'set', 'vx0', 'up']);
  return { t, p };
}

/** testFrame with the given destination and source MACs. */
function macFrame(seq: number, len: number, dst: number[], src: number[]): Uint8Array {
  const f = testFrame(seq, len);
  f.set(dst, 0);
  f.set(src, 6);
  return f;
}

const SIZES = [60, 64, 100, 128, 256, 512, 1000, 1024, 1280, 1514];
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// AF_PACKET on vx0 (packet(7)): sends each stdin hex line as a frame.
const PY_TX = `import socket,sys
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)
s.bind((sys.argv[1],0))
for l in sys.stdin:
    s.send(bytes.fromhex(l.strip()))`;

// AF_PACKET on vx0: prints received frames as hex until argv[2] arrived or 5 s passed.
const PY_RX = `import socket,sys
s=socket.socket(socket.AF_PACKET,socket.SOCK_RAW,socket.htons(3))
s.bind((sys.argv[1],0))
s.settimeout(5)
want=int(sys.argv[2]);got=0
print('ready',flush=True)
while got<want:
    try:
        d,a=s.recvfrom(65535)
    except socket.timeout:
        break
    if a[2]==4: continue
    print(d.hex(),flush=True);got+=1`;

// UDP sender: each stdin line "srcaddr hex" goes from srcaddr (any port) to argv[1]:argv[2].
const PY_UDP = `import socket,sys
socks={}
for l in sys.stdin:
    a,h=l.split()
    if a not in socks:
        socks[a]=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);socks[a].bind((a,0))
    socks[a].sendto(bytes.fromhex(h),(sys.argv[1],int(sys.argv[2])))`;

function startRx(ns: string, n: number): { child: ChildProcess; ready: Promise<void>; done: Promise<string[]> } {
  const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', PY_RX, 'vx0', String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => { onReady = r; });
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); if (out.startsWith('ready\n')) onReady(); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const done = new Promise<string[]>((res, rej) => child.on('close', (code) => {
    onReady();
    if (code !== 0) rej(new Error(`python receiver exited ${code}: ${err}`));
    else res(out.split('\n').slice(1).filter((l) => l.length > 0));
  }));
  return { child, ready, done };
}

test('net_udp vni: frames cross to and from a Linux vxlan device, byte for byte', { skip, timeout: 30_000 }, async () => {
  const { t, p } = vxTopo('a');
  const pool = Mempool.create({ n: 1024, cacheSize: 0 });
  const port = await openIn(t, `net_udp1,local=${T_ADDR}:${VX_PORT},remote=${P_ADDR}:${VX_PORT},vni=${VNI}`, 1, pool);
  try {
    const n = 50;
    // Direction 1: vx0 -> tsfwd.
    const vxTx0 = tn.counter(p, 'vx0', 'tx_packets');
    const inFrames = Array.from({ length: n }, (_, i) => macFrame(i, SIZES[i % SIZES.length], [0x02, 0, 0, 0, 0x0b, 0x01], VX_MAC));
    tn.exec(p, ['python3', '-c', PY_TX, 'vx0'], inFrames.map(hex).join('\n') + '\n');
    const got = await rxAll(port, n, 32);
    assert.equal(got.length, n, 'every frame vx0 sent arrived');
    for (let i = 0; i < n; i++) {
      assert.deepEqual(frameOf(pool, got[i]), inFrames[i], `frame ${i} from vx0 byte-exact`);
      assert.equal(pool.dataOff(got[i]), pool.headroom, 'inner frame at the normal data offset');
      assert.equal(pool.port(got[i]), 1);
    }
    assert.equal(tn.counter(p, 'vx0', 'tx_packets') - vxTx0, n, 'vx0 tx_packets');
    let s = port.stats();
    assert.equal(s.ipackets, n);
    assert.equal(s.ibytes, inFrames.reduce((a, f) => a + f.length, 0));
    assert.equal(s.ierrors, 0);
    free(pool, got);

    // Direction 2: tsfwd -> vx0 (frames addressed to vx0's MAC).
    const outFrames = Array.from({ length: n }, (_, i) => macFrame(1000 + i, SIZES[i % SIZES.length], VX_MAC, [0x02, 0, 0, 0, 0x0b, 0x01]));
    const vxRx0 = tn.counter(p, 'vx0', 'rx_packets');
    const rx = startRx(p, n);
    await rx.ready;
    await txAll(port, load(pool, outFrames), 32);
    const seen = await rx.done;
    assert.equal(seen.length, n, 'every frame tsfwd sent appeared on vx0');
    for (let i = 0; i < n; i++) assert.equal(seen[i], hex(outFrames[i]), `frame ${i} on vx0 byte-exact`);
    assert.equal(tn.counter(p, 'vx0', 'rx_packets') - vxRx0, n, 'vx0 rx_packets');
    s = port.stats();
    assert.equal(s.opackets, n);
    assert.equal(s.obytes, outFrames.reduce((a, f) => a + f.length, 0));
    assert.equal(s.oerrors, 0);
  } finally {
    port.close();
  }
  assert.equal(pool.availCount(), pool.n, 'every mbuf back in the pool');
});

test('net_udp vni: invalid datagrams are ierrors, never delivered, and leak no mbuf', { skip, timeout: 30_000 }, async () => {
  const { t, p } = vxTopo('b');
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  const port = await openIn(t, `net_udp2,local=${T_ADDR}:${VX_PORT},remote=${P_ADDR}:${VX_PORT},vni=${VNI}`, 2, pool);
  try {
    const frame = testFrame(7, 100);
    const good = Buffer.concat([vxlanHeader(VNI), frame]);
    const noI = Buffer.from(good);
    noI[0] = 0;
    const lines = [
      [P_ADDR, Buffer.concat([vxlanHeader(VNI + 1), frame])], // other VNI
      [P_ADDR, noI], // I flag clear
      [P_ADDR, Buffer.from([0x08, 0, 0, 0, 0x00])], // shorter than a VXLAN header
      [P_ADDR, Buffer.concat([vxlanHeader(VNI), testFrame(8, 64).slice(0, 13)])], // inner frame of 13 bytes
      [P_ADDR, Buffer.concat([vxlanHeader(VNI), testFrame(9, 2100)])], // longer than the 2048-byte data room
      [OTHER_ADDR, good], // valid, but not from the remote
      [P_ADDR, good],
    ] as const;
    tn.exec(p, ['python3', '-c', PY_UDP, T_ADDR, String(VX_PORT)], lines.map(([a, b]) => `${a} ${hex(b)}`).join('\n') + '\n');
    const got = await rxAll(port, 2, 32, 500); // waits: nothing else may arrive
    assert.equal(got.length, 1, 'only the valid datagram from the remote is delivered');
    assert.deepEqual(frameOf(pool, got[0]), frame);
    free(pool, got);
    const s = port.stats();
    assert.equal(s.ipackets, 1);
    assert.equal(s.ibytes, 100);
    assert.equal(s.ierrors, 6);
    assert.equal(pool.availCount(), pool.n, 'rejected mbufs went back at once');
  } finally {
    port.close();
  }
  assert.equal(pool.availCount(), pool.n);
});

// ---- plain UDP rules ----

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
    await new Promise<void>((r) => peer.close(r));
    await new Promise<void>((r) => stranger.close(r));
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
    await new Promise<void>((r) => peer.close(r));
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
    ['net_udp0,local=127.0.0.1:4792,remote=127.0.0.1:4789,vni=1,mtu=9000', "net_udp0: unknown devarg 'mtu' (net_udp takes: local, remote, vni)"],
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
