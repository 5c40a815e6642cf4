// Latency histogram in ns: exact below 16 ns, then 8 linear buckets per power
// of two (relative error under 12.5%), 240 buckets up to 2^32 ns. Adding a
// value is a clz32 and an increment; percentiles report the bucket's upper bound.

export const HIST_BUCKETS = 240;

export function bucketOf(v: number): number {
  if (v < 16) return v;
  const e = 31 - Math.clz32(v);
  return 16 + (e - 4) * 8 + ((v >>> (e - 3)) & 7);
}

/** Largest value that falls into bucket `i`. */
export function bucketMax(i: number): number {
  if (i < 16) return i;
  const e = 4 + ((i - 16) >> 3);
  const sub = (i - 16) & 7;
  return (8 + sub + 1) * 2 ** (e - 3) - 1;
}

export class Histogram {
  readonly counts = new Float64Array(HIST_BUCKETS);
  n = 0;
  min = Infinity;
  max = 0;

  add(v: number): void {
    this.counts[bucketOf(v)]++;
    this.n++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  /** Value at or below which a fraction q of samples lie (upper bucket bound, capped at max). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const target = Math.ceil(q * this.n);
    let c = 0;
    for (let i = 0; i < HIST_BUCKETS; i++) {
      c += this.counts[i];
      if (c >= target) return Math.min(bucketMax(i), this.max);
    }
    return this.max;
  }

  merge(counts: Float64Array, n: number, min: number, max: number): void {
    for (let i = 0; i < HIST_BUCKETS; i++) this.counts[i] += counts[i];
    this.n += n;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }
}
