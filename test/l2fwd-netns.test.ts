// l2fwd through real veths: gen [g0]--[f0] fwd [f1]--[s0] sink, tsfwd running
// as its CLI inside the forwarder namespace with two net_af_packet ports.
// Frames are injected and captured by an independent python3 AF_PACKET tool.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { getAffinity } from '../src/native';
import { Capture, GenFwdSink, genFwdSink, inject, runPy, udpSnmp } from './helpers/afp-net';
import { BIN, CliRun, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { testFrame } from './helpers/conformance';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const cpus = getAffinity();
const LCORE = String(cpus[cpus.length - 1]);

type Topo = GenFwdSink;

function topo(tag: string, addrs = false): Topo {
  const t = genFwdSink(tag);
  if (addrs) {
    try {
      t.tn.exec(t.g, ['ip', 'addr', 'add', '10.77.0.1/24', 'dev', 'g0']);
      t.tn.exec(t.s, ['ip', 'addr', 'add', '10.77.0.2/24', 'dev', 's0']);
    } catch (e) {
      t.tn.destroy();
      throw e;
    }
  }
  return t;
}

/** Starts `tsfwd l2fwd` in namespace f; resolves once its lcores are assigned. */
function startL2fwd(ns: string, extra: string[]): Promise<CliRun> {
  return startCli(ns, ['l2fwd', '-l', LCORE, '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1', '--',
    '-p', '0x3', '-q', '2', '-T', '0', '--stats-json', ...extra], /RX port 1 TX port 0/);
}

const stop = stopCli;

interface FinalPort { port: number; ipackets: number; opackets: number; ibytes: number; obytes: number; forwarded: number; dropped: Record<string, number> }

function finalLine(stdout: string): { ok: boolean; ports: FinalPort[]; mempool: { inUse: number } } {
  return finalJson<{ ok: boolean; ports: FinalPort[]; mempool: { inUse: number } }>(stdout);
}

for (const macUpdating of [true, false]) {
  test(`l2fwd ${macUpdating ? 'with MAC updating' : '--no-mac-updating'}: exactly N frames each way, bytes checked, stats = kernel counters`, { skip, timeout: 90_000 }, async () => {
    const t = topo(macUpdating ? 'lm' : 'ln');
    let fwd: Awaited<ReturnType<typeof startL2fwd>> | undefined;
    const caps: Capture[] = [];
    try {
      fwd = await startL2fwd(t.f, macUpdating ? [] : ['--no-mac-updating']);
      const atSink = await Capture.start(t.s, 's0');
      const atGen = await Capture.start(t.g, 'g0');
      caps.push(atSink, atGen);
      const N = 400;
      const fromGen = Array.from({ length: N }, (_, i) => testFrame(i, 60 + ((i * 37) % 1455)));
      const fromSink = Array.from({ length: N }, (_, i) => testFrame(10_000 + i, 60 + ((i * 53) % 1455)));
      inject(t.tn, t.g, 'g0', fromGen);
      inject(t.tn, t.s, 's0', fromSink);
      const gotSink = await atSink.take(N, 10_000);
      const gotGen = await atGen.take(N, 10_000);
      assert.equal(gotSink.length, N, 'exactly N frames reached the sink');
      assert.equal(gotGen.length, N, 'exactly N frames came back to the generator');
      const rewrite = (f: Uint8Array, txPort: number, mac: number[]): Uint8Array => {
        if (!macUpdating) return f;
        const e = Uint8Array.from(f);
        e.set([2, 0, 0, 0, 0, txPort], 0);
        e.set(mac, 6);
        return e;
      };
      for (let i = 0; i < N; i++) {
        assert.deepEqual(gotSink[i], rewrite(fromGen[i], 1, [2, 0, 0, 0, 0x0f, 0x01]), `gen frame ${i} at the sink`);
        assert.deepEqual(gotGen[i], rewrite(fromSink[i], 0, [2, 0, 0, 0, 0x0f, 0x00]), `sink frame ${i} at the generator`);
      }
      const { code, ms } = await stop(fwd.proc);
      assert.equal(code, 0, fwd.err());
      assert.ok(ms < 1000, `exit took ${ms} ms`);
      const fin = finalLine(fwd.out());
      assert.equal(fin.ok, true);
      assert.equal(fin.mempool.inUse, 0);
      const k = (ns: string, dev: string, c: string): number => t.tn.counter(ns, dev, c);
      const [p0, p1] = fin.ports;
      assert.deepEqual([p0.ipackets, p0.opackets, p0.forwarded, p1.ipackets, p1.opackets, p1.forwarded], [N, N, N, N, N, N]);
      assert.equal(p0.ipackets, k(t.f, 'f0', 'rx_packets'), 'port 0 received = f0 rx_packets');
      assert.equal(p0.opackets, k(t.f, 'f0', 'tx_packets'), 'port 0 sent = f0 tx_packets');
      assert.equal(p1.ipackets, k(t.f, 'f1', 'rx_packets'), 'port 1 received = f1 rx_packets');
      assert.equal(p1.opackets, k(t.f, 'f1', 'tx_packets'), 'port 1 sent = f1 tx_packets');
      assert.equal(p0.ibytes, k(t.f, 'f0', 'rx_bytes'));
      assert.equal(p1.obytes, k(t.f, 'f1', 'tx_bytes'));
      for (const p of fin.ports) assert.equal(Object.values(p.dropped).reduce((a, b) => a + b, 0), 0, `port ${p.port} dropped nothing`);
    } finally {
      for (const c of caps) c.stop();
      if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
      t.tn.destroy();
    }
    assert.deepEqual(t.tn.leftovers(), []);
  });
}

test('kernel stacks through l2fwd --no-mac-updating: ARP and every UDP datagram cross', { skip, timeout: 90_000 }, async () => {
  const t = topo('lk', true);
  let fwd: Awaited<ReturnType<typeof startL2fwd>> | undefined;
  try {
    fwd = await startL2fwd(t.f, ['--no-mac-updating']);
    const before = udpSnmp(t.tn, t.s);
    let ready: () => void = () => {};
    const isReady = new Promise<void>((r) => { ready = r; });
    const echo = runPy(t.s, ['udp-echo', '10.77.0.2', '9999', '300'], (l) => { if (l === 'ready') ready(); });
    await isReady;
    const ping = await runPy(t.g, ['udp-ping', '10.77.0.1', '10.77.0.2', '9999', '300']);
    const [sent, echoed, bad] = ping.trim().split(/\s+/).map(Number);
    assert.deepEqual([sent, echoed, bad], [300, 300, 0], `udp-ping: ${ping}`);
    await echo;
    const after = udpSnmp(t.tn, t.s);
    assert.equal(after.InDatagrams - before.InDatagrams, 300);
    assert.equal(after.InCsumErrors - before.InCsumErrors, 0);
    const arp = t.tn.exec(t.g, ['ip', 'neigh', 'show', '10.77.0.2']);
    assert.match(arp, /lladdr 02:00:00:00:0b:01/, 'ARP resolved the sink through the forwarder');
    const { code } = await stop(fwd.proc);
    assert.equal(code, 0, fwd.err());
    assert.equal(finalLine(fwd.out()).ok, true);
  } finally {
    if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
    t.tn.destroy();
  }
});

test('l2fwd without CAP_NET_RAW: one line naming the capability, exit 2, nothing left open', { skip, timeout: 30_000 }, () => {
  const t = topo('lp');
  try {
    const r = spawnSync('ip', ['netns', 'exec', t.f, 'setpriv', '--bounding-set', '-net_raw', '--', process.execPath, BIN, 'l2fwd', '-l', LCORE,
      '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr, 'tsfwd: net_af_packet0: cannot open an AF_PACKET socket: EPERM (needs CAP_NET_RAW)\n');
    const r2 = spawnSync('ip', ['netns', 'exec', t.f, process.execPath, BIN, 'l2fwd', '-l', LCORE, '--vdev', 'net_af_packet0,iface=nope0', '--', '-p', '0x1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r2.status, 2);
    assert.equal(r2.stderr, "tsfwd: net_af_packet0: interface 'nope0' does not exist\n");
  } finally {
    t.tn.destroy();
  }
});
