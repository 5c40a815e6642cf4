// EAL poll modes: how an lcore spends the time when its queues are empty.
//   busy       spin (DPDK's default): lowest latency, a whole CPU always.
//   adaptive   after --empty-polls empty polls, nap; each nap doubles, up to
//              --max-sleep-us; the first frame resets it (l3fwd-power's
//              growing sleeps, OvS-DPDK's pmd-sleep-max). A frame on a socket
//              queue (up to 63 of them) or a ring's doorbell ends a nap early
//              (idler.ts).
//   interrupt  after --empty-polls empty polls, block until a queue has work:
//              poll() on the ports' fds, a ring's doorbell (rte_power_pmd_mgmt's
//              "monitor", l3fwd-power's rx interrupts). A queue with nothing to
//              block on (net_null, net_pcap) makes the lcore nap instead.
import { UsageError } from './corelist';

export type PollModeName = 'busy' | 'adaptive' | 'interrupt';

export interface PollConfig {
  mode: PollModeName;
  /** Consecutive empty polls before an lcore naps or blocks (rte_power_pmd_mgmt's emptypoll_max is 512). */
  emptyPolls: number;
  /** Longest nap in adaptive mode, µs. */
  maxSleepUs: number;
  /** Scheduling policy of the lcore threads (VPP's cpu scheduler-policy): other, or real-time fifo/rr. */
  schedPolicy: SchedPolicy;
  /** Real-time priority for fifo/rr, 1..99. */
  schedPriority: number;
}

export type SchedPolicy = 'other' | 'fifo' | 'rr';
export const SCHED_POLICIES: readonly SchedPolicy[] = ['other', 'fifo', 'rr'];

export function parseSchedPolicy(v: string, cmd: string): SchedPolicy {
  if (!(SCHED_POLICIES as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --sched-policy must be one of ${SCHED_POLICIES.join(', ')}, got '${v}'`);
  return v as SchedPolicy;
}

/**
 * A real-time lcore must sleep when idle: a busy one never yields its CPU, so
 * the kernel's softirq thread and every other thread there wait until RT
 * throttling (50 ms of each second) lets them run.
 */
export function checkSchedPolicy(p: PollConfig, cmd: string): void {
  if (p.schedPolicy !== 'other' && p.mode === 'busy') {
    throw new UsageError(`${cmd}: --sched-policy ${p.schedPolicy} needs --poll-mode adaptive or interrupt (a busy real-time lcore never yields its CPU)`);
  }
}

export const POLL_MODES: readonly PollModeName[] = ['busy', 'adaptive', 'interrupt'];

export function defaultPoll(mode: PollModeName = 'busy'): PollConfig {
  return { mode, emptyPolls: 512, maxSleepUs: 2000, schedPolicy: 'other', schedPriority: 10 };
}

export function parsePollMode(v: string, cmd: string): PollModeName {
  if (!(POLL_MODES as readonly string[]).includes(v)) throw new UsageError(`${cmd}: --poll-mode must be one of ${POLL_MODES.join(', ')}, got '${v}'`);
  return v as PollModeName;
}
