// `npm run bench -- mempool`: get+put bulk through the per-lcore cache (one
// object got and put back counts once), at bursts 1, 8 and 32, on one and two
// lcores, and bulk 32 without a cache (every call hits the shared ring).
import { Mempool } from '../src/mempool/mempool';
import { MicroCase, app, runMicro } from './micro';
import { BenchOptions, BenchReport } from './options';
import { mops, repeat, table } from './stats';

export async function mempoolBench(o: BenchOptions): Promise<BenchReport> {
  const [c0, c1] = o.cpus;
  const pool = (cacheSize: number): SharedArrayBuffer => Mempool.create({ n: 8192, cacheSize }).buffer;
  const one = (burst: number, cacheSize: number): MicroCase => ({
    lcores: [c0], apps: [app('poolCycle')], counted: [0], pin: true, config: { pool: pool(cacheSize), burst },
  });
  const rows: { name: string; target?: number; make: () => MicroCase }[] = [
    { name: 'cache 256, bulk 1, 1 lcore', make: () => one(1, 256) },
    { name: 'cache 256, bulk 8, 1 lcore', make: () => one(8, 256) },
    { name: 'cache 256, bulk 32, 1 lcore', target: 40, make: () => one(32, 256) },
    {
      name: 'cache 256, bulk 32, 2 lcores', make: () => ({
        lcores: [c0, c1], apps: [app('poolCycle'), app('poolCycle')], counted: [0, 1], pin: true,
        config: { pool: pool(256), burst: 32 },
      }),
    },
    { name: 'no cache, bulk 32, 1 lcore', make: () => one(32, 0) },
  ];
  const body: string[][] = [];
  const results: unknown[] = [];
  let gcTotal = 0;
  for (const row of rows) {
    const s = await repeat(o.runs, () => runMicro(row.make(), o.seconds), () => runMicro(row.make(), Math.min(o.seconds, 0.5)));
    gcTotal += s.gcs;
    results.push({ name: row.name, ...s });
    o.log(`  ${row.name}: ${mops(s.median)} M/s`);
    body.push([row.name, mops(s.median), `${mops(s.min)}-${mops(s.max)}`,
      row.target ? `>= ${row.target} ${s.median >= row.target * 1e6 ? 'met' : 'MISSED'}` : '']);
  }
  const md = [
    `Mempool get+put bulk, M objects/s, median of ${o.runs} runs x ${o.seconds}s (lcores ${c0},${c1})`,
    '',
    table(['case', 'median', 'min-max', 'target'], body),
    '',
    `garbage collections during timed loops: ${gcTotal}`,
  ].join('\n');
  return { name: 'mempool', markdown: md, json: { results, gcs: gcTotal } };
}
