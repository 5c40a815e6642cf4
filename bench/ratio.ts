// A ratio between two rows measured in the same interleaved passes: the
// median of the per-pass ratios and their spread (min-max), pairing pass i of
// one row with pass i of the other. A pass where either row failed is left
// out rather than paired with another pass, which ran under different load.
import { summarize } from './stats';

export interface PairedRatio { median: number; min: number; max: number; pairs: number }

/** `a[i]` and `b[i]` are pass i's rates (undefined: that run failed); undefined when no pass has both. */
export function pairedRatio(a: readonly (number | undefined)[], b: readonly (number | undefined)[]): PairedRatio | undefined {
  const r: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x !== undefined && y !== undefined && y > 0) r.push(x / y);
  }
  if (r.length === 0) return undefined;
  const s = summarize(r);
  return { median: s.median, min: s.min, max: s.max, pairs: r.length };
}

/** "**1.15** (1.03-1.20 over 3 runs)": the median ratio in bold, its spread beside it. */
export function ratioText(r: PairedRatio): string {
  return `**${r.median.toFixed(2)}** (${r.min.toFixed(2)}-${r.max.toFixed(2)} over ${r.pairs} run${r.pairs === 1 ? '' : 's'})`;
}

/** Per-pass rates of runs tagged with their pass number (undefined for a pass with no run). */
export function byPass(runs: readonly { pass: number; pps: number }[]): (number | undefined)[] {
  const out: (number | undefined)[] = [];
  for (const r of runs) out[r.pass] = r.pps;
  return Array.from(out);
}
