// How busy each lcore was, from its Idler line (eal/idler.ts): polls, empty
// polls, time asleep, and busy % = time in polls that handled a frame over
// wall time, as OvS's pmd-perf-show and DPDK's lcore telemetry report it. An
// lcore at 100% CPU in busy mode and 3% busy is idling at full power.
import { L_BUSY_US, L_EMPTY, L_POLLS, L_SLEEPS, L_SLEEP_US } from '../eal/idler';

export interface LcoreLoad {
  lcore: number;
  polls: number;
  emptyPolls: number;
  /** Naps and blocked waits entered. */
  sleeps: number;
  sleepUs: number;
  busyUs: number;
}

/** Reads the Idler line of `lcore` at `line[base ..]`. */
export function lcoreLoad(lcore: number, line: Float64Array, base: number): LcoreLoad {
  return {
    lcore, polls: line[base + L_POLLS], emptyPolls: line[base + L_EMPTY], sleeps: line[base + L_SLEEPS],
    sleepUs: line[base + L_SLEEP_US], busyUs: line[base + L_BUSY_US],
  };
}

/** Busy and asleep shares of `seconds` between two readings (prev undefined: since the start). */
export function loadShares(cur: LcoreLoad, prev: LcoreLoad | undefined, seconds: number): { busy: number; asleep: number } {
  if (seconds <= 0) return { busy: 0, asleep: 0 };
  const busy = (cur.busyUs - (prev?.busyUs ?? 0)) / 1e6 / seconds;
  const asleep = (cur.sleepUs - (prev?.sleepUs ?? 0)) / 1e6 / seconds;
  return { busy: Math.min(1, busy), asleep: Math.min(1, asleep) };
}

/** "lcore 1: busy 3.2%, asleep 95.0%, 1234567 polls (1200000 empty), 2000 sleeps" */
export function formatLoad(cur: LcoreLoad, prev: LcoreLoad | undefined, seconds: number): string {
  const s = loadShares(cur, prev, seconds);
  const d = (k: keyof LcoreLoad): number => cur[k] - (prev?.[k] ?? 0);
  return `lcore ${cur.lcore}: busy ${(s.busy * 100).toFixed(1)}%, asleep ${(s.asleep * 100).toFixed(1)}%, ` +
    `${d('polls')} polls (${d('emptyPolls')} empty), ${d('sleeps')} sleeps`;
}
