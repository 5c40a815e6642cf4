// `npm run bench -- poll` (root): what the EAL poll modes cost and save, on
// gen -> fwd -> sink with l2fwd (net_af_packet mmap) on the forwarder's CPU.
//   idle        no traffic: CPU share of l2fwd's lcore thread per mode
//               (/proc/PID/task/TID/stat utime+stime over the window)
//   saturation  xdp-live overload: frames/s delivered at s0, busy vs adaptive
//   latency     pktgen (lcore engine, stamped) at ~10% of busy's capacity:
//               the sink's p99, busy vs adaptive
//   demo        `tsfwd demo` three times: lost frames and the sink's p99
// Runs are interleaved (run 1 of every mode, then run 2 ...) so drifting load
// on the machine hits every mode alike.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { BenchOptions, BenchReport } from './options';
import { DST_MAC, XDP_LIVE } from './contenders';
import { kpps } from './cells';
import { pairedRatio } from './ratio';
import { Summary, summarize, table } from './stats';
import { BIN, BenchNet, Proc, finalRecord, lastLine, packets, sleep, window } from './traffic';
import { cpuTicks } from './cpu-split';

type Mode = 'busy' | 'adaptive' | 'interrupt';
const MODES: Mode[] = ['busy', 'adaptive', 'interrupt'];
const LEN = 64;
const CLK_TCK = 100; // USER_HZ: /proc/*/stat's time unit on every Linux ABI tsfwd builds for
const DEMOS = 3;

async function l2fwd(net: BenchNet, mode: Mode, cpu: number, bound: number): Promise<Proc> {
  const vdev = (n: number, iface: string): string => `net_af_packet${n},iface=${iface},mode=mmap`;
  const p = new Proc(net.fwd, [process.execPath, BIN, 'l2fwd', '-l', String(cpu), '--poll-mode', mode,
    '--vdev', vdev(0, 'f0'), '--vdev', vdev(1, 'f1'), '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json'], bound);
  await p.ready(/Lcore \d+: RX port 1/, 15_000, `tsfwd l2fwd --poll-mode ${mode}`);
  await sleep(300); // the lcore attaches its ports after the plan is printed
  return p;
}

/** The node process under Proc's `timeout` (ip netns exec execs it, timeout forks the command). */
function nodePid(p: Proc): number {
  const parent = p.child.pid!;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(d);
    } catch { /* exited meanwhile */ }
  }
  throw new Error(`no child of timeout (pid ${parent}) found`);
}

/** CPU ticks (utime + stime) and CPU affinity of every thread of `pid`. */
function threads(pid: number): Map<number, { ticks: number; cpus: string }> {
  const m = new Map<number, { ticks: number; cpus: string }>();
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // f[0] is field 3 (state)
      const cpus = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1] ?? '';
      m.set(Number(t), { ticks: Number(f[11]) + Number(f[12]), cpus });
    } catch { /* thread exited meanwhile */ }
  }
  return m;
}

interface IdleRun { lcore: number; process: number; found: 'pinned' | 'max' }

/** CPU shares (1 = one CPU) over a window with no traffic. The lcore thread is the only one
 *  pinned to `cpu` (lcore-worker sets its affinity; the main thread keeps the process's). */
async function idleOnce(net: BenchNet, mode: Mode, cpu: number, secs: number): Promise<IdleRun> {
  const p = await l2fwd(net, mode, cpu, secs + 30);
  try {
    await sleep(700); // past start-up work (JIT, port setup)
    const pid = nodePid(p);
    const a = threads(pid);
    const t0 = process.hrtime.bigint();
    await sleep(secs * 1000);
    const b = threads(pid);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (!p.running) throw new Error(`l2fwd stopped during the window: ${lastLine(p.err)}`);
    const share = new Map<number, number>();
    for (const [tid, v] of b) share.set(tid, (v.ticks - (a.get(tid)?.ticks ?? 0)) / CLK_TCK / dt);
    const pinned = [...b].filter(([tid, v]) => tid !== pid && v.cpus === String(cpu) && b.get(pid)?.cpus !== v.cpus);
    const total = [...share.values()].reduce((x, y) => x + y, 0);
    if (pinned.length === 1) return { lcore: share.get(pinned[0][0])!, process: total, found: 'pinned' };
    return { lcore: Math.max(...share.values()), process: total, found: 'max' };
  } finally {
    await p.stop();
  }
}

/** What l2fwd's lcore did over its whole run (its final JSON line): did it nap under overload? */
interface LcoreRun { polls: number; emptyPolls: number; sleeps: number; sleepUs: number }
interface SatRun { pps: number; lcore: LcoreRun }

function lcoreFinal(p: Proc): LcoreRun {
  const f = finalRecord<{ lcores: LcoreRun[] }>(p);
  if (!f) throw new Error(`l2fwd printed no final line: ${lastLine(p.err || p.out)}`);
  const l = f.lcores[0];
  return { polls: l.polls, emptyPolls: l.emptyPolls, sleeps: l.sleeps, sleepUs: l.sleepUs };
}

async function saturationOnce(net: BenchNet, mode: Mode, o: BenchOptions, secs: number): Promise<SatRun> {
  let gp: Proc | undefined;
  let fp: Proc | undefined;
  let pps: number;
  // f0's receive work (veth NAPI, tpacket_rcv) runs on the generator's CPU,
  // so both CPUs set the delivered rate and it varies +-15% between windows
  // of the same mode: hence 9 runs at least, and the naps recorded.
  try {
    gp = await XDP_LIVE.start(net.gen, 'g0', LEN, o.cpus[0], secs + 60);
    fp = await l2fwd(net, mode, o.cpus[1], secs + 60);
    await sleep(1000);
    [pps] = await window(secs, () => [packets(net.sink, 's0')[0]]);
    if (!gp.running || !fp.running) throw new Error(`a process stopped during the window: ${lastLine((fp.running ? gp : fp).err)}`);
  } finally {
    await gp?.stop();
    await fp?.stop();
  }
  return { pps, lcore: lcoreFinal(fp) };
}

interface Final { msg: string; streams: { received: number; lost: number }[]; latencyNs: { p50: number; p99: number; samples: number } }

function sinkFinal(p: Proc): Final {
  const f = finalRecord<Final>(p);
  if (!f) throw new Error(`sink printed no final line: ${lastLine(p.err || p.out)}`);
  return f;
}

/** pktgen at `pps` through l2fwd in `mode` into the sink (sharing the generator's CPU, as in the demo). */
async function latencyOnce(net: BenchNet, mode: Mode, o: BenchOptions, secs: number, pps: number): Promise<{ p50: number; p99: number; lost: number; received: number }> {
  let fp: Proc | undefined;
  let sp: Proc | undefined;
  let gp: Proc | undefined;
  try {
    fp = await l2fwd(net, mode, o.cpus[1], secs + 60);
    sp = new Proc(net.sink, [process.execPath, BIN, 'sink', '-l', String(o.cpus[0]), '--vdev', 'net_af_packet0,iface=s0', '--', '-T', '0', '--stats-json'], secs + 60);
    await sp.ready(/^sink: /m, 15_000, 'tsfwd sink');
    gp = new Proc(net.gen, [process.execPath, BIN, 'pktgen', '-l', String(o.cpus[0]), '--vdev', 'net_af_packet0,iface=g0', '--',
      '--rate', String(pps), '--duration', String(secs), '--size', String(LEN + 4), '--dst-mac', DST_MAC, '-T', '0'], secs + 30);
    if (!(await gp.wait((secs + 25) * 1000))) throw new Error('pktgen did not finish');
    if (gp.child.exitCode !== 0) throw new Error(`pktgen failed: ${lastLine(gp.err || gp.out)}`);
    await sleep(300); // frames in flight reach the sink
  } finally {
    await gp?.stop();
    await sp?.stop();
    await fp?.stop();
  }
  const f = sinkFinal(sp);
  if (f.latencyNs.samples === 0) throw new Error('the sink saw no stamped frame');
  return { p50: f.latencyNs.p50, p99: f.latencyNs.p99, lost: f.streams.reduce((a, s) => a + s.lost, 0), received: f.streams.reduce((a, s) => a + s.received, 0) };
}

/** CPU time the hypervisor gave to others on `cpus` so far, ms (USER_HZ ticks of 10 ms). */
function stealMs(cpus: readonly number[]): number {
  return cpus.reduce((t, c) => t + cpuTicks(c)[3] * 10, 0);
}

interface DemoRun { lost: number; p99Us: number; code: number | null; stealMs: number }

/** `tsfwd demo` as a user runs it: lost frames and p99 from its sink summary. */
function demoOnce(cpus: readonly number[]): Promise<DemoRun> {
  const steal0 = stealMs(cpus);
  return new Promise((resolve, reject) => {
    const p = spawn('timeout', ['-k', '5', '-s', 'INT', '60', process.execPath, BIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('close', (code) => {
      const lost = /stream 0: received \d+, lost (\d+)/.exec(out);
      const p99 = /latency \(us\):.* p99 ([\d.]+) /.exec(out);
      if (!lost || !p99) reject(new Error(`demo printed no sink summary (exit ${code}): ${lastLine(out)}`));
      else resolve({ lost: Number(lost[1]), p99Us: Number(p99[1]), code, stealMs: stealMs(cpus) - steal0 });
    });
  });
}

const pct = (s: Summary): string => `${(s.median * 100).toFixed(1)}% (${(s.min * 100).toFixed(1)}-${(s.max * 100).toFixed(1)})`;
const usCell = (s: Summary): string => `${(s.median / 1e3).toFixed(0)} µs (${(s.min / 1e3).toFixed(0)}-${(s.max / 1e3).toFixed(0)})`;
const napCell = (l: LcoreRun): string =>
  `${l.sleeps} naps, ${(l.sleepUs / 1e3).toFixed(1)} ms asleep, ${(l.emptyPolls / Math.max(1, l.polls) * 100).toFixed(2)}% empty polls`;
const kppsCell = (s: Summary): string => `${kpps(s.median)} kpps (${kpps(s.min)}-${kpps(s.max)})`;

export async function pollBench(o: BenchOptions): Promise<BenchReport> {
  if (process.getuid?.() !== 0) throw new Error('skipped: needs root (network namespaces, AF_PACKET, BPF)');
  const secs = Math.max(o.seconds, 3);
  const satRuns = Math.max(o.runs, 9);
  // Other work on the machine shows up as latency and loss: record how much there was.
  const load = (): string => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const loadBefore = load();
  const idle = new Map<Mode, IdleRun[]>(MODES.map((m) => [m, []]));
  // By run (a failed run is a hole), so ratios pair runs of the same pass.
  const satByRun = new Map<Mode, (SatRun | undefined)[]>([['busy', []], ['adaptive', []]]);
  const sat = (m: Mode): SatRun[] => satByRun.get(m)!.filter((r): r is SatRun => r !== undefined);
  const lat = new Map<Mode, { p50: number; p99: number; lost: number; received: number }[]>([['busy', []], ['adaptive', []]]);
  // A failed run is logged and left out (the table says how many); a case with no run fails the scenario.
  const failures: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      failures.push(`${what}: ${(e as Error).message}`);
      o.log(`  ${what}: failed: ${(e as Error).message}`);
      return undefined;
    }
  };
  let latPps = 50_000;
  let latRate = 'fixed 50 kpps (no saturation figure)';
  const net = new BenchNet().start();
  try {
    for (let i = 0; i < o.runs; i++) {
      for (const m of MODES) {
        const r = await attempt(`run ${i + 1} idle ${m}`, () => idleOnce(net, m, o.cpus[1], secs));
        if (!r) continue;
        idle.get(m)!.push(r);
        o.log(`  run ${i + 1} idle ${m}: lcore ${(r.lcore * 100).toFixed(1)}% (${r.found}), process ${(r.process * 100).toFixed(1)}%`);
      }
    }
    // Saturation varies most between runs (+-15% per window here): at least 9 runs.
    for (let i = 0; i < satRuns; i++) {
      for (const m of satByRun.keys()) {
        const r = await attempt(`run ${i + 1} saturation ${m}`, () => saturationOnce(net, m, o, secs));
        satByRun.get(m)![i] = r;
        if (r === undefined) continue;
        o.log(`  run ${i + 1} saturation ${m}: ${kpps(r.pps)} kpps at s0; lcore ${napCell(r.lcore)}`);
      }
    }
    // 10% of what busy l2fwd delivers at saturation, within what pktgen paces reliably here.
    const cap = summarize(sat('busy').map((r) => r.pps)).median;
    if (cap > 0) {
      latPps = Math.round(Math.min(200_000, Math.max(10_000, cap * 0.1)) / 1000) * 1000;
      latRate = `${kpps(latPps)} kpps = ~10% of busy's saturation median (${kpps(cap)} kpps)`;
    }
    for (let i = 0; i < o.runs; i++) {
      for (const m of lat.keys()) {
        const r = await attempt(`run ${i + 1} latency ${m}`, () => latencyOnce(net, m, o, secs, latPps));
        if (!r) continue;
        lat.get(m)!.push(r);
        o.log(`  run ${i + 1} latency ${m} at ${kpps(latPps)} kpps: p50 ${(r.p50 / 1e3).toFixed(0)} µs, p99 ${(r.p99 / 1e3).toFixed(0)} µs, lost ${r.lost}`);
      }
    }
  } finally {
    net.down();
  }
  const demos: DemoRun[] = [];
  for (let i = 0; i < DEMOS; i++) {
    const d = await attempt(`demo ${i + 1}`, () => demoOnce(o.cpus));
    if (!d) continue;
    demos.push(d);
    o.log(`  demo ${i + 1}: lost ${d.lost}, p99 ${d.p99Us} µs, exit ${d.code}, steal ${d.stealMs} ms`);
  }

  const loadAfter = load();
  const empty = [...[...idle].map(([m, r]) => [`idle ${m}`, r.length] as const), ...[...satByRun.keys()].map((m) => [`saturation ${m}`, sat(m).length] as const),
    ...[...lat].map(([m, r]) => [`latency ${m}`, r.length] as const), ['demo', demos.length] as const].filter(([, n]) => n === 0);
  if (empty.length > 0) throw new Error(`no successful run of ${empty.map(([w]) => w).join(', ')}; last failure: ${failures[failures.length - 1]}`);
  const idleS = MODES.map((m) => summarize(idle.get(m)!.map((r) => r.lcore)));
  const procS = MODES.map((m) => summarize(idle.get(m)!.map((r) => r.process)));
  const allPinned = MODES.every((m) => idle.get(m)!.every((r) => r.found === 'pinned'));
  const satS = [summarize(sat('busy').map((r) => r.pps)), summarize(sat('adaptive').map((r) => r.pps))];
  const p99S = [summarize(lat.get('busy')!.map((r) => r.p99)), summarize(lat.get('adaptive')!.map((r) => r.p99))];
  const p50S = [summarize(lat.get('busy')!.map((r) => r.p50)), summarize(lat.get('adaptive')!.map((r) => r.p50))];
  const lostS = [summarize(lat.get('busy')!.map((r) => r.lost)), summarize(lat.get('adaptive')!.map((r) => r.lost))];
  const satRatio = satS[1].median / satS[0].median;
  const satPaired = pairedRatio(satByRun.get('adaptive')!.map((r) => r?.pps), satByRun.get('busy')!.map((r) => r?.pps));
  const p99Ratio = p99S[1].median / p99S[0].median;
  const demoOk = demos.filter((d) => d.code === 0 && d.lost === 0 && d.p99Us < 500).length;
  const yes = (b: boolean): string => (b ? 'met' : '**not met**');
  const rows: string[][] = [
    ['idle: lcore thread CPU share', pct(idleS[0]), pct(idleS[1]), pct(idleS[2]), `< 2%: adaptive ${yes(idleS[1].median < 0.02)}, interrupt ${yes(idleS[2].median < 0.02)}`],
    ['idle: whole l2fwd process CPU share', pct(procS[0]), pct(procS[1]), pct(procS[2]), '-'],
    [`saturation: xdp-live ${LEN} B, delivered at s0`, kppsCell(satS[0]), kppsCell(satS[1]), '-', `adaptive / busy = **${satRatio.toFixed(2)}** (per run ${satPaired ? `${satPaired.min.toFixed(2)}-${satPaired.max.toFixed(2)}` : '-'}; >= 0.95: ${yes(satRatio >= 0.95)})`],
    ['saturation: lcore naps over each whole run (start-up and stop included)', sat('busy').map((r) => napCell(r.lcore)).join(' / '),
      sat('adaptive').map((r) => napCell(r.lcore)).join(' / '), '-', '-'],
    [`latency at ${kpps(latPps)} kpps: sink p99`, usCell(p99S[0]), usCell(p99S[1]), '-', `adaptive / busy = **${p99Ratio.toFixed(2)}** (<= 2: ${yes(p99Ratio <= 2)})`],
    [`latency at ${kpps(latPps)} kpps: sink p50`, usCell(p50S[0]), usCell(p50S[1]), '-', '-'],
    [`latency at ${kpps(latPps)} kpps: frames lost`, String(lostS[0].median), String(lostS[1].median), '-', '-'],
    [`tsfwd demo x${DEMOS} (l2fwd adaptive): lost; p99`, '-', demos.map((d) => `${d.lost}; ${d.p99Us.toFixed(0)} µs; steal ${d.stealMs} ms`).join(' / '), '-',
      `0 lost and p99 < 500 µs in ${demoOk} of ${demos.length} (target ${DEMOS} of ${DEMOS}: ${yes(demoOk === DEMOS)})`],
  ];
  const md = [
    `Poll modes: tsfwd l2fwd (net_af_packet mmap, one lcore on CPU ${o.cpus[1]}) on gen -> fwd -> sink, median (min-max) of ${o.runs} runs x ${secs} s windows, ` +
      'modes interleaved within each run. Idle: no traffic, CPU share of one CPU from /proc/PID/task/TID/stat (utime+stime) over the window; ' +
      (allPinned ? 'the lcore thread is the one thread pinned to the lcore\'s CPU. ' : 'Node does not name worker threads and the pinned thread was not always found: ' +
        'where not, the figure is the busiest thread\'s, which bounds the lcore\'s share. ') +
      `Saturation (${satRuns} runs): pktgen --engine xdp-live (${LEN} B, CPU ${o.cpus[0]}) overloads f0 ` +
      `(whose receive work runs on the generator's CPU); s0's kernel rx counter; the spread is that of the per-run ratios. ` +
      `Latency: pktgen (lcore engine, stamped UDP, ${LEN} B) at ${latRate}, sink on the generator's CPU, p99 of the sink's latency histogram. ` +
      `Demo: \`tsfwd demo\` (100 kpps for 8 s), its sink summary: lost; p99; steal = CPU time the hypervisor gave other guests on these CPUs ` +
      'during the run (/proc/stat), which no guest can prevent and which shows up as latency. ' +
      `Load average (1, 5, 15 min) ${loadBefore} before, ${loadAfter} after.`,
    '',
    table(['case', 'busy', 'adaptive', 'interrupt', 'target'], rows),
    ...(failures.length ? ['', `${failures.length} run(s) failed and are left out; last: ${failures[failures.length - 1]}`] : []),
  ].join('\n');
  const json = {
    cpus: o.cpus, windowSeconds: secs, loadBefore, loadAfter, latencyPps: latPps, lcoreThread: allPinned ? 'pinned' : 'max over threads where not found',
    idle: MODES.map((m, i) => ({ mode: m, lcoreShare: idleS[i], processShare: procS[i], runs: idle.get(m) })),
    saturation: { busy: satS[0], adaptive: satS[1], ratio: satRatio, runs: { busy: sat('busy'), adaptive: sat('adaptive') } },
    latency: { busy: { p99Ns: p99S[0], p50Ns: p50S[0], runs: lat.get('busy') }, adaptive: { p99Ns: p99S[1], p50Ns: p50S[1], runs: lat.get('adaptive') }, ratioP99: p99Ratio },
    demo: demos, failures,
  };
  return { name: 'poll', markdown: md, json };
}
