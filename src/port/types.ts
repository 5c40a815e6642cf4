// The Port interface every driver implements, and the handle that lets any
// lcore use a port opened in the main thread. OS resources (fds, mappings)
// are process-wide, so a handle carries their numbers, never JS objects.
import type { Mempool } from '../mempool/mempool';
import type { Ring } from '../ring/ring';

/** Counters as in rte_eth_stats. */
export interface PortStats {
  ipackets: number;
  opackets: number;
  ibytes: number;
  obytes: number;
  /** Frames the kernel (or device) dropped before we could read them. */
  imissed: number;
  /** Frames received but dropped as invalid (runt, oversize, bad encapsulation). */
  ierrors: number;
  /** Frames txBurst consumed without sending them (refused as invalid, write or kernel
   * errors), as rte_eth_stats.oerrors: opackets + oerrors = frames handed to tx and
   * consumed. Includes oerrorsLate. */
  oerrors: number;
  /** The part of oerrors reported for frames already counted in opackets (a UDP peer's
   * ICMP error, learnt on a later send or receive). */
  oerrorsLate: number;
  /** rx polls that found no free mbuf (rte_eth_stats.rx_nombuf). */
  rxNombuf: number;
  /** Link state, for drivers whose link comes and goes with a peer (net_memif); absent: no such state. */
  link?: 'up' | 'down';
}

export interface Port {
  readonly id: number;
  readonly name: string;
  /** 6 bytes. */
  readonly mac: Uint8Array;
  /** Number of rx/tx queue pairs. */
  readonly nbQueues: number;
  /** Fills `mbufs[0..count)` with received frames (data room holds the frame). */
  rxBurst(queue: number, mbufs: Uint32Array, max: number): number;
  /** Sends `mbufs[0..sent)` and takes ownership of them; the caller frees the rest. */
  txBurst(queue: number, mbufs: Uint32Array, n: number): number;
  stats(): PortStats;
  /**
   * How a sleeping lcore learns that rx queue `queue` has frames (see RxWake):
   * `nap` false for --poll-mode interrupt (it blocks on it), true for adaptive
   * (it ends a nap early), where a driver whose wake source costs something
   * while nobody sleeps returns null.
   */
  rxWake(queue: number, nap: boolean): RxWake;
  /** Owner (main thread): releases the device. Attached copy (lcore): detaches. */
  close(): void;
}

/**
 * What an idle lcore can block on for one rx queue: a file descriptor that
 * poll() reports readable when frames wait (sockets), a ring whose producer
 * rings the consumer's doorbell, or nothing (net_null always has frames,
 * net_pcap reads a file): such a queue is never waited for, only napped on.
 */
export type RxWake = { fd: number; ring?: undefined } | { ring: Ring; fd?: undefined } | null;

/** Structured-cloneable description of an open port, passed to lcores. */
export interface PortHandle {
  driver: string;
  id: number;
  name: string;
  mac: number[];
  nbQueues: number;
  /** Per-queue counters, see stats.ts. */
  stats: SharedArrayBuffer;
  /** Driver-specific: fds, native handle ids, shared buffers. */
  state: unknown;
  /** What the driver chose at open that a user should see at startup (e.g. AF_XDP's XDP and bind modes). */
  note?: string;
}

export interface OpenContext {
  id: number;
  /** Full vdev name, e.g. "net_af_packet0". */
  name: string;
  args: ReadonlyMap<string, string>;
  pool: Mempool;
}

export interface PortDriver {
  /** Driver name as in DPDK, e.g. "net_af_packet". */
  readonly name: string;
  /** Devargs this driver accepts and which of them are required. */
  readonly keys: readonly string[];
  readonly required: readonly string[];
  /** Main thread: acquire OS resources and describe them. Throws PortError, leaving nothing open. */
  open(ctx: OpenContext): PortHandle | Promise<PortHandle>;
  /** Any thread: a Port working on `handle` with mbufs from `pool`. No allocation per burst after this. */
  attach(handle: PortHandle, pool: Mempool): Port;
  /** Main thread, once, after every lcore has stopped: release what open acquired. */
  release(handle: PortHandle): void;
}

/** A user-facing port error: one line, no stack trace needed. */
export class PortError extends Error {}
