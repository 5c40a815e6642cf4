// One table cell of a traffic benchmark (a forwarder at one frame size, all
// its runs), how it prints, and the headline ratios taken from the same runs.
import { summarize } from './stats';

export interface Cell {
  runs: { pps: number; generated: number; gcs?: number; maxRssKb?: number; imissed?: number }[];
  /** The last failure; a cell with runs and an error shows both. */
  error?: string;
}

export const kpps = (v: number): string => (v / 1e3).toFixed(0);

export function cellText(c: Cell | undefined): string {
  if (!c) return '-';
  if (c.runs.length === 0) return c.error ? `failed: ${c.error}` : '-';
  const s = summarize(c.runs.map((r) => r.pps));
  return `${kpps(s.median)} (${kpps(s.min)}-${kpps(s.max)})${c.error ? ` [${c.runs.length} ok; failed: ${c.error}]` : ''}`;
}

export function cellJson(c: Cell | undefined): Record<string, unknown> {
  if (!c) return {};
  return {
    pps: c.runs.length ? summarize(c.runs.map((r) => r.pps)) : undefined,
    generated: c.runs.length ? summarize(c.runs.map((r) => r.generated)) : undefined,
    runs: c.runs,
    error: c.error,
  };
}

const median = (c: Cell | undefined): number | undefined => (c && c.runs.length ? summarize(c.runs.map((r) => r.pps)).median : undefined);

/** "/ ref = **ratio**" for each reference row measured at `len`, with its target note at 64 B. */
function ratios(v: number, refs: readonly (readonly [string, string])[], len: number, get: (forwarder: string, len: number) => Cell | undefined): string[] {
  const parts: string[] = [];
  for (const [name, target] of refs) {
    const ref = median(get(name, len));
    if (ref) parts.push(`/ ${name} = **${(v / ref).toFixed(2)}**${len === 64 ? target : ''}`);
  }
  return parts;
}

const AFP_REFS = [['linux bridge', ''], ['testpmd net_af_packet mac', ' (target >= 1.2 at 64 B)'], ['testpmd net_af_packet io', '']] as const;
const XDP_REFS = [['testpmd net_af_xdp mac', ' (target >= 1.0 at 64 B)'], ['testpmd net_af_xdp io', ''], ['linux bridge', '']] as const;

/** "tsfwd / bridge" and "tsfwd / testpmd mac" per size (AF_PACKET and AF_XDP), from medians of the same runs. */
export function ratioLines(label: string, sizes: number[], get: (forwarder: string, len: number) => Cell | undefined): string[] {
  const lines: string[] = [];
  for (const len of sizes) {
    const mmap = median(get('tsfwd l2fwd mmap', len));
    const mmsg = median(get('tsfwd l2fwd mmsg', len));
    if (mmap === undefined) continue;
    const parts = ratios(mmap, AFP_REFS, len, get);
    if (mmsg !== undefined) parts.push(`(mmsg / mmap = ${(mmsg / mmap).toFixed(2)})`);
    lines.push(`- ${label}, ${len} B: tsfwd l2fwd mmap ${parts.join('; ')}`);
    const xdp = median(get('tsfwd l2fwd af_xdp', len));
    if (xdp === undefined) continue;
    lines.push(`- ${label}, ${len} B: tsfwd l2fwd af_xdp ${[...ratios(xdp, XDP_REFS, len, get), `(af_xdp / mmap = ${(xdp / mmap).toFixed(2)})`].join('; ')}`);
  }
  return lines;
}
