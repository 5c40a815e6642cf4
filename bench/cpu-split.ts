// Where a CPU's time went over a window, from /proc/stat (USER_HZ = 100 ticks
// a second on every Linux ABI tsfwd builds for): the fwd bench records it for
// the generator's and the forwarder's CPU, to show which one bounds a row.
import * as fs from 'node:fs';

/** Shares of one CPU over a window (0..1 each; they sum to ~1). */
export interface CpuSplit { user: number; kernel: number; idle: number; steal: number }

/** [user+nice, system+irq+softirq, idle+iowait, steal] ticks of `cpu` so far. */
export function cpuTicks(cpu: number): number[] {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`/proc/stat has no cpu${cpu}`);
  const f = line.trim().split(/\s+/).slice(1).map(Number);
  return [f[0] + f[1], f[2] + f[5] + f[6], f[3] + f[4], f[7] ?? 0];
}

/** Per-second tick rates (as `window` returns them) to shares. */
export function cpuSplit(rates: readonly number[]): CpuSplit {
  const hz = 100;
  return { user: rates[0] / hz, kernel: rates[1] / hz, idle: rates[2] / hz, steal: rates[3] / hz };
}

/** "K 62 / U 38 / I 0": kernel, user and idle percent. */
export function splitText(s: CpuSplit): string {
  const p = (v: number): string => (v * 100).toFixed(0);
  return `K ${p(s.kernel)} / U ${p(s.user)} / I ${p(s.idle)}`;
}
