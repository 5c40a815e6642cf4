// `npm run bench -- loop` (root): the forwarder alone. On the `loop` preset
// (fwd [l0] --- [l1] fwd) each forwarder sends one burst out of each port
// at start (`--tx-first`, 64-byte frames for both tsfwd and testpmd) and
// then forwards l0 <-> l1, so frames circulate through it with no
// generator: its CPU pays every send and receive, and its own per-packet
// cost is the only limit. Rate = frames received on l0 + l1 per second
// (kernel counters), i.e. frames the forwarder handled.
import { BenchOptions, BenchReport } from './options';
import { Forwarder, testpmd, tsfwdFinal, tsfwdL2fwd } from './contenders';
import { Cell, cellJson, cellRatio, cellText } from './cells';
import { ratioText } from './ratio';
import { summarize, table } from './stats';
import { barChart } from './svg';
import { BenchNet, Proc, packets, sleep, window } from './traffic';

const WARMUP_MS = 1000;
const LEN = 64;

async function once(net: BenchNet, f: Forwarder, o: BenchOptions): Promise<Omit<Cell['runs'][number], 'pass'>> {
  let p: Proc | undefined;
  let r: number[];
  try {
    p = await f.start(net.loop, 'l0', 'l1', o.cpus, o.seconds + 60, true);
    await sleep(WARMUP_MS);
    r = await window(o.seconds, () => [packets(net.loop, 'l0')[0], packets(net.loop, 'l1')[0]]);
    if (p && !p.running) throw new Error(`${f.name} stopped during the window: ${p.err.trim().split('\n').pop()}`);
  } finally {
    await p?.stop();
    f.cleanup?.(net.loop);
  }
  const fin = f.tsfwd && p ? tsfwdFinal(p) : undefined;
  return { pps: r[0] + r[1], generated: 0, gcs: fin?.gcs, maxRssKb: fin?.maxRssKb, imissed: fin?.imissed };
}

export async function loopBench(o: BenchOptions): Promise<BenchReport> {
  const fwds = [tsfwdL2fwd('mmap'), tsfwdL2fwd('mmsg'), testpmd('mac'), testpmd('io')];
  const cells = new Map<string, Cell>(fwds.map((f) => [f.name, { runs: [] }]));
  if (process.getuid?.() !== 0) throw new Error('skipped: needs root (network namespaces, AF_PACKET)');
  const net = new BenchNet().start();
  try {
    for (let i = 0; i < o.runs; i++) {
      for (const f of fwds) {
        if (f.skip) continue;
        const c = cells.get(f.name)!;
        try {
          const r = await once(net, f, o);
          c.runs.push({ pass: i, ...r });
          o.log(`  run ${i + 1} loop ${f.name}: ${(r.pps / 1e3).toFixed(0)} kpps`);
        } catch (e) {
          c.error = (e as Error).message;
          o.log(`  run ${i + 1} loop ${f.name}: failed: ${c.error}`);
        }
      }
    }
  } finally {
    net.down();
  }
  const body = fwds.map((f) => [f.name, f.skip ?? cellText(cells.get(f.name))]);
  const ratios: string[] = [];
  for (const mode of ['mmap', 'mmsg']) {
    for (const ref of ['testpmd net_af_packet mac', 'testpmd net_af_packet io']) {
      const r = cellRatio(cells.get(`tsfwd l2fwd ${mode}`), cells.get(ref));
      if (r) ratios.push(`- loop, ${LEN} B: tsfwd l2fwd ${mode} / ${ref} = ${ratioText(r)}${ref.endsWith('mac') ? ' (target >= 1.0)' : ''}`);
    }
  }
  const md = [
    `loop (forwarder alone, --tx-first, ${LEN}-byte frames, one lcore on CPU ${o.cpus[1]}): frames/s received on l0 + l1 (kernel counters), ` +
      `kpps, median (min-max) of ${o.runs} runs x ${o.seconds} s after ${WARMUP_MS / 1000} s of warm-up each.`,
    '',
    table(['forwarder', `${LEN} B`], body),
    '',
    ...ratios,
  ].join('\n');
  const series = fwds.filter((f) => !f.skip && cells.get(f.name)!.runs.length > 0).map((f) => {
    const s = summarize(cells.get(f.name)!.runs.map((r) => r.pps / 1e3));
    return { name: f.name, values: [{ median: s.median, min: s.min, max: s.max }] };
  });
  const svg = barChart(`loop (--tx-first): frames forwarded per second, kpps`, 'kpps', [`${LEN} B`], series);
  return { name: 'loop', markdown: md, json: { results: fwds.map((f) => ({ forwarder: f.name, size: LEN, skipped: f.skip, ...cellJson(cells.get(f.name)) })), ratios }, files: { 'loop.svg': svg } };
}
