// `npm run bench -- core`: the forwarder's ceiling without a kernel. tsfwd
// l2fwd (MAC rewrite) and pipeline on net_null ports, run as the real CLI at
// full load; frames/s from its final JSON line, plus the zero-allocation proof
// (garbage collections counted in every lcore from 2 s after its first frame) and the
// process's peak RSS.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { BenchOptions, BenchReport } from './options';
import { repeat, table } from './stats';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');

interface Case { name: string; args: (c: [number, number], secs: number) => string[] }

const NULL4 = ['--vdev', 'net_null0', '--vdev', 'net_null1', '--vdev', 'net_null2', '--vdev', 'net_null3'];
const CASES: Case[] = [
  { name: 'l2fwd, 1 lcore, 2 ports (MAC rewrite)', args: (c, s) => ['l2fwd', '-l', `${c[1]}`, ...NULL4.slice(0, 4), '--', '-p', '0x3', '-q', '2', '-T', '0', '--duration', `${s}`, '--stats-json'] },
  { name: 'l2fwd, 2 lcores, 4 ports (MAC rewrite)', args: (c, s) => ['l2fwd', '-l', `${c[0]},${c[1]}`, ...NULL4, '--', '-p', '0xf', '-q', '2', '-T', '0', '--duration', `${s}`, '--stats-json'] },
  { name: 'pipeline, 1 rx + 1 tx lcore, 2 ports', args: (c, s) => ['pipeline', '-l', `${c[0]},${c[1]}`, ...NULL4.slice(0, 4), '--', '-p', '0x3', '-q', '2', '--rx-lcores', '1', '-T', '0', '--duration', `${s}`, '--stats-json'] },
];

export async function coreBench(o: BenchOptions): Promise<BenchReport> {
  const secs = Math.max(o.seconds, 4); // the GC count starts 2 s after the first frame
  const rows: string[][] = [];
  const results: unknown[] = [];
  let gcTotal = 0;
  let rssMax = 0;
  for (const c of CASES) {
    let measuredRuns = 0; // runs in which at least one lcore counted collections (-1 = not measured)
    const s = await repeat(o.runs, async () => {
      const r = spawnSync(process.execPath, [BIN, ...c.args(o.cpus, secs)], { encoding: 'utf8', timeout: (secs + 30) * 1000 });
      if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${r.stderr.trim().split('\n').pop()}`);
      const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ports: { forwarded: number }[]; gcs: number[]; maxRssKb: number };
      const fwd = f.ports.reduce((a, p) => a + p.forwarded, 0);
      rssMax = Math.max(rssMax, f.maxRssKb);
      const measured = f.gcs.filter((g) => g >= 0);
      if (measured.length > 0) measuredRuns++;
      return { rate: fwd / secs, gcs: measured.reduce((a, g) => a + g, 0) };
    });
    const gcCell = measuredRuns === 0 ? 'not measured' : measuredRuns < o.runs ? `${s.gcs} (${measuredRuns} of ${o.runs} runs measured)` : String(s.gcs);
    gcTotal += s.gcs;
    results.push({ name: c.name, ...s, gcMeasuredRuns: measuredRuns });
    o.log(`  ${c.name}: ${(s.median / 1e6).toFixed(2)} Mpps`);
    rows.push([c.name, (s.median / 1e6).toFixed(2), `${(s.min / 1e6).toFixed(2)}-${(s.max / 1e6).toFixed(2)}`, gcCell]);
  }
  const md = [
    `Core ceiling: tsfwd on net_null ports (no kernel), frames forwarded per second, Mpps, median of ${o.runs} runs x ${secs}s (lcores ${o.cpus.join(',')}). Target: >= 10 Mpps per lcore with MAC rewrite, 0 GCs, RSS < 150 MB.`,
    '',
    table(['case', 'median', 'min-max', 'GCs after warm-up'], rows),
    '',
    `garbage collections in lcore loops after warm-up: ${gcTotal}; peak RSS of the forwarder: ${(rssMax / 1024).toFixed(0)} MB`,
  ].join('\n');
  return { name: 'core', markdown: md, json: { results, gcs: gcTotal, maxRssKb: rssMax } };
}
