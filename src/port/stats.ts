// Per-queue port counters in shared memory. Each queue's rx line is written
// only by the lcore polling that queue's rx side, its tx line only by the lcore
// transmitting on it (one writer each, own 64-byte line); any thread may read.
// Float64 keeps counts exact to 2^53; a reader may see a value one burst old.
import type { PortStats } from './types';

export const QSTAT_WORDS = 8;           // Float64 words per line
export const QSTAT_RX = 0;              // rx line of a queue, then tx line
export const QSTAT_TX = QSTAT_WORDS;
export const QSTAT_QUEUE_WORDS = 2 * QSTAT_WORDS;

// rx line
export const RX_PACKETS = 0;
export const RX_BYTES = 1;
export const RX_ERRORS = 2;   // invalid frames dropped (runt, oversize, bad encapsulation)
export const RX_NOMBUF = 3;
export const RX_MISSED = 4;   // kernel drops, accumulated by the driver (clear-on-read sources)
export const RX_OERRORS = 5;  // tx errors that surface on the rx path (ICMP for an earlier datagram); summed into oerrors and oerrorsLate
// tx line
export const TX_PACKETS = 0;
export const TX_BYTES = 1;
export const TX_ERRORS = 2;   // frames consumed by txBurst and not sent (invalid, refused, write error)
export const TX_LATE = 3;     // errors for frames already counted sent (ICMP seen by a later send); summed into oerrors and oerrorsLate

export function statsBytesFor(nbQueues: number): number {
  return nbQueues * QSTAT_QUEUE_WORDS * 8;
}

/** The rx line of `queue` as a Float64Array (index with RX_*). */
export function rxLine(buf: SharedArrayBuffer, queue: number): Float64Array {
  return new Float64Array(buf, (queue * QSTAT_QUEUE_WORDS + QSTAT_RX) * 8, QSTAT_WORDS);
}

/** The tx line of `queue` as a Float64Array (index with TX_*). */
export function txLine(buf: SharedArrayBuffer, queue: number): Float64Array {
  return new Float64Array(buf, (queue * QSTAT_QUEUE_WORDS + QSTAT_TX) * 8, QSTAT_WORDS);
}

/** Sums every queue's counters. */
export function sumStats(buf: SharedArrayBuffer, nbQueues: number): PortStats {
  const s: PortStats = { ipackets: 0, opackets: 0, ibytes: 0, obytes: 0, imissed: 0, ierrors: 0, oerrors: 0, oerrorsLate: 0, rxNombuf: 0 };
  const w = new Float64Array(buf);
  for (let q = 0; q < nbQueues; q++) {
    const rx = q * QSTAT_QUEUE_WORDS + QSTAT_RX;
    const tx = q * QSTAT_QUEUE_WORDS + QSTAT_TX;
    s.ipackets += w[rx + RX_PACKETS];
    s.ibytes += w[rx + RX_BYTES];
    s.ierrors += w[rx + RX_ERRORS];
    s.rxNombuf += w[rx + RX_NOMBUF];
    s.imissed += w[rx + RX_MISSED];
    s.oerrorsLate += w[rx + RX_OERRORS] + w[tx + TX_LATE];
    s.opackets += w[tx + TX_PACKETS];
    s.obytes += w[tx + TX_BYTES];
    s.oerrors += w[tx + TX_ERRORS];
  }
  s.oerrors += s.oerrorsLate;
  return s;
}
