// One trial: the sink's lcore on the rx port and pktgen's lcore on the tx port,
// launched afresh (so each trial's sequence numbers start at 0 and its tracker
// and latency histogram hold that trial alone), `count = rate x seconds`
// frames offered, then the books: sent from pktgen's counters, received,
// duplicates and reordered from the sink's sequence tracker, and the time the
// generator needed, which tells whether it reached the offered rate.
import { Histogram } from '../sink/histogram';
import { K_TAGGED, SINK_LINE, SinkLcoreConfig, SinkResult } from '../sink/lcore';
import type { PktgenLcoreConfig } from '../pktgen/lcore';
import type { PktgenControl } from '../pktgen/control';
import type { StreamBuffers } from '../pktgen/stream';
import { LcoreGroup } from '../../eal/launch';
import type { PollConfig } from '../../eal/poll-mode';
import type { Mempool } from '../../mempool/mempool';
import { portHandle } from '../../port/registry';
import type { Port } from '../../port/types';

export interface TrialSetup {
  pool: Mempool;
  ports: Port[];
  tx: number;
  rx: number;
  ctl: PktgenControl;
  bufs: StreamBuffers;
  genLcore: number;
  sinkLcore: number;
  genPoll: PollConfig;
  sinkPoll: PollConfig;
  /** Percent: a generator short of the offered rate by more is generator-limited. */
  precision: number;
  /** ms behind schedule that make a trial generator-limited (--max-lag). */
  maxLagMs: number;
  /** True once the run should end (SIGINT): the trial stops early. */
  aborted: () => boolean;
}

export interface LatencyNs { samples: number; min: number; p50: number; p99: number; p999: number; max: number }

export interface TrialResult {
  size: number;
  /** Offered rate, pps, and the frames that makes over the trial. */
  rate: number;
  offered: number;
  /** Frames pktgen sent (its counters) and distinct pktgen frames the sink received. */
  sent: number;
  received: number;
  /** sent - received: frames the device did not deliver. */
  lost: number;
  lossPct: number;
  /** From the sink's sequence check. */
  duplicates: number;
  reordered: number;
  /** Frames the rx port took without a pktgen stamp (not counted as received), and leftovers drained before the trial. */
  other: number;
  stale: number;
  /** rx port ipackets during the trial (the driver's count, all frames), and frames its socket dropped (imissed): the sink's loss, not the device's. */
  rxPort: number;
  rxMissed: number;
  seconds: number;
  txRate: number;
  rxRate: number;
  /** Longest the generator was behind its schedule, ms. */
  lagMs: number;
  /** Short of the offered rate by more than the precision. */
  limited: boolean;
  /** Behind schedule by more than --max-lag at some point (a stall, then a catch-up burst), or the rx port missed frames. */
  stalled: boolean;
  latency: LatencyNs;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Arrivals are over when the sink's count stands still this long (a device's queues drain within it). */
const SETTLE_MS = 150;
const SETTLE_MAX_MS = 3000;
/** Lag behind the schedule (frames) that is pacing, not a stall: a burst and then some. */
const LAG_FRAMES = 64;

async function started(g: LcoreGroup, what: string): Promise<void> {
  for (const end = Date.now() + 10_000; g.running() < 1; await sleep(2)) {
    if (Date.now() > end) { g.stop(); throw new Error(`rfc2544: the ${what} lcore did not start within 10 s`); }
  }
}

/** Frames left in the rx port from an earlier trial (late arrivals), freed before this one starts. */
function drain(s: TrialSetup): number {
  const bufs = new Uint32Array(32);
  const port = s.ports[s.rx];
  let n = 0;
  for (let q = 0; q < port.nbQueues; q++) {
    for (let k = 0; k < 1024; k++) {
      const got = port.rxBurst(q, bufs, 32);
      if (got === 0) break;
      s.pool.putBulk(bufs, got);
      n += got;
    }
  }
  return n;
}

export async function runTrial(s: TrialSetup, size: number, rate: number, seconds: number): Promise<TrialResult> {
  const stale = drain(s);
  const handles = s.ports.map(portHandle);
  const counters = new SharedArrayBuffer(SINK_LINE * 8);
  const cnt = new Float64Array(counters);
  const rxQueues = Array.from({ length: s.ports[s.rx].nbQueues }, (_, q): [number, number] => [s.rx, q]);
  const sinkCfg: SinkLcoreConfig = { pool: s.pool.buffer, ports: handles, rxByLcore: [rxQueues], burst: 32, counters, poll: s.sinkPoll };
  const genCfg: PktgenLcoreConfig = {
    ...s.bufs, pool: s.pool.buffer, ports: handles, streamsByLcore: [[s.tx]], burst: 32, poll: s.genPoll,
    lcoreStats: new SharedArrayBuffer(64),
  };
  const offered = Math.max(1, Math.round(rate * seconds));
  s.ctl.setSize(s.tx, size);
  s.ctl.setPps(s.tx, rate);
  s.ctl.setCount(s.tx, offered);
  s.ctl.clear();
  const before = s.ports[s.rx].stats();
  // Two groups, so that both may be pinned to the same CPU (the generator sleeps between paced bursts, the sink blocks).
  const sink = LcoreGroup.launch({ lcores: [s.sinkLcore], app: 'sink', config: sinkCfg });
  let gen: LcoreGroup | undefined;
  let elapsed = 0;
  let maxLag = 0;
  try {
    await started(sink, 'sink');
    gen = LcoreGroup.launch({ lcores: [s.genLcore], app: 'pktgen', config: genCfg });
    await started(gen, 'pktgen');
    const t0 = performance.now();
    s.ctl.start([s.tx]);
    // A generator that keeps the pace is done by `seconds`; one that is later than the precision allows is limited anyway.
    const deadline = t0 + (seconds * 1000) / (1 - s.precision / 100) + 20;
    // Schedule check: a generator that stalls (its CPU taken for a while) catches up with
    // a burst the device never sees at a steady rate, so such a trial is not the device's
    // result either. sent and the schedule are read together, so a late main thread
    // reads a smaller lag, never a false one.
    // The schedule starts with the first frame seen sent: the lcore notices the start after a nap.
    let first = -1;
    let sent0 = 0;
    while (!s.ctl.done(s.tx) && performance.now() < deadline && !s.aborted()) {
      await sleep(1);
      const now = performance.now();
      const sent = s.ctl.sent(s.tx);
      if (first < 0) { if (sent > 0) { first = now; sent0 = sent; } continue; }
      const behind = Math.min(offered, sent0 + (rate * (now - first)) / 1000) - sent;
      if (behind > maxLag) maxLag = behind;
    }
    elapsed = (performance.now() - t0) / 1000;
    s.ctl.stop([s.tx]);
    // Frames the port refused are retried by the lcore; then arrivals settle.
    for (const end = Date.now() + 200; Date.now() < end && s.ctl.pending(s.tx) > 0;) await sleep(2);
    let last = -1;
    let still = Date.now();
    for (const end = Date.now() + SETTLE_MAX_MS; Date.now() < end && !s.aborted();) {
      const got = cnt[K_TAGGED];
      if (got !== last) { last = got; still = Date.now(); }
      if (got >= s.ctl.sent(s.tx) || Date.now() - still >= SETTLE_MS) break;
      await sleep(5);
    }
  } catch (e) {
    // Both lcores leave before the caller may close the ports they use.
    gen?.stop();
    sink.stop();
    await Promise.allSettled([gen?.wait(), sink.wait()]);
    throw e;
  }
  gen.stop();
  sink.stop();
  await gen.wait();
  const [sr] = await sink.wait();
  const res = sr.result as SinkResult;
  const st = res.streams.find((x) => x.stream === s.tx) ?? { received: 0, duplicates: 0, reordered: 0 };
  const hist = new Histogram();
  hist.merge(res.hist.counts, res.hist.n, res.hist.min, res.hist.max);
  const after = s.ports[s.rx].stats();
  const sent = s.ctl.sent(s.tx);
  const received = st.received - st.duplicates;
  const lost = sent - received;
  const txRate = elapsed > 0 ? sent / elapsed : 0;
  return {
    size, rate, offered, sent, received, lost, lossPct: sent > 0 ? (lost / sent) * 100 : 0, duplicates: st.duplicates, reordered: st.reordered,
    other: res.streams.filter((x) => x.stream !== s.tx).reduce((a, x) => a + x.received, 0) + (cnt[0] - cnt[K_TAGGED]),
    stale, rxPort: after.ipackets - before.ipackets, rxMissed: after.imissed - before.imissed, seconds: elapsed, txRate,
    rxRate: elapsed > 0 ? received / elapsed : 0,
    lagMs: Number(((maxLag / rate) * 1000).toFixed(2)),
    limited: sent < offered || txRate < rate * (1 - s.precision / 100),
    stalled: maxLag > Math.max(LAG_FRAMES, (rate * s.maxLagMs) / 1000) || after.imissed > before.imissed,
    latency: { samples: hist.n, min: hist.n ? hist.min : 0, p50: hist.quantile(0.5), p99: hist.quantile(0.99), p999: hist.quantile(0.999), max: hist.max },
  };
}
