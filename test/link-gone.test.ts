// An interface deleted mid-run (`ip link del`): the run goes on with the other
// ports, one line names the port that went, SIGINT still ends it with
// balanced books and exit 0 (issue 11, "Interface gone mid-run").
//
//   gen [g0]--[f0] fwd [f1]--[s0] sink      pair A: ports 0 -> 1
//   gen [g2]--[f2] fwd [f3]--[s2] sink      pair B: ports 2 -> 3
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { getAffinity } from '../src/native';
import { quietNs } from './helpers/afp-net';
import { CliRun, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { TestNet, netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const cpus = getAffinity();
const GEN_CPU = String(cpus[0]);
const FWD_CPU = String(cpus[cpus.length - 1]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Topo { tn: TestNet; g: string; f: string; s: string }

/** Least privilege: once running, no thread of the tsfwd process holds a capability. */
function assertNoCaps(run: CliRun): void {
  const pid = run.proc.pid!;
  assert.match(run.err() + run.out(), /privileges: dropped all \d+ capabilities/);
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    assert.match(status, /^CapEff:\s*0+$/m, `thread ${tid} of ${pid} holds capabilities`);
    assert.match(status, /^CapPrm:\s*0+$/m);
  }
}

function twoPairs(tag: string): Topo {
  const tn = new TestNet(tag);
  try {
    const g = quietNs(tn, 'g');
    const f = quietNs(tn, 'f');
    const s = quietNs(tn, 's');
    tn.veth('g0', g, 'f0', f);
    tn.veth('f1', f, 's0', s);
    tn.veth('g2', g, 'f2', f);
    tn.veth('f3', f, 's2', s);
    return { tn, g, f, s };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

/** pktgen on g0 and g2 at a modest rate, bounded by --duration. */
function startGen(t: Topo, seconds: number): Promise<CliRun> {
  return startCli(t.g, ['pktgen', '-l', GEN_CPU, '--vdev', 'net_af_packet0,iface=g0', '--vdev', 'net_af_packet1,iface=g2', '--',
    '--rate', '20000', '--duration', String(seconds), '-T', '0', '--stats-json'], /Lcore \d+: TX port/);
}

async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    assert.ok(Date.now() < end, `timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface FinalPort { port: number; ipackets: number; opackets: number; forwarded: number; dropped: Record<string, number> }

test('l2fwd: one pair loses its interface mid-run; the other keeps forwarding; one line says which; SIGINT ends it balanced, exit 0',
  { skip, timeout: 90_000 }, async () => {
    const t = twoPairs('lg');
    const runs: CliRun[] = [];
    try {
      const fwd = await startCli(t.f, ['l2fwd', '-l', FWD_CPU, '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1',
        '--vdev', 'net_af_packet2,iface=f2', '--vdev', 'net_af_packet3,iface=f3', '--', '-p', '0xf', '-q', '4', '-T', '0', '--stats-json'],
      /RX port 3 TX port 2/);
      runs.push(fwd);
      const gen = await startGen(t, 8);
      runs.push(gen);
      await waitFor(() => t.tn.counter(t.s, 's0', 'rx_packets') > 1000 && t.tn.counter(t.s, 's2', 'rx_packets') > 1000, 10_000, 'traffic on both pairs');
      assertNoCaps(fwd);
      assertNoCaps(gen);
      t.tn.exec(t.s, ['ip', 'link', 'del', 's0']); // f1 goes with its peer
      await waitFor(() => /port 1 \(net_af_packet1\): interface f1 is gone/.test(fwd.err()), 5000, 'the line naming port 1');
      const b0 = t.tn.counter(t.s, 's2', 'rx_packets');
      await sleep(1000);
      const b1 = t.tn.counter(t.s, 's2', 'rx_packets');
      assert.ok(b1 - b0 > 5000, `pair B kept forwarding after pair A lost f1 (${b1 - b0} frames in 1 s)`);
      const r = await stopCli(fwd.proc);
      assert.equal(r.code, 0, fwd.err());
      assert.match(fwd.err(), /Bye\.\.\./);
      assert.equal(fwd.err().match(/is gone/g)?.length, 1, 'said once');
      const f = finalJson<{ ok: boolean; ports: FinalPort[]; mempool: { inUse: number } }>(fwd.out());
      assert.equal(f.ok, true);
      assert.equal(f.mempool.inUse, 0);
      const [p0, , p2, p3] = f.ports;
      const dropped = (p: FinalPort): number => Object.entries(p.dropped)
        .filter(([k]) => !['imissed', 'noMbuf', 'ierrors'].includes(k)).reduce((a, [, v]) => a + v, 0);
      for (const p of f.ports) assert.equal(p.ipackets, p.forwarded + dropped(p), `port ${p.port} balances`);
      assert.ok(dropped(p0) > 0, 'frames for the gone port were dropped and counted');
      assert.equal(p3.opackets, p2.forwarded, 'pair B delivered everything it forwarded');
      assert.equal(t.tn.counter(t.s, 's2', 'rx_packets'), p3.opackets, 's2 kernel counter = tsfwd port 3 sent');
    } finally {
      for (const r of runs) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
      t.tn.destroy();
    }
  });

test('pktgen: one port loses its interface; the other keeps sending; one line says which; exit 0', { skip, timeout: 90_000 }, async () => {
  const t = twoPairs('lp');
  const runs: CliRun[] = [];
  try {
    const gen = await startGen(t, 30);
    runs.push(gen);
    await waitFor(() => t.tn.counter(t.f, 'f0', 'rx_packets') > 1000 && t.tn.counter(t.f, 'f2', 'rx_packets') > 1000, 10_000, 'traffic on both ports');
    t.tn.exec(t.f, ['ip', 'link', 'del', 'f0']);
    await waitFor(() => /port 0 \(net_af_packet0\): interface g0 is gone/.test(gen.err()), 5000, 'the line naming port 0');
    const b0 = t.tn.counter(t.f, 'f2', 'rx_packets');
    await sleep(1000);
    assert.ok(t.tn.counter(t.f, 'f2', 'rx_packets') - b0 > 5000, 'port 1 kept sending');
    const r = await stopCli(gen.proc);
    assert.equal(r.code, 0, gen.err());
    const f = finalJson<{ ok: boolean; ports: { port: number; opackets: number }[] }>(gen.out());
    assert.equal(f.ok, true, 'every mbuf back');
    assert.equal(t.tn.counter(t.f, 'f2', 'rx_packets'), f.ports[1].opackets, 'f2 kernel counter = pktgen port 1 sent');
  } finally {
    for (const r of runs) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    t.tn.destroy();
  }
});

test('sink: one port loses its interface; the other keeps counting; one line says which; exit 0', { skip, timeout: 90_000 }, async () => {
  const t = twoPairs('ls');
  const runs: CliRun[] = [];
  try {
    // The sink listens on f0 and f2 in the fwd namespace, pktgen sends into g0 and g2.
    const sink = await startCli(t.f, ['sink', '-l', FWD_CPU, '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f2', '--',
      '-T', '0', '--stats-json'], /sink: /);
    runs.push(sink);
    const gen = await startGen(t, 8);
    runs.push(gen);
    await waitFor(() => t.tn.counter(t.f, 'f2', 'rx_packets') > 1000, 10_000, 'traffic');
    assertNoCaps(sink);
    t.tn.exec(t.g, ['ip', 'link', 'del', 'g0']);
    await waitFor(() => /port 0 \(net_af_packet0\): interface f0 is gone/.test(sink.err()), 5000, 'the line naming port 0');
    await waitFor(() => gen.proc.exitCode !== null, 20_000, 'the generator to finish');
    await sleep(300);
    const r = await stopCli(sink.proc);
    assert.equal(r.code, 0, sink.err());
    const f = finalJson<{ ok: boolean; ports: { port: number; ipackets: number; imissed: number }[] }>(sink.out());
    assert.equal(f.ok, true, 'every mbuf back');
    // A loaded machine may make the kernel drop some in f2's ring: those are imissed, not lost.
    assert.equal(f.ports[1].ipackets + f.ports[1].imissed, t.tn.counter(t.f, 'f2', 'rx_packets'), 'port 1 accounted for every frame f2 received');
  } finally {
    for (const r of runs) if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
    t.tn.destroy();
  }
});
