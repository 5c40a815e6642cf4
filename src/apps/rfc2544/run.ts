// `tsfwd rfc2544`: per frame size, a RateSearch for the NDR and PDRs fed by
// trials (warm-up, then the counted trial), confirmation trials at the found
// rates, then latency trials at fractions of the PDR; a progress line per
// trial, the final table, --stats-json's final line and --report's files.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PktgenControl } from '../pktgen/control';
import { streamBuffers } from '../pktgen/stream';
import { UsageError } from '../../eal/corelist';
import { EalOptions, parseEal, splitAtDashDash } from '../../eal/options';
import { defaultPoll } from '../../eal/poll-mode';
import { Mempool } from '../../mempool/mempool';
import { LinkWatch } from '../../cli/link-watch';
import { dropAfterOpen } from '../../eal/privileges';
import { checkLcores, openPorts, rate as fmtRate } from '../../cli/ports';
import { Rfc2544Options, lineRatePps, parseRfc2544Options } from './options';
import { RateSearch, TargetResult, TrialRecord } from './search';
import { LatencyNs, TrialResult, TrialSetup, runTrial } from './trial';
import { SizeResult, finalTable, markdownReport, svgReport } from './report';

const us = (ns: number): number => Math.round(ns / 100) / 10;

function latencyUs(l: LatencyNs): { samples: number; minUs: number; p50Us: number; p99Us: number; p999Us: number; maxUs: number } {
  return { samples: l.samples, minUs: us(l.min), p50Us: us(l.p50), p99Us: us(l.p99), p999Us: us(l.p999), maxUs: us(l.max) };
}

export async function runRfc2544(argv: string[]): Promise<number> {
  const [ealArgv, appArgv] = splitAtDashDash(argv);
  const eal: EalOptions = parseEal(ealArgv, 'rfc2544', 'adaptive');
  const o = parseRfc2544Options(appArgv);
  const largest = Math.max(...o.sizes);
  if (eal.mbufSize !== undefined && largest - 4 > eal.mbufSize) {
    throw new UsageError(`rfc2544: frame size ${largest} (--sizes) does not fit the mbuf data room: --mbuf-size must be ${largest - 4} or more`);
  }
  if (eal.vdevs.length < 2) throw new UsageError('rfc2544: give two ports (--vdev): one sends into the device under test, one receives from it');
  for (const [opt, p] of [['--tx-port', o.txPort], ['--rx-port', o.rxPort]] as const) {
    if (p >= eal.vdevs.length) throw new UsageError(`rfc2544: ${opt} ${p} does not exist (${eal.vdevs.length} ports)`);
  }
  if (eal.lcores.length > 2) throw new UsageError(`rfc2544: give one or two lcores (the generator's, then the sink's), not ${eal.lcores.length}`);
  checkLcores('rfc2544', eal.lcores);
  const targets = [...new Set([0, ...o.loss])].sort((a, b) => a - b);
  // One CPU for both lcores: mempool caches are per lcore id, and two threads must not share one.
  const sameCpu = eal.lcores.length === 1;
  const pool = Mempool.create({ n: eal.mbufs ?? 16384, dataRoom: eal.mbufSize, cacheSize: sameCpu ? 0 : undefined });
  const ports = await openPorts(eal.vdevs, pool);
  const json = o.json;
  const say = (x: string): void => { (json ? process.stderr : process.stdout).write(`${x}\n`); };
  const emit = (msg: string, obj: object): void => { if (json) process.stdout.write(`${JSON.stringify({ msg, ...obj })}\n`); };
  let aborted = false;
  const onSig = (): void => { aborted = true; };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  // Ports open (in their namespaces): nothing after needs a capability, as for
  // pktgen and the sink whose lcores this runs (privileges.ts). Before any trial
  // launches its lcores, so they start with the reduced set.
  try {
    dropAfterOpen('rfc2544', ports, say, eal.poll.schedPolicy);
  } catch (e) {
    for (const p of ports) p.close();
    throw e;
  }
  const links = new LinkWatch(eal.vdevs, ports.map((p) => p.name), say);
  const bufs = streamBuffers(ports.length);
  const setup: TrialSetup = {
    pool, ports, tx: o.txPort, rx: o.rxPort, bufs,
    ctl: new PktgenControl(bufs, ports.length, ports.map((p) => p.mac), o.lineRate),
    genLcore: eal.lcores[0], sinkLcore: eal.lcores[1] ?? eal.lcores[0],
    genPoll: eal.pollGiven ? eal.poll : defaultPoll('adaptive'),
    sinkPoll: eal.pollGiven ? eal.poll : defaultPoll('interrupt'),
    precision: o.precision, maxLagMs: o.maxLagMs, aborted: () => aborted,
  };
  // Unicast to the rx port's MAC, as RFC 2544's test frames are (a bridge floods it until it learns, which it never does: s0 does not send).
  setup.ctl.setMac(o.txPort, 'dst', [...ports[o.rxPort].mac].map((b) => b.toString(16).padStart(2, '0')).join(':'));
  const results: SizeResult[] = [];
  const t0 = Date.now();
  let failure: Error | undefined;
  say(`rfc2544: port ${o.txPort} (${ports[o.txPort].name}) -> device under test -> port ${o.rxPort} (${ports[o.rxPort].name}); ` +
    `lcores ${setup.genLcore} (pktgen), ${setup.sinkLcore} (sink)`);
  say(`rfc2544: sizes ${o.sizes.join(',')}; loss targets ${targets.map((t) => `${t}%`).join(', ')}; precision ${o.precision}%; ` +
    `trial ${o.trial} s (+${o.warmup} s warm-up), final ${o.final} s; ${o.latencyAt.length ? `latency at ${o.latencyAt.join(',')}% of the PDR` : 'no latency trials'}`);
  try {
    for (const size of o.sizes) {
      if (aborted) break;
      results.push(await searchSize(setup, o, targets, size, say, emit));
    }
  } catch (e) {
    failure = e as Error;
  } finally {
    process.off('SIGINT', onSig);
    process.off('SIGTERM', onSig);
    links.close();
  }
  for (const p of ports) p.close();
  const leaked = pool.n - pool.availCount();
  const secs = (Date.now() - t0) / 1000;
  if (failure) throw failure;
  for (const line of finalTable(results, o.lineRate)) say(line);
  say(`rfc2544: ${results.reduce((a, r) => a + r.trials, 0)} trials in ${secs.toFixed(0)} s${aborted ? ' (interrupted)' : ''}`);
  if (o.report !== undefined) {
    fs.mkdirSync(o.report, { recursive: true });
    fs.writeFileSync(path.join(o.report, 'rfc2544.md'), markdownReport(results, o, ports[o.txPort].name, ports[o.rxPort].name));
    fs.writeFileSync(path.join(o.report, 'rfc2544.svg'), svgReport(results));
    say(`rfc2544: report written to ${path.join(o.report, 'rfc2544.md')} and rfc2544.svg`);
  }
  if (json) emit('final', { results, seconds: Number(secs.toFixed(1)), interrupted: aborted, ok: leaked === 0 && !aborted });
  if (leaked !== 0) { process.stderr.write(`tsfwd: ACCOUNTING FAILED: mempool: ${leaked} mbufs not returned\n`); return 1; }
  return aborted ? 130 : 0;
}

type Say = (x: string) => void;
type Emit = (msg: string, obj: object) => void;

/** Warm-up (not counted), then the trial; one progress line each. */
async function trial(s: TrialSetup, o: Rfc2544Options, size: number, rate: number, secs: number, label: string, say: Say, emit: Emit): Promise<TrialResult> {
  if (o.warmup > 0) await runTrial(s, size, rate, o.warmup);
  const r = await runTrial(s, size, rate, secs);
  const verdict = r.limited ? `GENERATOR-LIMITED: reached ${fmtRate(r.txRate)} pps of ${fmtRate(rate)} (not counted)`
    : `loss ${r.lossPct.toFixed(3)}%${r.rxMissed > 0 ? ` (the rx port missed ${r.rxMissed}: a loss is retried once)`
      : r.stalled ? ` (generator stalled ${r.lagMs} ms: a loss is retried once)` : ''}`;
  say(`${String(size).padStart(4)} B  ${label.padEnd(14)} ${fmtRate(rate).padStart(7)} pps  sent ${r.sent}  received ${r.received}  lost ${r.lost}` +
    `${r.duplicates ? `  dup ${r.duplicates}` : ''}${r.reordered ? `  reord ${r.reordered}` : ''}  ${verdict}`);
  emit('trial', { size, label, rate, offered: r.offered, sent: r.sent, received: r.received, lost: r.lost, lossPct: r.lossPct,
    duplicates: r.duplicates, reordered: r.reordered, other: r.other, stale: r.stale, rxPort: r.rxPort, rxMissed: r.rxMissed, seconds: Number(r.seconds.toFixed(4)),
    txRate: Math.round(r.txRate), rxRate: Math.round(r.rxRate), lagMs: r.lagMs, limited: r.limited, stalled: r.stalled, latency: latencyUs(r.latency) });
  return r;
}

async function searchSize(s: TrialSetup, o: Rfc2544Options, targets: number[], size: number, say: Say, emit: Emit): Promise<SizeResult> {
  const maxRate = o.maxRatePct ? lineRatePps(o.lineRate, size, o.maxRate) : o.maxRate;
  const search = new RateSearch({ targets, maxRate, minRate: Math.min(o.minRate, maxRate), precision: o.precision, maxTrials: o.maxTrials });
  const name = (t: number): string => (targets[t] === 0 ? 'NDR' : `PDR(${targets[t]}%)`);
  let limitedTrials = 0;
  let n = 0;
  for (let next = search.next(); next && !s.aborted(); next = search.next()) {
    if (next.kind === 'final' && o.final === 0) {
      // No confirmation asked: the search trial stands (recorded as final so the search moves on).
      const prev = search.trials.find((r) => r.rate === next!.rate && r.kind === 'search')!;
      search.record({ ...prev, kind: 'final' });
      continue;
    }
    const label = `${name(next.target)} ${next.kind === 'final' ? 'final' : `#${++n}`}`;
    const r = await trial(s, o, size, next.rate, next.kind === 'final' ? o.final : o.trial, label, say, emit);
    if (r.limited) limitedTrials++;
    const rec: TrialRecord = { rate: next.rate, kind: next.kind, lossPct: r.lossPct, rxRate: r.rxRate, txRate: r.txRate, limited: r.limited, stalled: r.stalled };
    search.record(rec);
  }
  const found = search.results();
  const pdr = found[found.length - 1];
  const latency = [];
  for (const pct of o.latencyAt) {
    if (s.aborted() || pdr.rate <= 0) break;
    const rate = Math.max(1, Math.round((pdr.rate * pct) / 100));
    const r = await trial(s, o, size, rate, o.trial, `latency ${pct}%`, say, emit);
    latency.push({ loadPct: pct, pps: rate, lossPct: r.lossPct, limited: r.limited, ...latencyUs(r.latency) });
  }
  const shape = (t: TargetResult) => ({
    pps: t.rate, mbps: Number(((t.rate * size * 8) / 1e6).toFixed(3)), lossPct: Number(t.lossPct.toFixed(4)), lossTarget: t.lossTarget,
    linePct: Number(((t.rate / lineRatePps(o.lineRate, size)) * 100).toFixed(3)), found: t.found, confirmed: t.confirmed, limitedBy: t.limitedBy,
  });
  return {
    size, ndr: shape(found[0]), pdr: shape(pdr), pdrs: found.slice(1).map(shape), latency, limitedBy: pdr.limitedBy,
    trials: search.trials.length + latency.length, generatorLimitedTrials: limitedTrials, generatorCeiling: search.generatorCapped ? search.ceiling : undefined,
  };
}
