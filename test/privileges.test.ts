// Least privilege: after its port is open, a process drops capabilities in
// every thread (/proc/PID/task/*/status), keeps receiving and sending exact
// frames on the already open socket, and can no longer open a new one. The
// drop runs in a child (test/helpers/caps-child.ts): it cannot be undone.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bpfFdCallCap, capsNeededAfterOpen, dropCapabilities, readCaps } from '../src/eal/privileges';
import type { CapName } from '../src/eal/privileges';
import { capMask, capNames } from '../src/eal/cap-names';
import { parseHostPort } from '../src/apps/l2fwd/options';
import { xdpgenClose, xdpgenOpen } from '../src/native';
import { serveMetrics } from '../src/stats/metrics';
import type { Snapshot } from '../src/stats/snapshot';
import { Capture, Wire1, inject, quietNs, wire1 } from './helpers/afp-net';
import { testFrame } from './helpers/conformance';
import { TestNet, netSkipReason, xskSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const xskSkip = xskSkipReason();
const CHILD = path.resolve(__dirname, 'helpers', 'caps-child.js');
const N = 40;

/** Why the kernel cannot run live XDP frames (a probe on lo sends nothing), or undefined. */
function liveSkip(): string | undefined {
  if (skip) return skip;
  const f = new Uint8Array(60);
  f[12] = 0x08;
  const h = xdpgenOpen(1, f);
  if (h >= 0) { xdpgenClose(h); return undefined; }
  if (-h === os.constants.errno.EINVAL || -h === os.constants.errno.EOPNOTSUPP || -h === 524) return 'kernel without BPF_F_TEST_XDP_LIVE_FRAMES (needs >= 5.18)';
  throw new Error(`xdpgen probe on lo failed with errno ${-h}`);
}

/** Starts the child; resolves with its first JSON line and a reader for the next one. */
function startChild(ns: string, args: string[]): Promise<{ proc: ChildProcess; ready: Record<string, unknown>; next: () => Promise<Record<string, unknown>> }> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, CHILD, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: Array<(l: string) => void> = [];
  const lines: string[] = [];
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      const l = out.slice(0, i);
      out = out.slice(i + 1);
      const w = waiters.shift();
      if (w) w(l); else lines.push(l);
    }
  });
  const next = (): Promise<Record<string, unknown>> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`caps-child timed out: ${err}`)); }, 20_000);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`caps-child exited (${code}): ${err}`)); });
    const take = (l: string): void => { clearTimeout(timer); proc.removeAllListeners('exit'); resolve(JSON.parse(l) as Record<string, unknown>); };
    const l = lines.shift();
    if (l !== undefined) take(l); else waiters.push(take);
  });
  return next().then((ready) => ({ proc, ready, next }));
}

type Sets = { eff: string; prm: string; bnd: string; inh: string; amb: string; nnp: boolean };

/** Capability sets and no_new_privs of every thread of `pid`, as hex strings per tid. */
function threadSets(pid: number): Map<string, Sets> {
  const out = new Map<string, Sets>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    const c = readCaps(`/proc/${pid}/task/${tid}/status`);
    out.set(tid, { eff: c.eff.toString(16), prm: c.prm.toString(16), bnd: c.bnd.toString(16), inh: c.inh.toString(16), amb: c.amb.toString(16), nnp: c.noNewPrivs });
  }
  return out;
}

/** Every thread of the child holds exactly `keep` (status of the whole process and of each task: the psx proof). */
function checkThreads(pid: number, keep: CapName[]): void {
  const want = capMask(keep).toString(16);
  assert.equal(readCaps(`/proc/${pid}/status`).eff.toString(16), want, 'CapEff of /proc/PID/status');
  const sets = threadSets(pid);
  assert.ok(sets.size >= 5, `main, V8 and libuv threads exist (${sets.size})`);
  for (const [tid, s] of sets) {
    assert.deepEqual(s, { eff: want, prm: want, bnd: want, inh: '0', amb: '0', nnp: true }, `thread ${tid}`);
  }
}

async function scenario(keep: CapName[], mode: 'drop' | 'after-open' = 'drop', driver = 'net_af_packet'):
  Promise<{ ready: Record<string, unknown>; res: Record<string, unknown>; w: Wire1 }> {
  const w = wire1('p');
  let proc: ChildProcess | undefined;
  let cap: Capture | undefined;
  try {
    const c = await startChild(w.nsF, [driver, w.dev, keep.length ? keep.join(',') : '-', mode, w.nsW]);
    proc = c.proc;
    const want = capMask(keep).toString(16);
    checkThreads(c.ready.pid as number, keep);
    assert.ok(threadSets(c.ready.pid as number).size >= 7, 'and a worker');
    cap = await Capture.start(w.nsW, w.peer);
    const peerRx0 = w.tn.counter(w.nsW, w.peer, 'rx_packets');
    const frames = Array.from({ length: N }, (_, i) => testFrame(i, 60 + i * 37));
    inject(w.tn, w.nsW, w.peer, frames);
    proc.stdin!.write(`go ${N}\n`);
    const res = await c.next();
    assert.deepEqual(res.rx, frames.map((f) => Buffer.from(f).toString('hex')), 'the open socket still receives every frame, bytes intact');
    assert.deepEqual(await cap.take(N), frames, 'and still sends them');
    assert.equal(res.ipackets, N);
    assert.equal(res.opackets, N);
    assert.equal(w.tn.counter(w.nsW, w.peer, 'rx_packets') - peerRx0, N, 'the peer\'s kernel counted them');
    assert.equal(res.avail, res.total, 'every mbuf back in the pool');
    assert.equal(res.mainEff, want);
    assert.equal(res.noNewPrivs, true);
    assert.doesNotMatch(w.tn.exec(w.nsF, ['ip', 'link', 'show', w.dev]), /xdp/, 'no XDP program left attached');
    return { ready: c.ready, res, w };
  } finally {
    cap?.stop();
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    w.tn.destroy();
  }
}

test('dropCapabilities([]): every thread has no capability left, the open port still moves exact frames, a new socket is refused', { skip, timeout: 60_000 }, async () => {
  const { ready, res } = await scenario([]);
  assert.deepEqual(ready.kept, []);
  assert.ok((ready.dropped as string[]).includes('CAP_NET_RAW'), 'CAP_NET_RAW was held and dropped');
  assert.match(res.socketError as string, /^net_af_packet1: cannot open an AF_PACKET socket: EPERM \(needs CAP_NET_RAW\)$/);
  assert.match(res.netnsError as string, /cannot enter network namespace .*: EPERM \(needs CAP_SYS_ADMIN\)/);
  // A worker started after the drop inherits the empty sets and can still pin itself.
  assert.deepEqual(res.worker, { eff: '0000000000000000', bnd: '0000000000000000', affinity: 0 });
});

test('dropCapabilities([CAP_NET_RAW, CAP_NET_ADMIN]): exactly those bits remain in every thread, and they still work', { skip, timeout: 60_000 }, async () => {
  const { ready, res } = await scenario(['CAP_NET_RAW', 'CAP_NET_ADMIN']);
  assert.deepEqual(ready.kept, ['CAP_NET_ADMIN', 'CAP_NET_RAW']);
  assert.equal(res.socketError, '', 'CAP_NET_RAW kept: a new AF_PACKET socket opens');
  assert.match(res.netnsError as string, /EPERM/, 'CAP_SYS_ADMIN dropped: no namespace change');
  assert.deepEqual(res.worker, { eff: '0000000000003000', bnd: '0000000000003000', affinity: 0 }, 'a later worker has the same two bits');
});

test('dropAfterOpen(l2fwd, [net_af_packet]) drops everything and says so in one line', { skip, timeout: 60_000 }, async () => {
  const { ready } = await scenario([], 'after-open');
  assert.deepEqual(ready.lines, [`privileges: dropped all ${capNames(readCaps('/proc/self/status').eff).length} capabilities (nothing needs one after open)`]);
});

test('net_af_xdp after dropCapabilities([]): exact frames both ways, and close still detaches the program and frees every mbuf', { skip: xskSkip, timeout: 60_000 }, async () => {
  const { res } = await scenario([], 'drop', 'net_af_xdp');
  assert.deepEqual(res.xsk, { queues: 0, binds: 0, progs: 0 }, 'no native queue, binding or program left');
  assert.match(res.socketError as string, /EPERM/, 'a new AF_XDP port is refused');
});

test('pktgen xdp-live: BPF_PROG_RUN after dropCapabilities([]) still sends exactly N frames (no capability checked after open)', { skip: liveSkip(), timeout: 60_000 }, async () => {
  const tn = new TestNet('px');
  let proc: ChildProcess | undefined;
  try {
    const nsG = quietNs(tn, 'G');
    const nsS = quietNs(tn, 'S');
    const g0 = `${tn.prefix}g0`;
    const s0 = `${tn.prefix}s0`;
    tn.veth(g0, nsG, s0, nsS);
    // XDP_TX on a veth goes into the peer's XDP ring, which only a NAPI instance drains (see xdp-gen.test.ts).
    tn.exec(nsG, ['ethtool', '-K', g0, 'gro', 'on']);
    tn.exec(nsS, ['ethtool', '-K', s0, 'gro', 'on']);
    const c = await startChild(nsG, ['xdp-live', g0, '-', 'drop', nsS]);
    proc = c.proc;
    checkThreads(c.ready.pid as number, []);
    const rx0 = tn.counter(nsS, s0, 'rx_packets');
    const n = 20_000;
    proc.stdin!.write(`go ${n}\n`);
    assert.deepEqual(await c.next(), { runRc: 0, closeRc: 0 });
    assert.equal(tn.counter(nsS, s0, 'rx_packets') - rx0, n, 'the peer received exactly N');
  } finally {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    tn.destroy();
  }
});

test('capsNeededAfterOpen: nothing after open, except BPF_PROG_RUN on kernels that check every bpf() call', () => {
  const drivers = ['net_af_packet', 'net_af_xdp', 'net_udp', 'net_pcap', 'net_ring', 'net_null', 'net_memif'];
  for (const cmd of ['l2fwd', 'pipeline', 'pktgen', 'sink', 'pktgen-xdp-live'] as const) {
    assert.deepEqual(capsNeededAfterOpen(drivers, cmd, undefined), [], cmd);
  }
  assert.deepEqual(capsNeededAfterOpen(drivers, 'l2fwd', 'CAP_BPF'), [], 'af_xdp close needs nothing even there');
  assert.deepEqual(capsNeededAfterOpen([], 'pktgen-xdp-live', 'CAP_BPF')!.map((n) => n.cap), ['CAP_BPF']);
  assert.equal(capsNeededAfterOpen(['net_memif', 'net_future'], 'l2fwd'), undefined, 'a driver nobody analysed keeps everything');
  assert.equal(bpfFdCallCap('6.18.44-fc', 2), undefined);
  assert.equal(bpfFdCallCap('6.1.0-28-amd64', 2), 'CAP_BPF');
  assert.equal(bpfFdCallCap('6.1.0-28-amd64', 0), undefined);
  assert.equal(bpfFdCallCap('5.4.0', 1), 'CAP_SYS_ADMIN');
});

test('dropCapabilities: an unknown name is a one-line error before anything is dropped', () => {
  assert.throws(() => dropCapabilities(['CAP_NET_RAWX' as CapName]), /^RangeError: unknown capability 'CAP_NET_RAWX' \(known: CAP_NET_RAW, CAP_BPF, \.\.\.\)$/);
});

test('--metrics stays on 127.0.0.1 unless a host is given (it binds before the drop)', async () => {
  const listening = async (arg: string): Promise<string> => {
    const { host, port } = parseHostPort(arg);
    const srv = await serveMetrics(host, port, () => ({}) as Snapshot);
    try {
      const a = srv.address();
      return typeof a === 'object' && a ? `${a.address}:${a.port}` : String(a);
    } finally {
      srv.close();
    }
  };
  const p = 20000 + (process.pid % 20000);
  assert.equal(await listening(String(p)), `127.0.0.1:${p}`);
  assert.equal(await listening(`0.0.0.0:${p + 1}`), `0.0.0.0:${p + 1}`);
  assert.equal(await listening(`[::1]:${p + 2}`), `::1:${p + 2}`);
});

// A process holding no capability (uid 0 with an empty bounding set: execve then grants
// none; a uid switch would also need the checkout to be readable by that uid).
test('without capabilities: nothing to drop, no line, no error; no_new_privs still set', { skip: process.getuid?.() === 0 ? undefined : 'needs root to start a child with an empty bounding set (setpriv)' }, () => {
  const mod = path.resolve(__dirname, '..', 'src', 'eal', 'privileges.js');
  const code = `const p = require(${JSON.stringify(mod)}); const lines = [];
    p.dropAfterOpen('l2fwd', [], (l) => lines.push(l));
    const r = p.dropCapabilities(['CAP_NET_RAW']); const c = p.readCaps();
    console.log(JSON.stringify({ lines, r, eff: c.eff.toString(16), nnp: c.noNewPrivs }));`;
  const r = spawnSync('setpriv', ['--bounding-set=-all', '--inh-caps=-all', process.execPath, '-e', code], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { lines: [], r: { kept: [], dropped: [] }, eff: '0', nnp: true });
});
