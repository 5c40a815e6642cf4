// `npm run bench -- gc` (root): the zero-allocation proof under real load.
// tsfwd l2fwd (net_af_packet, mmap) forwards gen -> fwd -> sink for 11 s
// while pktgen --engine xdp-live saturates it with 64-byte frames. Every
// lcore counts garbage collections (v8.GCProfiler) from 1 s after its first
// received frame to the end, i.e. over 10 s at full load; the target is 0.
// The final JSON line also carries the process's peak RSS (target < 150 MB
// with the default pool).
import { BenchOptions, BenchReport } from './options';
import { XDP_LIVE, tsfwdFinal, tsfwdL2fwd } from './contenders';
import { kpps } from './cells';
import { table } from './stats';
import { BenchNet, Proc, packets, sleep, window } from './traffic';

const SECONDS = 11;
const LEN = 64;

export async function gcBench(o: BenchOptions): Promise<BenchReport> {
  if (process.getuid?.() !== 0) throw new Error('skipped: needs root (network namespaces, AF_PACKET, BPF)');
  const net = new BenchNet().start();
  const f = tsfwdL2fwd('mmap');
  let fp: Proc | undefined;
  let gp: Proc | undefined;
  let rates: number[];
  try {
    // Load first, then the forwarder: its loop is compiled with frames going
    // through it. Started idle, V8 optimizes the empty-poll path, deoptimizes
    // when traffic arrives and re-optimizes later under a busy CPU; the
    // interpreter's garbage from that stretch can be collected after the
    // warm-up and be miscounted as steady-state allocation.
    gp = await XDP_LIVE.start(net.gen, 'g0', LEN, o.cpus[0], SECONDS + 60);
    fp = await f.start(net.fwd, 'f0', 'f1', o.cpus, SECONDS + 60, false);
    await sleep(1000);
    rates = await window(SECONDS - 2, () => [packets(net.sink, 's0')[0], packets(net.gen, 'g0')[1]]);
    await sleep(1000);
  } finally {
    await fp?.stop();
    await gp?.stop();
    net.down();
  }
  const fin = fp ? tsfwdFinal(fp) : undefined;
  if (!fin) throw new Error(`tsfwd l2fwd printed no final line: ${fp?.err.trim().split('\n').pop()}`);
  const row = [
    `tsfwd l2fwd mmap, ${LEN} B, xdp-live at full load`, `${SECONDS} s`, fin.gcs < 0 ? 'not measured' : String(fin.gcs),
    `${(fin.maxRssKb / 1024).toFixed(0)} MB`, kpps(rates[0]), kpps(rates[1]), String(fin.imissed),
  ];
  const md = [
    `Zero-GC proof: garbage collections in the l2fwd lcore from 1 s after its first frame to the end (${SECONDS - 1} s at full load; target 0), ` +
      'and the forwarder\'s peak RSS (target < 150 MB with the default pool).',
    '',
    table(['run', 'length', 'GCs after warm-up', 'peak RSS', 'delivered kpps', 'generator kpps', 'imissed (kernel drops: saturated)'], [row]),
  ].join('\n');
  o.log(`  gc: ${row.join(', ')}`);
  return { name: 'gc', markdown: md, json: { gcs: fin.gcs, maxRssKb: fin.maxRssKb, delivered: rates[0], generated: rates[1], imissed: fin.imissed, ok: fin.ok, seconds: SECONDS } };
}
