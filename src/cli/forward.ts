// `tsfwd l2fwd` and `tsfwd pipeline`: parse EAL and application options, open
// the ports, launch the lcores, print stats every -T seconds, stop on
// SIGINT/SIGTERM/--duration, and check at exit that every packet is
// accounted for (received = forwarded + dropped per port, mempool full).
import type { Server } from 'node:http';
import type { L2fwdLcoreConfig } from '../apps/l2fwd/lcore';
import { L2fwdOptions, parseL2fwdOptions } from '../apps/l2fwd/options';
import { Plan, makePlan } from '../apps/l2fwd/plan';
import type { PipelineConfig } from '../apps/pipeline/lcore';
import { UsageError } from '../eal/corelist';
import { LcoreError, LcoreGroup } from '../eal/launch';
import { parseEal, splitAtDashDash } from '../eal/options';
import { Mempool } from '../mempool/mempool';
import { portHandle } from '../port/registry';
import { Port, PortStats } from '../port/types';
import { checkLcores, openPorts } from './ports';
import { Ring } from '../ring/ring';
import { RING_F_SC_DEQ, RING_F_SP_ENQ } from '../ring/layout';
import { statsBlock } from '../stats/block';
import { Counters } from '../stats/counters';
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
  const plan = makePlan(eal.vdevs.length, opt.portmask, rxLcores, opt.rxPerLcore, opt.portmap);
  const out = opt.statsJson ? process.stderr : process.stdout;
  const say = (s: string): void => { out.write(`${s}\n`); };

  const nbLcores = eal.lcores.length;
  const ringSlots = mode === 'pipeline' ? plan.ports.length * opt.ringSize : 0;
  const n = eal.mbufs ?? Math.max(8192, plan.ports.length * (2 * opt.burst + 1024) + nbLcores * 384 + ringSlots);
  const pool = Mempool.create({ n, cacheSize: Math.min(256, Math.floor(n / 1.5)) });

  const ports = await openPorts(eal.vdevs, pool);

  let metrics: Server | undefined;
  try {
    say(`MAC updating ${opt.macUpdating ? 'enabled' : 'disabled'}`);
    for (const notice of plan.notices) say(notice);
    for (const p of plan.ports) say(`Port ${p}, MAC address: ${macStr(ports[p].mac)} (${ports[p].name})`);
    rxLcores.forEach((l, i) => {
      if (plan.rxByLcore[i].length === 0) say(`lcore ${l} has nothing to do`);
      for (const p of plan.rxByLcore[i]) say(`Lcore ${l}: RX port ${p} TX port ${plan.dst[p]}`);
    });
    const counters = Counters.create(nbLcores, ports.length);
    const group = mode === 'l2fwd'
      ? launchL2fwd(eal.lcores, plan, opt, pool, ports, counters)
      : launchPipeline(rxLcores, txLcores, plan, opt, pool, ports, counters, say);
    const snap = (): Snapshot => takeSnapshot(plan.ports, ports, counters, eal.lcores, pool, plan.dst);
    if (opt.metrics) {
      metrics = await serveMetrics(opt.metrics.host, opt.metrics.port, snap).catch((e: Error) => {
        group.stop();
        throw new UsageError(e.message);
      });
      say(`metrics: http://${opt.metrics.host}:${opt.metrics.port}/metrics`);
    }
    return await supervise(group, opt, snap, say, pool, ports, plan);
  } finally {
    metrics?.close();
    for (const p of ports) p.close();
  }
}

function launchL2fwd(lcores: number[], plan: Plan, opt: L2fwdOptions, pool: Mempool, ports: Port[], counters: Counters): LcoreGroup {
  const config: L2fwdLcoreConfig = {
    pool: pool.buffer, ports: ports.map(portHandle), dst: plan.dst, rxByLcore: plan.rxByLcore,
    macUpdating: opt.macUpdating, burst: opt.burst, counters: counters.buffer, nbLcores: lcores.length,
    txFirst: opt.txFirst, drainUs: 100,
  };
  return LcoreGroup.launch({ lcores, app: 'l2fwd', config });
}

function launchPipeline(rxLcores: number[], txLcores: number[], plan: Plan, opt: L2fwdOptions, pool: Mempool,
  ports: Port[], counters: Counters, say: (s: string) => void): LcoreGroup {
  if (opt.txFirst) throw new UsageError('pipeline: --tx-first is an l2fwd option');
  const txByLcore: number[][] = txLcores.map(() => []);
  const dests = [...new Set(plan.ports.map((p) => plan.dst[p]))];
  dests.forEach((d, i) => txByLcore[i % txLcores.length].push(d));
  txLcores.forEach((l, i) => {
    if (txByLcore[i].length === 0) say(`lcore ${l} has nothing to do`);
    for (const d of txByLcore[i]) say(`Lcore ${l}: TX port ${d} (ring of ${opt.ringSize})`);
  });
  const rings = ports.map((_, p) => (dests.includes(p) ? Ring.create(opt.ringSize, RING_F_SP_ENQ | RING_F_SC_DEQ).buffer : null));
  const config: PipelineConfig = {
    pool: pool.buffer, ports: ports.map(portHandle), dst: plan.dst, portsByLcore: [...plan.rxByLcore, ...txByLcore],
    nRx: rxLcores.length, rings, rxDone: new SharedArrayBuffer(4), macUpdating: opt.macUpdating, burst: opt.burst,
    counters: counters.buffer, nbLcores: rxLcores.length + txLcores.length,
  };
  return LcoreGroup.launch({ lcores: [...rxLcores, ...txLcores], app: 'pipeline', config });
}

/** Runs until a signal, --duration or a failing lcore; prints stats; checks the accounting. */
async function supervise(group: LcoreGroup, opt: L2fwdOptions, snap: () => Snapshot, say: (s: string) => void,
  pool: Mempool, ports: Port[], plan: Plan): Promise<number> {
  const json = opt.statsJson ? new JsonStats() : undefined;
  const tty = process.stdout.isTTY === true;
  let prev = snap();
  const tick = opt.period > 0 ? setInterval(() => {
    const cur = snap();
    if (json) json.period(cur, prev);
    else process.stdout.write(statsBlock(cur, prev, tty));
    prev = cur;
  }, opt.period * 1000) : undefined;
  const stop = (): void => group.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const timer = opt.duration !== undefined ? setTimeout(stop, opt.duration * 1000) : undefined;
  let failure: LcoreError | undefined;
  let gcs: number[] = [];
  try {
    gcs = (await group.wait()).map((r) => (r.result as { gcs?: number } | undefined)?.gcs ?? -1);
  } catch (e) {
    if (!(e instanceof LcoreError)) throw e;
    failure = e;
  } finally {
    if (tick) clearInterval(tick);
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  const final = snap();
  // Frames still on a "wire" (a net_ring, a kernel queue) return to the pool
  // when their port is released, so release before counting mbufs.
  const driverStats = ports.map((p) => p.stats());
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
