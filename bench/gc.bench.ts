// `npm run bench -- gc` (root): the zero-allocation proof under real load.
// tsfwd l2fwd forwards gen -> fwd -> sink for 13 s, over net_af_packet (mmap)
// and then over net_af_xdp, while pktgen --engine xdp-live saturates it with
// 64-byte frames. Every lcore counts garbage collections from 2 s after its
// first received frame to the end (src/apps/gc-window.ts), i.e. over more
// than 10 s at full load; the target is 0. The final JSON line also carries
// the process's peak RSS (target < 150 MB with the default pool).
import { BenchOptions, BenchReport } from './options';
import { Forwarder, XDP_LIVE, tsfwdFinal, tsfwdL2fwd } from './contenders';
import { kpps } from './cells';
import { table } from './stats';
import { BenchNet, Proc, packets, sleep, window } from './traffic';

const SECONDS = 13;
const LEN = 64;

async function once(f: Forwarder, o: BenchOptions): Promise<{ row: string[]; json: Record<string, unknown> }> {
  const net = new BenchNet().start();
  let fp: Proc | undefined;
  let gp: Proc | undefined;
  let rates: number[];
  try {
    // Load first, then the forwarder, so its warm-up sees frames from the start.
    gp = await XDP_LIVE.start(net.gen, 'g0', LEN, o.cpus[0], SECONDS + 60);
    fp = await f.start(net.fwd, 'f0', 'f1', o.cpus, SECONDS + 60, false);
    await sleep(2000);
    rates = await window(SECONDS - 3, () => [packets(net.sink, 's0')[0], packets(net.gen, 'g0')[1]]);
    await sleep(1000);
  } finally {
    await fp?.stop();
    await gp?.stop();
    net.down();
  }
  const fin = fp ? tsfwdFinal(fp) : undefined;
  if (!fin) throw new Error(`${f.name} printed no final line: ${fp?.err.trim().split('\n').pop()}`);
  const row = [
    `${f.name}, ${LEN} B, xdp-live at full load`, `${SECONDS} s`, fin.gcs < 0 ? 'not measured' : String(fin.gcs),
    `${(fin.maxRssKb / 1024).toFixed(0)} MB`, kpps(rates[0]), kpps(rates[1]), String(fin.imissed),
  ];
  o.log(`  gc: ${row.join(', ')}`);
  return { row, json: { forwarder: f.name, gcs: fin.gcs, maxRssKb: fin.maxRssKb, delivered: rates[0], generated: rates[1], imissed: fin.imissed, ok: fin.ok } };
}

export async function gcBench(o: BenchOptions): Promise<BenchReport> {
  if (process.getuid?.() !== 0) throw new Error('skipped: needs root (network namespaces, AF_PACKET, BPF)');
  const rows: string[][] = [];
  const runs: Record<string, unknown>[] = [];
  for (const f of [tsfwdL2fwd('mmap'), tsfwdL2fwd('af_xdp')]) {
    if (f.skip) { rows.push([f.name, '-', f.skip, '-', '-', '-', '-']); continue; }
    const r = await once(f, o);
    rows.push(r.row);
    runs.push(r.json);
  }
  const md = [
    `Zero-GC proof: garbage collections in the l2fwd lcore from 2 s after its first frame to the end (${SECONDS - 2} s at full load; target 0), ` +
      'and the forwarder\'s peak RSS (target < 150 MB with the default pool).',
    '',
    table(['run', 'length', 'GCs after warm-up', 'peak RSS', 'delivered kpps', 'generator kpps', 'imissed (kernel drops: saturated)'], rows),
  ].join('\n');
  return { name: 'gc', markdown: md, json: { seconds: SECONDS, runs } };
}
