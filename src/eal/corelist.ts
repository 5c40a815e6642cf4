// EAL core selection: `-l 0-2,4` (core list) and `-c 0x3` (hex core mask), as
// DPDK's EAL parses them. lcore ids equal CPU ids, DPDK's default mapping.
import { quote } from './quote';

export class UsageError extends Error {}

/** Highest CPU id a core list or mask may name (DPDK's RTE_MAX_LCORE is 128 by default; Linux's NR_CPUS often 1024). */
export const MAX_CORE = 1023;

/** Parses a DPDK core list ("1", "0-3", "0,2-3") into sorted unique CPU ids. */
export function parseCoreList(s: string): number[] {
  const out = new Set<number>();
  if (!/^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$/.test(s)) {
    throw new UsageError(`invalid core list ${quote(s)} (expected e.g. 1 or 0-3 or 0,2-3)`);
  }
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    const hi = b ?? a;
    if (hi < a) throw new UsageError(`invalid core range ${quote(part.trim())} in core list ${quote(s)}`);
    if (hi > MAX_CORE) throw new UsageError(`core ${hi} in core list ${quote(s)} exceeds ${MAX_CORE}`);
    for (let c = a; c <= hi; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** Parses a hex core mask ("0x3" or "3") into sorted CPU ids. */
export function parseCoreMask(s: string): number[] {
  const m = /^(0x)?([0-9a-f]+)$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid core mask ${quote(s)} (expected hex, e.g. 0x3)`);
  const digits = m[2].replace(/^0+/, '');
  if (digits.length * 4 > MAX_CORE + 1) throw new UsageError(`core mask ${quote(s)} names cores above ${MAX_CORE}`);
  const out: number[] = [];
  for (let d = 0; d < digits.length; d++) {
    const nibble = parseInt(digits[digits.length - 1 - d], 16); // lowest digit first: cores 4d..4d+3
    for (let b = 0; b < 4; b++) if (nibble & (1 << b)) out.push(d * 4 + b);
  }
  if (out.length === 0) throw new UsageError(`core mask ${quote(s)} selects no core`);
  return out;
}

/** Formats CPU ids compactly: [0,1,2,5] -> "0-2,5". */
export function formatCoreList(cpus: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    parts.push(j === i ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
