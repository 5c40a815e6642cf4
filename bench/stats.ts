// Median/min/max over runs and a markdown table printer for the benchmarks.

export interface Summary { median: number; min: number; max: number; runs: number[] }

export function summarize(runs: number[]): Summary {
  const s = [...runs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs };
}

export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  const sep = `|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : '-'.repeat(n + 1) + ':')).join('|')}|`;
  return [line(cells[0]), sep, ...cells.slice(1).map(line)].join('\n');
}

export const mops = (v: number): string => (v / 1e6).toFixed(2);

/** Runs `once` `runs` times (after `warmup` untimed calls) and summarizes the rates; sums GCs. */
export async function repeat(runs: number, once: () => Promise<{ rate: number; gcs: number }>, warmup?: () => Promise<unknown>): Promise<Summary & { gcs: number }> {
  if (warmup) await warmup();
  const rates: number[] = [];
  let gcs = 0;
  for (let i = 0; i < runs; i++) {
    const r = await once();
    rates.push(r.rate);
    gcs += r.gcs;
  }
  return { ...summarize(rates), gcs };
}
