// Reading and checking the final --stats-json line of a tsfwd run (schema in
// src/stats/json.ts) for the soak and volume proofs: the checks are redone
// here from the printed numbers rather than trusting the run's own "ok".

export interface FinalDrops { txFail: number; badFrame: number; ringFull: number; imissed: number; noMbuf: number; ierrors: number }

export interface FinalPort {
  port: number; name: string; ipackets: number; opackets: number; ibytes: number; obytes: number;
  forwarded: number; generated: number; dropped: FinalDrops;
}

export interface FinalLine {
  msg: string; ok: boolean; ports: FinalPort[]; mempool: { size: number; inUse: number }; gcs: number[]; maxRssKb: number;
}

/** The last `"msg":"final"` JSON line of `stdout`, if any. */
export function lastFinal<T>(stdout: string): (T & { msg: string }) | undefined {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.includes('"msg":"final"')) continue;
    return JSON.parse(line) as T & { msg: string };
  }
  return undefined;
}

/** Drops of frames tsfwd received (txFail, badFrame, ringFull): received = forwarded + these. */
export const droppedAfterRx = (d: FinalDrops): number => d.txFail + d.badFrame + d.ringFull;

/** "txFail 0 badFrame 0 ringFull 0, before rx: imissed 5 noMbuf 0 ierrors 0". */
export function dropsText(d: FinalDrops): string {
  return `txFail ${d.txFail} badFrame ${d.badFrame} ringFull ${d.ringFull}, before rx: imissed ${d.imissed} noMbuf ${d.noMbuf} ierrors ${d.ierrors}`;
}

/** Every port balances, what a port sent is what its peer forwarded, and every mbuf is back. */
export function balanceProblems(f: FinalLine): string[] {
  const out: string[] = [];
  if (!f.ok) out.push('the final line says ok: false (tsfwd\'s own accounting check failed)');
  for (const p of f.ports) {
    if (p.ipackets !== p.forwarded + droppedAfterRx(p.dropped)) {
      out.push(`port ${p.port}: received ${p.ipackets} != forwarded ${p.forwarded} + dropped ${droppedAfterRx(p.dropped)}`);
    }
  }
  // Two ports paired with each other (-p 0x3): each sends what the other forwarded.
  if (f.ports.length === 2) {
    for (const [a, b] of [[0, 1], [1, 0]]) {
      const sent = f.ports[a].opackets;
      const want = f.ports[b].forwarded + f.ports[a].generated;
      if (sent !== want) out.push(`port ${a}: sent ${sent} != forwarded from port ${b} ${want}`);
    }
  }
  if (f.mempool.inUse !== 0) out.push(`mempool: ${f.mempool.inUse} of ${f.mempool.size} mbufs still in use after stop`);
  return out;
}
