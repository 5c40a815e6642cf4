// `tsfwd l2fwd` and `tsfwd pipeline`: parse EAL and application options, open
// the ports, launch the lcores, print stats every -T seconds, stop on
// SIGINT/SIGTERM/--duration, and check at exit that every packet is
// accounted for (received = forwarded + dropped per port, mempool full).
import type { Server } from 'node:http';
import type { L2fwdLcoreConfig } from '../apps/l2fwd/lcore';
import { L2fwdOptions, parseL2fwdOptions } from '../apps/l2fwd/options';
import { Plan, assignTxQueues, l2fwdTxPorts, makePlan } from '../apps/l2fwd/plan';
import type { PipelineConfig } from '../apps/pipeline/lcore';
import { PipelinePlan, pipelinePlan } from '../apps/pipeline/plan';
import { dropAfterOpen } from '../eal/privileges';
import type { PollConfig } from '../eal/poll-mode';
import { UsageError } from '../eal/corelist';
import { LcoreError, LcoreGroup } from '../eal/launch';
import { RunHealth } from './health';
import { LinkWatch } from './link-watch';
import { RunWatch } from './watch';
import { parseEal, splitAtDashDash } from '../eal/options';
import { Mempool } from '../mempool/mempool';
import { parseDevargs } from '../port/devargs';
import { portHandle } from '../port/registry';
import { RX_PACKETS, TX_PACKETS, rxLine, txLine } from '../port/stats';
import { Port, PortStats } from '../port/types';
import { checkLcores, openPorts } from './ports';
import { Ring } from '../ring/ring';
import { statsBlock } from '../stats/block';
import { formatLoad } from '../stats/lcore-load';
import { C_FWD, C_RX, C_TX, C_WORDS, Counters } from '../stats/counters';
import { JsonStats } from '../stats/json';
import { serveMetrics } from '../stats/metrics';
import { Snapshot, droppedAfterRx, takeSnapshot } from '../stats/snapshot';

type Mode = 'l2fwd' | 'pipeline';

const macStr = (m: Uint8Array): string => [...m].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');

export async function runForwarder(argv: string[], mode: Mode): Promise<number> {
  const [ealArgv, appArgv] = splitAtDashDash(argv);
  const eal = parseEal(ealArgv, mode);
  const opt = parseL2fwdOptions(appArgv, mode, mode === 'pipeline');
  if (eal.vdevs.length === 0) throw new UsageError(`${mode}: no ports: give at least one --vdev (e.g. --vdev net_af_packet0,iface=eth0)`);
  checkLcores(mode, eal.lcores);
  if (mode === 'pipeline' && opt.txFirst) throw new UsageError('pipeline: --tx-first is an l2fwd option');
  let rxLcores = eal.lcores;
  let txLcores: number[] = [];
  if (mode === 'pipeline') {
    const nRx = opt.rxLcores ?? Math.max(1, eal.lcores.length >> 1);
    if (eal.lcores.length < 2 || nRx >= eal.lcores.length) {
      throw new UsageError(`pipeline: needs at least one rx and one tx lcore (-l gives ${eal.lcores.length}, --rx-lcores ${nRx})`);
    }
    rxLcores = eal.lcores.slice(0, nRx);
    txLcores = eal.lcores.slice(nRx);
  }
  if (opt.config && mode === 'pipeline' && opt.rxLcores === undefined) {
    // --config names the receiving lcores: they are the rx lcores, the rest transmit.
    const named = new Set(opt.config.map(([, , l]) => l));
    rxLcores = eal.lcores.filter((l) => named.has(l));
    txLcores = eal.lcores.filter((l) => !named.has(l));
    if (rxLcores.length === 0 || txLcores.length === 0) {
      throw new UsageError(`pipeline: --config must leave at least one lcore of -l (${eal.lcores.join(',')}) to transmit`);
    }
  }
  const out = opt.statsJson ? process.stderr : process.stdout;
  const say = (s: string): void => { out.write(`${s}\n`); };

  const nbLcores = eal.lcores.length;
  // The pool exists before the ports, so their queue counts come from the devargs: each rx
  // queue may hold ~1024 mbufs (an AF_XDP fill ring) plus a burst in flight each way.
  let enabled = 0;
  let rxQueues = 0;
  for (let p = 0; p < eal.vdevs.length; p++) if ((opt.portmask >>> p) & 1) { enabled++; rxQueues += queuesAsked(eal.vdevs[p]); }
  const ringSlots = mode === 'pipeline' ? enabled * opt.ringSize : 0;
  const n = eal.mbufs ?? Math.max(8192, rxQueues * (2 * opt.burst + 1024) + nbLcores * 384 + ringSlots);
  const pool = Mempool.create({ n, dataRoom: eal.mbufSize, cacheSize: Math.min(256, Math.floor(n / 1.5)) });

  const ports = await openPorts(eal.vdevs, pool, eal.portWait);

  let metrics: Server | undefined;
  const links = new LinkWatch(eal.vdevs, ports.map((p) => p.name), say);
  const health = new RunHealth(links);
  try {
    // The plan needs each port's queue count, known once the ports are open.
    const nbQueues = ports.map((p) => p.nbQueues);
    const plan = makePlan(nbQueues, opt.portmask, rxLcores, opt.rxPerLcore, opt.portmap, opt.config);
    const txQueues = mode === 'l2fwd' ? assignTxQueues(l2fwdTxPorts(plan), nbQueues, rxLcores) : [];
    const pp = mode === 'pipeline' ? pipelinePlan(plan, nbQueues, txLcores) : undefined;
    if (eal.autoNote) say(eal.autoNote);
    say(`MAC updating ${opt.macUpdating ? 'enabled' : 'disabled'}`);
    for (const notice of plan.notices) say(notice);
    for (const p of plan.ports) say(`Port ${p}, MAC address: ${macStr(ports[p].mac)} (${ports[p].name})`);
    // One line per (lcore, port, queue); "queue q" only where the port has several, as before otherwise.
    const qs = (p: number, q: number): string => (ports[p].nbQueues > 1 ? ` queue ${q}` : '');
    rxLcores.forEach((l, i) => {
      if (plan.rxByLcore[i].length === 0) say(`lcore ${l} has nothing to do`);
      for (const [p, q] of plan.rxByLcore[i]) say(`Lcore ${l}: RX port ${p}${qs(p, q)} TX port ${plan.dst[p]}${pp ? '' : qs(plan.dst[p], txQueues[i][plan.dst[p]])}`);
    });
    if (pp) {
      txLcores.forEach((l, j) => {
        if (pp.txByLcore[j].length === 0) say(`lcore ${l} has nothing to do`);
        for (const d of pp.txByLcore[j]) say(`Lcore ${l}: TX port ${d}${qs(d, pp.txQueues[j][d])} (ring of ${opt.ringSize}${pp.producers[d] > 1 ? `, ${pp.producers[d]} producers` : ''})`);
      });
    }
    const counters = Counters.create(nbLcores, ports.length);
    // Counter lines follow the launch order (pipeline: rx lcores first, which --config may reorder).
    const launched = mode === 'l2fwd' ? eal.lcores : [...rxLcores, ...txLcores];
    const snap = (): Snapshot => takeSnapshot(plan.ports, ports, counters, launched, pool, plan.dst);
    // Bind before any lcore starts: a port in use is a usage error with
    // nothing running yet (stopping lcores first would race the port close).
    if (opt.metrics) {
      metrics = await serveMetrics(opt.metrics.host, opt.metrics.port, snap, health).catch((e: Error) => {
        throw new UsageError(e.message);
      });
      say(`metrics: http://${opt.metrics.host}:${opt.metrics.port}/metrics (probes: /healthz, /readyz)`);
    }
    // Ports open, metrics bound: nothing needs a capability any more (privileges.ts).
    // Before the lcores start, so they are created with the reduced set.
    dropAfterOpen(mode, ports, say, eal.poll.schedPolicy);
    const group = mode === 'l2fwd'
      ? launchL2fwd(eal.lcores, plan, txQueues, opt, pool, ports, counters, eal.poll)
      : launchPipeline(rxLcores, txLcores, plan, pp!, opt, pool, ports, counters, eal.poll);
    health.launched(group);
    return await supervise(group, opt, snap, say, pool, ports, plan, counters, launched, health);
  } finally {
    links.close();
    metrics?.close();
    for (const p of ports) p.close();
  }
}

/** Queue pairs a --vdev asks for (qpairs= or queue_count=; 1 if absent or invalid, which open() reports). */
function queuesAsked(vdev: string): number {
  let args: ReadonlyMap<string, string>;
  try { args = parseDevargs(vdev).args; } catch { return 1; }
  const v = Number(args.get('qpairs') ?? args.get('queue_count') ?? 1);
  return Number.isInteger(v) && v >= 1 && v <= 64 ? v : 1;
}

function launchL2fwd(lcores: number[], plan: Plan, txQueues: number[][], opt: L2fwdOptions, pool: Mempool, ports: Port[], counters: Counters,
  poll: PollConfig): LcoreGroup {
  const config: L2fwdLcoreConfig = {
    pool: pool.buffer, ports: ports.map(portHandle), dst: plan.dst, rxByLcore: plan.rxByLcore, txQueues,
    macUpdating: opt.macUpdating, burst: opt.burst, counters: counters.buffer, nbLcores: lcores.length,
    txFirst: opt.txFirst, drainUs: 100, poll,
  };
  return LcoreGroup.launch({ lcores, app: 'l2fwd', config });
}

function launchPipeline(rxLcores: number[], txLcores: number[], plan: Plan, pp: PipelinePlan, opt: L2fwdOptions, pool: Mempool,
  ports: Port[], counters: Counters, poll: PollConfig): LcoreGroup {
  const rings = ports.map((_, p) => (pp.ringFlags[p] >= 0 ? Ring.create(opt.ringSize, pp.ringFlags[p]).buffer : null));
  const config: PipelineConfig = {
    pool: pool.buffer, ports: ports.map(portHandle), dst: plan.dst, rxByLcore: plan.rxByLcore, txByLcore: pp.txByLcore,
    txQueues: pp.txQueues, nRx: rxLcores.length, rings, rxDone: new SharedArrayBuffer(4 * rxLcores.length),
    macUpdating: opt.macUpdating, burst: opt.burst, counters: counters.buffer, nbLcores: rxLcores.length + txLcores.length, poll,
  };
  return LcoreGroup.launch({ lcores: [...rxLcores, ...txLcores], app: 'pipeline', config });
}

/** After the run: frames per (port, queue) from the drivers' per-queue lines, and per lcore from its counters. */
function queueLines(plan: Plan, ports: Port[], counters: Counters, lcores: readonly number[]): string[] {
  const lines: string[] = [];
  for (const p of plan.ports) {
    const h = portHandle(ports[p]);
    for (let q = 0; q < h.nbQueues; q++) {
      lines.push(`Port ${p} queue ${q}: received ${rxLine(h.stats, q)[RX_PACKETS]}, sent ${txLine(h.stats, q)[TX_PACKETS]}`);
    }
  }
  lcores.forEach((l, i) => {
    const v = counters.lcoreView(i);
    let rx = 0;
    let fwd = 0;
    let tx = 0;
    for (const p of plan.ports) { rx += v[p * C_WORDS + C_RX]; fwd += v[p * C_WORDS + C_FWD]; tx += v[p * C_WORDS + C_TX]; }
    lines.push(`Lcore ${l}: received ${rx}, forwarded ${fwd}, sent ${tx}`);
  });
  return lines;
}

/** Runs until a signal, --duration or a failing lcore; prints stats; checks the accounting. */
async function supervise(group: LcoreGroup, opt: L2fwdOptions, snap: () => Snapshot, say: (s: string) => void,
  pool: Mempool, ports: Port[], plan: Plan, counters: Counters, lcores: readonly number[], health: RunHealth): Promise<number> {
  const tty = process.stdout.isTTY === true;
  let prev = snap();
  const json = opt.statsJson ? new JsonStats(prev.t) : undefined;
  const start = prev;
  const tick = opt.period > 0 ? setInterval(() => {
    const cur = snap();
    if (json) json.period(cur, prev);
    else process.stdout.write(statsBlock(cur, prev, tty));
    prev = cur;
  }, opt.period * 1000) : undefined;
  // Forced exit (a second signal): the counters are shared memory, readable
  // while lcores still spin.
  const watch = new RunWatch(group, {
    report: () => {
      if (!json) return statsBlock(snap(), prev, false).split('\n');
      // "forced": the lcores were not waited for, so no accounting check ran.
      json.final(snap(), false, { gcs: [], maxRssKb: process.resourceUsage().maxRSS, forced: true });
      return [];
    },
    write: (s) => { process.stdout.write(s); },
  }, () => { health.stop(); group.stop(); });
  const timer = opt.duration !== undefined ? setTimeout(() => { watch.release(); health.stop(); group.stop(); }, opt.duration * 1000) : undefined;
  let gcs: number[] = [];
  try {
    gcs = (await watch.finished).map((r) => (r.result as { gcs?: number } | undefined)?.gcs ?? -1);
  } finally {
    watch.release();
    health.stop();
    if (tick) clearInterval(tick);
    if (timer) clearTimeout(timer);
  }
  try {
    return report(watch.failure, gcs, json, snap, prev, say, pool, ports, plan, () => queueLines(plan, ports, counters, lcores), start);
  } finally {
    watch.close();
  }
}

/** After every lcore has stopped: the final stats and the accounting check. */
function report(failure: Error | undefined, gcs: number[], json: JsonStats | undefined, snap: () => Snapshot, prev: Snapshot,
  say: (s: string) => void, pool: Mempool, ports: Port[], plan: Plan, queues: () => string[], start: Snapshot): number {
  if (failure && !(failure instanceof LcoreError)) throw failure;
  const final = snap();
  // Frames still on a "wire" (a net_ring, a kernel queue) return to the pool
  // when their port is released, so release before counting mbufs.
  const driverStats = ports.map((p) => p.stats());
  const perQueue = queues();
  for (const p of ports) p.close();
  final.mempool.inUse = pool.inUseCount();
  const problems = failure ? [] : accountingProblems(final, pool, driverStats, plan);
  const maxRssKb = process.resourceUsage().maxRSS;
  const measured = gcs.filter((g) => g >= 0);
  if (json) json.final(final, !failure && problems.length === 0, { gcs, maxRssKb });
  else {
    process.stdout.write(statsBlock(final, prev, false));
    say(`garbage collections in the lcore loops after warm-up: ${measured.length ? measured.reduce((a, b) => a + b, 0) : 'not measured (no lcore forwarded for 2 s)'}; peak RSS ${(maxRssKb / 1024).toFixed(0)} MB`);
  }
  if (!json) for (const l of final.lcores) say(`${formatLoad(l, start.lcores.find((x) => x.lcore === l.lcore), final.t - start.t)} (whole run)`);
  for (const l of perQueue) say(l);
  if (failure) {
    process.stderr.write(`tsfwd: ${failure.message}\n`);
    return 1;
  }
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`tsfwd: ACCOUNTING FAILED: ${p}\n`);
    return 1;
  }
  say('Bye...');
  return 0;
}

/** What does not add up once every lcore has stopped: nothing, normally. */
export function accountingProblems(s: Snapshot, pool: Mempool, driverStats: PortStats[], plan: Plan): string[] {
  const problems: string[] = [];
  for (const p of s.ports) {
    const dropped = droppedAfterRx(p.dropped);
    if (p.ipackets !== p.forwarded + dropped) {
      problems.push(`port ${p.port}: received ${p.ipackets} != forwarded ${p.forwarded} + dropped ${dropped}`);
    }
    const st = driverStats[p.port];
    if (st.ipackets !== p.ipackets) problems.push(`port ${p.port}: driver delivered ${st.ipackets} frames, lcores saw ${p.ipackets}`);
    // rte_eth_tx_burst semantics: what a driver consumed it sent (opackets) or
    // refused and counted (oerrors; late errors are about frames already sent).
    const refused = st.oerrors - st.oerrorsLate;
    if (st.opackets + refused !== p.txHanded) {
      problems.push(`port ${p.port}: driver sent ${st.opackets} + refused ${refused} frames, lcores handed it ${p.txHanded}`);
    }
  }
  for (const p of plan.ports) {
    const from = s.ports.find((x) => x.port === plan.dst[p]);
    const me = s.ports.find((x) => x.port === p);
    if (from && me && me.opackets !== from.forwarded + me.generated) {
      problems.push(`port ${p}: sent ${me.opackets} != forwarded from port ${from.port} ${from.forwarded} + generated ${me.generated}`);
    }
  }
  const avail = pool.availCount();
  if (avail !== pool.n) problems.push(`mempool: ${avail} of ${pool.n} mbufs free after stop (${pool.n - avail} leaked)`);
  return problems;
}
