// Who takes part in the traffic benchmarks: generators (out of g0) and
// forwarders (between two veths of one namespace), each started as the
// program a user would run, bounded in time and stopped with SIGINT.
import * as fs from 'node:fs';
import { xskAvailable } from '../src/native';
import { XSK_PACKAGES } from '../src/port/af-xdp/af-xdp';
import { MMAP_TX1024, RING_CEILING } from './cells';
import { TOOLS, skipReason } from './comparators';
import { BIN, Proc, finalRecord, sh, sleep, trafgenConf } from './traffic';

/** Frame lengths on the veth, without FCS (pktgen's --size counts the FCS). */
export const SIZES = [64, 512, 1514];
/** Unicast to nobody: f0 and s0 drop it as PACKET_OTHERHOST before the IP layer. */
export const DST_MAC = '02:00:00:00:02:09';

export interface Generator {
  name: string;
  skip?: string;
  /** Frame lengths it is run at (default SIZES). */
  sizes?: number[];
  start(ns: string, iface: string, len: number, cpu: number, boundSecs: number): Promise<Proc>;
}

export const XDP_LIVE: Generator = {
  name: 'xdp-live',
  async start(ns, iface, len, cpu, bound) {
    const p = new Proc(ns, [process.execPath, BIN, 'pktgen', '-l', String(cpu), '--vdev', `net_af_packet0,iface=${iface}`, '--',
      '--engine', 'xdp-live', '--size', String(len + 4), '--dst-mac', DST_MAC, '-T', '0'], bound);
    await p.ready(/Lcore \d+: TX port 0/, 15_000, 'pktgen --engine xdp-live');
    return p;
  },
};

export function trafgen(): Generator {
  return {
    name: 'trafgen',
    skip: skipReason(TOOLS.trafgen),
    // The second opinion, at 64 B only: it keeps `npm run bench` under 15 minutes.
    sizes: [64],
    async start(ns, iface, len, cpu, bound) {
      const conf = trafgenConf(len);
      const p = new Proc(ns, ['taskset', '-c', String(cpu), 'trafgen', '-o', iface, '-i', conf, '-P', '1', '--no-sock-mem', '-Q', '-C'], bound);
      p.child.once('close', () => fs.rmSync(conf, { force: true }));
      await sleep(300);
      if (!p.running) throw new Error(`trafgen exited at start: ${p.err.trim().split('\n').pop()}`);
      return p;
    },
  };
}

/** What a tsfwd run printed in its final JSON line. */
export interface TsfwdFinal {
  gcs: number; maxRssKb: number; imissed: number; ok: boolean;
  /** Share of the lcores' polls that found no frame, and their busy time (iterations that handled frames) per forwarded frame, ns. */
  emptyPolls: number; busyNsPerFrame: number;
}

export interface Forwarder {
  name: string;
  /** Set when the forwarder cannot run here: the table shows it instead of numbers. */
  skip?: string;
  /** Starts forwarding between ports a and b of namespace ns; undefined = no process (the bridge). */
  start(ns: string, a: string, b: string, cpus: [number, number], boundSecs: number, txFirst: boolean): Promise<Proc | undefined>;
  /** Undoes what start did beyond the process (the bridge device). */
  cleanup?(ns: string): void;
  /** After the stop: CPU time in polls that handled frames per forwarded frame, ns, as the forwarder itself measured it. */
  busyNsPerFrame?(p: Proc): number | undefined;
  tsfwd?: boolean;
  /** The row's rate is what its process took in (windowTaken), not what reached s0. */
  taken?: boolean;
}

/**
 * tsfwd l2fwd over two net_af_packet ports (mmap, mmap over TPACKET_V3 = 'mmap v3', mmap with a
 * 1024-frame TX ring, or mmsg) or two net_af_xdp ports (the mempool as UMEM).
 */
export function tsfwdL2fwd(mode: 'mmap' | 'mmap v3' | typeof MMAP_TX1024 | 'mmsg' | 'af_xdp'): Forwarder {
  const afpMode = mode === 'mmap v3' ? 'mmap,tpacket_version=3' : mode === MMAP_TX1024 ? 'mmap,txframecnt=1024' : mode;
  const vdev = (n: number, iface: string): string => (mode === 'af_xdp' ? `net_af_xdp${n},iface=${iface}` : `net_af_packet${n},iface=${iface},mode=${afpMode}`);
  return {
    name: `tsfwd l2fwd ${mode}`,
    tsfwd: true,
    skip: mode !== 'af_xdp' || xskAvailable() ? undefined : `skipped: tsfwd was built without AF_XDP (install with \`${XSK_PACKAGES}\`, then npm run build:native)`,
    async start(ns, a, b, cpus, bound, txFirst) {
      const p = new Proc(ns, [process.execPath, BIN, 'l2fwd', '-l', String(cpus[1]), '--vdev', vdev(0, a), '--vdev', vdev(1, b),
        // Stats lines every second: the window's lcore figures are read from them (tsfwdWindow).
        '--', '-p', '0x3', '-q', '2', '-T', '1', '--stats-json', ...(txFirst ? ['--tx-first'] : [])], bound);
      await p.ready(/Lcore \d+: RX port 1/, 15_000, `tsfwd l2fwd ${mode}`);
      await sleep(300); // the lcore attaches its ports after the plan is printed
      return p;
    },
  };
}

/**
 * Not a forwarder: a busy tsfwd sink on f0's net_af_packet ring (TPACKET_V2,
 * as mode=mmap), forwarding nothing. It takes frames as fast as it can, so the
 * generator runs at the rate its CPU can hand frames to such a ring (the copy
 * into the ring is f0's receive path, on the generator's CPU): an mmap
 * forwarder's ring is fed no faster in that run. Its rate is the sink's own
 * count (`taken`); its imissed says when the sink, not the generator, was the limit.
 */
export function ringCeiling(windowSecs: number): Forwarder {
  // Stats lines often enough that a window holds at least two (windowTaken).
  const period = Math.min(1, windowSecs / 4);
  return {
    name: RING_CEILING,
    taken: true,
    async start(ns, a, _b, cpus, bound) {
      const p = new Proc(ns, [process.execPath, BIN, 'sink', '-l', String(cpus[1]), '--poll-mode', 'busy', '--vdev', `net_af_packet0,iface=${a},mode=mmap`,
        '--', '-T', String(period), '--stats-json'], bound);
      await p.ready(/sink: net_af_packet0 on lcore/, 15_000, 'tsfwd sink');
      await sleep(300);
      return p;
    },
  };
}

export function linuxBridge(): Forwarder {
  return {
    name: 'linux bridge',
    skip: skipReason(TOOLS.bridge),
    async start(ns, a, b) {
      // bridge-nf-call off: frames must not go through iptables (the setup).
      sh(['ip', 'netns', 'exec', ns, 'sh', '-c', 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -e "$f" ] && echo 0 > "$f"; done; true']);
      sh(['ip', '-n', ns, 'link', 'add', 'br0', 'type', 'bridge']);
      sh(['ip', '-n', ns, 'link', 'set', a, 'master', 'br0']);
      sh(['ip', '-n', ns, 'link', 'set', b, 'master', 'br0']);
      sh(['ip', '-n', ns, 'link', 'set', 'br0', 'up']);
      await sleep(300);
      return undefined;
    },
    cleanup(ns) {
      try { sh(['ip', '-n', ns, 'link', 'del', 'br0']); } catch { /* not made */ }
    },
  };
}

export function testpmd(mode: 'mac' | 'io', driver: 'net_af_packet' | 'net_af_xdp' = 'net_af_packet'): Forwarder {
  return {
    name: `testpmd ${driver} ${mode}`,
    skip: skipReason(TOOLS.testpmd),
    async start(ns, a, b, cpus, bound, txFirst) {
      // Main lcore on the generator's CPU (it only prints stats), one
      // forwarding lcore on the forwarder's CPU, as tsfwd's single lcore.
      const p = new Proc(ns, ['dpdk-testpmd', '-l', `${cpus[0]},${cpus[1]}`, '--no-huge', '-m', '512', '--no-pci', '--no-telemetry',
        '--file-prefix', `tsfwdb${process.pid}`, '--vdev', `${driver}0,iface=${a}`, '--vdev', `${driver}1,iface=${b}`, '--',
        `--forward-mode=${mode}`, '--nb-cores=1', '--stats-period', '1', '--total-num-mbufs=16384', '--record-core-cycles',
        ...(txFirst ? ['--tx-first'] : [])], bound);
      await p.ready(/start packet forwarding/i, 30_000, `dpdk-testpmd ${driver} ${mode}`);
      await sleep(300);
      return p;
    },
    // --record-core-cycles: TSC cycles of the bursts that received frames (the
    // empty ones are not counted), per forwarded frame, printed at the stop.
    busyNsPerFrame(p) {
      const m = /CPU cycles\/packet=([\d.]+) .* at (\d+) MHz/.exec(p.out);
      return m ? (Number(m[1]) * 1000) / Number(m[2]) : undefined;
    },
  };
}

/** An lcore's polls and busy time over the measured window only, from the periodic --stats-json lines. */
export interface TsfwdWindow {
  /** Share of the lcores' polls in the window that found no frame. */
  emptyPolls: number;
  /** Their busy time (iterations that handled frames) per frame forwarded in the window, ns; undefined if none was. */
  busyNsPerFrame: number | undefined;
}

type LcoreRec = { ports: { forwarded: number }[]; lcores: { polls: number; emptyPolls: number; busyUs: number }[] };
const sum = <T>(xs: T[], g: (x: T) => number): number => xs.reduce((a, x) => a + g(x), 0);
/** A stats record's cumulative [polls, empty polls, busy µs, frames forwarded] over all lcores and ports. */
const lcoreTotals = (r: LcoreRec): number[] =>
  [sum(r.lcores, (l) => l.polls), sum(r.lcores, (l) => l.emptyPolls), sum(r.lcores, (l) => l.busyUs), sum(r.ports, (q) => q.forwarded)];
/** The lcore figures between two sets of totals (from lcoreTotals). */
function lcoreFigures(a: number[], b: number[]): TsfwdWindow {
  const [polls, empty, busyUs, fwd] = b.map((v, i) => v - a[i]);
  return { emptyPolls: empty / Math.max(1, polls), busyNsPerFrame: fwd > 0 ? (busyUs * 1000) / fwd : undefined };
}

/** The `"msg":"stats"` lines a tsfwd process printed within [fromMs, toMs] (wall clock), parsed, with their time in ms. */
function statsIn<T>(p: Pick<Proc, 'out'>, fromMs: number, toMs: number): (T & { t: number })[] {
  const recs: (T & { t: number })[] = [];
  for (const line of p.out.split('\n')) {
    if (!line.includes('"msg":"stats"')) continue;
    let r: T & { time: string };
    try { r = JSON.parse(line) as T & { time: string }; } catch { continue; } // a line cut where Proc caps its output
    const t = Date.parse(r.time);
    if (t >= fromMs && t <= toMs) recs.push({ ...r, t });
  }
  return recs;
}

/**
 * The lcore figures between the first and the last stats line printed within
 * [fromMs, toMs], so warm-up and teardown, when the lcore spins on empty
 * queues, do not dilute them; undefined with fewer than two lines.
 */
export function tsfwdWindow(p: Pick<Proc, 'out'>, fromMs: number, toMs: number): TsfwdWindow | undefined {
  const recs = statsIn<LcoreRec>(p, fromMs, toMs);
  return recs.length < 2 ? undefined : lcoreFigures(lcoreTotals(recs[0]), lcoreTotals(recs[recs.length - 1]));
}

/** Frames/s a tsfwd sink counted between its first and last stats line within [fromMs, toMs]; undefined with fewer than two. */
export function windowTaken(p: Pick<Proc, 'out'>, fromMs: number, toMs: number): number | undefined {
  const recs = statsIn<{ frames: number }>(p, fromMs, toMs).filter((r) => typeof r.frames === 'number');
  if (recs.length < 2) return undefined;
  const a = recs[0];
  const b = recs[recs.length - 1];
  return b.t > a.t ? ((b.frames - a.frames) * 1000) / (b.t - a.t) : undefined;
}

/** Frames the kernel dropped for a full ring at a tsfwd sink's ports, from its final line (the whole run). */
export function sinkImissed(p: Proc): number | undefined {
  const f = finalRecord<{ ports: { imissed: number }[] }>(p);
  return f ? sum(f.ports, (q) => q.imissed) : undefined;
}

/** The final JSON line of a tsfwd run (printed after SIGINT), if there is one. */
export function tsfwdFinal(p: Proc): TsfwdFinal | undefined {
  const f = finalRecord<LcoreRec & {
    ok: boolean; gcs: number[]; maxRssKb: number; ports: { forwarded: number; dropped: { imissed: number } }[];
  }>(p);
  if (!f) return undefined;
  const run = lcoreFigures([0, 0, 0, 0], lcoreTotals(f));
  return {
    emptyPolls: run.emptyPolls,
    busyNsPerFrame: run.busyNsPerFrame ?? 0,
    ok: f.ok, maxRssKb: f.maxRssKb,
    // -1 per lcore means traffic lasted less than the warm-up: not measured.
    gcs: f.gcs.some((g) => g >= 0) ? f.gcs.reduce((a, g) => a + Math.max(0, g), 0) : -1,
    imissed: sum(f.ports, (q) => q.dropped.imissed),
  };
}
