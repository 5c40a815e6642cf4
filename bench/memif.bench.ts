// `npm run bench -- memif`: net_memif, no kernel on the data path.
// - loop: two memif pairs between a forwarder (the memif servers) and
//   dpdk-testpmd io --tx-first (the clients): frames circulate through both.
//   tsfwd l2fwd as the forwarder against testpmd io as the forwarder, each
//   measured the same way, by the client testpmd's Rx-pps (both ports).
// - chain: tsfwd pktgen -> memif -> l2fwd (one lcore) -> memif -> sink,
//   64-byte frames flat out: pps through l2fwd and delivered to the sink.
// Medians over --runs; every process here shares the benchmark's two CPUs.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BenchOptions, BenchReport } from './options';
import { summarize, table } from './stats';
import { pairedRatio, ratioText } from './ratio';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const WARMUP_S = 2;

interface P { proc: ChildProcess; out: () => string; done: Promise<void> }

function start(cmd: string, args: string[]): P {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const done = new Promise<void>((r) => proc.on('exit', () => r()));
  return { proc, out: () => out, done };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stop(p: P): Promise<void> {
  const kill = setTimeout(() => p.proc.kill('SIGKILL'), 10_000);
  p.proc.kill('SIGINT');
  await p.done;
  clearTimeout(kill);
}

async function until(p: P, re: RegExp, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(p.out())) {
    if (Date.now() > end) throw new Error(`${what}: timed out (${p.out().trim().split('\n').pop()})`);
    await sleep(50);
  }
}

let prefix = 0;
/** testpmd's first lcore (main) only prints stats; `fwdCpu` runs its forwarding lcore. */
function testpmd(mainCpu: number, fwdCpu: number, vdevs: string[], extra: string[]): P {
  return start('dpdk-testpmd', ['--no-huge', '-m', '512', '-l', `${mainCpu},${fwdCpu}`, '--no-pci', '--no-telemetry',
    '--file-prefix', `tsfwd-memif-bench-${process.pid}-${prefix++}`, ...vdevs.flatMap((v) => ['--vdev', v]),
    '--', '--forward-mode=io', '--stats-period', '1', '-a', '--nb-cores=1', '--total-num-mbufs=16384', ...extra]);
}

/** Mean over the periods after warm-up of the summed Rx-pps of testpmd's ports. */
function rxPps(out: string, nPorts: number): number {
  const v = [...out.matchAll(/Rx-pps:\s+(\d+)/g)].map((m) => Number(m[1]));
  const sums: number[] = [];
  for (let i = 0; i + nPorts <= v.length; i += nPorts) sums.push(v.slice(i, i + nPorts).reduce((a, b) => a + b, 0));
  const use = sums.slice(WARMUP_S, sums.length - 1).filter((x) => x > 0);
  if (use.length === 0) throw new Error(`no forwarding seen: ${out.trim().split('\n').slice(-3).join(' | ')}`);
  return use.reduce((a, b) => a + b, 0) / use.length;
}

async function loopOnce(o: BenchOptions, dir: string, fwd: 'tsfwd' | 'testpmd'): Promise<number> {
  const a = path.join(dir, 'a.sock');
  const b = path.join(dir, 'b.sock');
  const srv = (i: number, s: string): string => `net_memif${i},role=server,socket=${s},socket-abstract=no`;
  const server = fwd === 'tsfwd'
    ? start(process.execPath, [BIN, 'l2fwd', '-l', String(o.cpus[1]), '--vdev', srv(0, a), '--vdev', srv(1, b),
      '--', '-p', '0x3', '-q', '2', '--no-mac-updating', '-T', '0', '--stats-json'])
    : testpmd(o.cpus[0], o.cpus[1], [srv(0, a), srv(1, b)], []);
  try {
    await until(server, fwd === 'tsfwd' ? /Lcore \d+: RX port/ : /Port statistics|Press enter/, 30_000, `${fwd} server`);
    const cli = (i: number, s: string): string => `net_memif${i},role=client,socket=${s},socket-abstract=no`;
    // The forwarder runs on cpus[1], the clients' forwarding lcore on cpus[0].
    const client = testpmd(o.cpus[1], o.cpus[0], [cli(0, a), cli(1, b)], ['--tx-first', '--burst=512']);
    await sleep((WARMUP_S + o.seconds + 1.5) * 1000);
    await stop(client);
    return rxPps(client.out(), 2);
  } finally {
    await stop(server);
  }
}

interface ChainRun { fwdPps: number; sinkPps: number; gcs: number }

async function chainOnce(o: BenchOptions, dir: string): Promise<ChainRun> {
  const a = path.join(dir, 'a.sock');
  const b = path.join(dir, 'b.sock');
  const secs = WARMUP_S + o.seconds;
  const fwd = start(process.execPath, [BIN, 'l2fwd', '-l', String(o.cpus[1]),
    '--vdev', `net_memif0,role=server,socket=${a},socket-abstract=no`, '--vdev', `net_memif1,role=server,socket=${b},socket-abstract=no`,
    '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json']);
  try {
    await until(fwd, /Lcore \d+: RX port/, 30_000, 'l2fwd');
    const sink = start(process.execPath, [BIN, 'sink', '-l', String(o.cpus[0]), '--poll-mode', 'adaptive',
      '--vdev', `net_memif0,socket=${b},socket-abstract=no`, '--', '-T', '0', '--stats-json', '--duration', String(secs + 3)]);
    await until(sink, /link up/, 10_000, 'sink');
    const gen = start(process.execPath, [BIN, 'pktgen', '-l', String(o.cpus[0]), '--vdev', `net_memif0,socket=${a},socket-abstract=no`,
      '--', '--size', '64', '--duration', String(secs), '-T', '0', '--stats-json']);
    await gen.done;
    await sink.done;
    await stop(fwd);
    const last = (p: P): Record<string, unknown> => JSON.parse(p.out().trim().split('\n').filter((l) => l.startsWith('{')).pop() ?? '{}') as Record<string, unknown>;
    const f = last(fwd) as { ports: { ipackets: number }[]; gcs: number[] };
    const s = last(sink) as { ports: { ipackets: number }[] };
    const g = last(gen) as { seconds: number };
    return { fwdPps: f.ports[0].ipackets / g.seconds, sinkPps: s.ports[0].ipackets / g.seconds, gcs: Math.max(0, ...f.gcs) };
  } finally {
    if (fwd.proc.exitCode === null) await stop(fwd);
  }
}

export async function memifBench(o: BenchOptions): Promise<BenchReport> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-memif-bench-'));
  const hasTestpmd = fs.existsSync('/usr/bin/dpdk-testpmd');
  const loop = { tsfwd: [] as number[], testpmd: [] as number[] };
  const chain: ChainRun[] = [];
  const loopErr: Record<string, string> = {};
  // Rates by pass (a hole where a run failed): the ratio pairs the two forwarders' runs of one pass.
  const loopPass = { tsfwd: [] as (number | undefined)[], testpmd: [] as (number | undefined)[] };
  try {
    for (let i = 0; i < o.runs; i++) {
      if (hasTestpmd) {
        for (const f of ['tsfwd', 'testpmd'] as const) {
          try {
            const pps = await loopOnce(o, dir, f);
            loop[f].push(pps);
            loopPass[f][i] = pps;
            o.log(`  run ${i + 1} memif loop, forwarder ${f}: ${(pps / 1e6).toFixed(2)} Mpps`);
          } catch (e) {
            loopErr[f] = (e as Error).message;
            o.log(`  run ${i + 1} memif loop, forwarder ${f}: failed: ${loopErr[f]}`);
          }
        }
      }
      const c = await chainOnce(o, dir);
      chain.push(c);
      o.log(`  run ${i + 1} memif chain: l2fwd ${(c.fwdPps / 1e6).toFixed(2)} Mpps, sink ${(c.sinkPps / 1e6).toFixed(2)} Mpps, ${c.gcs} GCs`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const m = (v: number[], f?: string): string => (v.length ? (summarize(v).median / 1e6).toFixed(2) : f && loopErr[f] ? `failed: ${loopErr[f]}` : 'n/a');
  const rows: (string | number)[][] = [];
  if (hasTestpmd) {
    rows.push(['loop: tsfwd l2fwd forwards (testpmd io --tx-first clients)', m(loop.tsfwd, 'tsfwd')]);
    rows.push(['loop: testpmd io forwards (testpmd io --tx-first clients)', m(loop.testpmd, 'testpmd')]);
  }
  rows.push(['chain 64 B: pktgen -> l2fwd (rx, one lcore)', m(chain.map((c) => c.fwdPps))]);
  rows.push(['chain 64 B: delivered to sink', m(chain.map((c) => c.sinkPps))]);
  const ratio = hasTestpmd ? pairedRatio(Array.from(loopPass.tsfwd), Array.from(loopPass.testpmd)) : undefined;
  const markdown = [
    `memif, ${o.runs} run(s) of ${o.seconds} s, medians (Mpps)${hasTestpmd ? '' : '; loop skipped: needs dpdk-testpmd (apt-get install dpdk-dev librte-net-memif23)'}`,
    '',
    table(['scenario', 'Mpps'], rows),
    '',
    ratio !== undefined ? `tsfwd / testpmd as the loop's forwarder: ${ratioText(ratio)}` : '',
    `l2fwd GCs during the chain (max per lcore): ${Math.max(0, ...chain.map((c) => c.gcs))}`,
  ].join('\n');
  return { name: 'memif', markdown, json: { loop, loopErrors: loopErr, chain, ratio: ratio?.median, ratioSpread: ratio } };
}
