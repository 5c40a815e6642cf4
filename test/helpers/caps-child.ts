// Child process for test/privileges.test.ts (a drop cannot be undone, so it
// never runs in the test runner). Runs inside the port's namespace (ip netns
// exec); argv: driver dev keep(comma list or '-') mode otherNs.
// Opens `driver` (net_af_packet, net_af_xdp) on `dev`, starts a worker and the
// libuv pool, drops to `keep` (mode 'drop': dropCapabilities; 'after-open':
// dropAfterOpen), prints {"ready"} and waits for "go N" on stdin; then
// receives N frames, sends them back, probes what the drop forbids, and prints
// the result as JSON. Driver 'xdp-live' opens pktgen's BPF_PROG_RUN generator
// instead and sends N frames with it after the drop.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CapName, dropAfterOpen, dropCapabilities, readCaps } from '../../src/eal/privileges';
import { Mempool } from '../../src/mempool/mempool';
import { openPort } from '../../src/port/registry';
import { withNetns } from '../../src/topo/netns';
import { afpIfinfo, setAffinity, xdpgenClose, xdpgenOpen, xdpgenRun, xskLive } from '../../src/native';
import { frameOf, rxAll, testFrame, txAll } from './conformance';

const NATIVE = path.resolve(__dirname, '..', '..', 'src', 'native.js');

/** A worker that reports its own thread's sets and whether it could pin itself to CPU 0. */
function probeWorker(): Promise<{ eff: string; bnd: string; affinity: number }> {
  const code = `
    const { parentPort } = require('node:worker_threads');
    const s = require('node:fs').readFileSync('/proc/thread-self/status', 'utf8');
    const f = (k) => new RegExp('^' + k + ':\\\\s*(\\\\S+)', 'm').exec(s)[1];
    parentPort.postMessage({ eff: f('CapEff'), bnd: f('CapBnd'), affinity: require(${JSON.stringify(NATIVE)}).setAffinity(0) });`;
  return new Promise((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

/** Waits for "go N" on stdin. */
function go(): Promise<number> {
  return new Promise<number>((resolve) => {
    let buf = '';
    process.stdin.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^go (\d+)\n/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
  });
}

/** pktgen --engine xdp-live's native path: program loaded before the drop, BPF_PROG_RUN after it. */
async function xdpLive(dev: string, keep: CapName[]): Promise<void> {
  const info = afpIfinfo(dev);
  if (typeof info === 'number') throw new Error(`no interface ${dev}`);
  const frame = testFrame(1, 60);
  frame.fill(0xff, 0, 6);
  const h = xdpgenOpen(info.ifindex, frame);
  if (h < 0) throw new Error(`xdpgenOpen: ${h}`);
  const dropped = dropCapabilities(keep);
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, ...dropped, lines: [] })}\n`);
  const n = await go();
  // One CPU for the sender and its twin, as pktgen's lcore: the peer's NAPI
  // then drains each batch before the next (see xdp-gen.test.ts).
  if (setAffinity(0) !== 0) throw new Error('cannot pin to CPU 0');
  const runRc = xdpgenRun(h, n);
  const closeRc = xdpgenClose(h);
  process.stdout.write(`${JSON.stringify({ runRc, closeRc })}\n`);
}

async function main(): Promise<void> {
  const [driver, dev, keepArg, mode, otherNs] = process.argv.slice(2);
  const keep = (keepArg === '-' ? [] : keepArg.split(',')) as CapName[];
  if (driver === 'xdp-live') return xdpLive(dev, keep);
  const pool = Mempool.create({ n: 4096, cacheSize: 0 });
  const port = await openPort(`${driver}0,iface=${dev}`, { id: 0, pool });
  // Threads that exist before the drop: a worker, and libuv's pool (started by an fs call).
  const idle = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await fs.promises.readFile('/proc/self/status');
  const lines: string[] = [];
  let dropped: { kept: string[]; dropped: string[] } | undefined;
  if (mode === 'after-open') dropAfterOpen('l2fwd', [port], (l) => lines.push(l));
  else dropped = dropCapabilities(keep);
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, ...dropped, lines })}\n`);

  const n = await go();
  const got = await rxAll(port, n, 32);
  const rx = got.map((m) => Buffer.from(frameOf(pool, m)).toString('hex'));
  await txAll(port, got, 32);
  const stats = port.stats();
  port.close();
  // A new AF_PACKET socket on the same interface, and a namespace change.
  let socketError = '';
  try {
    (await openPort(`${driver}1,iface=${dev}`, { id: 1, pool })).close();
  } catch (e) {
    socketError = (e as Error).message;
  }
  let netnsError = '';
  try {
    withNetns(otherNs, () => 0);
  } catch (e) {
    netnsError = (e as Error).message;
  }
  const worker = await probeWorker();
  await idle.terminate();
  const main = readCaps();
  process.stdout.write(`${JSON.stringify({
    rx, socketError, netnsError, worker, ipackets: stats.ipackets, opackets: stats.opackets,
    avail: pool.availCount(), total: pool.n, xsk: xskLive(), mainEff: main.eff.toString(16), noNewPrivs: main.noNewPrivs,
  })}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`caps-child: ${e.message}\n`);
  process.exit(1);
});
