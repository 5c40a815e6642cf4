// l2fwd and pipeline without a kernel: the forwarding plan, bad input, the
// MAC rewrite byte for byte through net_ring ports, overload accounting and
// the --stats-json final line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { makePlan } from '../src/apps/l2fwd/plan';
import { defaultPoll } from '../src/eal/poll-mode';
import type { L2fwdLcoreConfig } from '../src/apps/l2fwd/lcore';
import { LcoreGroup, Mempool, getAffinity } from '../src/index';
import { openPort, portHandle } from '../src/port/registry';
import { Counters, C_FWD, C_RX, C_TX } from '../src/stats/counters';
import { frameOf, testFrame } from './helpers/conformance';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
const cpus = getAffinity();

test('plan: adjacent pairs, odd port to itself, -q packs rx ports onto lcores in order', () => {
  const p = makePlan([1, 1, 1, 1, 1], 0x1f, [1, 2, 3], 2);
  assert.deepEqual(p.ports, [0, 1, 2, 3, 4]);
  assert.deepEqual(p.dst, [1, 0, 3, 2, 4]);
  assert.deepEqual(p.rxByLcore, [[[0, 0], [1, 0]], [[2, 0], [3, 0]], [[4, 0]]]);
  assert.deepEqual(p.notices, ['Notice: odd number of ports in portmask.']);
  const q = makePlan([1, 1, 1, 1], 0b1010, [0, 1, 2], 1);
  assert.deepEqual(q.dst, [-1, 3, -1, 1]);
  assert.deepEqual(q.rxByLcore, [[[1, 0]], [[3, 0]], []]);
  const m = makePlan([1, 1, 1, 1], 0xf, [0, 1], 2, [[0, 3], [1, 2]]);
  assert.deepEqual(m.dst, [3, 2, 1, 0]);
});

test('plan: bad masks and portmaps are refused with the reason', () => {
  assert.throws(() => makePlan([1, 1], 0x4, [0], 1), /portmask 0x4 names port 2, but only 2 ports \(0\.\.1\) are configured/);
  assert.throws(() => makePlan([1, 1, 1, 1], 0xf, [0, 1], 1), /not enough cores: 4 ports at 1 per lcore need 4 lcores, -l gives 2/);
  assert.throws(() => makePlan([1, 1, 1, 1], 0x3, [0], 2, [[0, 2]]), /portmap names port 2, which is not in portmask 0x3/);
  assert.throws(() => makePlan([1, 1, 1, 1], 0xf, [0, 1], 2, [[0, 1], [1, 2]]), /portmap uses port 1 more than once/);
  assert.throws(() => makePlan([1, 1, 1, 1], 0xf, [0, 1], 2, [[0, 1]]), /port 2 is in the portmask but not in the portmap/);
});

const NULL2 = ['--vdev', 'net_null0', '--vdev', 'net_null1'];
for (const [args, msg] of [
  [['l2fwd', '-l', '0', ...NULL2, '--', '-q', '2'], /^tsfwd: l2fwd: missing portmask \(-p MASK, e\.g\. -p 0x3\)$/],
  [['l2fwd', '-l', '0', ...NULL2, '--', '-p', 'xyz'], /^tsfwd: invalid portmask 'xyz' \(expected hex, e\.g\. 0x3\)$/],
  [['l2fwd', '-l', '0', ...NULL2, '--', '-p', '0x7', '-q', '2'], /^tsfwd: portmask 0x7 names port 2, but only 2 ports/],
  [['l2fwd', '-l', '0', ...NULL2, '--', '-p', '0x3', '-q', '16'], /^tsfwd: option -q must be an integer 1\.\.15, got '16'$/],
  [['l2fwd', '-l', '0', ...NULL2, '--', '-p', '0x3', '-q', '2', '--portmap', '(0,1'], /^tsfwd: invalid portmap '\(0,1' /],
  [['l2fwd', '-l', '0,4095', ...NULL2, '--', '-p', '0x3'], /^tsfwd: l2fwd: lcore 4095: CPU 4095 is not available|^tsfwd: core 4095 in core list/],
  [['l2fwd', '-l', '999', ...NULL2, '--', '-p', '0x3'], /^tsfwd: l2fwd: lcore 999: CPU 999 is not available \(this process may run on CPUs /],
  [['l2fwd', '-l', '0', ...NULL2, '--', '-p', '0x3', '--frobnicate'], /^tsfwd: l2fwd: unknown application option '--frobnicate'$/],
  [['l2fwd', '-l', '0', '--bogus', ...NULL2, '--', '-p', '0x3'], /^tsfwd: l2fwd: unknown EAL option '--bogus' \(application options go after --\)$/],
  [['l2fwd', '-l', '0', '--', '-p', '0x3'], /^tsfwd: l2fwd: no ports: give at least one --vdev/],
  [['l2fwd', '-l', '0', '--vdev', 'net_nope0', '--', '-p', '0x1'], /^tsfwd: unknown driver for device 'net_nope0'/],
  [['l2fwd', '-l', '0', '--vdev', 'net_null0,size=1', '--', '-p', '0x1'], /^tsfwd: net_null0: devarg size=1 must be an integer 14\.\.2048$/],
  [['pipeline', '-l', '0', ...NULL2, '--', '-p', '0x3'], /^tsfwd: pipeline: needs at least one rx and one tx lcore/],
  [['l2fwd', '-l', '0', '--sched-policy', 'fifo', ...NULL2, '--', '-p', '0x3'],
    /^tsfwd: l2fwd: --sched-policy fifo needs --poll-mode adaptive or interrupt \(a busy real-time lcore never yields its CPU\)$/],
  [['l2fwd', '-l', '0', '--poll-mode', 'adaptive', '--sched-policy', 'deadline', ...NULL2, '--', '-p', '0x3'],
    /^tsfwd: l2fwd: --sched-policy must be one of other, fifo, rr, got 'deadline'$/],
  [['l2fwd', '-l', '0', '--poll-mode', 'adaptive', '--sched-priority', '100', ...NULL2, '--', '-p', '0x3'],
    /^tsfwd: option --sched-priority must be an integer 1\.\.99, got '100'$/],
] as const) {
  test(`bad input: ${args.join(' ')}`, () => {
    const r = run(...args);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  });
}

interface FinalPort { port: number; ipackets: number; opackets: number; forwarded: number; generated: number; dropped: Record<string, number> }
function finalLine(stdout: string): { ports: FinalPort[]; mempool: { size: number; inUse: number }; ok: boolean } {
  const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.ok(lines.every((l) => l.msg === 'stats' || l.msg === 'final'), 'stdout holds only JSON lines');
  const f = lines[lines.length - 1] as unknown as { msg: string; ports: FinalPort[]; mempool: { size: number; inUse: number }; ok: boolean };
  assert.equal(f.msg, 'final');
  return f;
}

test('l2fwd on null ports: JSON lines, final line balances, mempool full', () => {
  const r = run('l2fwd', '-l', String(cpus[cpus.length - 1]), ...NULL2, '--', '-p', '0x3', '-q', '2', '-T', '1', '--duration', '1.5', '--stats-json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /MAC updating enabled/);
  assert.match(r.stderr, /Lcore \d+: RX port 0 TX port 1/);
  const f = finalLine(r.stdout);
  assert.equal(f.ok, true);
  assert.equal(f.mempool.inUse, 0);
  for (const p of f.ports) {
    assert.ok(p.ipackets > 10_000, `port ${p.port} moved traffic`);
    const dropped = p.dropped.txFail + p.dropped.badFrame + p.dropped.ringFull;
    assert.equal(p.ipackets, p.forwarded + dropped);
  }
  assert.equal(f.ports[0].opackets, f.ports[1].forwarded);
  assert.equal(f.ports[1].opackets, f.ports[0].forwarded);
});

test('overload: l2fwd into full net_ring ports drops by tx failure and still balances', () => {
  // Nobody drains net_ring0/1's peers, so their 64-slot rings fill at once.
  const r = run('l2fwd', '-l', String(cpus[0]), '--vdev', 'net_null0', '--vdev', 'net_ring1,size=64,peer=net_ring_x',
    '--', '-p', '0x3', '-q', '2', '-T', '0', '--duration', '1', '--stats-json');
  assert.equal(r.status, 0, r.stderr);
  const f = finalLine(r.stdout);
  assert.equal(f.ok, true);
  assert.equal(f.mempool.inUse, 0);
  const p0 = f.ports[0];
  assert.ok(p0.dropped.txFail > 100_000, `tx failures counted (${p0.dropped.txFail})`);
  assert.equal(p0.forwarded, 64, 'exactly the ring-full of frames left');
  assert.equal(p0.ipackets, p0.forwarded + p0.dropped.txFail);
});

test('l2fwd: 2 lcores, -q 2, 4 ports (one overloaded), every port balances; -q 1 would need 4 lcores', () => {
  const lcores = cpus.length >= 2 ? `${cpus[0]},${cpus[1]}` : '0,1';
  const r = run('l2fwd', '-l', lcores, ...NULL2, '--vdev', 'net_null2', '--vdev', 'net_ring3,size=32,peer=net_ring_z',
    '--', '-p', '0xf', '-q', '2', '-T', '0', '--duration', '1', '--stats-json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /Lcore \d+: RX port 0 TX port 1\nLcore \d+: RX port 1 TX port 0\nLcore \d+: RX port 2 TX port 3\nLcore \d+: RX port 3 TX port 2/);
  const f = finalLine(r.stdout);
  assert.equal(f.ok, true);
  assert.equal(f.mempool.inUse, 0);
  for (const p of f.ports) assert.equal(p.ipackets, p.forwarded + p.dropped.txFail + p.dropped.badFrame, `port ${p.port} balances`);
  assert.ok(f.ports[2].dropped.txFail > 0, 'port 2 -> full ring 3: counted tx failures');
  const q1 = run('l2fwd', '-l', lcores, ...NULL2, '--vdev', 'net_null2', '--vdev', 'net_null3', '--', '-p', '0xf', '-q', '1');
  assert.equal(q1.status, 2);
  assert.match(q1.stderr, /not enough cores: 4 ports at 1 per lcore need 4 lcores, -l gives 2/);
});

test('--metrics serves Prometheus text that matches the final counters', async () => {
  const { spawn } = await import('node:child_process');
  const port = 20000 + (process.pid % 20000);
  const proc = spawn(process.execPath, [BIN, 'l2fwd', '-l', String(cpus[0]), ...NULL2, '--', '-p', '0x3', '-q', '2', '-T', '0',
    '--metrics', `127.0.0.1:${port}`, '--duration', '3', '--stats-json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.on('exit', r));
  let scraped = 0;
  let text = '';
  try {
    const end = Date.now() + 10_000;
    while (!err.includes('metrics: http://') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    // The lcore may not have polled yet at the first scrape: wait for traffic, with a deadline.
    while (scraped === 0 && Date.now() < end) {
      text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      scraped = Number(/^tsfwd_port_rx_packets_total\{port="0",name="net_null0"\} (\d+)$/m.exec(text)?.[1]);
      if (scraped === 0) await new Promise((r) => setTimeout(r, 50));
    }
    for (const name of ['tsfwd_port_rx_packets_total', 'tsfwd_port_tx_packets_total', 'tsfwd_port_dropped_packets_total',
      'tsfwd_lcore_iterations_total', 'tsfwd_mempool_mbufs', 'tsfwd_mempool_in_use_mbufs']) {
      assert.match(text, new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'), name);
    }
    assert.ok(scraped > 0, 'port 0 received frames while /metrics was served');
    assert.match(text, /^tsfwd_port_dropped_packets_total\{port="1",name="net_null1",reason="txFail"\} 0$/m);
    assert.equal((await fetch(`http://127.0.0.1:${port}/nope`)).status, 404);
  } finally {
    assert.equal(await exited, 0, err);
  }
  const f = finalLine(out);
  assert.equal(f.ok, true);
  assert.ok(f.ports[0].ipackets >= scraped, `final rx ${f.ports[0].ipackets} >= scraped ${scraped}: the counters only grow`);
  assert.equal(f.ports[0].ipackets, f.ports[0].forwarded + f.ports[0].dropped.txFail, 'final books balance');
  assert.equal(f.ports[1].dropped.txFail, 0, 'as scraped: net_null never refuses');
});

test('--metrics on a port in use: one line, exit 2, before any lcore started', async () => {
  const net = await import('node:net');
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  try {
    const r = run('l2fwd', '-l', String(cpus[0]), ...NULL2, '--', '-p', '0x3', '-q', '2', '-T', '0', '--metrics', `127.0.0.1:${port}`, '--duration', '5');
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^tsfwd: --metrics 127\\.0\\.0\\.1:${port}: address in use\n$`));
    assert.doesNotMatch(r.stdout, /Port statistics/, 'no lcore ran');
  } finally {
    srv.close();
  }
});

test('pipeline: 2 rx + 2 tx lcores over 4 ports, overloaded rings, balances and returns every mbuf', () => {
  const lc = cpus.length >= 4 ? '0-3' : '0-1';
  const rx = cpus.length >= 4 ? '2' : '1';
  const r = run('pipeline', '-l', lc, ...NULL2, '--vdev', 'net_null2', '--vdev', 'net_ring3,size=32,peer=net_ring_y',
    '--', '-p', '0xf', '-q', '4', '--rx-lcores', rx, '--ring-size', '64', '-T', '0', '--duration', '1.5', '--stats-json');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /TX port \d \(ring of 64\)/);
  const f = finalLine(r.stdout);
  assert.equal(f.ok, true);
  assert.equal(f.mempool.inUse, 0);
  let ring = 0;
  let txFail = 0;
  for (const p of f.ports) {
    assert.equal(p.ipackets, p.forwarded + p.dropped.txFail + p.dropped.ringFull + p.dropped.badFrame, `port ${p.port} balances`);
    ring += p.dropped.ringFull;
    txFail += p.dropped.txFail;
  }
  assert.ok(ring > 0, 'rings overflowed and it was counted');
  assert.ok(txFail > 0, 'the full net_ring refused frames and it was counted');
});

test('l2fwd lcore: MAC rewrite byte for byte through net_ring ports, both directions, exact counts', async () => {
  const pool = Mempool.create({ n: 4096 });
  const a = await openPort('net_ring_fa,peer=net_ring_ta', { id: 0, pool });
  const b = await openPort('net_ring_fb,peer=net_ring_tb', { id: 1, pool });
  const ta = await openPort('net_ring_ta,peer=net_ring_fa', { id: 2, pool });
  const tb = await openPort('net_ring_tb,peer=net_ring_fb', { id: 3, pool });
  const counters = Counters.create(1, 2);
  const config: L2fwdLcoreConfig = {
    pool: pool.buffer, ports: [portHandle(a), portHandle(b)], dst: [1, 0], rxByLcore: [[[0, 0], [1, 0]]], txQueues: [[0, 0]], macUpdating: true,
    burst: 32, counters: counters.buffer, nbLcores: 1, txFirst: false, drainUs: 100, poll: defaultPoll(),
  };
  const group = LcoreGroup.launch({ lcores: [cpus[0]], app: 'l2fwd', config });
  try {
    const N = 500;
    const inject = (port: typeof ta, base: number): Uint8Array[] => {
      const frames = Array.from({ length: N }, (_, i) => testFrame(base + i, 60 + (i % 200)));
      const m = new Uint32Array(N);
      assert.equal(pool.getBulk(m, N), N);
      frames.forEach((f, i) => { pool.setDataLen(m[i], f.length); pool.data.set(f, pool.mtod(m[i])); });
      let sent = 0;
      while (sent < N) sent += port.txBurst(0, m.subarray(sent), Math.min(64, N - sent));
      return frames;
    };
    const fa = inject(ta, 0);
    const fb = inject(tb, 1000);
    const collect = async (port: typeof ta): Promise<Uint8Array[]> => {
      const out: Uint8Array[] = [];
      const buf = new Uint32Array(32);
      const end = Date.now() + 5000;
      while (out.length < N && Date.now() < end) {
        const k = port.rxBurst(0, buf, 32);
        for (let i = 0; i < k; i++) out.push(frameOf(pool, buf[i]));
        pool.putBulk(buf, k);
        if (k === 0) await new Promise((r) => setTimeout(r, 1));
      }
      return out;
    };
    const atB = await collect(tb); // entered at port 0, left by port 1
    const atA = await collect(ta);
    assert.equal(atB.length, N);
    assert.equal(atA.length, N);
    const expect = (f: Uint8Array, txPort: number, mac: Uint8Array): Uint8Array => {
      const e = Uint8Array.from(f);
      e.set([2, 0, 0, 0, 0, txPort], 0);
      e.set(mac, 6);
      return e;
    };
    for (let i = 0; i < N; i++) {
      assert.deepEqual(atB[i], expect(fa[i], 1, b.mac), `frame ${i} via port 1`);
      assert.deepEqual(atA[i], expect(fb[i], 0, a.mac), `frame ${i} via port 0`);
    }
  } finally {
    group.stop();
    await group.wait();
  }
  assert.deepEqual([counters.port(0, C_RX), counters.port(0, C_FWD), counters.port(1, C_TX)], [500, 500, 500]);
  assert.deepEqual([counters.port(1, C_RX), counters.port(1, C_FWD), counters.port(0, C_TX)], [500, 500, 500]);
  for (const p of [a, b, ta, tb]) p.close();
  assert.equal(pool.availCount(), pool.n);
});
