// l2fwd between two net_af_xdp ports: gen [g0]--[f0] fwd [f1]--[s0] sink,
// tsfwd running as its CLI in the forwarder namespace, trafgen (netsniff-ng)
// generating in g, the python3 AF_PACKET tool capturing in s.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { Capture, genFwdSink, quietNs } from './helpers/afp-net';
import { BIN, CliRun, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { needTool } from './helpers/need';
import { TestNet, xskSkipReason } from './helpers/testnet';

const xskSkip = xskSkipReason();
// trafgen is the independent generator of the forwarding tests; pktgen's test needs none.
const skip = xskSkip ?? needTool('trafgen', 'netsniff-ng');
const cpus = getAffinity();
const LCORE = String(cpus[cpus.length - 1]);
const GEN_CPU = String(cpus[0]);
const F1_MAC = [2, 0, 0, 0, 0x0f, 0x01];

const topo = genFwdSink;

/** Starts `tsfwd l2fwd` (or `pipeline`: rx lcore on CPU 0, tx lcore on the last) in namespace f. */
function startL2fwd(ns: string, app: 'l2fwd' | 'pipeline' = 'l2fwd'): Promise<CliRun> {
  const lcores = app === 'l2fwd' ? ['-l', LCORE] : ['-l', `${GEN_CPU},${LCORE}`];
  const appArgs = app === 'l2fwd' ? ['-q', '2'] : ['-q', '2', '--rx-lcores', '1'];
  return startCli(ns, [app, ...lcores, '--vdev', 'net_af_xdp0,iface=f0', '--vdev', 'net_af_xdp1,iface=f1', '--',
    '-p', '0x3', ...appArgs, '-T', '0', '--stats-json'], app === 'l2fwd' ? /RX port 1 TX port 0/ : /TX port 1 \(ring/);
}

async function stop(proc: ChildProcess): Promise<number | null> {
  return (await stopCli(proc)).code;
}

interface Final { ok: boolean; mempool: { inUse: number }; ports: { ipackets: number; opackets: number; forwarded: number; imissed: number }[] }

const finalLine = (stdout: string): Final => finalJson<Final>(stdout);

/** A trafgen config: 60-byte IPv4/UDP frames to 02:00:00:00:0f:00 (f0), the source address counting up from 0.0.0.0. */
function trafgenConf(): string {
  const file = path.join(os.tmpdir(), `tsfwd-xdp-test-${process.pid}.cfg`);
  fs.writeFileSync(file, '{ eth(da=02:00:00:00:0f:00, sa=02:00:00:00:0a:01), ipv4(saddr=dinc(), daddr=10.9.0.2, ttl=64), udp(sport=9, dport=9), fill(0x5a, 18) }\n');
  return file;
}

for (const app of ['l2fwd', 'pipeline'] as const) test(`${app} between two net_af_xdp ports: exactly N trafgen frames reach the sink, MACs rewritten`, { skip, timeout: 90_000 }, async () => {
  const t = topo(app === 'l2fwd' ? 'xl' : 'xp');
  let fwd: Awaited<ReturnType<typeof startL2fwd>> | undefined;
  let cap: Capture | undefined;
  const conf = trafgenConf();
  try {
    fwd = await startL2fwd(t.f, app);
    assert.match(fwd.err(), /net_af_xdp0: AF_XDP on f0 queue 0: XDP native mode, copy/);
    cap = await Capture.start(t.s, 's0');
    const N = 10_000;
    // Paced (50 us gap) so neither the veth nor the fill ring may drop on a loaded 2-CPU machine.
    const r = spawnSync('ip', ['netns', 'exec', t.g, 'taskset', '-c', GEN_CPU, 'trafgen', '-o', 'g0', '-i', conf, '-n', String(N),
      '-t', '50us', '-P', '1', '-q'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const got = await cap.take(N, 15_000);
    assert.equal(got.length, N, 'exactly N frames at the sink');
    const seen = new Uint8Array(N);
    for (const f of got) {
      assert.equal(f.length, 60);
      assert.deepEqual([...f.subarray(0, 12)], [2, 0, 0, 0, 0, 1, ...F1_MAC], 'dst 02:00:00:00:00:01 (tx port 1), src = f1');
      const seq = f[26] * 2 ** 24 + f[27] * 2 ** 16 + f[28] * 256 + f[29];
      assert.ok(seq < N && !seen[seq], `frame ${seq} once`);
      seen[seq] = 1;
      assert.ok(f.subarray(42).every((b) => b === 0x5a), 'payload unchanged');
    }
    const code = await stop(fwd.proc);
    assert.equal(code, 0, fwd.err());
    const fin = finalLine(fwd.out());
    assert.equal(fin.ok, true);
    assert.equal(fin.mempool.inUse, 0, 'every mbuf back in the pool');
    assert.equal(fin.ports[0].ipackets, N);
    if (app === 'l2fwd') assert.equal(fin.ports[0].forwarded, N);
    assert.equal(fin.ports[1].opackets, N);
    assert.equal(t.tn.counter(t.s, 's0', 'rx_packets'), N, 'sink kernel counter');
    const links = t.tn.exec(t.f, ['ip', 'link', 'show']);
    assert.doesNotMatch(links, /xdp/, 'no XDP program left attached');
  } finally {
    cap?.stop();
    if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
    fs.rmSync(conf, { force: true });
    t.tn.destroy();
  }
});

test('l2fwd over net_af_xdp stopped under full load: every mbuf returns, accounting holds', { skip, timeout: 90_000 }, async () => {
  const t = topo('xc');
  let fwd: Awaited<ReturnType<typeof startL2fwd>> | undefined;
  let gen: ChildProcess | undefined;
  const conf = trafgenConf();
  try {
    fwd = await startL2fwd(t.f);
    // Unpaced, bounded: 2 M frames or until stopped, whichever comes first.
    gen = spawn('ip', ['netns', 'exec', t.g, 'taskset', '-c', GEN_CPU, 'trafgen', '-o', 'g0', '-i', conf, '-n', '2000000', '-P', '1', '-q'],
      { stdio: 'ignore', detached: true });
    await new Promise((r) => setTimeout(r, 1500));
    const before = t.tn.counter(t.f, 'f1', 'tx_packets');
    assert.ok(before > 1000, `traffic is flowing (${before} frames sent by f1)`);
    const code = await stop(fwd.proc); // while trafgen still sends
    assert.equal(code, 0, fwd.err());
    const fin = finalLine(fwd.out());
    assert.equal(fin.ok, true, 'rx = forwarded + dropped per port, driver = lcore counters');
    assert.equal(fin.mempool.inUse, 0, 'every mbuf back in the pool, including those the kernel held');
    assert.ok(fin.ports[0].ipackets > 1000);
    assert.doesNotMatch(t.tn.exec(t.f, ['ip', 'link', 'show']), /xdp/, 'no XDP program left attached');
  } finally {
    if (gen?.pid) try { process.kill(-gen.pid, 'SIGKILL'); } catch { /* already gone */ }
    if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
    fs.rmSync(conf, { force: true });
    t.tn.destroy();
  }
});

test('pktgen over net_af_xdp: exact count and sizes on the peer\'s kernel counter, every mbuf back', { skip: xskSkip, timeout: 60_000 }, () => {
  const tn = new TestNet('xg');
  try {
    const g = quietNs(tn, 'g');
    const s = quietNs(tn, 's');
    tn.veth('g0', g, 's0', s, { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0b:01' });
    const N = 5000;
    const r = spawnSync('ip', ['netns', 'exec', g, process.execPath, BIN, 'pktgen', '-l', LCORE, '--vdev', 'net_af_xdp0,iface=g0', '--',
      '--count', String(N), '--size', '64-1518', '--rate', '50000', '--dst-mac', '02:00:00:00:0b:01', '-T', '0', '--stats-json'],
    { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const fin = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ports: { opackets: number; obytes: number }[] };
    assert.equal(fin.ports[0].opackets, N);
    // Sizes sweep 64..1518 with the FCS: frames of 60 + (i % 1455) bytes.
    let bytes = 0;
    for (let i = 0; i < N; i++) bytes += 60 + (i % 1455);
    assert.equal(fin.ports[0].obytes, bytes);
    assert.equal(tn.counter(s, 's0', 'rx_packets'), N, 'kernel counter on the peer');
    assert.equal(tn.counter(s, 's0', 'rx_bytes'), bytes, 'kernel byte counter on the peer');
    assert.match(r.stderr, /net_af_xdp0: AF_XDP on g0 queue 0: XDP native mode, copy/);
  } finally {
    tn.destroy();
  }
});
