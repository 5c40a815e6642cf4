// Multi-queue ports through real veths: gen [g0]--[f0] fwd [f1]--[s0] sink,
// tsfwd l2fwd or pipeline on two lcores with 2-queue ports (net_af_packet
// qpairs=2 with PACKET_FANOUT hash; net_af_xdp queue_count=2 on 2-queue
// veths), trafgen sending 50,000 frames over 64 UDP flows into f0. Every
// frame must reach the sink's kernel counter, both rx queues of f0 must carry
// traffic and every lcore must have worked: a queue nobody polled would lose
// about half of them (issue 11).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { quietNs } from './helpers/afp-net';
import { BIN, CliRun, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { TestNet, netSkipReason, xskSkipReason } from './helpers/testnet';

function trafgenMissing(): string | undefined {
  if (!spawnSync('trafgen', ['-v']).error) return undefined;
  if (process.env.CI === 'true') throw new Error('the multi-queue namespace tests must run under CI=true but trafgen is missing (apt-get install netsniff-ng)');
  return 'needs trafgen (apt-get install -y netsniff-ng)';
}

const cpus = getAffinity();
const twoCpus = cpus.length >= 2 ? undefined : 'needs 2 CPUs (two lcores)';
const afpSkip = netSkipReason() ?? trafgenMissing() ?? twoCpus;
const xdpSkip = xskSkipReason() ?? trafgenMissing() ?? twoCpus;
const N = 50_000;

/** gen-fwd-sink with `queues` rx/tx queues on every veth (fixed MACs as genFwdSink). */
function topo(tag: string, queues: number): { tn: TestNet; g: string; f: string; s: string } {
  const tn = new TestNet(tag);
  try {
    const g = quietNs(tn, 'g');
    const f = quietNs(tn, 'f');
    const s = quietNs(tn, 's');
    tn.veth('g0', g, 'f0', f, { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0f:00', queues });
    tn.veth('f1', f, 's0', s, { macA: '02:00:00:00:0f:01', macB: '02:00:00:00:0b:01', queues });
    return { tn, g, f, s };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

/** 60-byte IPv4/UDP frames to f0, 64 flows (source ports 1024..1087). */
function trafgenConf(): string {
  const file = path.join(os.tmpdir(), `tsfwd-mq-test-${process.pid}.cfg`);
  fs.writeFileSync(file, '{ eth(da=02:00:00:00:0f:00, sa=02:00:00:00:0a:01), ipv4(saddr=10.9.0.1, daddr=10.9.0.2, ttl=64), udp(sport=dinc(1024, 1087), dport=9), fill(0x5a, 18) }\n');
  return file;
}

interface Fin { ok: boolean; mempool: { inUse: number }; ports: { port: number; ipackets: number; opackets: number; forwarded: number; dropped: Record<string, number> }[] }

type Driver = 'af_packet' | 'af_xdp';

function vdevs(driver: Driver): string[] {
  return driver === 'af_packet'
    // A deep rx ring: two spinning lcores, trafgen and other work share 2 CPUs, and a descheduled lcore must not mean kernel drops.
    ? ['--vdev', 'net_af_packet0,iface=f0,qpairs=2,fanout_mode=hash,framecnt=8192', '--vdev', 'net_af_packet1,iface=f1,qpairs=2']
    : ['--vdev', 'net_af_xdp0,iface=f0,queue_count=2', '--vdev', 'net_af_xdp1,iface=f1,queue_count=2'];
}

function start(ns: string, app: 'l2fwd' | 'pipeline', driver: Driver): Promise<CliRun> {
  // A deep ring too: on a loaded machine the tx lcore may be descheduled for a while (a full ring is a counted drop).
  const appArgs = app === 'l2fwd' ? ['-q', '2'] : ['-q', '4', '--rx-lcores', '1', '--ring-size', '16384'];
  return startCli(ns, [app, '-l', `${cpus[0]},${cpus[1]}`, ...vdevs(driver), '--', '-p', '0x3', ...appArgs, '-T', '0', '--stats-json'],
    app === 'l2fwd' ? /RX port 1 queue 1 TX port 0 queue 1\n/ : /TX port 0 queue 0 \(ring of 16384\)\n/);
}

async function waitCounter(read: () => number, want: number, ms: number): Promise<number> {
  const end = Date.now() + ms;
  let v = read();
  while (v < want && Date.now() < end) { await new Promise((r) => setTimeout(r, 100)); v = read(); }
  await new Promise((r) => setTimeout(r, 300)); // any extra frame would show up now
  return read();
}

for (const [driver, app, skip] of [
  ['af_packet', 'l2fwd', afpSkip], ['af_packet', 'pipeline', afpSkip], ['af_xdp', 'l2fwd', xdpSkip],
] as const) {
  test(`${app} over 2-queue net_${driver} ports on two lcores: all ${N} frames of 64 flows reach the sink, both rx queues and both lcores carry them`, { skip, timeout: 120_000 }, async () => {
    const t = topo(driver === 'af_packet' ? (app === 'l2fwd' ? 'ql' : 'qp') : 'qx', 2);
    let fwd: CliRun | undefined;
    const conf = trafgenConf();
    try {
      fwd = await start(t.f, app, driver);
      // -q: the qdisc path, where g0's tx queue (= f0's rx queue on a veth) follows the flow hash. Paced so nothing is
      // dropped while an lcore is descheduled: AF_XDP's fill ring holds 1024 buffers per queue (150 ms at 150 us).
      const gap = driver === 'af_xdp' ? '150us' : '50us';
      const r = spawnSync('ip', ['netns', 'exec', t.g, 'taskset', '-c', String(cpus[0]), 'trafgen', '-o', 'g0', '-i', conf, '-n', String(N),
        '-t', gap, '-P', '1', '-q'], { encoding: 'utf8', timeout: 90_000 });
      assert.equal(r.status, 0, r.stderr);
      const atSink = await waitCounter(() => t.tn.counter(t.s, 's0', 'rx_packets'), N, 30_000);
      const { code } = await stopCli(fwd.proc);
      assert.equal(code, 0, fwd.err());
      const fin = finalJson<Fin>(fwd.out());
      assert.equal(atSink, N, `exactly N frames at the sink's kernel counter; forwarder: ${JSON.stringify(fin.ports)}`);
      assert.equal(fin.ok, true, 'rx = forwarded + dropped per port, driver = lcore counters, mempool full');
      assert.equal(fin.mempool.inUse, 0);
      const [p0, p1] = fin.ports;
      assert.deepEqual([p0.ipackets, p0.forwarded, p1.opackets], [N, N, N]);
      assert.equal(p0.ipackets, t.tn.counter(t.f, 'f0', 'rx_packets'), 'port 0 received = f0 rx_packets');
      assert.equal(p1.opackets, t.tn.counter(t.f, 'f1', 'tx_packets'), 'port 1 sent = f1 tx_packets');
      for (const p of fin.ports) assert.equal(Object.values(p.dropped).reduce((a, b) => a + b, 0), 0, `port ${p.port} dropped nothing`);
      const err = fwd.err();
      const q = (port: number, queue: number): [number, number] => {
        const m = new RegExp(`^Port ${port} queue ${queue}: received (\\d+), sent (\\d+)$`, 'm').exec(err);
        assert.ok(m, `a line for port ${port} queue ${queue}`);
        return [Number(m[1]), Number(m[2])];
      };
      const [q0, q1] = [q(0, 0), q(0, 1)];
      assert.ok(q0[0] > 0 && q1[0] > 0, `both rx queues of port 0 carried traffic (${q0[0]} + ${q1[0]})`);
      assert.equal(q0[0] + q1[0], N);
      assert.equal(q(1, 0)[1] + q(1, 1)[1], N, 'port 1 sent N over its tx queues');
      const lcore = (l: number): number[] => {
        const m = new RegExp(`^Lcore ${l}: received (\\d+), forwarded (\\d+), sent (\\d+)$`, 'm').exec(err);
        assert.ok(m, `a line for lcore ${l}`);
        return [Number(m[1]), Number(m[2]), Number(m[3])];
      };
      const [l0, l1] = [lcore(cpus[0]), lcore(cpus[1])];
      if (app === 'l2fwd') {
        assert.ok(l0[1] > 0 && l1[1] > 0, `both lcores forwarded (${l0[1]} + ${l1[1]})`);
        assert.equal(l0[1] + l1[1], N);
        assert.ok(q(1, 0)[1] > 0 && q(1, 1)[1] > 0, 'each lcore sent on its own tx queue of port 1');
      } else {
        assert.deepEqual([l0[0], l1[2]], [N, N], 'the rx lcore received every frame, the tx lcore sent every frame');
      }
      if (driver === 'af_xdp') assert.doesNotMatch(t.tn.exec(t.f, ['ip', 'link', 'show']), /xdp/, 'no XDP program left attached');
    } finally {
      if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
      fs.rmSync(conf, { force: true });
      t.tn.destroy();
    }
    assert.deepEqual(t.tn.leftovers(), []);
  });
}

test('sink on a 2-queue net_af_packet port polls both queues: every pktgen frame of 64 flows counted, none lost', { skip: afpSkip, timeout: 90_000 }, async () => {
  const tn = new TestNet('qs');
  let sink: CliRun | undefined;
  try {
    const g = quietNs(tn, 'g');
    const s = quietNs(tn, 's');
    tn.veth('g0', g, 's0', s, { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0b:01' });
    const M = 20_000;
    sink = await startCli(s, ['sink', '-l', String(cpus[1]), '--vdev', 'net_af_packet0,iface=s0,qpairs=2,fanout_mode=hash,framecnt=8192', '--',
      '--count', String(M), '--duration', '60', '-T', '0', '--stats-json'], /^sink: /m);
    const done = new Promise<number | null>((r) => sink!.proc.on('exit', r));
    const r = spawnSync('ip', ['netns', 'exec', g, process.execPath, BIN, 'pktgen', '-l', String(cpus[0]), '--vdev', 'net_af_packet0,iface=g0', '--',
      '--count', String(M), '--size', '64', '--rate', '20000', '--dst-mac', '02:00:00:00:0b:01', '--src-ip', '10.78.0.10', '--dst-ip', '10.78.0.2',
      '--sport', '4000-4063', '--dport', '9', '-T', '0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(await done, 0, sink.err());
    const fin = JSON.parse(sink.out().trim().split('\n').pop()!) as { ok: boolean; ports: { ipackets: number }[]; streams: { received: number; lost: number }[] };
    assert.equal(fin.ok, true);
    assert.equal(fin.ports[0].ipackets, M, 'both queues read: every frame received');
    assert.deepEqual(fin.streams.map((x) => [x.received, x.lost]), [[M, 0]]);
    assert.equal(tn.counter(s, 's0', 'rx_packets'), M, 'kernel counter');
  } finally {
    if (sink && sink.proc.exitCode === null) sink.proc.kill('SIGKILL');
    tn.destroy();
  }
});
