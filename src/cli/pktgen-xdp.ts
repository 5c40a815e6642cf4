// `tsfwd pktgen ... -- --engine xdp-live`: the kernel generates (see
// src/apps/pktgen/xdp-live.ts). One net_af_packet port names the interface;
// no socket is opened. One lcore (the first of -l) runs BPF_PROG_RUN in a loop.
import * as fs from 'node:fs';
import pino from 'pino';
import { PktgenControl } from '../apps/pktgen/control';
import { X_DONE, X_SENT, X_WORDS, XDP_CHUNK, XdpLiveConfig, xdpLiveFrame } from '../apps/pktgen/xdp-live';
import { streamBuffers } from '../apps/pktgen/stream';
import { dropAfterOpen } from '../eal/privileges';
import { UsageError } from '../eal/corelist';
import { LcoreGroup } from '../eal/launch';
import type { EalOptions } from '../eal/options';
import { afpIfinfo, errnoName, xdpgenClose, xdpgenError, xdpgenOpen } from '../native';
import { parseDevargs } from '../port/devargs';
import { rate } from './ports';
import { RunWatch } from './watch';

export interface XdpLiveOpts {
  count: number; duration?: number; period: number; json: boolean;
  /** Writes the single-valued stream options (size, addresses, ports, ttl) into the control. */
  apply: (ctl: PktgenControl) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function txPackets(iface: string): number | undefined {
  try {
    return Number(fs.readFileSync(`/sys/class/net/${iface}/statistics/tx_packets`, 'utf8').trim());
  } catch {
    return undefined;
  }
}

export async function runXdpLive(eal: EalOptions, o: XdpLiveOpts): Promise<number> {
  if (eal.vdevs.length !== 1) throw new UsageError('pktgen: --engine xdp-live takes exactly one --vdev net_af_packetN,iface=IF');
  if (eal.pollGiven) throw new UsageError('pktgen: --engine xdp-live sends flat out in the kernel: the poll options (--poll-mode, --empty-polls, --max-sleep-us, --sched-policy, --sched-priority) do not apply');
  const { name, args } = parseDevargs(eal.vdevs[0]);
  const iface = args.get('iface');
  if (!name.startsWith('net_af_packet') || iface === undefined) {
    throw new UsageError(`pktgen: --engine xdp-live needs a net_af_packet port with iface=IF, not '${eal.vdevs[0]}'`);
  }
  if (!/^[^/:\s]{1,15}$/.test(iface) || iface === '.' || iface === '..') throw new UsageError(`pktgen: iface=${iface} is not an interface name`);
  const info = afpIfinfo(iface);
  if (typeof info === 'number') {
    throw new Error(`pktgen: ${name}: ${-info === 19 ? `interface '${iface}' does not exist` : `cannot look up '${iface}': ${errnoName(-info)}`}`);
  }
  const bufs = streamBuffers(1);
  const ctl = new PktgenControl(bufs, 1, [Uint8Array.from(info.mac)], 10e9);
  o.apply(ctl);
  const frame = xdpLiveFrame(new Float64Array(bufs.config), 0);
  if (frame.length > info.mtu + 14) throw new UsageError(`pktgen: --size ${frame.length + 4} exceeds MTU ${info.mtu} of '${iface}'`);
  const handle = xdpgenOpen(info.ifindex, frame);
  if (handle < 0) throw new Error(`pktgen: ${xdpgenError(handle, iface)}`);

  const log = o.json ? pino({ base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true })) : undefined;
  const say = (x: string): void => { (o.json ? process.stderr : process.stdout).write(`${x}\n`); };
  const counters = new SharedArrayBuffer(X_WORDS * 8);
  const cnt = new Float64Array(counters);
  const config: XdpLiveConfig = { handle, iface, count: o.count, chunk: XDP_CHUNK, counters };
  const lcore = eal.lcores[0];
  const tx0 = txPackets(iface);
  let group: LcoreGroup;
  try {
    // Before the runners start: the drop's signal would interrupt a BPF_PROG_RUN.
    dropAfterOpen('pktgen-xdp-live', [], say);
    group = LcoreGroup.launch({ lcores: [lcore], app: 'pktgen-xdp-live', config });
  } catch (e) {
    xdpgenClose(handle);
    throw e;
  }
  say(`Lcore ${lcore}: TX port 0 (xdp-live on ${iface}, ${frame.length + 4}-byte frames, flat out)`);
  const watch = new RunWatch(group, { report: () => [`port 0 (${name}): sent ${cnt[X_SENT]} frames so far`] });
  const t0 = Date.now();
  const len = frame.length;
  let last = { t: t0, sent: 0 };
  const timer = o.period > 0 ? setInterval(() => {
    const now = Date.now();
    const sent = cnt[X_SENT];
    const dt = (now - last.t) / 1000;
    const pps = dt > 0 ? Math.round((sent - last.sent) / dt) : 0;
    last = { t: now, sent };
    if (log) { log.info({ ports: [{ port: 0, name, opackets: sent, obytes: sent * len, pps, bps: pps * len * 8 }] }, 'stats'); return; }
    const msg = `tx ${rate(pps)} pps  ${rate(pps * len * 8)}bit/s  total ${sent}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${msg}   `); else say(msg);
  }, o.period * 1000) : undefined;
  const deadline = o.duration !== undefined ? t0 + o.duration * 1000 : Infinity;
  try {
    while (!watch.quit() && cnt[X_DONE] === 0 && Date.now() < deadline) await sleep(5);
  } finally {
    if (timer) clearInterval(timer);
    watch.release();
  }
  group.stop();
  await watch.finished;
  watch.close();
  // Waits for the frames the lcore handed over last; a failure there means
  // the count below includes frames that never left.
  const closeRc = xdpgenClose(handle);
  const secs = (Date.now() - t0) / 1000;
  const failure = watch.failure ?? (closeRc < 0 ? new Error(xdpgenError(closeRc, iface)) : undefined);
  const sent = cnt[X_SENT];
  const tx1 = txPackets(iface);
  const ifTx = tx0 !== undefined && tx1 !== undefined ? tx1 - tx0 : undefined;
  if (process.stdout.isTTY && !log && o.period > 0) process.stdout.write('\n');
  const per = [{ port: 0, name, opackets: sent, obytes: sent * len, pps: Math.round(sent / secs) }];
  if (log) log.info({ ports: per, seconds: Number(secs.toFixed(3)), engine: 'xdp-live', ifTxPackets: ifTx, ok: !failure }, 'final');
  else say(`port 0 (${name}): sent ${sent} frames, ${sent * len} bytes, ${rate(per[0].pps)} pps average over ${secs.toFixed(2)} s`);
  // The kernel drops what the device refuses without an error to BPF_PROG_RUN
  // (veth: when the peer has no NAPI); the device's own counter tells.
  if (ifTx !== undefined && sent > 0 && ifTx < sent / 2) {
    process.stderr.write(`tsfwd: warning: ${iface} counted only ${ifTx} of ${sent} frames as sent; for a veth, turn on NAPI at the peer (ethtool -K PEER gro on)\n`);
  }
  if (failure) { process.stderr.write(`tsfwd: ${failure.message}\n`); return 1; }
  return 0;
}
