// `tsfwd sink [EAL] -- [--duration S] [--count N] [--idle S] [-T S] [--stats-json]`:
// receive on every --vdev port, check pktgen's sequence numbers and latency,
// and print per-stream loss/duplicates/reordering and a latency summary.
import pino from 'pino';
import { Histogram } from '../apps/sink/histogram';
import { K_FRAMES, K_OTHER, K_TAGGED, SINK_IDLER, SINK_LINE, SinkLcoreConfig, SinkResult } from '../apps/sink/lcore';
import { dropAfterOpen } from '../eal/privileges';
import { UsageError } from '../eal/corelist';
import { LcoreGroup } from '../eal/launch';
import { EAL_HELP, parseEal, splitAtDashDash } from '../eal/options';
import { Mempool } from '../mempool/mempool';
import { portHandle } from '../port/registry';
import { Args } from './args';
import { LinkWatch } from './link-watch';
import { RunWatch } from './watch';
import { LcoreLoad, formatLoad, lcoreLoad, loadShares } from '../stats/lcore-load';
import { checkLcores, openPorts, rate, spread } from './ports';
import type { Usage } from './usage';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const us = (ns: number): string => (ns / 1e3).toFixed(1);

export interface SinkOptions { duration?: number; count: number; idle?: number; period: number; json: boolean }

/** The application options after `--` (exported so test/docker.test.ts checks compose's command). */
export function parseSinkOptions(argv: string[]): SinkOptions {
  const o: SinkOptions = { count: 0, period: 1, json: false };
  const a = new Args(argv);
  for (let k = a.next(); k !== undefined; k = a.next()) {
    if (k === '--duration') o.duration = a.num(k, 0.01, 86400 * 31);
    else if (k === '--count') o.count = a.int(k, 1, 2 ** 50);
    else if (k === '--idle') o.idle = a.num(k, 0.01, 3600);
    else if (k === '-T') o.period = a.num(k, 0, 3600);
    else if (k === '--stats-json') o.json = true;
    else throw new UsageError(`sink: unknown application option '${k}'`);
  }
  return o;
}

export async function runSink(argv: string[]): Promise<number> {
  const [ealArgv, appArgv] = splitAtDashDash(argv);
  const eal = parseEal(ealArgv, 'sink', 'interrupt');
  const { duration, count, idle, period, json } = parseSinkOptions(appArgv);
  if (eal.vdevs.length === 0) throw new UsageError('sink: no ports: give at least one --vdev');
  checkLcores('sink', eal.lcores);
  const pool = Mempool.create({ n: eal.mbufs ?? 8192, dataRoom: eal.mbufSize });
  const ports = await openPorts(eal.vdevs, pool, eal.portWait);
  const log = json ? pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true })) : undefined;
  const say = (x: string): void => { (json ? process.stderr : process.stdout).write(`${x}\n`); };
  if (eal.autoNote) say(eal.autoNote);
  // Every rx queue of every port is polled (a queue nobody polls would lose its frames), and
  // all queues of a port by the same lcore: a stream's sequence check (loss, duplicates,
  // reordering) lives in one lcore's tracker, and the queues of a port split its streams.
  const n = Math.min(eal.lcores.length, ports.length);
  const rxByLcore = spread(ports.map((_, i) => i), n)
    .map((ps) => ps.flatMap((i) => Array.from({ length: ports[i].nbQueues }, (_, q): [number, number] => [i, q])));
  const counters = new SharedArrayBuffer(n * SINK_LINE * 8);
  const cnt = new Float64Array(counters);
  const total = (w: number): number => { let t = 0; for (let i = 0; i < n; i++) t += cnt[i * SINK_LINE + w]; return t; };
  const config: SinkLcoreConfig = { pool: pool.buffer, ports: ports.map(portHandle), rxByLcore, burst: 32, counters, poll: eal.poll };
  // Before the lcores start: they are created with the reduced set.
  dropAfterOpen('sink', ports, say, eal.poll.schedPolicy);
  const group = LcoreGroup.launch({ lcores: eal.lcores.slice(0, n), app: 'sink', config });
  say(`sink: ${ports.map((p) => p.name).join(', ')} on lcore${n > 1 ? 's' : ''} ${eal.lcores.slice(0, n).join(', ')}`);
  const links = new LinkWatch(eal.vdevs, ports.map((p) => p.name), say);
  const watch = new RunWatch(group, { report: () => [`sink: stopped by force after ${total(K_FRAMES)} frames (${total(K_TAGGED)} from pktgen)`] });
  const loads = (): LcoreLoad[] => eal.lcores.slice(0, n).map((l, i) => lcoreLoad(l, cnt, i * SINK_LINE + SINK_IDLER));
  let lastLoads = loads();
  const t0 = Date.now();
  let last = { t: t0, frames: 0 };
  let lastArrival = t0;
  let seen = 0;
  const timer = period > 0 ? setInterval(() => {
    const now = Date.now();
    const frames = total(K_FRAMES);
    const dt = (now - last.t) / 1000;
    const pps = Math.round((frames - last.frames) / dt);
    last = { t: now, frames };
    const cur = loads();
    if (log) log.info({ frames, tagged: total(K_TAGGED), other: total(K_OTHER), pps, lcores: cur.map((l, i) => ({ ...l, ...loadShares(l, lastLoads[i], dt) })) }, 'stats');
    else say(`rx ${rate(pps)} pps  total ${frames}  (${cur.map((l, i) => formatLoad(l, lastLoads[i], dt)).join('; ')})`);
    lastLoads = cur;
  }, period * 1000) : undefined;
  const deadline = duration !== undefined ? t0 + duration * 1000 : Infinity;
  while (!watch.quit() && Date.now() < deadline && !(count > 0 && total(K_TAGGED) >= count)) {
    const f = total(K_FRAMES);
    if (f !== seen) { seen = f; lastArrival = Date.now(); }
    if (idle !== undefined && seen > 0 && Date.now() - lastArrival >= idle * 1000) break;
    await sleep(5);
  }
  if (timer) clearInterval(timer);
  watch.release();
  group.stop();
  const results = (await watch.finished) as { result: unknown }[];
  watch.close();
  links.close();
  const failure = watch.failure;
  const secs = (Date.now() - t0) / 1000;
  const pstats = ports.map((p) => ({ port: p.id, name: p.name, ...p.stats() }));
  for (const p of ports) p.close();
  if (failure) { process.stderr.write(`tsfwd: ${failure.message}\n`); return 1; }
  const hist = new Histogram();
  const streams = new Map<number, { stream: number; received: number; lost: number; duplicates: number; reordered: number }>();
  for (const r of results) {
    const res = r.result as SinkResult;
    hist.merge(res.hist.counts, res.hist.n, res.hist.min, res.hist.max);
    for (const s of res.streams) {
      const t = streams.get(s.stream) ?? { stream: s.stream, received: 0, lost: 0, duplicates: 0, reordered: 0 };
      t.received += s.received; t.lost += s.lost; t.duplicates += s.duplicates; t.reordered += s.reordered;
      streams.set(s.stream, t);
    }
  }
  const lat = { samples: hist.n, min: hist.n ? hist.min : 0, p50: hist.quantile(0.5), p99: hist.quantile(0.99), p999: hist.quantile(0.999), max: hist.max };
  const leaked = pool.n - pool.availCount();
  const ok = leaked === 0;
  if (log) {
    log.info({ seconds: Number(secs.toFixed(3)), ports: pstats.map((p) => ({ port: p.port, name: p.name, ipackets: p.ipackets, ibytes: p.ibytes, imissed: p.imissed, ierrors: p.ierrors })),
      frames: total(K_FRAMES), other: total(K_OTHER), streams: [...streams.values()], latencyNs: lat,
      lcores: loads().map((l) => ({ ...l, ...loadShares(l, undefined, secs) })), ok }, 'final');
  } else {
    for (const p of pstats) say(`port ${p.port} (${p.name}): received ${p.ipackets} frames, ${p.ibytes} bytes, ${rate(p.ipackets / secs)} pps average, imissed ${p.imissed}`);
    say(`frames without a pktgen stamp: ${total(K_OTHER)}`);
    for (const s of streams.values()) say(`stream ${s.stream}: received ${s.received}, lost ${s.lost}, duplicates ${s.duplicates}, reordered ${s.reordered}`);
    for (const l of loads()) say(formatLoad(l, undefined, secs));
    if (hist.n > 0) say(`latency (us): min ${us(lat.min)}  p50 ${us(lat.p50)}  p99 ${us(lat.p99)}  p99.9 ${us(lat.p999)}  max ${us(lat.max)}  (${hist.n} samples)`);
  }
  if (!ok) { process.stderr.write(`tsfwd: ACCOUNTING FAILED: mempool: ${leaked} mbufs not returned\n`); return 1; }
  return 0;
}

/** `tsfwd sink --help`: one line per option runSink accepts (test/cli-help.test.ts checks). */
export const SINK_USAGE: Usage = {
  synopsis: ['tsfwd sink [EAL options] -- [application options]'],
  summary: 'count frames, check pktgen\'s sequence numbers (loss, duplicates, reordering) and latency',
  about: 'Receives on every --vdev port, checks tsfwd pktgen\'s sequence numbers (lost, duplicates, reordered) ' +
    'and prints a latency summary (min, p50, p99, p99.9, max) at the end.',
  sections: [{ title: 'EAL options', options: EAL_HELP }, {
    title: 'Application options (after --)', options: [
      ['--duration S', 'stop after S seconds'],
      ['--count N', 'stop once N pktgen frames have arrived'],
      ['--idle S', 'stop S seconds after the last frame'],
      ['-T S', 'stats period in seconds (default 1, 0 = off)'],
      ['--stats-json', 'stats as pino JSON lines on stdout'],
    ],
  }],
  examples: ['tsfwd sink -l 0 --vdev net_af_packet0,iface=s0 -- --idle 1 -T 0'],
};
