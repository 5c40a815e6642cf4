// `npm run bench -- af-packet`: frames/s that one tsfwd lcore forwards from
// one net_af_packet port to another, for mode=mmap and mode=mmsg, 64- and
// 1514-byte frames, on gen -> fwd -> sink veths:
//
//   nsG [g0] --- [f0] nsF [f1] --- [s0] nsS
//   trafgen        tsfwd lcore       kernel rx counter
//
// trafgen (netsniff-ng) runs pinned to the first CPU, the lcore to the
// second; delivered = s0's rx_packets over the timed window. On 2 CPUs the
// generator's CPU also pays the kernel's rx work into f0, so it is often the
// limit; the loop case measures the forwarder alone (DESIGN.md):
//
//   nsL [l0] --- [l1] nsL     tsfwd: rx l0 -> tx l1, 128 frames sent first
//
// where the lcore's CPU does all the work (its send() delivers into l0's
// socket) and the rate is port l0's ipackets. Namespaces are removed when
// the bench ends, also on failure or a signal. Needs root and trafgen.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LcoreGroup } from '../src/eal/launch';
import { Mempool } from '../src/mempool/mempool';
import { openPort, portHandle } from '../src/port/registry';
import type { Port } from '../src/port/types';
import { withNetns } from '../src/topo/netns';
import type { AfpFwdConfig, AfpFwdResult } from './af-packet-app';
import { BenchOptions, BenchReport } from './options';
import { summarize, table } from './stats';

const MODES = ['mmap', 'mmsg'] as const;
const SIZES = [64, 1514];
const WARMUP_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** The three namespaces; `down()` removes them (idempotent). */
class Topo {
  readonly p = `afb${process.pid % 10000}`;
  readonly g = `${this.p}-g`;
  readonly f = `${this.p}-f`;
  readonly s = `${this.p}-s`;
  readonly l = `${this.p}-l`;
  private readonly made: string[] = [];
  up(): void {
    for (const ns of [this.g, this.f, this.s, this.l]) {
      sh(['ip', 'netns', 'add', ns]);
      this.made.push(ns);
      sh(['ip', 'netns', 'exec', ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
    }
    sh(['ip', 'link', 'add', 'g0', 'netns', this.g, 'type', 'veth', 'peer', 'name', 'f0', 'netns', this.f]);
    sh(['ip', 'link', 'add', 'f1', 'netns', this.f, 'type', 'veth', 'peer', 'name', 's0', 'netns', this.s]);
    sh(['ip', '-n', this.l, 'link', 'add', 'l0', 'type', 'veth', 'peer', 'name', 'l1']);
    for (const [ns, dev] of [[this.g, 'g0'], [this.f, 'f0'], [this.f, 'f1'], [this.s, 's0'], [this.l, 'l0'], [this.l, 'l1']]) {
      sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    }
  }
  counter(ns: string, dev: string, name: string): number {
    return Number(sh(['ip', 'netns', 'exec', ns, 'cat', `/sys/class/net/${dev}/statistics/${name}`]).trim());
  }
  down(): void {
    for (const ns of this.made.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
  }
}

function trafgenConf(size: number): string {
  const file = path.join(os.tmpdir(), `tsfwd-afb-${process.pid}-${size}.cfg`);
  // dst 02:00:00:00:00:02, src 02:00:00:00:00:01, EtherType 0x88b5 (local experimental).
  fs.writeFileSync(file, `{ 0x02,0x00,0x00,0x00,0x00,0x02, 0x02,0x00,0x00,0x00,0x00,0x01, 0x88,0xb5, fill(0x42, ${size - 14}) }\n`);
  return file;
}

/** Waits (bounded) until the lcore has entered its app. */
async function running(group: LcoreGroup): Promise<void> {
  const end = Date.now() + 10_000;
  while (group.running() < 1) {
    if (Date.now() > end) throw new Error('the forwarding lcore did not start within 10 s');
    await sleep(5);
  }
}

/** After the warm-up, frames/s delivered at s0 and generated at g0 over `seconds` (kernel counters). */
async function window(t: Topo, seconds: number): Promise<{ delivered: number; generated: number }> {
  await sleep(WARMUP_MS);
  const s0 = t.counter(t.s, 's0', 'rx_packets');
  const g0 = t.counter(t.g, 'g0', 'tx_packets');
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const s1 = t.counter(t.s, 's0', 'rx_packets');
  const g1 = t.counter(t.g, 'g0', 'tx_packets');
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return { delivered: (s1 - s0) / dt, generated: (g1 - g0) / dt };
}

interface Run { delivered: number; generated: number; forwarded: number; missed: number; dropped: number; gcs: number }

async function once(t: Topo, mode: string, conf: string, cpus: [number, number], seconds: number): Promise<Run> {
  const pool = Mempool.create({ n: 8192 });
  const ports: Port[] = [];
  let gen: ChildProcess | undefined;
  try {
    ports.push(await withNetns(t.f, () => openPort(`net_af_packet0,iface=f0,mode=${mode}`, { id: 0, pool })));
    ports.push(await withNetns(t.f, () => openPort(`net_af_packet1,iface=f1,mode=${mode}`, { id: 1, pool })));
    const config: AfpFwdConfig = { rx: portHandle(ports[0]), tx: portHandle(ports[1]), pool: pool.buffer, burst: 32 };
    const group = LcoreGroup.launch({ lcores: [cpus[1]], app: { module: path.join(__dirname, 'af-packet-app.js'), export: 'afpForward' }, config });
    let result: AfpFwdResult;
    let delivered = 0;
    let generated = 0;
    try {
      await running(group);
      // Its own process group: trafgen forks a worker, and SIGINT must reach both.
      gen = spawn('ip', ['netns', 'exec', t.g, 'taskset', '-c', String(cpus[0]), 'trafgen', '-o', 'g0', '-i', conf, '-P', '1', '--no-sock-mem', '-Q', '-C'],
        { stdio: 'ignore', detached: true });
      gen.on('error', () => { /* reported by the zero generator rate */ });
      ({ delivered, generated } = await window(t, seconds));
    } finally {
      if (gen?.pid !== undefined) process.kill(-gen.pid, 'SIGINT');
      group.stop();
      result = (await group.wait())[0].result as AfpFwdResult;
    }
    return { delivered, generated, forwarded: result.frames, missed: ports[0].stats().imissed, dropped: result.dropped, gcs: result.gcs };
  } finally {
    if (gen && gen.exitCode === null) await new Promise((r) => gen!.once('exit', r));
    for (const p of ports) p.close();
  }
}

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
export const DPDK_TESTPMD_INSTALL = 'apt-get install -y --no-install-recommends dpdk-dev';

/** A forwarder that is not this process's lcore: started, measured with trafgen like `once`, stopped. */
interface External { name: string; start(t: Topo, cpus: [number, number]): ChildProcess | undefined; stop?(t: Topo): void; settleMs: number }

export function externals(): External[] {
  const list: External[] = [
    {
      name: 'tsfwd l2fwd (mac)', settleMs: 800,
      start: (t, cpus) => spawn('ip', ['netns', 'exec', t.f, process.execPath, BIN, 'l2fwd', '-l', String(cpus[1]),
        '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2', '-T', '0'], { stdio: 'ignore', detached: true }),
    },
    {
      name: 'linux bridge', settleMs: 300,
      start: (t) => {
        sh(['ip', 'netns', 'exec', t.f, 'sh', '-c', 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do [ -e "$f" ] && echo 0 > "$f"; done; true']);
        sh(['ip', '-n', t.f, 'link', 'add', 'br0', 'type', 'bridge']);
        sh(['ip', '-n', t.f, 'link', 'set', 'f0', 'master', 'br0']);
        sh(['ip', '-n', t.f, 'link', 'set', 'f1', 'master', 'br0']);
        sh(['ip', '-n', t.f, 'link', 'set', 'br0', 'up']);
        return undefined;
      },
      stop: (t) => { sh(['ip', '-n', t.f, 'link', 'del', 'br0']); },
    },
  ];
  if (!spawnSync('dpdk-testpmd', ['--version']).error) {
    for (const mode of ['mac', 'io']) {
      list.push({
        name: `testpmd net_af_packet ${mode}`, settleMs: 2500,
        start: (t, cpus) => spawn('ip', ['netns', 'exec', t.f, 'dpdk-testpmd', '-l', `${cpus[0]},${cpus[1]}`, '--no-huge', '-m', '512', '--no-pci', '--no-telemetry',
          '--file-prefix', `tsfwd-b${process.pid}`, '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1', '--',
          `--forward-mode=${mode}`, '--nb-cores=1', '--stats-period', '1', '--total-num-mbufs=16384'], { stdio: 'ignore', detached: true }),
      });
    }
  }
  return list;
}

async function external(t: Topo, e: External, conf: string, cpus: [number, number], seconds: number): Promise<Run> {
  const proc = e.start(t, cpus);
  let gen: ChildProcess | undefined;
  try {
    await sleep(e.settleMs);
    if (proc && proc.exitCode !== null) throw new Error(`${e.name} exited at start (${proc.exitCode})`);
    gen = spawn('ip', ['netns', 'exec', t.g, 'taskset', '-c', String(cpus[0]), 'trafgen', '-o', 'g0', '-i', conf, '-P', '1', '--no-sock-mem', '-Q', '-C'],
      { stdio: 'ignore', detached: true });
    gen.on('error', () => { /* reported by the zero generator rate */ });
    return { ...(await window(t, seconds)), forwarded: 0, missed: 0, dropped: 0, gcs: 0 };
  } finally {
    for (const p of [gen, proc]) {
      if (!p || p.pid === undefined || p.exitCode !== null) continue;
      process.kill(-p.pid, 'SIGINT');
      await Promise.race([new Promise((r) => p.once('exit', r)), sleep(5000)]);
      if (p.exitCode === null) process.kill(-p.pid, 'SIGKILL');
    }
    e.stop?.(t);
  }
}

/** The loop case: `inflight` frames sent on l1 first, then forwarded l0 -> l1 -> (wire) -> l0. */
async function loop(t: Topo, mode: string, size: number, cpus: [number, number], seconds: number): Promise<Run> {
  const pool = Mempool.create({ n: 8192 });
  const ports: Port[] = [];
  try {
    ports.push(await withNetns(t.l, () => openPort(`net_af_packet0,iface=l0,mode=${mode}`, { id: 0, pool })));
    ports.push(await withNetns(t.l, () => openPort(`net_af_packet1,iface=l1,mode=${mode}`, { id: 1, pool })));
    const [rx, tx] = ports;
    const config: AfpFwdConfig = { rx: portHandle(rx), tx: portHandle(tx), pool: pool.buffer, burst: 32 };
    // testpmd's --tx-first: one burst from here, before the lcore owns the queues
    // (a queue is used by one thread at a time); it waits in l0's rx ring.
    const inflight = 128;
    const m = new Uint32Array(inflight);
    pool.allocBulk(m, inflight);
    for (let i = 0; i < inflight; i++) {
      pool.setDataLen(m[i], size);
      pool.data.fill(0x42, pool.mtod(m[i]), pool.mtod(m[i]) + size);
      pool.data.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5], pool.mtod(m[i]));
    }
    const sent = tx.txBurst(0, m, inflight);
    if (sent < inflight) pool.putBulkFrom(m, sent, inflight - sent);
    const group = LcoreGroup.launch({ lcores: [cpus[1]], app: { module: path.join(__dirname, 'af-packet-app.js'), export: 'afpForward' }, config });
    let result: AfpFwdResult;
    let rate = 0;
    try {
      await running(group);
      await sleep(WARMUP_MS);
      const a = rx.stats().ipackets;
      const t0 = process.hrtime.bigint();
      await sleep(seconds * 1000);
      const b = rx.stats().ipackets;
      rate = (b - a) / (Number(process.hrtime.bigint() - t0) / 1e9);
    } finally {
      group.stop();
      result = (await group.wait())[0].result as AfpFwdResult;
    }
    return { delivered: rate, generated: 0, forwarded: result.frames, missed: rx.stats().imissed, dropped: result.dropped, gcs: result.gcs };
  } finally {
    for (const p of ports) p.close();
  }
}

export async function afPacketModesBench(o: BenchOptions): Promise<BenchReport> {
  if (process.getuid?.() !== 0) throw new Error('the af-packet bench needs root (namespaces, AF_PACKET sockets)');
  if (spawnSync('trafgen', ['-v']).error) throw new Error('trafgen not found (apt-get install netsniff-ng)');
  const t = new Topo();
  const onExit = (): void => t.down();
  const onSignal = (): void => { t.down(); process.exit(130); };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runs = new Map<string, Run[]>();
  const ext = externals();
  try {
    t.up();
    for (let i = 0; i < o.runs; i++) {
      for (const size of SIZES) {
        const conf = trafgenConf(size);
        try {
          for (const mode of MODES) {
            const r = await once(t, mode, conf, o.cpus, o.seconds);
            const k = `${size}/${mode}`;
            runs.set(k, [...(runs.get(k) ?? []), r]);
            o.log(`  run ${i + 1} ${size} B ${mode}: delivered ${(r.delivered / 1e3).toFixed(0)} kpps (generator ${(r.generated / 1e3).toFixed(0)} kpps, imissed ${r.missed}, tx dropped ${r.dropped})`);
            const l = await loop(t, mode, size, o.cpus, o.seconds);
            runs.set(`loop/${k}`, [...(runs.get(`loop/${k}`) ?? []), l]);
            o.log(`  run ${i + 1} ${size} B ${mode} loop: ${(l.delivered / 1e3).toFixed(0)} kpps (imissed ${l.missed}, tx dropped ${l.dropped})`);
          }
          for (const e of ext) {
            const r = await external(t, e, conf, o.cpus, o.seconds);
            const k = `${size}/${e.name}`;
            runs.set(k, [...(runs.get(k) ?? []), r]);
            o.log(`  run ${i + 1} ${size} B ${e.name}: delivered ${(r.delivered / 1e3).toFixed(0)} kpps (generator ${(r.generated / 1e3).toFixed(0)} kpps)`);
          }
        } finally {
          fs.rmSync(conf, { force: true });
        }
      }
    }
  } finally {
    t.down();
    process.removeListener('exit', onExit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const kpps = (v: number): string => (v / 1e3).toFixed(0);
  const body: string[][] = [];
  const results: Record<string, unknown>[] = [];
  let gcs = 0;
  for (const topo of ['gen -> fwd -> sink', 'loop']) {
    const pre = topo === 'loop' ? 'loop/' : '';
    for (const size of SIZES) {
      const mmsg = summarize(runs.get(`${pre}${size}/mmsg`)!.map((r) => r.delivered)).median;
      for (const mode of MODES) {
        const rs = runs.get(`${pre}${size}/${mode}`)!;
        const d = summarize(rs.map((r) => r.delivered));
        const g = summarize(rs.map((r) => r.generated));
        gcs += rs.reduce((a, r) => a + r.gcs, 0);
        results.push({ topo, size, mode, delivered: d, generated: g, imissed: rs.map((r) => r.missed) });
        body.push([topo, `${size} B`, mode, kpps(d.median), `${kpps(d.min)}-${kpps(d.max)}`, pre ? '-' : kpps(g.median), (d.median / mmsg).toFixed(2)]);
      }
    }
  }
  const ratios: string[] = [];
  for (const size of SIZES) {
    const med = (name: string): number | undefined => { const r = runs.get(`${size}/${name}`); return r ? summarize(r.map((x) => x.delivered)).median : undefined; };
    for (const e of ext) {
      const rs = runs.get(`${size}/${e.name}`)!;
      const d = summarize(rs.map((r) => r.delivered));
      const g = summarize(rs.map((r) => r.generated));
      results.push({ topo: 'gen -> fwd -> sink', size, mode: e.name, delivered: d, generated: g });
      body.push(['gen -> fwd -> sink', `${size} B`, e.name, kpps(d.median), `${kpps(d.min)}-${kpps(d.max)}`, kpps(g.median), '-']);
    }
    const l2 = med('tsfwd l2fwd (mac)');
    const br = med('linux bridge');
    const tp = med('testpmd net_af_packet mac');
    if (l2 !== undefined && br) ratios.push(`${size} B: tsfwd l2fwd / linux bridge = ${(l2 / br).toFixed(2)}`);
    if (l2 !== undefined && tp) ratios.push(`${size} B: tsfwd l2fwd / testpmd net_af_packet mac = ${(l2 / tp).toFixed(2)}`);
  }
  if (!ext.some((e) => e.name.startsWith('testpmd'))) ratios.push(`testpmd: skipped, dpdk-testpmd not installed (${DPDK_TESTPMD_INSTALL})`);
  const md = [
    `net_af_packet forwarding on one lcore (CPU ${o.cpus[1]}), kpps, median of ${o.runs} runs x ${o.seconds}s. ` +
      `gen -> fwd -> sink: trafgen on CPU ${o.cpus[0]}, delivered = sink veth rx. loop: forwarder alone, 128 frames in flight.`,
    '',
    table(['topology', 'frame', 'mode', 'delivered', 'min-max', 'generator', 'vs mmsg'], body),
    '',
    ...ratios,
    `garbage collections during forwarding loops: ${gcs}`,
  ].join('\n');
  return { name: 'af-packet', markdown: md, json: { results, ratios, gcs } };
}
