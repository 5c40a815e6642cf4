// EAL core selection: `-l 0-2,4` (core list) and `-c 0x3` (hex core mask), as
// DPDK's EAL parses them. lcore ids equal CPU ids, DPDK's default mapping.

export class UsageError extends Error {}

/** Parses a DPDK core list ("1", "0-3", "0,2-3") into sorted unique CPU ids. */
export function parseCoreList(s: string): number[] {
  const out = new Set<number>();
  if (!/^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$/.test(s)) {
    throw new UsageError(`invalid core list '${s}' (expected e.g. 1 or 0-3 or 0,2-3)`);
  }
  for (const part of s.split(',')) {
    const [a, b] = part.split('-').map((x) => Number(x.trim()));
    const hi = b ?? a;
    if (hi < a) throw new UsageError(`invalid core range '${part.trim()}' in core list '${s}'`);
    if (hi > 1023) throw new UsageError(`core ${hi} in core list '${s}' exceeds 1023`);
    for (let c = a; c <= hi; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** Parses a hex core mask ("0x3" or "3") into sorted CPU ids. */
export function parseCoreMask(s: string): number[] {
  const m = /^(0x)?([0-9a-f]+)$/i.exec(s.trim());
  if (!m) throw new UsageError(`invalid core mask '${s}' (expected hex, e.g. 0x3)`);
  const bits = BigInt('0x' + m[2]);
  const out: number[] = [];
  for (let i = 0; bits >> BigInt(i) !== 0n; i++) if ((bits >> BigInt(i)) & 1n) out.push(i);
  if (out.length === 0) throw new UsageError(`core mask '${s}' selects no core`);
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
