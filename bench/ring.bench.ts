// `npm run bench -- ring`: ring throughput between pinned lcores, SP/SC and
// MP/MC at bursts 1, 8 and 32, plus 2 producers + 2 consumers on 2 CPUs, with
// DPDK's ring_perf_autotest in the same run when dpdk-test is installed.
import { Ring } from '../src/ring/ring';
import { RING_F_SC_DEQ, RING_F_SP_ENQ } from '../src/ring/layout';
import { DPDK_INSTALL, dpdkTestPath, ringPerfOnce } from './dpdk';
import { MicroCase, app, runMicro } from './micro';
import { BenchOptions, BenchReport } from './options';
import { mops, repeat, summarize, table } from './stats';

// Same ring size as DPDK's test_ring_perf.c.
const RING_SIZE = 4096;

interface Row { name: string; mode: string; burst: number; threads: string; target?: number; make: () => MicroCase }

export async function ringBench(o: BenchOptions): Promise<BenchReport> {
  const [c0, c1] = o.cpus;
  const pair = (flags: number, burst: number): MicroCase => ({
    lcores: [c0, c1], apps: [app('ringProducer'), app('ringConsumer')], counted: [1], pin: true,
    config: { ring: Ring.create(RING_SIZE, flags).buffer, burst },
  });
  const rows: Row[] = [];
  for (const [mode, flags] of [['SP/SC', RING_F_SP_ENQ | RING_F_SC_DEQ], ['MP/MC', 0]] as const) {
    for (const burst of [1, 8, 32]) {
      const target = burst === 32 ? (mode === 'SP/SC' ? 30 : 15) : undefined;
      rows.push({ name: `${mode} burst ${burst}`, mode, burst, threads: '1P+1C', target, make: () => pair(flags, burst) });
    }
  }
  rows.push({
    name: 'MP/MC burst 32', mode: 'MP/MC', burst: 32, threads: '2P+2C',
    make: () => ({
      lcores: [0, 1, 2, 3], pin: false, counted: [2, 3],
      apps: [app('ringProducer'), app('ringProducer'), app('ringConsumer'), app('ringConsumer')],
      config: { ring: Ring.create(RING_SIZE, 0).buffer, burst: 32 },
    }),
  });

  const results: Record<string, unknown>[] = [];
  let gcTotal = 0;
  for (const row of rows) {
    const s = await repeat(o.runs, () => runMicro(row.make(), o.seconds), () => runMicro(row.make(), Math.min(o.seconds, 0.5)));
    gcTotal += s.gcs;
    results.push({ ...row, make: undefined, threads: row.threads, median: s.median, min: s.min, max: s.max, runs: s.runs });
    o.log(`  ${row.threads} ${row.name}: ${mops(s.median)} M/s`);
  }

  const dpdk = new Map<string, number[]>();
  const bin = dpdkTestPath();
  let dpdkNote = `dpdk-test: not installed, comparison skipped (install: ${DPDK_INSTALL})`;
  if (bin) {
    for (let i = 0; i < o.runs; i++) {
      for (const [k, v] of ringPerfOnce(bin, [c0, c1])) dpdk.set(k, [...(dpdk.get(k) ?? []), v]);
    }
    dpdkNote = `dpdk-test ring_perf_autotest ("two physical cores", legacy API, bulk): median of ${o.runs} runs in this same run`;
  }

  const oneOnOne = (mode: string): number => (results.find((r) => r.mode === mode && r.burst === 32 && r.threads === '1P+1C') as { median: number }).median;
  const body = results.map((r) => {
    const s = r as unknown as Row & { median: number; min: number; max: number };
    const ref = dpdk.get(`${s.mode} bulk ${s.burst}`);
    const refMed = ref && s.threads === '1P+1C' ? summarize(ref).median : undefined;
    const target = s.threads === '2P+2C' ? `>= 1/5 of 1P+1C (${mops(oneOnOne('MP/MC') / 5)})` : s.target ? `>= ${s.target}` : '';
    const met = s.threads === '2P+2C' ? s.median >= oneOnOne('MP/MC') / 5 : s.target ? s.median >= s.target * 1e6 : undefined;
    return [s.name, s.threads, mops(s.median), `${mops(s.min)}-${mops(s.max)}`, refMed ? mops(refMed * 1e6) : '-',
      refMed ? (s.median / 1e6 / refMed).toFixed(2) : '-', target ? `${target} ${met ? 'met' : 'MISSED'}` : ''];
  });
  const md = [
    `Ring throughput, M objects/s, median of ${o.runs} runs x ${o.seconds}s (lcores ${c0},${c1}; 2P+2C unpinned on all CPUs)`,
    '',
    table(['case', 'threads', 'median', 'min-max', 'dpdk-test', 'ratio', 'target'], body),
    '',
    dpdkNote,
    `garbage collections during timed loops: ${gcTotal}`,
  ].join('\n');
  return { name: 'ring', markdown: md, json: { results, dpdk: Object.fromEntries(dpdk), gcs: gcTotal } };
}
