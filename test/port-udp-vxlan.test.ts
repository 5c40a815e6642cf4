// net_udp with vni=: frames cross to and from a Linux vxlan device in
// another namespace, byte for byte, in both directions with the device's own
// counters agreeing; datagrams that are not valid VXLAN for this VNI (or not
// from the remote) are ierrors and leak no mbuf. Namespaces are this run's own
// and removed at the end, whatever happened.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { Mempool } from '../src/mempool/mempool';
import { vxlanHeader } from '../src/net/vxlan';
import { frameOf, rxAll, testFrame, txAll } from './helpers/conformance';
import { TestNet, netSkipReason } from './helpers/testnet';
import { SIZES, free, load, openIn } from './helpers/udp-peer';

const skip = netSkipReason();
const tn = new TestNet('v');
after(() => tn.destroy());
process.on('exit', () => tn.destroy());

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
