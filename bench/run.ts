// Benchmark runner: `npm run bench -- <scenario...> [--runs N] [--seconds S]`.
// Prints a markdown table per scenario and writes bench/results/<name>.{md,json}.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Args } from '../src/cli/args';
import { UsageError } from '../src/eal/corelist';
import { getAffinity } from '../src/native';
import { afPacketModesBench } from './af-packet-modes.bench';
import { coreBench } from './core.bench';
import { mempoolBench } from './mempool.bench';
import { BenchOptions, BenchReport } from './options';
import { portsBench } from './ports.bench';
import { ringBench } from './ring.bench';
import { udpBench } from './udp.bench';

const SCENARIOS: Record<string, (o: BenchOptions) => Promise<BenchReport>> = {
  ring: ringBench,
  mempool: mempoolBench,
  ports: portsBench,
  core: coreBench,
  udp: udpBench,
  'af-packet': afPacketModesBench,
};

export async function runBench(argv: string[]): Promise<number> {
  const names: string[] = [];
  let runs = 5;
  let seconds = 1;
  const a = new Args(argv);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '--runs') runs = a.int(o, 1, 100);
    else if (o === '--seconds') seconds = a.num(o, 0.05, 60);
    else if (o.startsWith('-')) throw new UsageError(`bench: unknown option '${o}'`);
    else if (!SCENARIOS[o]) throw new UsageError(`bench: unknown scenario '${o}' (known: ${Object.keys(SCENARIOS).join(', ')})`);
    else names.push(o);
  }
  // Namespace scenarios (root, trafgen) run only when named.
  if (names.length === 0) names.push(...Object.keys(SCENARIOS).filter((n) => n !== 'af-packet'));
  const cpus = getAffinity();
  if (cpus.length < 2) throw new Error(`benchmarks need 2 CPUs, this process may use ${cpus.length}`);
  const opts: BenchOptions = { runs, seconds, cpus: [cpus[0], cpus[1]], log: (l) => process.stderr.write(`${l}\n`) };
  const dir = path.resolve(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  for (const name of names) {
    process.stderr.write(`bench ${name}: ${runs} runs x ${seconds}s per case\n`);
    const rep = await SCENARIOS[name](opts);
    process.stdout.write(`\n${rep.markdown}\n`);
    fs.writeFileSync(path.join(dir, `${rep.name}.md`), `${rep.markdown}\n`);
    fs.writeFileSync(path.join(dir, `${rep.name}.json`), `${JSON.stringify({ date: new Date().toISOString(), runs, seconds, ...rep.json as object }, null, 2)}\n`);
  }
  return 0;
}

if (require.main === module) {
  runBench(process.argv.slice(2)).then((c) => { process.exitCode = c; }, (e: Error) => {
    process.stderr.write(`tsfwd bench: ${e.message}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  });
}
