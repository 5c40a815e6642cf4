// net_pcap: the conformance suite over rx/tx files, real tcpdump captures
// replayed exactly (µs and ns, both byte orders), tx files read back by
// tcpdump, damaged files, infinite_rx, oversize/runt frames, and a replay
// from an lcore.
import { after, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FWD_LINE, IoFwdConfig } from '../src/apps/io-fwd';
import { LcoreGroup } from '../src/eal/launch';
import { MBUF_META_WORDS, MBUF_TS_HI, MBUF_TS_LO } from '../src/mempool/layout';
import { Mempool } from '../src/mempool/mempool';
import { openPort, portHandle, virtualMac } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { frameOf, runConformance, rxAll, testFrame } from './helpers/conformance';
import { buildPcap, parseTcpdumpHex, readPcap, swapPcap, tsText } from './helpers/pcap-file';
import { needTool } from './helpers/need';
import { TestNet, netSkipReason } from './helpers/testnet';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-pcap-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const file = (name: string): string => path.join(dir, name);
let nextId = 0;

const TCPDUMP_SKIP = netSkipReason() ?? needTool('tcpdump');

/** The mbuf's 64-bit ns timestamp, exact. */
function tsOf(pool: Mempool, m: number): bigint {
  const b = m * MBUF_META_WORDS;
  return (BigInt(pool.meta[b + MBUF_TS_HI]) << 32n) | BigInt(pool.meta[b + MBUF_TS_LO]);
}

/** Opens a port, returning it with the stderr lines written during the open. */
async function openQuiet(devargs: string, pool: Mempool): Promise<{ port: Port; stderr: string }> {
  const orig = process.stderr.write;
  let stderr = '';
  process.stderr.write = ((s: string | Uint8Array) => { stderr += String(s); return true; }) as typeof process.stderr.write;
  try {
    return { port: await openPort(devargs, { id: nextId++, pool }), stderr };
  } finally {
    process.stderr.write = orig;
  }
}

// The port is opened when frames are injected: inject writes the rx file first.
runConformance({
  name: 'net_pcap',
  async open(pool) {
    const id = nextId++;
    const name = `net_pcap${id}`;
    const rx = file(`conf-rx${id}.pcap`);
    const tx = file(`conf-tx${id}.pcap`);
    let real: Port | undefined;
    const port: Port = {
      id, name, mac: Uint8Array.from(virtualMac(id)), nbQueues: 1,
      rxBurst: (q, b, max) => (real ? real.rxBurst(q, b, max) : 0),
      txBurst: (q, b, n) => real!.txBurst(q, b, n),
      stats: () => real!.stats(),
      rxWake: () => null,
      close: () => real?.close(),
    };
    return {
      port,
      async inject(frames) {
        fs.writeFileSync(rx, buildPcap(frames));
        real = await openPort(`${name},rx_pcap=${rx},tx_pcap=${tx}`, { id, pool });
      },
      collect: () => readPcap(tx).records.map((r) => r.data),
      teardown: () => real?.close(),
    };
  },
  async devargs(pool) {
    fs.writeFileSync(file('cycle.pcap'), buildPcap([testFrame(0, 64)]));
    return { open: () => openPort(`net_pcap_cycle,rx_pcap=${file('cycle.pcap')},tx_pcap=${file('cycle-tx.pcap')}`, { id: 99, pool }) };
  },
});

test('µs and ns files in both byte orders give exact frames and ns timestamps', async () => {
  const frames = Array.from({ length: 6 }, (_, i) => testFrame(i, 60 + i * 200));
  for (const nano of [false, true]) {
    for (const bigEndian of [false, true]) {
      const f = file(`ts-${nano}-${bigEndian}.pcap`);
      const ts = (i: number): [number, number] => [1700000000 + i, nano ? 999_999_990 + i : 999_990 + i];
      fs.writeFileSync(f, buildPcap(frames, { nano, bigEndian, ts }));
      const pool = Mempool.create({ n: 64, cacheSize: 0 });
      const { port } = await openQuiet(`net_pcap_ts,rx_pcap=${f}`, pool);
      const m = new Uint32Array(8);
      assert.equal(port.rxBurst(0, m, 8), 6);
      for (let i = 0; i < 6; i++) {
        assert.deepEqual(frameOf(pool, m[i]), frames[i], `frame ${i} (nano=${nano}, be=${bigEndian})`);
        const [sec, frac] = ts(i);
        assert.equal(tsOf(pool, m[i]), BigInt(sec) * 1_000_000_000n + BigInt(frac) * (nano ? 1n : 1000n));
      }
      assert.equal(port.rxBurst(0, m, 8), 0, 'nothing after the last packet');
      pool.putBulk(m, 6);
      port.close();
      assert.equal(pool.availCount(), pool.n);
    }
  }
});

test('infinite_rx=1 wraps around; without it rx returns 0 after the last packet', async () => {
  const frames = Array.from({ length: 5 }, (_, i) => testFrame(i, 64 + i));
  fs.writeFileSync(file('loop.pcap'), buildPcap(frames));
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const { port } = await openQuiet(`net_pcap_loop,rx_pcap=${file('loop.pcap')},infinite_rx=1`, pool);
  const m = new Uint32Array(7);
  for (let burst = 0, seq = 0; burst < 6; burst++) {
    assert.equal(port.rxBurst(0, m, 7), 7, 'a full burst every time');
    for (let i = 0; i < 7; i++, seq++) assert.deepEqual(frameOf(pool, m[i]), frames[seq % 5]);
    pool.putBulk(m, 7);
  }
  assert.equal(port.stats().ipackets, 42);
  port.close();
  const once = (await openQuiet(`net_pcap_once,rx_pcap=${file('loop.pcap')}`, pool)).port;
  assert.equal(once.rxBurst(0, m, 7), 5);
  pool.putBulk(m, 5);
  assert.equal(once.rxBurst(0, m, 7), 0);
  assert.equal(once.rxBurst(0, m, 7), 0);
  assert.equal(once.stats().ipackets, 5);
  once.close();
  fs.writeFileSync(file('empty.pcap'), buildPcap([]));
  const empty = (await openQuiet(`net_pcap_empty,rx_pcap=${file('empty.pcap')},infinite_rx=1`, pool)).port;
  assert.equal(empty.rxBurst(0, m, 7), 0, 'a capture with no packets replays nothing, even looped');
  empty.close();
  assert.equal(pool.availCount(), pool.n);
});

test('frames longer than the data room and runts are counted in ierrors and skipped', async () => {
  const sizes = [60, 300, 10, 100, 257, 256];
  fs.writeFileSync(file('sizes.pcap'), buildPcap(sizes.map((s, i) => testFrame(i, Math.max(s, 14)).slice(0, s))));
  const pool = Mempool.create({ n: 16, dataRoom: 256, cacheSize: 0 });
  const { port } = await openQuiet(`net_pcap_sz,rx_pcap=${file('sizes.pcap')}`, pool);
  const m = new Uint32Array(8);
  assert.equal(port.rxBurst(0, m, 8), 3);
  assert.deepEqual([0, 1, 2].map((i) => pool.dataLen(m[i])), [60, 100, 256]);
  assert.deepEqual(frameOf(pool, m[2]), testFrame(5, 256));
  const s = port.stats();
  assert.equal(s.ierrors, 3);
  assert.equal(s.ipackets, 3);
  assert.equal(s.ibytes, 416);
  pool.putBulk(m, 3);
  assert.equal(pool.availCount(), pool.n, 'skipped frames took no mbuf');
  port.close();
});

test('truncated and corrupt files: one line naming the byte offset; packets before it are delivered', async () => {
  const frames = Array.from({ length: 10 }, (_, i) => testFrame(i, 100));
  const good = buildPcap(frames);
  const rec = (i: number): number => 24 + i * 116; // byte offset of record i
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const name = (s: string): string => file(`bad-${s}.pcap`);
  const absurd = Buffer.from(good);
  absurd.writeUInt32LE(0xffffffff, rec(5) + 8);
  const damaged: [string, Buffer, number, string][] = [
    ['rechdr', good.subarray(0, rec(7) + 8), 7, `truncated packet record header at byte ${rec(7)} (8 of its 16 bytes)`],
    ['body', good.subarray(0, rec(4) + 16 + 30), 4, `truncated packet record at byte ${rec(4)} (caplen 100, but only 30 bytes follow its header)`],
    ['caplen', absurd, 5, `corrupt packet record at byte ${rec(5)} (caplen 4294967295 is above the 262144 maximum)`],
  ];
  for (const [tag, bytes, before, what] of damaged) {
    fs.writeFileSync(name(tag), bytes);
    const { port, stderr } = await openQuiet(`net_pcap_dmg,rx_pcap=${name(tag)}`, pool);
    assert.equal(stderr, `net_pcap_dmg: rx_pcap ${name(tag)}: ${what}; replaying the ${before} packets before it\n`);
    const got = await rxAll(port, Infinity, 32, 50);
    assert.equal(got.length, before);
    got.forEach((m, i) => assert.deepEqual(frameOf(pool, m), frames[i]));
    assert.equal(port.stats().ierrors, 1, 'the damage is counted once');
    pool.putBulk(Uint32Array.from(got), got.length);
    port.close();
  }
  const pcapng = Buffer.alloc(28);
  pcapng.writeUInt32BE(0x0a0d0d0a, 0);
  const fails: [string, Buffer | null, string][] = [
    ['hdr', good.subarray(0, 10), 'truncated file header at byte 0 (the file has 10 of its 24 bytes)'],
    ['first', good.subarray(0, rec(0) + 50), `truncated packet record at byte 24 (caplen 100, but only 34 bytes follow its header); no packets before it to replay`],
    ['magic', Buffer.concat([Buffer.from('GIF89a'), good.subarray(6)]), 'not a pcap file (magic 0x47494638 at byte 0)'],
    ['ng', pcapng, `pcapng format is not supported; convert it with \`tcpdump -r ${name('ng')} -w out.pcap\``],
    ['sll', buildPcap(frames, { linktype: 113 }), "link type 113 at byte 20 is not Ethernet (1); capture on an Ethernet interface, not 'any'"],
    ['missing', null, 'no such file'],
  ];
  for (const [tag, bytes, what] of fails) {
    if (bytes) fs.writeFileSync(name(tag), bytes);
    await assert.rejects(openPort(`net_pcap_bad,rx_pcap=${name(tag)}`, { id: 1, pool }), (e: Error) => {
      assert.equal(e.message, `net_pcap_bad: rx_pcap ${name(tag)}: ${what}`);
      return true;
    });
  }
  const noDir = path.join(dir, 'no', 'such', 'dir', 'out.pcap');
  await assert.rejects(openPort(`net_pcap_bad,tx_pcap=${noDir}`, { id: 1, pool }),
    { message: `net_pcap_bad: tx_pcap ${noDir}: directory ${path.dirname(noDir)} does not exist` });
  await assert.rejects(openPort('net_pcap_bad', { id: 1, pool }), { message: 'net_pcap_bad: needs rx_pcap=FILE, tx_pcap=FILE or both' });
  await assert.rejects(openPort(`net_pcap_bad,tx_pcap=${file('x.pcap')},infinite_rx=1`, { id: 1, pool }),
    { message: 'net_pcap_bad: infinite_rx=1 needs rx_pcap=FILE' });
  assert.equal(pool.availCount(), pool.n);
});

test('tx_pcap is claimed: two ports cannot write one file, two ports may read one; no tx_pcap drops', async () => {
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  fs.writeFileSync(file('shared.pcap'), buildPcap([testFrame(0, 64)]));
  const a = await openPort(`net_pcap_a,rx_pcap=${file('shared.pcap')},tx_pcap=${file('claimed.pcap')}`, { id: 0, pool });
  fs.symlinkSync(file('claimed.pcap'), file('link.pcap'));
  for (const other of [file('claimed.pcap'), `${dir}/./claimed.pcap`, file('link.pcap')]) {
    await assert.rejects(openPort(`net_pcap_b,tx_pcap=${other}`, { id: 1, pool }),
      { message: `net_pcap_b: file ${other} is already in use by port net_pcap_a` });
  }
  const b = await openPort(`net_pcap_b,rx_pcap=${file('shared.pcap')}`, { id: 1, pool });
  const m = new Uint32Array(4);
  assert.equal(a.rxBurst(0, m, 4), 1);
  assert.equal(b.rxBurst(0, m.subarray(1), 3), 1, 'each port replays the file on its own');
  assert.equal(b.txBurst(0, m, 2), 2, 'no tx_pcap: tx frees and counts');
  assert.equal(b.stats().opackets, 2);
  assert.equal(pool.availCount(), pool.n);
  a.close();
  const again = await openPort(`net_pcap_c,tx_pcap=${file('claimed.pcap')}`, { id: 2, pool });
  again.close();
  b.close();
});

test('tx writes a nanosecond pcap that tcpdump -r reads with the same frames and timestamps', { skip: TCPDUMP_SKIP }, async () => {
  const pool = Mempool.create({ n: 256, cacheSize: 0 });
  const out = file('tx.pcap');
  const port = await openPort(`net_pcap_tx,tx_pcap=${out}`, { id: 3, pool });
  const n = 100;
  const frames = Array.from({ length: n }, (_, i) => testFrame(i, 60 + ((i * 97) % 1455)));
  const m = new Uint32Array(n);
  assert.equal(pool.getBulk(m, n), n);
  const stamped = (i: number): [number, number] => [1700000000 + i, 123456789 + i];
  frames.forEach((f, i) => {
    pool.reset(m[i]);
    pool.setDataLen(m[i], f.length);
    pool.data.set(f, pool.mtod(m[i]));
    if (i % 2 === 0) {
      const ns = BigInt(stamped(i)[0]) * 1_000_000_000n + BigInt(stamped(i)[1]);
      pool.meta[m[i] * MBUF_META_WORDS + MBUF_TS_LO] = Number(ns & 0xffffffffn);
      pool.meta[m[i] * MBUF_META_WORDS + MBUF_TS_HI] = Number(ns >> 32n);
    }
  });
  const t0 = Date.now() / 1000;
  for (let i = 0; i < n; i += 32) assert.equal(port.txBurst(0, m.subarray(i), Math.min(32, n - i)), Math.min(32, n - i));
  const t1 = Date.now() / 1000;
  assert.equal(pool.availCount(), pool.n, 'tx freed what it wrote');
  port.close();
  assert.deepEqual(fs.readFileSync(out).subarray(0, 4), Buffer.from([0x4d, 0x3c, 0xb2, 0xa1]), 'nanosecond magic, little-endian');
  const r = spawnSync('tcpdump', ['-r', out, '-nn', '-tt', '-xx', '--time-stamp-precision=nano'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /link-type EN10MB \(Ethernet\), snapshot length 262144/);
  const pk = parseTcpdumpHex(r.stdout);
  assert.equal(pk.length, n);
  pk.forEach((p, i) => {
    assert.deepEqual(p.data, frames[i], `frame ${i} as tcpdump prints it`);
    if (i % 2 === 0) assert.equal(p.ts, tsText(...stamped(i)), `frame ${i}: the mbuf timestamp`);
    else assert.ok(Number(p.ts) >= Math.floor(t0) && Number(p.ts) <= t1 + 1, `frame ${i}: the time of the burst (${p.ts})`);
  });
});

/** Starts tcpdump in `ns` and resolves once it is listening; `done` resolves when it exits. */
async function startTcpdump(ns: string, args: string[]): Promise<{ done: Promise<string> }> {
  const p = spawn('ip', ['netns', 'exec', ns, 'tcpdump', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  const done = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { p.kill(); reject(new Error(`tcpdump did not finish: ${err}`)); }, 15_000);
    p.on('exit', (code) => { clearTimeout(timer); if (code === 0) resolve(err); else reject(new Error(`tcpdump exited ${code}: ${err}`)); });
  });
  await new Promise<void>((resolve, reject) => {
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); if (err.includes('listening on')) resolve(); });
    done.catch(reject);
  });
  return { done };
}

test('captures written by tcpdump -w (µs and ns, both byte orders) replay exactly', { skip: TCPDUMP_SKIP, timeout: 60_000 }, async () => {
  const net = new TestNet('pc');
  try {
    const a = net.ns('a');
    const b = net.ns('b');
    const va = `${net.prefix}a`;
    const vb = `${net.prefix}b`;
    net.veth(va, a, vb, b);
    const n = 40;
    const frames = Array.from({ length: n }, (_, i) => testFrame(i, 60 + ((i * 97) % 1455)));
    // Two captures of the same frames: microsecond (tcpdump's default) and nanosecond.
    const us = file('tcpdump-us.pcap');
    const ns = file('tcpdump-ns.pcap');
    const filter = ['ether', 'proto', '0x88b5'];
    const capUs = await startTcpdump(b, ['-i', vb, '-Z', 'root', '-c', String(n), '-w', us, ...filter]);
    const capNs = await startTcpdump(b, ['-i', vb, '-Z', 'root', '-c', String(n), '--time-stamp-precision=nano', '-w', ns, ...filter]);
    const send = 'import socket,sys\ns=socket.socket(socket.AF_PACKET,socket.SOCK_RAW)\ns.bind((sys.argv[1],0))\nfor l in sys.stdin: s.send(bytes.fromhex(l.strip()))\n';
    net.exec(a, ['/usr/bin/python3', '-c', send, va], frames.map((f) => Buffer.from(f).toString('hex')).join('\n'));
    await capUs.done;
    await capNs.done;
    assert.equal(readPcap(us).nano, false);
    assert.equal(readPcap(ns).nano, true);
    fs.writeFileSync(file('tcpdump-us-swapped.pcap'), swapPcap(fs.readFileSync(us)));
    fs.writeFileSync(file('tcpdump-ns-swapped.pcap'), swapPcap(fs.readFileSync(ns)));
    assert.equal(readPcap(file('tcpdump-us-swapped.pcap')).bigEndian, true);
    const pool = Mempool.create({ n: 128, cacheSize: 0 });
    for (const f of [us, ns, file('tcpdump-us-swapped.pcap'), file('tcpdump-ns-swapped.pcap')]) {
      // What tcpdump itself reads from the file: the reference timestamps.
      const ref = spawnSync('tcpdump', ['-r', f, '-nn', '-tt', '-xx', '--time-stamp-precision=nano'], { encoding: 'utf8' });
      assert.equal(ref.status, 0, ref.stderr);
      const want = parseTcpdumpHex(ref.stdout);
      assert.equal(want.length, n);
      const port = await openPort(`net_pcap_td,rx_pcap=${f}`, { id: 4, pool });
      const got = await rxAll(port, n, 32);
      assert.equal(got.length, n);
      got.forEach((m, i) => {
        assert.deepEqual(frameOf(pool, m), frames[i], `${path.basename(f)} frame ${i}: what python sent`);
        const t = tsOf(pool, m);
        assert.equal(tsText(Number(t / 1_000_000_000n), Number(t % 1_000_000_000n)), want[i].ts, `${path.basename(f)} frame ${i}: timestamp`);
      });
      assert.equal(port.rxBurst(0, new Uint32Array(1), 1), 0);
      assert.deepEqual(port.stats(), { ipackets: n, ibytes: frames.reduce((s, x) => s + x.length, 0), opackets: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0, oerrorsLate: 0, rxNombuf: 0 });
      pool.putBulk(Uint32Array.from(got), n);
      port.close();
    }
    assert.equal(pool.availCount(), pool.n);
  } finally {
    net.destroy();
  }
  assert.deepEqual(net.leftovers(), []);
});

test('an lcore replays a capture into a tx file (handles cross threads)', async () => {
  const n = 1000;
  const frames = Array.from({ length: n }, (_, i) => testFrame(i, 60 + (i % 200)));
  fs.writeFileSync(file('lcore-in.pcap'), buildPcap(frames, { nano: true }));
  const pool = Mempool.create({ n: 1024 });
  const rx = await openPort(`net_pcap_lin,rx_pcap=${file('lcore-in.pcap')}`, { id: 0, pool });
  const tx = await openPort(`net_pcap_lout,tx_pcap=${file('lcore-out.pcap')}`, { id: 1, pool });
  try {
    const counters = new SharedArrayBuffer(FWD_LINE * 8);
    const config: IoFwdConfig = { pool: pool.buffer, ports: [portHandle(rx), portHandle(tx)], streams: [[[0, 0, 1, 0]]], burst: 32, counters };
    const g = LcoreGroup.launch({ lcores: [0], app: 'io-fwd', config });
    const end = Date.now() + 10_000;
    while (tx.stats().opackets < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    g.stop();
    const [res] = await g.wait();
    assert.equal((res.result as { forwarded: number }).forwarded, n);
  } finally {
    rx.close();
    tx.close();
  }
  const out = readPcap(file('lcore-out.pcap'));
  assert.equal(out.nano, true);
  assert.equal(out.records.length, n);
  out.records.forEach((r, i) => {
    assert.deepEqual(r.data, frames[i]);
    assert.deepEqual([r.sec, r.frac], [1700000000 + i, i], 'the capture timestamp survives rx -> tx');
  });
  assert.equal(pool.availCount(), pool.n);
});
