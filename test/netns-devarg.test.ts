// The netns=NAME devarg: one tsfwd process in the root namespace opens its
// ports inside test namespaces (net_af_packet, net_udp, net_af_xdp), and the
// frames it sends and receives there are counted exactly, by tsfwd and by the
// kernel of that namespace. An unknown namespace is one line, exit 2.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { getAffinity } from '../src/native';
import { interfacesNow } from '../src/cli/link-watch';
import { quietNs, udpSnmp } from './helpers/afp-net';
import { BIN } from './helpers/cli-proc';
import { TestNet, netSkipReason, xskSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const xskSkip = xskSkipReason();
const cpus = getAffinity();
const N = 10000;

interface Final { msg: string; streams: { stream: number; received: number; lost: number; duplicates: number; reordered: number }[]; ports: { ipackets: number }[]; ok: boolean }

/** Sink (root namespace) on `rx`, pktgen (root namespace) on `tx`: N frames at 20 kpps; the sink's final record. */
async function sendThrough(rx: string, tx: string): Promise<{ sink: Final; gen: { ports: { opackets: number }[]; ok: boolean } }> {
  const sink = spawn(process.execPath, [BIN, 'sink', '-l', String(cpus[0]), '--vdev', rx, '--', '--count', String(N), '--duration', '20', '-T', '0', '--stats-json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  sink.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  sink.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => sink.on('exit', r));
  for (const end = Date.now() + 10_000; !/sink: /.test(err) && Date.now() < end;) await new Promise((r) => setTimeout(r, 20));
  assert.match(err, /sink: /, `sink did not start: ${err}`);
  const g = spawnSync(process.execPath, [BIN, 'pktgen', '-l', String(cpus[cpus.length - 1]), '--vdev', tx, '--',
    '--count', String(N), '--rate', '20000', '--dst-mac', '02:00:00:00:0b:01', '--src-ip', '10.79.0.1', '--dst-ip', '10.79.0.2',
    '-T', '0', '--stats-json'], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(g.status, 0, g.stderr);
  const code = await exited;
  assert.equal(code, 0, err);
  return { sink: JSON.parse(out.trim().split('\n').pop()!) as Final, gen: JSON.parse(g.stdout.trim().split('\n').pop()!) };
}

/** Addresses only for net_udp: an addressed namespace would answer the frames (ARP, ICMP) and move the kernel counters. */
function topo(tag: string, addrs = false): { tn: TestNet; g: string; s: string } {
  const tn = new TestNet(tag);
  try {
    const g = quietNs(tn, 'g');
    const s = quietNs(tn, 's');
    // Names a root-namespace interface could not have by accident.
    tn.veth(`${tn.prefix}g`, g, `${tn.prefix}s`, s, { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0b:01' });
    if (addrs) {
      tn.exec(g, ['ip', 'addr', 'add', '10.79.0.1/24', 'dev', `${tn.prefix}g`]);
      tn.exec(s, ['ip', 'addr', 'add', '10.79.0.2/24', 'dev', `${tn.prefix}s`]);
    }
    return { tn, g, s };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

test('netns=: net_af_packet ports in two test namespaces, tsfwd in the root one: exact counts on both sides and in the kernel', { skip, timeout: 60_000 }, async () => {
  const { tn, g, s } = topo('na');
  try {
    const [gi, si] = [`${tn.prefix}g`, `${tn.prefix}s`];
    assert.ok(!interfacesNow().has(gi) && !interfacesNow().has(si), 'the veths are not in the root namespace');
    const r = await sendThrough(`net_af_packet0,iface=${si},netns=${s}`, `net_af_packet0,iface=${gi},netns=${g}`);
    assert.equal(r.gen.ports[0].opackets, N);
    assert.deepEqual(r.sink.streams, [{ stream: 0, received: N, lost: 0, duplicates: 0, reordered: 0 }]);
    assert.equal(r.sink.ports[0].ipackets, N);
    assert.equal(r.sink.ok, true);
    assert.equal(tn.counter(g, gi, 'tx_packets'), N, 'kernel tx counter in the generator namespace');
    assert.equal(tn.counter(s, si, 'rx_packets'), N, 'kernel rx counter in the sink namespace');
  } finally {
    tn.destroy();
  }
});

test('netns=: net_udp sockets bound to addresses that exist only in the test namespaces', { skip, timeout: 60_000 }, async () => {
  const { tn, g, s } = topo('nu', true);
  try {
    const before = udpSnmp(tn, s).InDatagrams;
    const r = await sendThrough(`net_udp0,local=10.79.0.2:4789,remote=10.79.0.1:4789,netns=${s}`,
      `net_udp0,local=10.79.0.1:4789,remote=10.79.0.2:4789,netns=${g}`);
    assert.equal(r.gen.ports[0].opackets, N);
    assert.deepEqual(r.sink.streams, [{ stream: 0, received: N, lost: 0, duplicates: 0, reordered: 0 }]);
    assert.equal(udpSnmp(tn, s).InDatagrams - before, N, 'one datagram per frame in the sink namespace\'s UDP stack');
    // The same devargs without netns=: 10.79.0.1 is no address of the root namespace.
    const bad = spawnSync(process.execPath, [BIN, 'pktgen', '-l', String(cpus[0]), '--vdev', 'net_udp0,local=10.79.0.1:4789,remote=10.79.0.2:4789', '--', '--count', '1'], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, 'tsfwd: net_udp0: local 10.79.0.1:4789 is not an address of this host\n');
  } finally {
    tn.destroy();
  }
});

test('netns=: net_af_xdp opened in a test namespace receives exact counts', { skip: xskSkip, timeout: 60_000 }, async () => {
  const { tn, g, s } = topo('nx');
  try {
    const r = await sendThrough(`net_af_xdp0,iface=${tn.prefix}s,netns=${s}`, `net_af_packet0,iface=${tn.prefix}g,netns=${g}`);
    assert.equal(r.gen.ports[0].opackets, N);
    assert.deepEqual(r.sink.streams, [{ stream: 0, received: N, lost: 0, duplicates: 0, reordered: 0 }]);
  } finally {
    tn.destroy();
  }
});

test('netns=: an unknown or malformed namespace is one line, exit 2; drivers without sockets refuse the key', { skip }, () => {
  const run = (vdev: string): { status: number | null; stderr: string } =>
    spawnSync(process.execPath, [BIN, 'sink', '-l', String(cpus[0]), '--vdev', vdev, '--', '--duration', '0.1'], { encoding: 'utf8' });
  for (const [vdev, msg] of [
    ['net_af_packet0,iface=lo,netns=tsfwd-no-such-ns', 'tsfwd: net_af_packet0: network namespace \'tsfwd-no-such-ns\' does not exist\n'],
    ['net_udp0,local=127.0.0.1:1,remote=127.0.0.1:2,netns=tsfwd-no-such-ns', 'tsfwd: net_udp0: network namespace \'tsfwd-no-such-ns\' does not exist\n'],
    ['net_af_packet0,iface=lo,netns=../../proc/1/ns/net', 'tsfwd: net_af_packet0: devarg netns=../../proc/1/ns/net is not a network namespace name (letters, digits, \'.\', \'_\', \'-\', no \'/\')\n'],
    ['net_null0,netns=x', 'tsfwd: net_null0: unknown devarg \'netns\' (net_null takes: size, copy, qpairs, count)\n'],
  ]) {
    const r = run(vdev);
    assert.equal(r.status, 2, vdev);
    assert.equal(r.stderr, msg);
  }
});
