// `tsfwd pktgen [EAL] -- [options] [-f FILE.pkt]`: one stream per --vdev port,
// sent by lcores (round-robin). Options configure every stream and start
// them; a .pkt script drives them instead, as pktgen-dpdk's does.
import * as fs from 'node:fs';
import pino from 'pino';
import { PktgenControl } from '../apps/pktgen/control';
import type { PktgenLcoreConfig } from '../apps/pktgen/lcore';
import { MIN_FRAME } from '../apps/pktgen/payload';
import { Cmd, ScriptError, parseScript } from '../apps/pktgen/script';
import { streamBuffers } from '../apps/pktgen/stream';
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
import { runXdpLive } from './pktgen-xdp';
import { checkLcores, openPorts, rate, spread, waitLinksUp } from './ports';
import type { Usage } from './usage';

export interface PktgenOptions {
  size?: [number, number]; imix: boolean; rate?: string; lineRate: number; count: number; duration?: number;
  srcMac?: [string, number]; dstMac?: [string, number]; srcIp?: [string, string]; dstIp?: [string, string];
  sport?: [number, number]; dport?: [number, number]; ttl?: number; burst: number; period: number; json: boolean; script?: string; pcap?: string;
  engine: 'lcore' | 'xdp-live';
}

const range = (s: string, opt: string): [string, string] => {
  const m = /^([^-]+)(?:-([^-]+))?$/.exec(s);
  if (!m) throw new UsageError(`pktgen: bad range '${s}' for ${opt} (expected A or A-B)`);
  return [m[1], m[2] ?? m[1]];
};
const intRange = (s: string, opt: string, lo: number, hi: number): [number, number] => {
  const [a, b] = range(s, opt).map(Number);
  if (![a, b].every((v) => Number.isInteger(v) && v >= lo && v <= hi) || b < a) throw new UsageError(`pktgen: ${opt} must be N or N-M within ${lo}..${hi}, got '${s}'`);
  return [a, b];
};
function bits(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kMG]?)$/.exec(s);
  const v = m ? Number(m[1]) * ({ '': 1, k: 1e3, M: 1e6, G: 1e9 } as Record<string, number>)[m[2]] : NaN;
  // 0 or 400 digits (Infinity) would turn every --rate P% into 0 or Infinity pps.
  if (!(v > 0 && Number.isFinite(v))) throw new UsageError(`pktgen: bad line rate '${s}' (e.g. 10G)`);
  return v;
}

/** The application options after `--` (exported so test/docker.test.ts checks compose's command). */
export function parsePktgenOptions(argv: string[]): PktgenOptions {
  const o: PktgenOptions = { imix: false, lineRate: 10e9, count: 0, burst: 32, period: 1, json: false, engine: 'lcore' };
  const a = new Args(argv);
  for (let k = a.next(); k !== undefined; k = a.next()) {
    switch (k) {
      case '--size': o.size = intRange(a.value(k), k, MIN_FRAME + 4, 65539); break;
      case '--imix': o.imix = true; break;
      case '--rate': o.rate = a.value(k); break;
      case '--line-rate': o.lineRate = bits(a.value(k)); break;
      case '--count': o.count = a.int(k, 1, 2 ** 50); break;
      case '--duration': o.duration = a.num(k, 0.01, 86400 * 31); break;
      case '--src-mac': case '--dst-mac': {
        const [m, n] = range(a.value(k), k);
        const count = m === n ? 1 : parseInt(n.split(':').slice(4).join(''), 16) - parseInt(m.split(':').slice(4).join(''), 16) + 1;
        if (!(count >= 1 && count <= 65536)) throw new UsageError(`pktgen: ${k} range must vary only the last two bytes, ascending`);
        if (k === '--src-mac') o.srcMac = [m, count]; else o.dstMac = [m, count];
        break;
      }
      case '--src-ip': o.srcIp = range(a.value(k), k); break;
      case '--dst-ip': o.dstIp = range(a.value(k), k); break;
      case '--sport': o.sport = intRange(a.value(k), k, 0, 65535); break;
      case '--dport': o.dport = intRange(a.value(k), k, 0, 65535); break;
      case '--ttl': o.ttl = a.int(k, 1, 255); break;
      case '--burst': o.burst = a.int(k, 1, 256); break;
      case '-T': o.period = a.num(k, 0, 3600); break;
      case '--stats-json': o.json = true; break;
      case '-f': o.script = a.value(k); break;
      case '--pcap': o.pcap = a.value(k); break;
      case '--engine': {
        const e = a.value(k);
        if (e !== 'lcore' && e !== 'xdp-live') throw new UsageError(`pktgen: --engine must be lcore or xdp-live, got '${e}'`);
        o.engine = e;
        break;
      }
      default: throw new UsageError(`pktgen: unknown application option '${k}'`);
    }
  }
  return o;
}

function applyRate(ctl: PktgenControl, s: number, r: string): void {
  const m = /^(\d+(?:\.\d+)?)(%|Mbps|pps)?$/.exec(r);
  if (!m) throw new UsageError(`pktgen: bad --rate '${r}' (PPS, NMbps or P%)`);
  const v = Number(m[1]);
  if (m[2] === '%') { if (v <= 0 || v > 100) throw new UsageError('pktgen: --rate percent must be 0..100'); ctl.setPercent(s, v); }
  else if (m[2] === 'Mbps') ctl.setMbps(s, v);
  else ctl.setPps(s, v);
}

function applyOpts(ctl: PktgenControl, o: PktgenOptions, n: number): void {
  for (let s = 0; s < n; s++) {
    try {
      if (o.size) ctl.setSize(s, o.size[0], o.size[1]);
      if (o.imix) ctl.setImix(s);
      if (o.rate) applyRate(ctl, s, o.rate);
      ctl.setCount(s, o.count);
      if (o.ttl) ctl.setTtl(s, o.ttl);
      if (o.srcMac) ctl.setMac(s, 'src', o.srcMac[0], o.srcMac[1]);
      if (o.dstMac) ctl.setMac(s, 'dst', o.dstMac[0], o.dstMac[1]);
      if (o.srcIp) ctl.setIp(s, 'src', o.srcIp[0], o.srcIp[1]);
      if (o.dstIp) ctl.setIp(s, 'dst', o.dstIp[0], o.dstIp[1]);
      if (o.sport) ctl.setPort(s, 'src', o.sport[0], o.sport[1]);
      if (o.dport) ctl.setPort(s, 'dst', o.dport[0], o.dport[1]);
    } catch (e) {
      throw e instanceof UsageError ? e : new UsageError(`pktgen: ${(e as Error).message}`);
    }
    ctl.setRangeMode(s, !!(o.srcMac || o.dstMac || o.srcIp || o.dstIp || o.sport || o.dport));
  }
}

/** Applies one script command; returns ms to wait (delay) or -1 for quit. */
export function runCmd(ctl: PktgenControl, cmd: Cmd, line: number): number {
  const bad = (m: string): never => { throw new ScriptError(`line ${line}: ${m}`); };
  switch (cmd.op) {
    case 'set':
      for (const s of cmd.ports) {
        const v = cmd.value;
        try {
          if (cmd.key === 'size') { const z = Number(v); if (!(z >= MIN_FRAME + 4 && z <= ctl.maxSize)) bad(`size ${v} must be ${MIN_FRAME + 4}..${ctl.maxSize}`); ctl.setSize(s, z); }
          else if (cmd.key === 'rate') { const r = Number(v); if (r <= 0 || r > 100) bad(`rate ${v} must be a percentage 0..100`); ctl.setPercent(s, r); }
          else if (cmd.key === 'count') ctl.setCount(s, Number(v));
          else if (cmd.key === 'burst') { /* per-lcore burst is fixed at launch (--burst) */ }
          else if (cmd.key === 'sport' || cmd.key === 'dport') ctl.setPort(s, cmd.key === 'sport' ? 'src' : 'dst', Number(v));
          else if (cmd.key === 'ttl') ctl.setTtl(s, Number(v));
          else if (cmd.key.endsWith(' mac')) ctl.setMac(s, cmd.key.startsWith('src') ? 'src' : 'dst', v);
          else if (cmd.key.endsWith(' ip')) ctl.setIp(s, cmd.key.startsWith('src') ? 'src' : 'dst', v.replace(/\/\d+$/, ''));
        } catch (e) {
          if (e instanceof ScriptError) throw e;
          bad((e as Error).message);
        }
      }
      return 0;
    case 'range':
      for (const s of cmd.ports) {
        if (cmd.bound === 'inc') { if (!/^(1|0\.0\.0\.1|00:00:00:00:00:01)$/.test(cmd.value)) bad(`only an increment of 1 is supported, not '${cmd.value}'`); continue; }
        const b = cmd.bound === 'max' ? 'max' : 'min';
        try {
          if (cmd.kind === 'ip') ctl.setIpBound(s, cmd.field as 'src' | 'dst', b, cmd.value);
          else if (cmd.kind === 'port') ctl.setPortBound(s, cmd.field as 'src' | 'dst', b, Number(cmd.value));
          else bad(`range ${cmd.field} ${cmd.kind} is not supported; use --src-mac/--dst-mac ranges or 'range N size' instead`);
        } catch (e) {
          if (e instanceof ScriptError) throw e;
          bad((e as Error).message);
        }
      }
      return 0;
    case 'enable':
    case 'disable':
      // Latency stamps are always in the payload; 'range' switches flow ranges.
      if (cmd.what === 'range') for (const s of cmd.ports) ctl.setRangeMode(s, cmd.op === 'enable');
      return 0;
    case 'start': ctl.start(cmd.ports); return 0;
    case 'stop': ctl.stop(cmd.ports); return 0;
    case 'delay': return cmd.ms;
    case 'clr': ctl.clear(); return 0;
    case 'quit': return -1;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Longest pktgen waits for a port's link (net_memif's peer) before it sends, ms; pktgen-dpdk's link check waits up to 9 s. */
const LINK_WAIT_MS = 5000;

export async function runPktgen(argv: string[]): Promise<number> {
  const [ealArgv, appArgv] = splitAtDashDash(argv);
  // Default adaptive: a generator sleeps between paced bursts (--poll-mode busy spins, as pktgen-dpdk).
  const eal = parseEal(ealArgv, 'pktgen', 'adaptive');
  const o = parsePktgenOptions(appArgv);
  if (eal.vdevs.length === 0) throw new UsageError('pktgen: no ports: give at least one --vdev');
  checkLcores('pktgen', eal.lcores);
  // Jumbo frames need mbufs that hold them (pktgen-dpdk's -j; here the EAL's --mbuf-size).
  const maxSize = o.engine === 'lcore' && eal.mbufSize !== undefined ? eal.mbufSize + 4 : 1518;
  if (o.imix && maxSize < 1518) throw new UsageError(`pktgen: --imix sends 1518-byte frames: --mbuf-size must be 1514 or more, not ${maxSize - 4}`);
  if (o.size && o.size[1] > maxSize) {
    throw new UsageError(`pktgen: --size ${o.size[1]} is more than ${maxSize}` +
      (o.engine === 'lcore' ? `: give the EAL option --mbuf-size ${o.size[1] - 4} or more for jumbo frames` : ' (--engine xdp-live)'));
  }
  if (o.engine === 'xdp-live') {
    const bad = [o.rate && '--rate', o.imix && '--imix', o.size && o.size[0] !== o.size[1] && '--size MIN-MAX', o.script && '-f', o.pcap !== undefined && '--pcap',
      o.srcMac && o.srcMac[1] > 1 && '--src-mac range', o.dstMac && o.dstMac[1] > 1 && '--dst-mac range',
      o.srcIp && o.srcIp[0] !== o.srcIp[1] && '--src-ip range', o.dstIp && o.dstIp[0] !== o.dstIp[1] && '--dst-ip range',
      o.sport && o.sport[0] !== o.sport[1] && '--sport range', o.dport && o.dport[0] !== o.dport[1] && '--dport range'].filter(Boolean);
    if (eal.mbufs !== undefined || eal.mbufSize !== undefined) bad.push(eal.mbufs !== undefined ? '--mbufs' : '--mbuf-size');
    if (bad.length) throw new UsageError(`pktgen: --engine xdp-live sends one fixed frame flat out; it does not take ${bad.join(', ')}`);
    return runXdpLive(eal, { count: o.count, duration: o.duration, period: o.period, json: o.json, apply: (ctl) => applyOpts(ctl, o, 1) });
  }
  const script = o.script !== undefined ? readScript(o.script, eal.vdevs.length) : undefined;
  const pool = Mempool.create({ n: eal.mbufs ?? 8192, dataRoom: eal.mbufSize });
  const ports = await openPorts(eal.vdevs, pool, eal.portWait);
  const all = ports.map((_, i) => i);
  // --pcap: one looping capture reader per tx port, opened like any port (ids after the tx ports).
  let sources: Awaited<ReturnType<typeof openPorts>> = [];
  try {
    if (o.pcap !== undefined) {
      if (/[,=]/.test(o.pcap)) throw new UsageError(`pktgen: --pcap file name '${o.pcap}' may not contain ',' or '='`);
      sources = await openPorts(all.map((s) => `net_pcap_pktgen${s},rx_pcap=${o.pcap},infinite_rx=1`), pool);
    }
  } catch (e) {
    for (const p of ports) p.close();
    throw e;
  }
  const log = o.json ? pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true })) : undefined;
  const say = (x: string): void => { (o.json ? process.stderr : process.stdout).write(`${x}\n`); };
  if (eal.autoNote) say(eal.autoNote);
  const bufs = streamBuffers(ports.length);
  const ctl = new PktgenControl(bufs, ports.length, ports.map((p) => p.mac), o.lineRate);
  ctl.maxSize = maxSize;
  if (!script) applyOpts(ctl, o, ports.length);
  const n = Math.min(eal.lcores.length, ports.length);
  const streamsByLcore = spread(all, n);
  const lcoreStats = new SharedArrayBuffer(n * 64);
  const lcoreLine = new Float64Array(lcoreStats);
  const loads = (): LcoreLoad[] => eal.lcores.slice(0, n).map((l, i) => lcoreLoad(l, lcoreLine, i * 8));
  const config: PktgenLcoreConfig = {
    ...bufs, pool: pool.buffer, ports: ports.map(portHandle), streamsByLcore, burst: o.burst,
    sources: sources.length ? sources.map(portHandle) : undefined, poll: eal.poll, lcoreStats,
  };
  let group: LcoreGroup;
  try {
    dropAfterOpen('pktgen', [...ports, ...sources], say, eal.poll.schedPolicy);
    group = LcoreGroup.launch({ lcores: eal.lcores.slice(0, n), app: 'pktgen', config });
  } catch (e) {
    for (const p of [...ports, ...sources]) p.close();
    throw e;
  }
  streamsByLcore.forEach((ss, i) => say(`Lcore ${eal.lcores[i]}: TX port${ss.length > 1 ? 's' : ''} ${ss.join(', ')}`));
  const links = new LinkWatch(eal.vdevs, ports.map((p) => p.name), say);
  const watch = new RunWatch(group, { report: () => all.map((s) => `port ${s} (${ports[s].name}): sent ${ctl.sent(s)} frames so far`) });
  const stillDown = await waitLinksUp(ports, Math.max(LINK_WAIT_MS, eal.portWait * 1000), say, () => watch.quit());
  if (stillDown.length > 0 && !watch.quit()) say(`${stillDown.join(', ')}: link still down; sending anyway (frames a down link refuses count as oerrors, not as sent)`);
  const t0 = Date.now();
  let last = { t: t0, sent: all.map(() => 0), bytes: all.map(() => 0) };
  const snapshot = (): { port: number; name: string; opackets: number; obytes: number; pps: number; bps: number }[] => {
    const now = Date.now();
    const dt = (now - last.t) / 1000;
    const sent = all.map((s) => ctl.sent(s));
    const bytes = all.map((s) => ctl.bytes(s));
    const per = all.map((s) => ({ port: s, name: ports[s].name, opackets: sent[s], obytes: bytes[s],
      pps: dt > 0 ? Math.round((sent[s] - last.sent[s]) / dt) : 0, bps: dt > 0 ? Math.round(((bytes[s] - last.bytes[s]) * 8) / dt) : 0 }));
    last = { t: now, sent, bytes };
    return per;
  };
  const timer = o.period > 0 ? setInterval(() => {
    const per = snapshot();
    if (log) { log.info({ ports: per }, 'stats'); return; }
    const msg = `tx ${rate(per.reduce((a, p) => a + p.pps, 0))} pps  ${rate(per.reduce((a, p) => a + p.bps, 0))}bit/s  total ${per.reduce((a, p) => a + p.opackets, 0)}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${msg}   `); else say(msg);
  }, o.period * 1000) : undefined;
  const quit = (): boolean => watch.quit();
  let scriptError: Error | undefined;
  try {
    if (script) {
      for (const { n: line, cmd } of script) {
        if (quit()) break;
        const ms = runCmd(ctl, cmd, line);
        if (ms < 0) break;
        for (const end = Date.now() + ms; Date.now() < end && !quit();) await sleep(Math.min(10, end - Date.now()));
      }
    } else {
      ctl.start(all);
      const deadline = o.duration !== undefined ? t0 + o.duration * 1000 : Infinity;
      while (!quit() && Date.now() < deadline && !(o.count > 0 && all.every((s) => ctl.done(s)))) await sleep(5);
    }
  } catch (e) {
    scriptError = e as Error;
  } finally {
    ctl.stop(all);
    if (timer) clearInterval(timer);
    watch.release();
  }
  // Frames the ports refused are retried after the stop; give them a moment.
  for (const end = Date.now() + 200; Date.now() < end && all.some((s) => ctl.pending(s) > 0);) await sleep(5);
  group.stop();
  await watch.finished;
  watch.close();
  links.close();
  const failure = watch.failure;
  const secs = (Date.now() - t0) / 1000;
  const portStats = ports.map((p) => p.stats());
  for (const p of [...ports, ...sources]) p.close();
  if (process.stdout.isTTY && !log && o.period > 0) process.stdout.write('\n');
  // The port's own counters: frames it took but refused (link down, bad
  // length) are oerrors, not sent (read before close above).
  const per = all.map((s) => ({ port: s, name: ports[s].name, opackets: portStats[s].opackets, obytes: portStats[s].obytes,
    oerrors: portStats[s].oerrors, pps: Math.round(portStats[s].opackets / secs) }));
  const leaked = pool.n - pool.availCount();
  const lcores = loads();
  if (log) log.info({ ports: per, seconds: Number(secs.toFixed(3)), lcores: lcores.map((l) => ({ ...l, ...loadShares(l, undefined, secs) })), ok: !failure && !scriptError && leaked === 0 }, 'final');
  else {
    for (const p of per) say(`port ${p.port} (${p.name}): sent ${p.opackets} frames, ${p.obytes} bytes, ${rate(p.pps)} pps average over ${secs.toFixed(2)} s${p.oerrors ? `, ${p.oerrors} refused by the port (oerrors)` : ''}`);
    for (const l of lcores) say(formatLoad(l, undefined, secs));
  }
  if (scriptError) throw scriptError instanceof ScriptError ? new UsageError(`pktgen: ${o.script}: ${scriptError.message}`) : scriptError;
  if (failure) { process.stderr.write(`tsfwd: ${failure.message}\n`); return 1; }
  if (leaked !== 0) { process.stderr.write(`tsfwd: ACCOUNTING FAILED: mempool: ${leaked} mbufs not returned\n`); return 1; }
  return 0;
}

function readScript(file: string, nPorts: number): { n: number; cmd: Cmd }[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`pktgen: cannot read script '${file}'`);
  }
  try {
    return parseScript(text, nPorts);
  } catch (e) {
    if (e instanceof ScriptError) throw new UsageError(`pktgen: ${file}: ${e.message}`);
    throw e;
  }
}


/** `tsfwd pktgen --help`: one line per option parsePktgenOptions accepts (test/cli-help.test.ts checks). */
export const PKTGEN_USAGE: Usage = {
  synopsis: ['tsfwd pktgen [EAL options] -- [application options]'],
  summary: 'send sequenced, time-stamped UDP streams, paced or flat out, or a pktgen-dpdk script',
  about: 'Sends one UDP stream per --vdev port, with sequence numbers and send times a tsfwd sink checks; ' +
    'lcores take the ports round-robin. A .pkt script (-f) drives the streams as pktgen-dpdk\'s do.',
  sections: [{ title: 'EAL options', options: EAL_HELP }, {
    title: 'Application options (after --)', options: [
      ['--size N|MIN-MAX', 'frame size counting the 4-byte FCS, 64..1518, or up to the EAL\'s --mbuf-size + 4 for jumbo frames (default 64); a range cycles'],
      ['--imix', 'the 7:4:1 mix of 64, 594 and 1518-byte frames'],
      ['--rate PPS|NMbps|P%', 'pace each stream (default: flat out)'],
      ['--line-rate RATE', 'what 100% means for --rate P%, e.g. 10G (default 10G)'],
      ['--count N', 'stop each stream after N frames'],
      ['--duration S', 'stop after S seconds'],
      ['--src-mac M[-M]', 'source MAC, or a range varying the last two bytes (default: the port\'s)'],
      ['--dst-mac M[-M]', 'destination MAC, or a range'],
      ['--src-ip A[-B]', 'source IPv4 address or range (default 10.0.0.1)'],
      ['--dst-ip A[-B]', 'destination IPv4 address or range (default 10.0.0.2)'],
      ['--sport P[-Q]', 'UDP source port or range (default 1234)'],
      ['--dport P[-Q]', 'UDP destination port or range (default 5678)'],
      ['--ttl N', 'IPv4 TTL, 1..255 (default 64)'],
      ['--burst N', 'tx burst size, 1..256 (default 32)'],
      ['-T S', 'stats period in seconds (default 1, 0 = off)'],
      ['--stats-json', 'stats as pino JSON lines on stdout'],
      ['-f FILE.pkt', 'run a pktgen-dpdk style script (set 0 size 64, set 0 rate 50, start 0, delay 5000, stop 0)'],
      ['--pcap FILE', 'send a capture\'s frames as they are, looping'],
      ['--engine lcore|xdp-live', 'xdp-live: the kernel sends one fixed frame flat out (BPF_PROG_RUN live frames; root, ' +
        'kernel >= 5.18, one net_af_packet port); a veth needs NAPI at its peer (gro on)'],
    ],
  }],
  examples: [
    'tsfwd pktgen -l 0 --vdev net_af_packet0,iface=g0 -- --size 64 --rate 100000 --duration 5',
    'tsfwd pktgen -l 0 --vdev net_af_packet0,iface=g0 -- -f script.pkt',
  ],
};
