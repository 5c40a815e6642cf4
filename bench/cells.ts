// One table cell of a traffic benchmark (a forwarder at one frame size, all
// its runs), how it prints, and the headline ratios taken from the same runs.
import { summarize } from './stats';
import type { CpuSplit } from './cpu-split';
import { byPass, pairedRatio, ratioText } from './ratio';

export interface Cell {
  /** `pass` is the interleaved pass the run belongs to (0-based): ratios pair runs of the same pass. */
  runs: {
    pass: number; pps: number; generated: number; gcs?: number; maxRssKb?: number; imissed?: number;
    /** Where the generator's and the forwarder's CPU time went during the window. */
    genCpu?: CpuSplit; fwdCpu?: CpuSplit;
    /** tsfwd rows: the lcore's share of polls that found nothing, and its busy time per forwarded frame, ns (whole run). */
    emptyPolls?: number; busyNsPerFrame?: number;
    /** The placement probe before and after the run, ns per cross-CPU handoff (placement.ts). */
    xcpuNs?: [number, number];
  }[];
  /** The last failure; a cell with runs and an error shows both. */
  error?: string;
  /** Runs made while the two CPUs sat far apart (placement.ts): left out of every figure, kept in the JSON. */
  farRuns?: Cell['runs'];
}

export const kpps = (v: number): string => (v / 1e3).toFixed(0);

export function cellText(c: Cell | undefined): string {
  if (!c) return '-';
  if (c.runs.length === 0) return c.error ? `failed: ${c.error}` : c.farRuns?.length ? `CPUs far apart: ${c.farRuns.length} runs left out` : '-';
  const s = summarize(c.runs.map((r) => r.pps));
  return `${kpps(s.median)} (${kpps(s.min)}-${kpps(s.max)})${c.error ? ` [${c.runs.length} ok; failed: ${c.error}]` : ''}`;
}

/** Delivered over generated from which a run counts as "kept up" (the generator, not the forwarder, set its rate). */
export const KEPT_UP = 0.95;

/** The generator's median rate in a cell, kpps, and for a forwarder row how many runs kept up with it. */
export function genText(c: Cell | undefined, forwarder: boolean): string {
  if (!c || c.runs.length === 0) return '-';
  const med = kpps(summarize(c.runs.map((r) => r.generated)).median);
  if (!forwarder) return med;
  const kept = c.runs.filter((r) => r.generated > 0 && r.pps >= KEPT_UP * r.generated).length;
  return kept ? `${med} (${kept} of ${c.runs.length} kept up)` : med;
}

export function cellJson(c: Cell | undefined): Record<string, unknown> {
  if (!c) return {};
  return {
    pps: c.runs.length ? summarize(c.runs.map((r) => r.pps)) : undefined,
    generated: c.runs.length ? summarize(c.runs.map((r) => r.generated)) : undefined,
    runs: c.runs,
    farRuns: c.farRuns,
    error: c.error,
  };
}

/** Cell `a` over cell `b`, pass by pass; undefined when no pass has both. */
export function cellRatio(a: Cell | undefined, b: Cell | undefined): ReturnType<typeof pairedRatio> {
  return a && b ? pairedRatio(byPass(a.runs), byPass(b.runs)) : undefined;
}

/** "/ ref = **ratio** (spread)" for each reference row measured at `len`, with its target note (issue 13: every size). */
function ratios(v: Cell, refs: readonly (readonly [string, string])[], len: number, get: (forwarder: string, len: number) => Cell | undefined): string[] {
  const parts: string[] = [];
  for (const [name, target] of refs) {
    const r = cellRatio(v, get(name, len));
    if (r) parts.push(`/ ${name} = ${ratioText(r)}${target}`);
  }
  return parts;
}

/** The bench row that bounds every net_af_packet forwarder's rate in its run (contenders.ts ringCeiling). */
export const RING_CEILING = 'ring ceiling (tsfwd sink takes every frame at f0)';

/** The fwd row of mode=mmap with the TX ring as large as the RX ring (txframecnt's default is 128): what the smaller ring buys. */
export const MMAP_TX1024 = 'mmap txframecnt=1024';

const AFP_REFS = [['linux bridge', ''], ['testpmd net_af_packet mac', ' (target >= 1.3)'], ['testpmd net_af_packet io', '']] as const;
const XDP_REFS = [['testpmd net_af_xdp mac', ' (target >= 1.2)'], ['testpmd net_af_xdp io', ''], ['linux bridge', '']] as const;

/**
 * "tsfwd / bridge" and "tsfwd / testpmd mac" per size (AF_PACKET and AF_XDP): the median of the
 * per-pass ratios with their min-max, each pass pairing runs made back to back.
 */
export function ratioLines(label: string, sizes: number[], get: (forwarder: string, len: number) => Cell | undefined): string[] {
  const lines: string[] = [];
  // A tsfwd row's ratios to its references and to mmap; no line when it has nothing to compare with.
  const line = (row: string, len: number, refs: readonly (readonly [string, string])[], extra: string[]): void => {
    const v = get(`tsfwd l2fwd ${row}`, len);
    if (!v || v.runs.length === 0) return;
    const parts = [...ratios(v, refs, len, get), ...extra];
    if (parts.length) lines.push(`- ${label}, ${len} B: tsfwd l2fwd ${row} ${parts.join('; ')}`);
  };
  for (const len of sizes) {
    const mmap = get('tsfwd l2fwd mmap', len);
    const toMmap = (row: string, short: string): string[] => {
      const r = cellRatio(get(`tsfwd l2fwd ${row}`, len), mmap);
      return r ? [`(${short} / mmap = ${ratioText(r)})`] : [];
    };
    // The other way round for the 1024-frame TX ring: what the default (128) buys.
    const tx1024 = cellRatio(mmap, get(`tsfwd l2fwd ${MMAP_TX1024}`, len));
    line('mmap', len, AFP_REFS, [...toMmap('mmsg', 'mmsg'), ...(tx1024 ? [`(mmap / ${MMAP_TX1024} = ${ratioText(tx1024)})`] : [])]);
    line('mmap v3', len, AFP_REFS, toMmap('mmap v3', 'v3'));
    line('af_xdp', len, XDP_REFS, toMmap('af_xdp', 'af_xdp'));
    // Below 1.3, an mmap forwarder cannot show 1.3x testpmd in the runs it bounds (the placement of each run still differs).
    const ceil = cellRatio(get(RING_CEILING, len), get('testpmd net_af_packet mac', len));
    if (ceil) lines.push(`- ${label}, ${len} B: ${RING_CEILING} / testpmd net_af_packet mac = ${ratioText(ceil)}: about the highest ratio an mmap (TPACKET_V2) forwarder could show here`);
  }
  return lines;
}
