// `npm run bench -- core`: the forwarder's ceiling without a kernel. tsfwd
// l2fwd (MAC rewrite) and pipeline on net_null ports, run as the real CLI at
// full load; frames/s from its final JSON line, plus the zero-allocation proof
// (garbage collections counted in every lcore from 2 s after its first frame) and the
// process's peak RSS. The pipeline hands every mbuf from one CPU to the other,
// so its runs are made with both CPUs placed near, as fwd's (placement.ts).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BenchOptions, BenchReport } from './options';
import { PLACE_RETRIES, Placement, SEED_PROBES, placedRun } from './placement';
import { summarize, table } from './stats';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');

/** crossCpu: its lcores hand frames between the two CPUs, so the host's placement of them moves its rate. */
interface Case { name: string; crossCpu?: boolean; args: (c: [number, number], secs: number) => string[] }

const NULL4 = ['--vdev', 'net_null0', '--vdev', 'net_null1', '--vdev', 'net_null2', '--vdev', 'net_null3'];
const CASES: Case[] = [
  { name: 'l2fwd, 1 lcore, 2 ports (MAC rewrite)', args: (c, s) => ['l2fwd', '-l', `${c[1]}`, ...NULL4.slice(0, 4), '--', '-p', '0x3', '-q', '2', '-T', '0', '--duration', `${s}`, '--stats-json'] },
  { name: 'l2fwd, 2 lcores, 4 ports (MAC rewrite)', args: (c, s) => ['l2fwd', '-l', `${c[0]},${c[1]}`, ...NULL4, '--', '-p', '0xf', '-q', '2', '-T', '0', '--duration', `${s}`, '--stats-json'] },
  { name: 'pipeline, 1 rx + 1 tx lcore, 2 ports', crossCpu: true, args: (c, s) => ['pipeline', '-l', `${c[0]},${c[1]}`, ...NULL4.slice(0, 4), '--', '-p', '0x3', '-q', '2', '--rx-lcores', '1', '-T', '0', '--duration', `${s}`, '--stats-json'] },
];

export async function coreBench(o: BenchOptions): Promise<BenchReport> {
  const secs = Math.max(o.seconds, 4); // the GC count starts 2 s after the first frame
  const rows: string[][] = [];
  const results: unknown[] = [];
  let gcTotal = 0;
  let rssMax = 0;
  let farTotal = 0;
  const probe = await Placement.build(o.cpus, SEED_PROBES);
  const place = typeof probe === 'string' ? undefined : probe;
  if (place) o.log(`  placement: 1514 B handoff CPU ${o.cpus[0]} -> ${o.cpus[1]} ${place.near.toFixed(0)} ns near`);
  else o.log(`  ${probe}`);
  try {
    for (const c of CASES) {
      let measuredRuns = 0; // runs in which at least one lcore counted collections (-1 = not measured)
      const once = async (): Promise<{ rate: number; gcs: number }> => {
        const r = spawnSync(process.execPath, [BIN, ...c.args(o.cpus, secs)], { encoding: 'utf8', timeout: (secs + 30) * 1000 });
        if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
        const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ports: { forwarded: number }[]; gcs: number[]; maxRssKb: number };
        const fwd = f.ports.reduce((a, p) => a + p.forwarded, 0);
        rssMax = Math.max(rssMax, f.maxRssKb);
        const measured = f.gcs.filter((g) => g >= 0);
        if (measured.length > 0) measuredRuns++;
        return { rate: fwd / secs, gcs: measured.reduce((a, g) => a + g, 0) };
      };
      const rates: number[] = [];
      let gcs = 0;
      let far = 0;
      for (let i = 0; i < o.runs; i++) {
        const placed = await placedRun(c.crossCpu ? place : undefined, once, (what) => o.log(`  run ${i + 1} ${c.name}: ${what}`));
        gcs += placed.result.gcs; // collections count in every run: placement moves the rate, not the allocation
        if (placed.far) far++;
        else rates.push(placed.result.rate);
      }
      farTotal += far;
      const gcCell = measuredRuns === 0 ? 'not measured' : measuredRuns < o.runs ? `${gcs} (${measuredRuns} of ${o.runs} runs measured)` : String(gcs);
      gcTotal += gcs;
      const farNote = far > 0 ? ` (${far} of ${o.runs} runs left out: CPUs far apart)` : '';
      if (rates.length === 0) {
        results.push({ name: c.name, gcs, gcMeasuredRuns: measuredRuns, farRuns: far });
        o.log(`  ${c.name}: every run far apart, no figure`);
        rows.push([c.name, '-', `every run far apart`, gcCell]);
        continue;
      }
      const st = summarize(rates);
      results.push({ name: c.name, ...st, gcs, gcMeasuredRuns: measuredRuns, farRuns: far });
      o.log(`  ${c.name}: ${(st.median / 1e6).toFixed(2)} Mpps${farNote}`);
      rows.push([c.name + farNote, (st.median / 1e6).toFixed(2), `${(st.min / 1e6).toFixed(2)}-${(st.max / 1e6).toFixed(2)}`, gcCell]);
    }
  } finally {
    place?.dispose();
  }
  const md = [
    `Core ceiling: tsfwd on net_null ports (no kernel), frames forwarded per second, Mpps, median of ${o.runs} runs x ${secs}s (lcores ${o.cpus.join(',')}). Target: >= 10 Mpps per lcore with MAC rewrite, 0 GCs, RSS < 150 MB.` +
      (place ? ` The pipeline hands every mbuf across CPUs: its runs were made with both CPUs placed near (bench/c/xcpu.c before and after each run, ${place.near.toFixed(0)} ns near; a far run is made again up to ${PLACE_RETRIES} times, then left out; ${farTotal} left out).`
        : ` Placement not checked: ${probe}.`),
    '',
    table(['case', 'median', 'min-max', 'GCs after warm-up'], rows),
    '',
    `garbage collections in lcore loops after warm-up: ${gcTotal}; peak RSS of the forwarder: ${(rssMax / 1024).toFixed(0)} MB`,
  ].join('\n');
  return { name: 'core', markdown: md, json: { results, gcs: gcTotal, maxRssKb: rssMax, placement: place ? { nearNs: place.near, readings: place.readings } : probe } };
}
