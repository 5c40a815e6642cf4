// Child process for test/privileges.test.ts (a drop cannot be undone, so it
// never runs in the test runner). Runs inside the port's namespace (ip netns
// exec); argv: dev keep(comma list or '-') mode otherNs.
// Opens net_af_packet on `dev`, starts a worker and the libuv pool,
// drops to `keep` (mode 'drop': dropCapabilities; 'after-open': dropAfterOpen),
// prints {"ready"} and waits for "go" on stdin; then receives N frames, sends
// them back, probes what the drop forbids, and prints the result as JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CapName, dropAfterOpen, dropCapabilities, readCaps } from '../../src/eal/privileges';
import { Mempool } from '../../src/mempool/mempool';
import { openPort } from '../../src/port/registry';
import { withNetns } from '../../src/topo/netns';
import { frameOf, rxAll, txAll } from './conformance';

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

async function main(): Promise<void> {
  const [dev, keepArg, mode, otherNs] = process.argv.slice(2);
  const keep = (keepArg === '-' ? [] : keepArg.split(',')) as CapName[];
  const pool = Mempool.create({ n: 1024, cacheSize: 0 });
  const port = await openPort(`net_af_packet0,iface=${dev}`, { id: 0, pool });
  // Threads that exist before the drop: a worker, and libuv's pool (started by an fs call).
  const idle = new Worker('setInterval(() => {}, 1000)', { eval: true });
  await fs.promises.readFile('/proc/self/status');
  const lines: string[] = [];
  let dropped: { kept: string[]; dropped: string[] } | undefined;
  if (mode === 'after-open') dropAfterOpen('l2fwd', [port], (l) => lines.push(l));
  else dropped = dropCapabilities(keep);
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, ...dropped, lines })}\n`);

  const n = await new Promise<number>((resolve) => {
    let buf = '';
    process.stdin.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^go (\d+)\n/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
  });
  const got = await rxAll(port, n, 32);
  const rx = got.map((m) => Buffer.from(frameOf(pool, m)).toString('hex'));
  await txAll(port, got, 32);
  const stats = port.stats();
  port.close();
  // A new AF_PACKET socket on the same interface, and a namespace change.
  let socketError = '';
  try {
    (await openPort(`net_af_packet1,iface=${dev}`, { id: 1, pool })).close();
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
    avail: pool.availCount(), total: 1024, mainEff: main.eff.toString(16), noNewPrivs: main.noNewPrivs,
  })}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`caps-child: ${e.message}\n`);
  process.exit(1);
});
