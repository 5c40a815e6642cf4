// `npm run bench -- udp` (root): frames/s one lcore forwards between two
// net_udp ports joined back to back on 127.0.0.1 in a private namespace,
// 64- and 1514-byte frames, plain and VXLAN. Frames are injected once and then
// circulate; loopback delivery runs inside the sender's sendmmsg, so each
// forwarded frame pays the kernel's whole tx + rx path on the one CPU. The
// same loop in C (bench/c/udp-loop.c, built here with cc) is the baseline.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LcoreGroup } from '../src/eal/launch';
import { Mempool } from '../src/mempool/mempool';
import { openPort, portHandle } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import { onAbort } from './abort';
import { BenchOptions, BenchReport } from './options';
import { summarize, table } from './stats';
import { pairedRatio, ratioText } from './ratio';
import type { UdpLoopConfig, UdpLoopResult } from './udp-apps';

const PA = 7100;
const PB = 7101;
const VNI = 42;
const INFLIGHT = 256; // per direction; well inside the 2 MiB receive buffers
const BURST = 32;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const kpps = (v: number): string => (v / 1e3).toFixed(0);

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

async function tsfwdOnce(ns: string, cpu: number, size: number, vni: number, seconds: number): Promise<UdpLoopResult> {
  const pool = Mempool.create({ n: 4096 });
  const v = vni >= 0 ? `,vni=${vni}` : '';
  const ports: Port[] = [];
  try {
    ports.push(await withNetns(ns, () => openPort(`net_udp0,local=127.0.0.1:${PA},remote=127.0.0.1:${PB}${v}`, { id: 0, pool })));
    ports.push(await withNetns(ns, () => openPort(`net_udp1,local=127.0.0.1:${PB},remote=127.0.0.1:${PA}${v}`, { id: 1, pool })));
    const go = new SharedArrayBuffer(4);
    const config: UdpLoopConfig = {
      pool: pool.buffer, ports: [portHandle(ports[0]), portHandle(ports[1])], size, inflight: INFLIGHT, burst: BURST, go,
    };
    const group = LcoreGroup.launch({ lcores: [cpu], app: { module: path.join(__dirname, 'udp-apps.js'), export: 'udpLoop' }, config });
    while (group.running() < 1) await sleep(5);
    await sleep(50);
    // Publishes the start signal; pairs with the loads in udpLoop (udp-apps.ts).
    Atomics.store(new Int32Array(go), 0, 1);
    Atomics.notify(new Int32Array(go), 0);
    await sleep(seconds * 1000);
    group.stop();
    const [r] = await group.wait();
    if (pool.availCount() !== pool.n) throw new Error(`udp bench leaked ${pool.n - pool.availCount()} mbufs`);
    return r.result as UdpLoopResult;
  } finally {
    for (const p of ports) p.close();
  }
}

function cOnce(bin: string, ns: string, cpu: number, size: number, vni: number, seconds: number): number {
  const out = run('ip', ['netns', 'exec', ns, bin, String(cpu), String(PA + 10), String(PB + 10), String(size), String(vni),
    String(INFLIGHT), String(BURST), String(seconds)]);
  const [frames, secs] = out.trim().split(/\s+/).map(Number);
  return frames / secs;
}

export async function udpBench(o: BenchOptions): Promise<BenchReport> {
  if (process.getuid?.() !== 0) {
    const why = 'net_udp benchmark skipped: it needs root to make its network namespace';
    o.log(`  ${why}`);
    return { name: 'udp', markdown: why, json: { skipped: why } };
  }
  const cpu = o.cpus[1];
  const bin = path.resolve(__dirname, 'udp-loop');
  const src = path.resolve(__dirname, '..', '..', 'bench', 'c', 'udp-loop.c');
  let cNote = 'C baseline: bench/c/udp-loop.c (same loop, recvmmsg/sendmmsg, burst 32)';
  let haveC = true;
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', bin, src], { encoding: 'utf8' });
  if (cc.status !== 0) { haveC = false; cNote = `C baseline skipped: cc failed (${(cc.stderr || cc.error?.message || '').trim()})`; }
  const ns = `tsfwd-bench-udp-${process.pid}`;
  run('ip', ['netns', 'add', ns]);
  const unregister = onAbort(() => { spawnSync('ip', ['netns', 'del', ns]); });
  const body: string[][] = [];
  const results: unknown[] = [];
  try {
    run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    for (const vni of [-1, VNI]) {
      for (const size of [64, 1514]) {
        const name = `${size} B ${vni >= 0 ? `VXLAN vni=${vni}` : 'plain'}`;
        await tsfwdOnce(ns, cpu, size, vni, Math.min(o.seconds, 0.3)); // warm-up, discarded
        const rates: number[] = [];
        const cRates: number[] = [];
        let gcs = 0;
        for (let i = 0; i < o.runs; i++) {
          const r = await tsfwdOnce(ns, cpu, size, vni, o.seconds);
          rates.push(r.frames / r.seconds);
          gcs += r.gcs;
          if (haveC) cRates.push(cOnce(bin, ns, cpu, size, vni, o.seconds));
        }
        const t = summarize(rates);
        const c = haveC ? summarize(cRates) : undefined;
        const ratio = haveC ? pairedRatio(rates, cRates) : undefined;
        o.log(`  ${name}: ${kpps(t.median)} kpps${c ? ` (C ${kpps(c.median)})` : ''}`);
        body.push([name, kpps(t.median), `${kpps(t.min)}-${kpps(t.max)}`, (1e9 / t.median).toFixed(0),
          c ? kpps(c.median) : '-', ratio ? ratioText(ratio) : '-', ((t.median * size * 8) / 1e9).toFixed(2), String(gcs)]);
        results.push({ name, size, vni, tsfwd: t, c, ratio });
      }
    }
  } finally {
    spawnSync('ip', ['netns', 'del', ns]);
    unregister();
    fs.rmSync(bin, { force: true });
  }
  const md = [
    `net_udp forwarding on one lcore (CPU ${cpu}), two ports back to back on 127.0.0.1, burst ${BURST}, ` +
      `${INFLIGHT} frames in flight per direction; kpps, median of ${o.runs} runs x ${o.seconds}s`,
    '',
    table(['case', 'tsfwd kpps', 'min-max', 'ns/frame', 'C kpps', 'ratio', 'Gbit/s', 'GCs'], body),
    '',
    cNote,
  ].join('\n');
  return { name: 'udp', markdown: md, json: { results } };
}
