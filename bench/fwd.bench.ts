// `npm run bench -- fwd` (root): frames/s delivered to the sink through each
// forwarder on the gen -> fwd -> sink topology, per generator and frame size.
//
//   gen [g0] --- [f0] fwd [f1] --- [s0] sink
//   generator      forwarder        delivered = s0's rx_packets (kernel)
//   on CPU a       on CPU b
//
// Generators: tsfwd pktgen --engine xdp-live (the saturating one) and
// trafgen. Forwarders: tsfwd l2fwd (net_af_packet mmap over TPACKET_V2 and V3, mmsg, and
// net_af_xdp), the Linux bridge, and dpdk-testpmd with net_af_packet and
// net_af_xdp (mac, io). Each run starts every forwarder
// afresh, interleaved (run 1 of all, then run 2 ...), so drifting load on
// the machine hits every row alike; ratios come from the same runs. A row
// "generator alone" measures what reaches f0 with no forwarder: on veth the
// generator's CPU also pays f0's receive path, so this is its ceiling. The
// "ring ceiling" row (a sink taking every frame into f0's socket ring) is the
// most that path can hand any net_af_packet forwarder. Runs made while the
// host had put the two CPUs far apart are made again or left out (placement.ts).
import { BenchOptions, BenchReport } from './options';
import { Forwarder, Generator, SIZES, XDP_LIVE, linuxBridge, ringCeiling, sinkImissed, testpmd, trafgen, tsfwdFinal, tsfwdL2fwd, tsfwdWindow, windowTaken } from './contenders';
import { Cell, KEPT_UP, MMAP_TX1024, cellJson, cellText, genText, kpps, ratioLines } from './cells';
import { summarize, table } from './stats';
import { barChart } from './svg';
import { BenchNet, Proc, packets, sleep, window } from './traffic';
import { cpuSplit, cpuTicks, splitText } from './cpu-split';
import { UsageError } from '../src/eal/corelist';
import { FAR_FACTOR, FAR_FLOOR_NS, PLACE_RETRIES, PLACE_WAIT_MS, Placement, SEED_PROBES, placedRun } from './placement';

const WARMUP_MS = 1000;
const ALONE = 'generator alone (dropped at f0)';

async function once(net: BenchNet, gen: Generator, fwd: Forwarder | undefined, len: number, o: BenchOptions): Promise<Omit<Cell['runs'][number], 'pass'>> {
  const bound = o.seconds + 60;
  let fp: Proc | undefined;
  let gp: Proc | undefined;
  let rates: number[];
  let from = 0;
  let to = 0;
  try {
    if (fwd) fp = await fwd.start(net.fwd, 'f0', 'f1', o.cpus, bound, false);
    gp = await gen.start(net.gen, 'g0', len, o.cpus[0], bound);
    await sleep(WARMUP_MS);
    from = Date.now();
    rates = await window(o.seconds, () => [packets(net.sink, 's0')[0], packets(net.gen, 'g0')[1], packets(net.fwd, 'f0')[0],
      ...cpuTicks(o.cpus[0]), ...cpuTicks(o.cpus[1])]);
    to = Date.now();
    if (!gp.running) throw new Error(`${gen.name} stopped during the window: ${gp.err.trim().split('\n').pop()}`);
    // A veth drops XDP frames silently when its peer has no NAPI: say so rather than print a 0.
    if (rates[1] < 1000) throw new Error(`${gen.name} put ${rates[1].toFixed(0)} frames/s on g0 (is GRO/NAPI on at f0?)`);
    if (fp && !fp.running) throw new Error(`${fwd!.name} stopped during the window: ${fp.err.trim().split('\n').pop()}`);
  } finally {
    await gp?.stop();
    await fp?.stop();
    fwd?.cleanup?.(net.fwd);
  }
  const fin = fwd?.tsfwd && fp ? tsfwdFinal(fp) : undefined;
  const taken = fwd?.taken && fp ? windowTaken(fp, from, to) : undefined;
  if (fwd?.taken && taken === undefined) throw new Error(`${fwd.name}: fewer than two stats lines in the window`);
  // The lcore's own figures between the stats lines printed inside the window (a 3 s window holds
  // two or three), else over the whole run.
  const win = fwd?.tsfwd && fp ? tsfwdWindow(fp, from, to) : undefined;
  return {
    pps: taken ?? (fwd ? rates[0] : rates[2]), generated: rates[1], gcs: fin?.gcs, maxRssKb: fin?.maxRssKb,
    imissed: fin?.imissed ?? (fwd?.taken && fp ? sinkImissed(fp) : undefined),
    genCpu: cpuSplit(rates.slice(3, 7)), fwdCpu: cpuSplit(rates.slice(7, 11)), emptyPolls: win?.emptyPolls ?? fin?.emptyPolls,
    busyNsPerFrame: win?.busyNsPerFrame ?? fin?.busyNsPerFrame ?? (fp ? fwd?.busyNsPerFrame?.(fp) : undefined),
  };
}

/** "gen 100% · fwd K 45 / U 55 / I 0 · K/frame 480 ns [· lcore 62% empty] [· busy 850 ns/frame]" from a cell's median run figures. */
function cpuCell(c: Cell | undefined): string {
  const runs = (c?.runs ?? []).filter((r) => r.genCpu && r.fwdCpu);
  if (runs.length === 0) return '-';
  const med = (g: (r: (typeof runs)[number]) => number): number => summarize(runs.map(g)).median;
  const fwd = { user: med((r) => r.fwdCpu!.user), kernel: med((r) => r.fwdCpu!.kernel), idle: med((r) => r.fwdCpu!.idle), steal: med((r) => r.fwdCpu!.steal) };
  const parts = [`gen ${(med((r) => 1 - r.genCpu!.idle - r.genCpu!.steal) * 100).toFixed(0)}%`, `fwd ${splitText(fwd)}`,
    `K/frame ${med((r) => (r.pps > 0 ? (r.fwdCpu!.kernel * 1e9) / r.pps : 0)).toFixed(0)} ns`];
  const e = runs.filter((r) => r.emptyPolls !== undefined);
  if (e.length) parts.push(`lcore ${(summarize(e.map((r) => r.emptyPolls!)).median * 100).toFixed(0)}% empty`);
  const t = runs.filter((r) => r.busyNsPerFrame !== undefined);
  if (t.length) parts.push(`busy ${summarize(t.map((r) => r.busyNsPerFrame!)).median.toFixed(0)} ns/frame`);
  return parts.join(' · ');
}

/** Busy time per frame of each testpmd row over tsfwd's at the same size and driver: how much less CPU tsfwd spends on a frame. */
function costLines(label: string, sizes: number[], get: (forwarder: string, len: number) => Cell | undefined): string[] {
  const busy = (c: Cell | undefined): number | undefined => {
    const v = (c?.runs ?? []).map((r) => r.busyNsPerFrame).filter((x): x is number => x !== undefined && x > 0);
    return v.length ? summarize(v).median : undefined;
  };
  const lines: string[] = [];
  for (const len of sizes) {
    const afp = ['testpmd net_af_packet mac', 'testpmd net_af_packet io'];
    for (const [ours, refs] of [['tsfwd l2fwd mmap', afp], ['tsfwd l2fwd mmap v3', afp], ['tsfwd l2fwd af_xdp', ['testpmd net_af_xdp mac', 'testpmd net_af_xdp io']]] as const) {
      const t = busy(get(ours, len));
      if (t === undefined) continue;
      const parts = refs.map((r) => [r, busy(get(r, len))] as const).filter(([, v]) => v !== undefined).map(([r, v]) => `${r} ${v!.toFixed(0)} ns = **${(v! / t).toFixed(2)}x**`);
      if (parts.length) lines.push(`- ${label}, ${len} B: busy CPU per frame, ${ours} ${t.toFixed(0)} ns; ${parts.join(', ')}`);
    }
  }
  return lines;
}

/** Every forwarder row of fwd, in the order each pass runs them. */
export function fwdForwarders(seconds = 3): Forwarder[] {
  return [ringCeiling(seconds), tsfwdL2fwd('mmap'), tsfwdL2fwd(MMAP_TX1024), tsfwdL2fwd('mmap v3'), tsfwdL2fwd('mmsg'), linuxBridge(), testpmd('mac'), testpmd('io'),
    tsfwdL2fwd('af_xdp'), testpmd('mac', 'net_af_xdp'), testpmd('io', 'net_af_xdp')];
}

/** The rows `--rows` names: each name must be a row's printed name (e.g. "tsfwd l2fwd mmap"). */
export function selectRows(all: readonly Forwarder[], names: readonly string[] | undefined): Forwarder[] {
  if (!names) return [...all];
  for (const n of names) {
    if (!all.some((f) => f.name === n)) throw new UsageError(`bench: --rows: no fwd row '${n}' (rows: ${all.map((f) => f.name).join(', ')})`);
  }
  return all.filter((f) => names.includes(f.name));
}

/** The frame sizes a generator runs at under `--sizes` (none: it sits the run out, as trafgen does without 64). */
export function sizesFor(g: Generator, sizes: readonly number[] | undefined): number[] {
  return (g.sizes ?? SIZES).filter((len) => !sizes || sizes.includes(len));
}

export async function fwdBench(o: BenchOptions): Promise<BenchReport> {
  // A subset (--sizes, --rows) runs the same passes with fewer cells, so more
  // passes fit in the time: the way to settle one ratio on a noisy machine.
  const sizesOf = (g: Generator): number[] => sizesFor(g, o.sizes);
  const gens = [XDP_LIVE, trafgen()].filter((g) => sizesOf(g).length > 0);
  const fwds = selectRows(fwdForwarders(o.seconds), o.rows);
  // A subset's report goes to fwd-subset.*, so it never replaces the full table.
  const reportName = o.rows || o.sizes ? 'fwd-subset' : 'fwd';
  const cells = new Map<string, Cell>();
  const cell = (g: string, f: string, len: number): Cell => {
    const k = `${g}|${f}|${len}`;
    if (!cells.has(k)) cells.set(k, { runs: [] });
    return cells.get(k)!;
  };
  if (process.getuid?.() !== 0) throw new Error('skipped: needs root (network namespaces, AF_PACKET, BPF)');
  const probe = await Placement.build(o.cpus, SEED_PROBES);
  const place = typeof probe === 'string' ? undefined : probe;
  o.log(place ? `  placement: 1514 B handoff CPU ${o.cpus[0]} -> ${o.cpus[1]} ${place.near.toFixed(0)} ns near (readings ${place.readings.map((x) => x.toFixed(0)).join(' ')})`
    : `  ${probe}`);
  const net = new BenchNet().start();
  try {
    for (let i = 0; i < o.runs; i++) {
      for (const g of gens) {
        if (g.skip) continue;
        for (const len of sizesOf(g)) {
          for (const f of [undefined, ...fwds]) {
            if (f?.skip) continue;
            const c = cell(g.name, f?.name ?? ALONE, len);
            const tag = `  run ${i + 1} ${g.name} ${len} B ${f?.name ?? ALONE}`;
            try {
              const placed = await placedRun(place, () => once(net, g, f, len, o), (what) => o.log(`${tag}: ${what}`));
              const r = placed.result;
              const run = { pass: i, ...r, ...(placed.xcpuNs ? { xcpuNs: placed.xcpuNs } : {}) };
              if (placed.far) (c.farRuns ??= []).push(run);
              else c.runs.push(run);
              o.log(`${tag}: ${kpps(r.pps)} kpps (generator ${kpps(r.generated)} kpps${r.imissed !== undefined ? `, imissed ${r.imissed}` : ''}` +
                `${placed.xcpuNs ? `, handoff ${placed.xcpuNs.map((x) => x.toFixed(0)).join('/')} ns` : ''})${placed.far ? ': CPUs far apart, left out' : ''}`);
            } catch (e) {
              c.error = (e as Error).message;
              o.log(`${tag}: failed: ${c.error}`);
            }
          }
        }
      }
    }
  } finally {
    net.down();
    place?.dispose();
  }
  const allRuns = [...cells.values()];
  const nFar = allRuns.reduce((a, c) => a + (c.farRuns?.length ?? 0), 0);
  const nKept = allRuns.reduce((a, c) => a + c.runs.length, 0);
  const placeText = place
    ? ` Placement: before and after each run bench/c/xcpu.c times a 1514 B handoff from CPU ${o.cpus[0]} to CPU ${o.cpus[1]}: ` +
      `${place.near.toFixed(0)} ns near (the 10th percentile of ${place.sampleCount} readings made at fixed points; all ${place.readings.length} readings ` +
      `${Math.min(...place.readings).toFixed(0)}-${Math.max(...place.readings).toFixed(0)} ns). A VM's host may put its two vCPUs far apart for seconds ` +
      `at a time, and every frame that crosses CPUs then costs more: the bench waits up to ${PLACE_WAIT_MS / 1000} s for a near reading before a run ` +
      `and makes a run again (up to ${PLACE_RETRIES} times) when a reading is over ${FAR_FACTOR}x near and over ${FAR_FLOOR_NS} ns; ${nFar} of ${nFar + nKept} runs stayed far ` +
      `and are left out of every figure (they are in ${reportName}.json).`
    : ` ${probe} (runs are not checked for it).`;
  const parts: string[] = [
    `gen -> fwd -> sink on veths: frames/s delivered to the sink (s0's kernel rx counter), kpps, median (min-max) of ${o.runs} runs x ${o.seconds} s ` +
      `after ${WARMUP_MS / 1000} s of warm-up each. Generator on CPU ${o.cpus[0]}, forwarder's lcore on CPU ${o.cpus[1]}. ` +
      'Frame sizes are bytes on the veth (no FCS). "generator alone" is what reaches f0 with no forwarder; "ring ceiling" is what a busy ' +
      'tsfwd sink took from f0\'s AF_PACKET ring (TPACKET_V2, as mmap) by its own count: the fastest that f0\'s receive path, on the generator\'s CPU, ' +
      'fed such a ring in that run. ' +
      `GC counts and peak RSS of the tsfwd rows are in ${reportName}.json; the zero-GC proof is the gc scenario (these runs are too short for it).` +
      (o.rows || o.sizes ? ` A subset: ${o.rows ? `rows ${o.rows.join(', ')}` : 'every row'}; ${o.sizes ? `sizes ${o.sizes.join(', ')} B` : 'every size'}.` : '') +
      placeText,
  ];
  const files: Record<string, string> = {};
  const json: Record<string, unknown>[] = [];
  const rowsFor = [ALONE, ...fwds.map((f) => f.name)];
  for (const g of gens) {
    parts.push('', `### generator: ${g.name}`, '');
    if (g.skip) { parts.push(g.skip); continue; }
    const sizes = sizesOf(g);
    const body: string[][] = [];
    const genBody: string[][] = [];
    for (const name of rowsFor) {
      const f = fwds.find((x) => x.name === name);
      const cs = sizes.map((len) => cells.get(`${g.name}|${name}|${len}`));
      body.push([name, ...cs.map((c) => (f?.skip ? f.skip : cellText(c)))]);
      genBody.push([name, ...cs.map((c) => genText(c, f !== undefined))]);
      sizes.forEach((len, i) => json.push({ generator: g.name, forwarder: name, size: len, skipped: f?.skip, ...cellJson(cs[i]) }));
    }
    parts.push(table(['forwarder', ...sizes.map((s) => `${s} B`)], body));
    parts.push('', `Generator rate while each row ran (g0's kernel tx counter, kpps, median). A run where the forwarder kept up ` +
      `(delivered >= ${KEPT_UP * 100}% of generated) measured the generator, not the forwarder: on veth the generator's CPU also runs f0's ` +
      'receive path, including the copy into the forwarder\'s socket ring, so a forwarder that takes every frame slows its own source. ' +
      '"k of n kept up" counts such runs; the forwarder\'s own cost per frame is the busy column below.', '');
    parts.push(table(['row', ...sizes.map((s) => `${s} B`)], genBody));
    parts.push('', ...ratioLines(g.name, sizes, (f, len) => cells.get(`${g.name}|${f}|${len}`)));
    parts.push('', 'Where the time went while each row ran (medians): gen = the generator\'s CPU busy % (f0\'s receive work runs there too); ' +
      'fwd = the forwarder\'s CPU, kernel / user / idle % (a polling forwarder spins in user time when it waits); ' +
      'K/frame = the forwarder CPU\'s kernel time per delivered frame; tsfwd rows: the share of the lcore\'s polls that found nothing during the window; ' +
      'busy = the forwarder\'s own count of CPU time in polls that handled frames (syscalls included) per forwarded frame: ' +
      'tsfwd\'s lcore busy time, testpmd\'s --record-core-cycles.', '');
    parts.push(table(['row', ...sizes.map((s) => `${s} B`)], rowsFor.map((name) => [name, ...sizes.map((len) => cpuCell(cells.get(`${g.name}|${name}|${len}`)))])));
    parts.push('', ...costLines(g.name, sizes, (f, len) => cells.get(`${g.name}|${f}|${len}`)));
    const series = rowsFor.filter((n) => !fwds.find((x) => x.name === n)?.skip).map((n) => ({
      name: n,
      values: sizes.map((len) => {
        const c = cells.get(`${g.name}|${n}|${len}`);
        if (!c || c.runs.length === 0) return undefined;
        const s = summarize(c.runs.map((r) => r.pps / 1e3));
        return { median: s.median, min: s.min, max: s.max };
      }),
    }));
    files[`${reportName}-${g.name}.svg`] = barChart(`gen -> fwd -> sink, generator ${g.name}: delivered kpps`, 'kpps', sizes.map((s) => `${s} B`), series);
  }
  return {
    name: reportName, markdown: parts.join('\n'), files,
    json: { cpus: o.cpus, warmupMs: WARMUP_MS, rows: o.rows, sizes: o.sizes, placement: place ? { nearNs: place.near, readings: place.readings } : probe, results: json },
  };
}
