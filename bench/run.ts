// Benchmark runner: `npm run bench -- [scenario...] [--runs N] [--seconds S]`
// (fwd alone also takes [--rows LIST] [--sizes LIST]);
// no scenario runs all of them. Prints a markdown table per scenario and
// writes bench/results/<name>.{md,json} plus the traffic scenarios' SVG charts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Args } from '../src/cli/args';
import type { Usage } from '../src/cli/usage';
import { UsageError } from '../src/eal/corelist';
import { getAffinity } from '../src/native';
import { TOOLS, installMissing } from './comparators';
import { coreBench } from './core.bench';
import { fwdBench, fwdForwarders, selectRows } from './fwd.bench';
import { SIZES } from './contenders';
import { gcBench } from './gc.bench';
import { loopBench } from './loop.bench';
import { memifBench } from './memif.bench';
import { mempoolBench } from './mempool.bench';
import { BenchOptions, BenchReport } from './options';
import { pollBench } from './poll.bench';
import { portsBench } from './ports.bench';
import { rfc2544Bench } from './rfc2544.bench';
import { ringBench } from './ring.bench';
import { udpBench } from './udp.bench';

// In the order `npm run bench` runs them: micro, core ceiling, then the
// namespace scenarios (root): traffic through forwarders, the loop, the
// zero-GC proof under load, the poll modes.
const SCENARIOS: Record<string, (o: BenchOptions) => Promise<BenchReport>> = {
  ring: ringBench,
  mempool: mempoolBench,
  ports: portsBench,
  core: coreBench,
  udp: udpBench,
  fwd: fwdBench,
  loop: loopBench,
  gc: gcBench,
  poll: pollBench,
  memif: memifBench,
  rfc2544: rfc2544Bench,
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS);

/** One --sizes item: a frame size fwd runs at. */
function sizeArg(x: string): number {
  const n = Number(x);
  if (!SIZES.includes(n)) throw new UsageError(`bench: --sizes: '${x}' is not a fwd frame size (${SIZES.join(', ')})`);
  return n;
}

export async function runBench(argv: string[]): Promise<number> {
  const names: string[] = [];
  // Defaults: medians of 3 runs of 3 s windows, the least a figure quoted from a bench may rest on.
  let runs = 3;
  let seconds = 3;
  let secondsGiven = false;
  let rows: string[] | undefined;
  let sizes: number[] | undefined;
  const a = new Args(argv);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '--runs') runs = a.int(o, 1, 100);
    else if (o === '--seconds') { seconds = a.num(o, 0.05, 60); secondsGiven = true; }
    else if (o === '--rows') rows = a.value(o).split(',').map((x) => x.trim());
    else if (o === '--sizes') sizes = a.value(o).split(',').map((x) => sizeArg(x));
    else if (o.startsWith('-')) throw new UsageError(`bench: unknown option '${o}'`);
    else if (!SCENARIOS[o]) throw new UsageError(`bench: unknown scenario '${o}' (known: ${Object.keys(SCENARIOS).join(', ')})`);
    else names.push(o);
  }
  if (names.length === 0) names.push(...SCENARIO_NAMES);
  if ((rows || sizes) && (names.length !== 1 || names[0] !== 'fwd')) throw new UsageError('bench: --rows and --sizes select cells of fwd; run fwd alone with them');
  if (rows) selectRows(fwdForwarders(), rows); // an unknown row is refused before anything runs
  const cpus = getAffinity();
  if (cpus.length < 2) throw new Error(`benchmarks need 2 CPUs, this process may use ${cpus.length}`);
  const log = (l: string): void => { process.stderr.write(`${l}\n`); };
  const opts: BenchOptions = { runs, seconds, secondsGiven, rows, sizes, cpus: [cpus[0], cpus[1]], log };
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  // As root, install what the chosen scenarios compare against (Debian packages).
  const wants = new Set<keyof typeof TOOLS>();
  if (names.includes('ring')) wants.add('dpdkTest');
  if (names.includes('fwd')) { wants.add('testpmd'); wants.add('trafgen'); }
  if (names.includes('loop')) wants.add('testpmd');
  if (names.includes('rfc2544')) wants.add('testpmd');
  installMissing([...wants].map((k) => TOOLS[k]), log);
  let failed = 0;
  for (const name of names) {
    log(`bench ${name}: ${runs} runs x ${seconds}s per case`);
    let rep: BenchReport;
    try {
      rep = await SCENARIOS[name](opts);
    } catch (e) {
      // A scenario that cannot run here (not root, a missing tool) is reported, not dropped.
      const msg = (e as Error).message;
      const skipped = msg.startsWith('skipped:');
      if (!skipped) failed++;
      rep = { name, markdown: `${name}: ${skipped ? msg : `failed: ${msg}`}`, json: skipped ? { skipped: msg.slice(9) } : { failed: msg } };
      log(`bench ${name}: ${skipped ? msg : `failed: ${msg}`}`);
    }
    process.stdout.write(`\n${rep.markdown}\n`);
    fs.writeFileSync(path.join(dir, `${rep.name}.md`), `${rep.markdown}\n`);
    fs.writeFileSync(path.join(dir, `${rep.name}.json`), `${JSON.stringify({ date: new Date().toISOString(), runs, seconds, ...rep.json as object }, null, 2)}\n`);
    for (const [file, text] of Object.entries(rep.files ?? {})) fs.writeFileSync(path.join(dir, file), text);
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) {
  runBench(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: Error) => {
    process.stderr.write(`tsfwd bench: ${e.message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  });
}

/** `tsfwd bench --help`: one line per option runBench accepts (test/cli-help.test.ts checks). */
export const BENCH_USAGE: Usage = {
  synopsis: [`tsfwd bench [${SCENARIO_NAMES.join('|')} ...] [--runs N] [--seconds S]`, 'tsfwd bench fwd [--rows ROW,ROW...] [--sizes 64,512,1514] [--runs N] [--seconds S]'],
  summary: '(npm run bench) median, min and max of N runs per scenario; writes bench/results/',
  about: 'Runs the named scenarios (default: all) and prints a median table per scenario with a ratio to its baseline: ' +
    'ring, mempool: micro (against dpdk-test\'s ring_perf_autotest); ports, core: net_null/ring/pcap ceiling, GCs, RSS; ' +
    'udp: net_udp; fwd: gen -> fwd -> sink, tsfwd vs Linux bridge vs dpdk-testpmd, xdp-live and trafgen generators; ' +
    'loop: --tx-first, tsfwd vs testpmd; gc: no GC under load; poll: busy vs adaptive vs interrupt l2fwd (idle CPU, saturation pps, ' +
    'p99 latency at ~10% load, tsfwd demo x3; windows of at least 3 s); memif: testpmd loop with tsfwd vs testpmd forwarding, ' +
    'pktgen -> l2fwd -> sink over memif; rfc2544: the NDR/PDR search through tsfwd l2fwd, the bridge and testpmd ' +
    '(--seconds = trial length, default 1 s there). fwd, loop, gc, udp, poll, memif and rfc2544 need root (skipped otherwise); ' +
    'as root, missing comparators are installed with apt-get. Writes bench/results/*.md, *.json, *.svg.',
  sections: [{
    title: 'Options', options: [
      ['--runs N', 'runs per case, 1..100 (default 3)'],
      ['--seconds S', 'seconds per measured window, 0.05..60 (default 3)'],
      ['--rows LIST', 'fwd alone: only these forwarder rows (names as fwd.md prints them, comma-separated), plus "generator alone"'],
      ['--sizes LIST', 'fwd alone: only these frame sizes (64, 512, 1514; trafgen runs at 64 only)'],
      ['-h, --help', 'this usage'],
    ],
  }],
  examples: ['npm run bench -- ring mempool --runs 3', 'tsfwd bench fwd --seconds 2', 'npm run bench -- poll --runs 3',
    'npm run bench -- fwd --rows "tsfwd l2fwd mmap,testpmd net_af_packet mac" --sizes 1514 --runs 15'],
};
