// The soak proof (issue 11), shared by test/soak.test.ts (10 s) and
// `npm run soak` (SOAK_SECONDS, default 60): tsfwd l2fwd or pipeline on two
// net_af_xdp ports of the gen-fwd-sink preset, overloaded by pktgen --engine
// xdp-live from gen, then stopped with SIGINT so it drains. What must hold is
// returned as a list of problems (empty = pass) next to a one-line summary.
//
//   gen [g0] --- [f0] fwd [f1] --- [s0] sink
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { getAffinity } from '../../src/native';
import { PRESETS } from '../../src/topo/spec';
import { hostNs, topoDown, topoUp } from '../../src/topo/topo';
import { CliRun, startCli, stopCli } from './cli-proc';
import { FinalLine, balanceProblems, dropsText, lastFinal } from './soak-final';

export interface SoakOptions {
  app: 'l2fwd' | 'pipeline';
  /** Seconds of overload after the warm-up. */
  seconds: number;
  /** Seconds of overload before the RSS baseline: the lcore's GC window opens 2 s after its first frame. */
  warmup?: number;
  /** Progress lines (phase and elapsed seconds), e.g. console.error. */
  log?: (line: string) => void;
}

export interface SoakReport {
  app: string;
  seconds: number;
  /** Frames xdp-live handed to the kernel on g0. */
  offered: number;
  final?: FinalLine;
  /** Frames s0 received during the run (kernel counter). */
  sinkRx: number;
  rssWarmKb: number;
  rssEndKb: number;
  problems: string[];
  summary: string;
}

/** Unicast to nobody: s0 drops it as PACKET_OTHERHOST (l2fwd rewrites it to 02:00:00:00:00:01 anyway). */
const DST_MAC = '02:00:00:00:02:09';
const RSS_GROWTH_LIMIT_KB = 5 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function inNs(ns: string, argv: string[]): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} in ${ns}: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

const counter = (ns: string, dev: string, name: string): number => Number(inNs(ns, ['cat', `/sys/class/net/${dev}/statistics/${name}`]).trim());

/** VmRSS of a live process in kB, or -1 once it is gone. */
function vmRssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}

let seq = 0;

export async function runSoak(o: SoakOptions): Promise<SoakReport> {
  const warmup = o.warmup ?? 3;
  const prefix = `tsoak${process.pid % 100000}${seq++}`;
  const [g, f, s] = ['gen', 'fwd', 'sink'].map((n) => hostNs(prefix, n));
  const cpus = getAffinity();
  const genCpu = String(cpus[0]);
  const fwdCpu = String(cpus[cpus.length - 1]);
  const onSignal = (): void => { topoDown(prefix); process.exit(130); };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let fwd: CliRun | undefined;
  let gen: CliRun | undefined;
  let sampler: NodeJS.Timeout | undefined;
  const problems: string[] = [];
  const t0 = Date.now();
  const phase = (what: string): void => o.log?.(`soak ${o.app} +${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  try {
    // The preset has GRO on at every end: veth NAPI, which frames XDP_TX'd by xdp-live need.
    topoUp(PRESETS['gen-fwd-sink'], prefix);
    // IPv6 off everywhere: no ND/MLD frame may reach s0's counter during the run.
    for (const ns of [g, f, s]) inNs(ns, ['sh', '-c', 'for c in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$c"; done']);
    phase('topology up');
    await sleep(200);
    const sink0 = counter(s, 's0', 'rx_packets');

    const lcores = o.app === 'l2fwd' ? [fwdCpu] : [genCpu, fwdCpu];
    const appArgs = o.app === 'l2fwd' ? ['-q', '2'] : ['-q', '2', '--rx-lcores', '1'];
    // --duration: a backstop so the forwarder ends even if this process dies.
    fwd = await startCli(f, [o.app, '-l', lcores.join(','), '--vdev', 'net_af_xdp0,iface=f0', '--vdev', 'net_af_xdp1,iface=f1', '--',
      '-p', '0x3', ...appArgs, '-T', '0', '--stats-json', '--duration', String(warmup + o.seconds + 60)],
    o.app === 'l2fwd' ? /RX port 1 TX port 0/ : /TX port 1 \(ring/);
    phase(`${o.app} ready`);
    await sleep(300); // the lcores attach their ports after the plan is printed
    const pid = fwd.proc.pid!;
    let rss = vmRssKb(pid);
    sampler = setInterval(() => { const r = vmRssKb(pid); if (r > 0) rss = r; }, 500);

    gen = await startCli(g, ['pktgen', '-l', genCpu, '--vdev', 'net_af_packet0,iface=g0', '--', '--engine', 'xdp-live',
      '--size', '64', '--dst-mac', DST_MAC, '-T', '0', '--stats-json', '--duration', String(warmup + o.seconds)], /Lcore \d+: TX port 0/);
    phase('xdp-live ready');
    await sleep(warmup * 1000);
    const rssWarmKb = rss;
    const gp = gen.proc;
    gp.removeAllListeners('exit'); // startCli's early-exit listener
    const genDone = new Promise<number | null>((r) => {
      if (gp.exitCode !== null || gp.signalCode !== null) r(gp.exitCode);
      else gp.once('exit', (c) => r(c));
    });
    let late: NodeJS.Timeout | undefined;
    const genCode = await Promise.race([genDone, new Promise<'late'>((r) => { late = setTimeout(() => r('late'), (o.seconds + 30) * 1000); })]);
    clearTimeout(late); // a pending timer would keep the caller's process alive
    if (genCode === 'late') problems.push('pktgen xdp-live did not end 30 s after its --duration');
    else if (genCode !== 0) problems.push(`pktgen xdp-live exited ${genCode}: ${gen.err().trim().split('\n').pop()}`);
    phase('xdp-live ended');
    const genFinal = lastFinal<{ ports: { opackets: number }[] }>(gen.out());
    const offered = genFinal?.ports[0].opackets ?? 0;
    await sleep(600); // the forwarder drains what is still queued; one more RSS sample
    const rssEndKb = rss;
    clearInterval(sampler);
    sampler = undefined;

    const stop = await stopCli(fwd.proc);
    phase(`${o.app} stopped (${stop.ms} ms after SIGINT)`);
    const final = lastFinal<FinalLine>(fwd.out());
    await sleep(100);
    const sinkRx = counter(s, 's0', 'rx_packets') - sink0;

    if (stop.code !== 0) problems.push(`${o.app} exited ${stop.code}: ${fwd.err().trim().split('\n').slice(-3).join(' | ')}`);
    if (!final) {
      problems.push(`${o.app} printed no final line`);
    } else {
      problems.push(...balanceProblems(final));
      const p0 = final.ports[0];
      const p1 = final.ports[1];
      if (p0.forwarded < 10_000) problems.push(`no real traffic: port 0 forwarded ${p0.forwarded}`);
      if (offered <= p0.ipackets) problems.push(`not overloaded: xdp-live offered ${offered}, port 0 received ${p0.ipackets}`);
      if (sinkRx !== p1.opackets) problems.push(`sink s0 kernel rx_packets ${sinkRx} != port 1 sent ${p1.opackets}`);
      const measured = final.gcs.filter((x) => x >= 0);
      const gcs = measured.reduce((a, x) => a + x, 0);
      // Every lcore (l2fwd's, pipeline's rx and tx) counts GCs from 2 s after its first frame.
      if (measured.length !== final.gcs.length) problems.push(`GCs not measured: ${JSON.stringify(final.gcs)}`);
      if (gcs !== 0) problems.push(`${gcs} garbage collections after warm-up (${JSON.stringify(final.gcs)})`);
    }
    if (rssWarmKb <= 0 || rssEndKb <= 0) problems.push('RSS not sampled');
    else if (rssEndKb - rssWarmKb >= RSS_GROWTH_LIMIT_KB) problems.push(`RSS grew ${((rssEndKb - rssWarmKb) / 1024).toFixed(1)} MB after warm-up (limit 5 MB)`);

    const mb = (kb: number): string => (kb / 1024).toFixed(1);
    const summary = final
      ? `soak ${o.app} net_af_xdp ${o.seconds} s (+${warmup} s warm-up): xdp-live offered ${offered} ` +
        `(not received and not in imissed: ${offered - final.ports[0].ipackets - final.ports[0].dropped.imissed}); ` +
        `${final.ports.map((p) => `port ${p.port} in ${p.ipackets} fwd ${p.forwarded} drops ${dropsText(p.dropped)}`).join('; ')}; ` +
        `sink rx ${sinkRx} = sent ${final.ports[1].opackets}; mempool in use ${final.mempool.inUse}/${final.mempool.size}; ` +
        `RSS ${mb(rssWarmKb)} -> ${mb(rssEndKb)} MB (peak ${mb(final.maxRssKb)}); GCs after warm-up ${JSON.stringify(final.gcs)}` +
        `; ${problems.length ? `FAIL: ${problems.join('; ')}` : 'ok'}`
      : `soak ${o.app}: FAIL: ${problems.join('; ')}`;
    return { app: o.app, seconds: o.seconds, offered, final, sinkRx, rssWarmKb, rssEndKb, problems, summary };
  } finally {
    if (sampler) clearInterval(sampler);
    for (const p of [gen, fwd]) if (p && p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    topoDown(prefix);
    phase('topology down');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
