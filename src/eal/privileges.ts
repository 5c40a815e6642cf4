// Least privilege: once its ports are open (and --metrics is bound), the
// forwarder keeps only the capabilities a later call still checks.
//
// What each path does after open (read from the code, proved by
// test/privileges.test.ts with every capability dropped):
// - net_af_packet: recvmmsg/sendmmsg or PACKET_MMAP ring walks on the socket
//   opened at open, where CAP_NET_RAW is checked; PACKET_QDISC_BYPASS, fanout
//   and rings are set up at open too. Close unmaps and closes: nothing.
// - net_af_xdp: program loaded and linked (CAP_BPF, CAP_NET_ADMIN) and sockets
//   bound at open. Close deletes the XSKMAP entry with bpf() on the map fd,
//   which no capability guards since Linux 6.5 (before, with
//   unprivileged_bpf_disabled, it fails harmlessly: the kernel drops a closed
//   socket from the map itself); closing the BPF link fd detaches the
//   program (xsk_prog.c): nothing.
// - net_udp: socket bound (CAP_NET_BIND_SERVICE below port 1024) and connected
//   at open: nothing. net_pcap: tx_pcap is opened at open (pcap-writer.ts),
//   rx_pcap read into memory at open: nothing. net_ring, net_null: memory.
// - net_memif: the server's socket is bound at open; afterwards the control
//   channel accepts (server) or connects (client, also every retry) on
//   AF_UNIX sockets, passes fds, memfd_create/mmap/eventfd: no capability.
//   A client's connect to a socket file is a DAC check on the file (write
//   permission), which root passes as the owner of a root-made socket; a
//   socket another uid made must be writable by us (test/memif-shared.test.ts
//   connects after the drop).
// - pktgen --engine xdp-live: the program is loaded at open; every
//   BPF_PROG_RUN later is a bpf() command on its fd, unguarded since Linux
//   6.5; older kernels with unprivileged_bpf_disabled check CAP_BPF (5.8+) or
//   CAP_SYS_ADMIN on every bpf() call, so there it keeps that one.
// - lcores pin themselves: sched_setaffinity on the calling thread needs none.
// - --metrics binds before the drop; CAP_NET_BIND_SERVICE matters only then.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { capsDrop, errnoName } from '../native';
import { portHandle } from '../port/registry';
import type { Port } from '../port/types';
import { CapName, capBit, capMask, capNames } from './cap-names';
import type { SchedPolicy } from './poll-mode';

export type { CapName } from './cap-names';
export { CAP_NAMES } from './cap-names';

/** A thread's capability sets and no_new_privs, from /proc/.../status. */
export interface CapSets { eff: bigint; prm: bigint; inh: bigint; bnd: bigint; amb: bigint; noNewPrivs: boolean }

/** Parses a /proc/PID/status or /proc/PID/task/TID/status file (default: the calling thread). */
export function readCaps(statusFile = '/proc/thread-self/status'): CapSets {
  const s = fs.readFileSync(statusFile, 'utf8');
  const field = (k: string): string => {
    const m = new RegExp(`^${k}:\\s*(\\S+)`, 'm').exec(s);
    if (!m) throw new Error(`${statusFile} has no ${k} line`);
    return m[1];
  };
  const hex = (k: string): bigint => BigInt(`0x${field(k)}`);
  return { eff: hex('CapEff'), prm: hex('CapPrm'), inh: hex('CapInh'), bnd: hex('CapBnd'), amb: hex('CapAmb'), noNewPrivs: field('NoNewPrivs') === '1' };
}

/**
 * Reduces every thread of the process to `keep` (effective, permitted,
 * inheritable, ambient and bounding sets) and sets no_new_privs, so neither a
 * thread nor an execve can regain what was dropped. Threads created later
 * inherit the reduced sets. Throws one line on failure.
 */
export function dropCapabilities(keep: readonly CapName[]): { kept: string[]; dropped: string[] } {
  for (const k of keep) if (capBit(k) < 0) throw new RangeError(`unknown capability '${String(k)}' (known: CAP_NET_RAW, CAP_BPF, ...)`);
  const mask = capMask(keep);
  const before = readCaps().eff;
  const rc = capsDrop(Number(mask & 0xffffffffn), Number(mask >> 32n));
  if (rc < 0) {
    const why = -rc === os.constants.errno.ETIMEDOUT ? ' (a thread did not answer within 1 s)' : '';
    throw new Error(`cannot drop capabilities: ${errnoName(-rc)}${why}`);
  }
  const after = readCaps().eff;
  return { kept: capNames(after), dropped: capNames(before & ~after) };
}

/** A capability that must stay after open, and why. */
export interface CapNeed { cap: CapName; reason: string }

/** Commands that call dropAfterOpen; pktgen's xdp-live engine differs from its lcore engine. */
export type PrivCommand = 'l2fwd' | 'pipeline' | 'pktgen' | 'pktgen-xdp-live' | 'sink' | 'rfc2544';

/** Drivers whose after-open paths were checked (see the top of this file). */
export const ANALYSED_DRIVERS: readonly string[] = ['net_af_packet', 'net_af_xdp', 'net_udp', 'net_pcap', 'net_ring', 'net_null', 'net_memif'];

/**
 * Which capability, if any, every bpf() call on an existing fd needs on this
 * kernel: none from 6.5 on or with unprivileged_bpf_disabled = 0; before
 * that CAP_BPF (5.8+) or CAP_SYS_ADMIN.
 */
export function bpfFdCallCap(release = os.release(), sysctl = readSysctl('/proc/sys/kernel/unprivileged_bpf_disabled')): CapName | undefined {
  const m = /^(\d+)\.(\d+)/.exec(release);
  const v = m ? Number(m[1]) * 1000 + Number(m[2]) : 0;
  if (v >= 6005 || sysctl === 0) return undefined;
  return v >= 5008 ? 'CAP_BPF' : 'CAP_SYS_ADMIN';
}

function readSysctl(file: string): number | undefined {
  try {
    return Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    return undefined;
  }
}

/**
 * What must remain after the ports of `vdevDrivers` are open, for `command`,
 * with the reason for each; undefined if a driver was not analysed (keep all).
 * Pure: `bpfCap` is bpfFdCallCap() of the kernel in question.
 */
export function capsNeededAfterOpen(vdevDrivers: readonly string[], command: PrivCommand,
  bpfCap: CapName | undefined = bpfFdCallCap(), schedPolicy: SchedPolicy = 'other'): CapNeed[] | undefined {
  if (vdevDrivers.some((d) => !ANALYSED_DRIVERS.includes(d))) return undefined;
  const needs: CapNeed[] = [];
  if (schedPolicy !== 'other') needs.push({ cap: 'CAP_SYS_NICE', reason: `--sched-policy ${schedPolicy}: each lcore sets its own policy when it starts` });
  if (command === 'pktgen-xdp-live' && bpfCap !== undefined) {
    needs.push({ cap: bpfCap, reason: `xdp-live runs BPF_PROG_RUN for the whole run and this kernel checks ${bpfCap} on every bpf() call` });
  }
  return needs;
}

/**
 * The drop a command makes right after its ports open and --metrics binds,
 * before its lcores start: prints one line with `say`. A run that cannot drop
 * (e.g. not root, nothing to drop) goes on; so does a failure, with one line.
 */
export function dropAfterOpen(command: PrivCommand, ports: readonly Port[], say: (line: string) => void, schedPolicy: SchedPolicy = 'other'): void {
  const drivers = ports.map((p) => portHandle(p).driver);
  const needs = capsNeededAfterOpen(drivers, command, bpfFdCallCap(), schedPolicy);
  if (needs === undefined) {
    const odd = drivers.filter((d) => !ANALYSED_DRIVERS.includes(d));
    say(`privileges: kept all (${[...new Set(odd)].join(', ')} not analysed for least privilege)`);
    return;
  }
  if (readCaps().eff === 0n && needs.length === 0) return; // nothing held, nothing to drop
  let r: { kept: string[]; dropped: string[] };
  try {
    r = dropCapabilities(needs.map((n) => n.cap));
  } catch (e) {
    say(`privileges: not dropped: ${(e as Error).message}`);
    return;
  }
  if (r.kept.length === 0) {
    say(`privileges: dropped all ${r.dropped.length} capabilities (nothing needs one after open)`);
    return;
  }
  const why = needs.filter((n) => r.kept.includes(n.cap)).map((n) => n.reason);
  say(`privileges: kept ${r.kept.join(', ')} (${why.join('; ')}); dropped the rest`);
}
