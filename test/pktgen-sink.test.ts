// pktgen and sink: the .pkt language, exact counts, rate, flows and checksums
// through a real kernel UDP socket, and the sink's exact loss/duplicate/reorder
// accounting and latency figures.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseScript } from '../src/apps/pktgen/script';
import { PAYLOAD_MAGIC, P_SEQ, P_STREAM, P_TS } from '../src/apps/pktgen/payload';
import { SeqTracker } from '../src/apps/sink/seq';
import { Histogram, bucketMax, bucketOf } from '../src/apps/sink/histogram';
import { SINK_LINE, type SinkLcoreConfig, type SinkResult } from '../src/apps/sink/lcore';
import { defaultPoll } from '../src/eal/poll-mode';
import { LcoreGroup, Mempool, getAffinity } from '../src/index';
import { checksum, onesSum } from '../src/net/checksum';
import { parseIpv4, writeUdpFrame } from '../src/net/headers';
import { openPort, portHandle } from '../src/port/registry';
import { Capture, quietNs, udpSnmp } from './helpers/afp-net';
import { TestNet, netSkipReason } from './helpers/testnet';
import { buildPcap, readPcap } from './helpers/pcap-file';
import { testFrame } from './helpers/conformance';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const cpus = getAffinity();
const skip = netSkipReason();

test('.pkt scripts: the documented subset parses, everything else fails with its line number', () => {
  const ok = parseScript(['# comment', 'set 0 size 128', 'set all rate 10', 'set 0-1 count 1000', 'set 0 burst 32', 'set 0 sport 1', 'set 0 dport 2',
    'set 0 ttl 9', 'set 0 src mac 02:00:00:00:00:01', 'set 0 dst ip 10.0.0.2/24', 'set 0 proto udp', 'range 0 src ip min 10.0.0.1',
    'range 0 dst port max 99', 'range 0 size start 64', 'enable 0 range', 'disable 0 latency', 'start 0', 'str', 'delay 100', 'stp', 'stop 1', 'clr', 'quit'].join('\n'), 2);
  assert.equal(ok.length, 21);
  assert.deepEqual(ok[0], { n: 2, cmd: { op: 'set', ports: [0], key: 'size', value: '128' } });
  assert.deepEqual(ok[2].cmd, { op: 'set', ports: [0, 1], key: 'count', value: '1000' });
  for (const [bad, msg] of [
    ['set 0 size 64\nfrobnicate 0', /^line 2: unknown command 'frobnicate'$/],
    ['set 2 size 64', /^line 1: port 2 does not exist \(2 ports\)$/],
    ['set 0 proto tcp', /^line 1: only 'proto udp' is supported, not 'tcp'$/],
    ['set 0 size big', /^line 1: 'big' is not a number$/],
    ['\n\nset 0 colour red', /^line 3: unknown set command 'set 0 colour red'$/],
    ['range 0 src ip sideways 1', /^line 1: unknown range command/],
    ['enable 0 turbo', /^line 1: can enable 'range' or 'latency', not 'turbo'$/],
    ['delay', /^line 1: 'delay': expected 1 arguments after 'delay'$/],
  ] as const) assert.throws(() => parseScript(bad, 2), (e: Error) => { assert.match(e.message, msg); return true; });
});

test('pktgen --count sends exactly that many frames per port; a bad script fails with its line', () => {
  const r = run('pktgen', '-l', String(cpus[0]), '--vdev', 'net_null0', '--', '--count', '12345', '--size', '64-1518', '-T', '0', '--stats-json');
  assert.equal(r.status, 0, r.stderr);
  const f = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(f.msg, 'final');
  assert.equal(f.ok, true);
  assert.equal(f.ports[0].opackets, 12345);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pkt-'));
  fs.writeFileSync(path.join(dir, 'bad.pkt'), 'set 0 size 64\nset 0 rate 500\n');
  const b = run('pktgen', '-l', String(cpus[0]), '--vdev', 'net_null0', '--', '-f', path.join(dir, 'bad.pkt'));
  assert.equal(b.status, 2);
  assert.match(b.stderr, /bad\.pkt: line 2: rate 500 must be a percentage 0\.\.100/);
  fs.writeFileSync(path.join(dir, 'run.pkt'), 'set 0 size 64\nset 0 count 5000\nstart 0\ndelay 300\nstop 0\nquit\n');
  const s = run('pktgen', '-l', String(cpus[0]), '--vdev', 'net_null0', '--', '-f', path.join(dir, 'run.pkt'), '-T', '0', '--stats-json');
  assert.equal(s.status, 0, s.stderr);
  assert.equal(JSON.parse(s.stdout.trim().split('\n').pop()!).ports[0].opackets, 5000);
  fs.rmSync(dir, { recursive: true });
});

test('pktgen --pcap replays a capture frame for frame, looping, exactly --count frames', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgpcap-'));
  const frames = Array.from({ length: 7 }, (_, i) => testFrame(i, 60 + i * 100));
  fs.writeFileSync(path.join(dir, 'in.pcap'), buildPcap(frames));
  const out = path.join(dir, 'out.pcap');
  const r = run('pktgen', '-l', String(cpus[0]), '--vdev', `net_pcap0,tx_pcap=${out}`, '--', '--pcap', path.join(dir, 'in.pcap'), '--count', '25', '-T', '0');
  assert.equal(r.status, 0, r.stderr);
  const got = readPcap(out).records.map((x) => x.data);
  assert.equal(got.length, 25);
  for (let i = 0; i < 25; i++) assert.deepEqual(got[i], frames[i % 7], `frame ${i}`);
  fs.rmSync(dir, { recursive: true });
});

test('pktgen paces by sleeping and holds its rate within 1% over each second', () => {
  const r = run('pktgen', '-l', String(cpus[cpus.length - 1]), '--vdev', 'net_null0', '--', '--rate', '100000', '--duration', '4.5', '-T', '1', '--stats-json');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  // The first second includes the lcore's start; the last is cut by the stop.
  const pps = lines.filter((l) => l.msg === 'stats').slice(1, -1).map((l) => l.ports[0].pps);
  assert.ok(pps.length >= 2, `periods: ${pps}`);
  for (const p of pps) assert.ok(Math.abs(p - 100000) <= 1000, `${p} pps within 1% of 100000`);
  // Default --poll-mode adaptive: between bursts it sleeps, it does not spin.
  const fin = lines.find((l) => l.msg === 'final');
  assert.ok(fin.lcores[0].asleep > 0.5, `asleep ${fin.lcores[0].asleep} of the run`);
  const busy = run('pktgen', '-l', String(cpus[cpus.length - 1]), '--poll-mode', 'busy', '--vdev', 'net_null0', '--', '--rate', '100000', '--duration', '1', '-T', '0', '--stats-json');
  assert.equal(busy.status, 0, busy.stderr);
  const bfin = JSON.parse(busy.stdout.trim().split('\n').pop()!);
  assert.equal(bfin.lcores[0].sleeps, 0, '--poll-mode busy spins between bursts, as pktgen-dpdk');
});

test('sequence tracker: loss, duplicates and reordering reported exactly, across the 2^32 wrap', () => {
  const t = new SeqTracker();
  const start = 2 ** 32 - 500;
  const seqs: number[] = [];
  for (let i = 0; i < 2000; i++) seqs.push((start + i) >>> 0);
  seqs.splice(100, 5);                                 // 5 lost
  seqs.splice(300, 0, seqs[299], seqs[299]);           // 2 duplicates
  [seqs[600], seqs[601]] = [seqs[601], seqs[600]];     // 1 reordered (601 arrives late)
  const late = seqs.splice(900, 1)[0];
  seqs.splice(950, 0, late);                           // 1 more reordered
  for (const s of seqs) t.add(3, s);
  assert.deepEqual(t.summary(), [{ stream: 3, received: 1997, lost: 5, duplicates: 2, reordered: 2 }]);
});

test('latency histogram buckets and quantiles', () => {
  for (const v of [0, 15, 16, 17, 100, 1000, 123456, 2 ** 31]) assert.ok(bucketMax(bucketOf(v)) >= v && bucketMax(bucketOf(v)) <= v * 1.13 + 1, `${v}`);
  const h = new Histogram();
  for (let i = 1; i <= 1000; i++) h.add(i * 1000);
  assert.equal(h.min, 1000);
  assert.equal(h.max, 1_000_000);
  assert.ok(Math.abs(h.quantile(0.5) - 500_000) <= 500_000 * 0.13);
  assert.ok(h.quantile(0.99) >= 990_000 && h.quantile(0.99) <= 1_000_000);
});

test('sink lcore: injected loss, duplicates and reordering come out exactly; foreign frames counted apart', async () => {
  const pool = Mempool.create({ n: 4096 });
  const port = await openPort('net_ring_sk,size=4096,peer=net_ring_sk_in', { id: 0, pool });
  const feed = await openPort('net_ring_sk_in,size=4096,peer=net_ring_sk', { id: 1, pool });
  const counters = new SharedArrayBuffer(SINK_LINE * 8);
  // The sink's default mode: it blocks on the ring's doorbell between feeds.
  const config: SinkLcoreConfig = { pool: pool.buffer, ports: [portHandle(port)], rxByLcore: [[[0, 0]]], burst: 32, counters, poll: defaultPoll('interrupt') };
  const frame = (stream: number, seq: number): Uint8Array => {
    const f = new Uint8Array(60);
    writeUdpFrame(f, 0, { dstMac: [2, 0, 0, 0, 0, 1], srcMac: [2, 0, 0, 0, 0, 2], srcIp: 1, dstIp: 2, srcPort: 1, dstPort: 2, length: 60 });
    f[42] = PAYLOAD_MAGIC >> 8; f[43] = PAYLOAD_MAGIC & 0xff;
    f[P_STREAM + 1] = stream;
    f.set([seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff], P_SEQ);
    f.set([0, 0, 0, 0], P_TS);
    return f;
  };
  const list: Uint8Array[] = [];
  for (let s = 0; s < 1000; s++) if (s !== 10 && s !== 11 && s !== 500) list.push(frame(7, s)); // 3 lost
  list.splice(200, 0, frame(7, 199));                                  // duplicate
  list.push(frame(7, 500));                                            // 500 late: reordered, no longer lost
  list.push(frame(9, 0), frame(9, 1));                                 // a second stream
  list.push(new Uint8Array(60).fill(0x11));                            // not a pktgen frame
  const m = new Uint32Array(list.length);
  assert.equal(pool.getBulk(m, list.length), list.length);
  list.forEach((f, i) => { pool.setDataLen(m[i], f.length); pool.data.set(f, pool.mtod(m[i])); });
  assert.equal(feed.txBurst(0, m, list.length), list.length);
  const group = LcoreGroup.launch({ lcores: [cpus[0]], app: 'sink', config });
  const cnt = new Float64Array(counters);
  for (const end = Date.now() + 5000; cnt[0] < list.length && Date.now() < end;) await new Promise((r) => setTimeout(r, 5));
  group.stop();
  const [r] = await group.wait();
  const res = r.result as SinkResult;
  assert.deepEqual(res.streams, [
    { stream: 7, received: 999, lost: 2, duplicates: 1, reordered: 1 },
    { stream: 9, received: 2, lost: 0, duplicates: 0, reordered: 0 },
  ]);
  assert.equal(cnt[2], 1, 'one foreign frame');
  port.close();
  feed.close();
  assert.equal(pool.availCount(), pool.n);
});

test('pktgen over net_af_packet: exact count on the peer, flows cycle as configured, checksums verify in a kernel UDP socket', { skip, timeout: 90_000 }, async () => {
  const tn = new TestNet('pg');
  try {
    const g = quietNs(tn, 'g');
    const s = quietNs(tn, 's');
    tn.veth('g0', g, 's0', s, { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0b:01' });
    tn.exec(s, ['ip', 'addr', 'add', '10.78.0.2/24', 'dev', 's0']);
    // The kernel's UDP stack checks every checksum (InCsumErrors); source addresses avoid its own (martians).
    const cap = await Capture.start(s, 's0');
    const before = udpSnmp(tn, s);
    const N = 3000;
    const r = spawnSync('ip', ['netns', 'exec', g, process.execPath, BIN, 'pktgen', '-l', String(cpus[0]), '--vdev', 'net_af_packet0,iface=g0', '--',
      '--count', String(N), '--size', '64-1518', '--rate', '20000', '--dst-mac', '02:00:00:00:0b:01', '--src-ip', '10.78.0.10-10.78.0.14',
      '--dst-ip', '10.78.0.2', '--sport', '4000-4002', '--dport', '9', '-T', '0', '--stats-json'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split('\n').pop()!).ports[0].opackets, N);
    const frames = await cap.take(N, 10_000);
    cap.stop();
    assert.equal(tn.counter(s, 's0', 'rx_packets'), N, 'kernel counter on the peer');
    assert.equal(frames.length, N);
    const srcIps = new Set<number>();
    const sports = new Set<number>();
    for (const [i, f] of frames.entries()) {
      assert.equal(f.length, 60 + (i % 1455), `frame ${i} size sweeps 64..1518 with FCS`);
      assert.equal(checksum(f, 14, 20), 0, `frame ${i}: IPv4 checksum verifies`);
      const pseudo = onesSum(f, 26, 8) + 17 + (f.length - 34);
      assert.equal(checksum(f, 34, f.length - 34, pseudo), 0, `frame ${i}: UDP checksum verifies`);
      srcIps.add(((f[26] << 24) | (f[27] << 16) | (f[28] << 8) | f[29]) >>> 0);
      sports.add((f[34] << 8) | f[35]);
      assert.equal((f[P_SEQ] << 24 | f[P_SEQ + 1] << 16 | f[P_SEQ + 2] << 8 | f[P_SEQ + 3]) >>> 0, i, 'sequence numbers in order');
    }
    assert.deepEqual([...srcIps].sort(), [10, 11, 12, 13, 14].map((k) => parseIpv4(`10.78.0.${k}`)).sort());
    assert.deepEqual([...sports].sort(), [4000, 4001, 4002]);
    const after = udpSnmp(tn, s);
    // Port 9 has no listener: the stack answers with port-unreachable after checking the checksum.
    assert.equal(after.InCsumErrors - before.InCsumErrors, 0, 'no checksum errors in the kernel');
    assert.equal(after.NoPorts - before.NoPorts, N, 'every datagram reached UDP with a valid checksum');
  } finally {
    tn.destroy();
  }
});
