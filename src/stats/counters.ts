// Forwarding counters in shared memory: for each lcore, one 64-byte line per
// port plus one line for the lcore itself. Only that lcore writes its lines
// (plain Float64 stores, exact to 2^53); the main thread sums them for the
// stats block, JSON lines and /metrics, reading a value at most one burst old.

export const C_WORDS = 8;       // Float64 words per line
// per (lcore, port) line
export const C_RX = 0;          // frames received on this port
export const C_FWD = 1;         // frames received on this port that left by its destination port
export const C_TX = 2;          // frames transmitted out of this port (forwarded + generated)
export const C_DROP_TX = 3;     // received on this port, refused by the destination's tx
export const C_DROP_BAD = 4;    // received on this port shorter than an Ethernet header
export const C_DROP_RING = 5;   // received on this port, pipeline ring to the tx lcore full
export const C_GENERATED = 6;   // --tx-first frames sent out of this port
// per-lcore line (at nbPorts * C_WORDS of a view): written by the lcore's
// Idler, words L_* in eal/idler.ts; read through stats/lcore-load.ts

export class Counters {
  readonly buffer: SharedArrayBuffer;
  readonly nbLcores: number;
  readonly nbPorts: number;
  private readonly w: Float64Array;

  constructor(buffer: SharedArrayBuffer, nbLcores: number, nbPorts: number) {
    this.buffer = buffer;
    this.nbLcores = nbLcores;
    this.nbPorts = nbPorts;
    this.w = new Float64Array(buffer);
  }

  static create(nbLcores: number, nbPorts: number): Counters {
    return new Counters(new SharedArrayBuffer(Counters.bytesFor(nbLcores, nbPorts)), nbLcores, nbPorts);
  }

  static bytesFor(nbLcores: number, nbPorts: number): number {
    return nbLcores * (nbPorts + 1) * C_WORDS * 8;
  }

  /** The lines of lcore `index`: word `port * C_WORDS + C_*`, lcore line at `nbPorts * C_WORDS`. */
  lcoreView(index: number): Float64Array {
    const lines = this.nbPorts + 1;
    return new Float64Array(this.buffer, index * lines * C_WORDS * 8, lines * C_WORDS);
  }

  /** Sum over lcores of counter `c` for `port`. */
  port(port: number, c: number): number {
    let s = 0;
    const lines = this.nbPorts + 1;
    for (let l = 0; l < this.nbLcores; l++) s += this.w[(l * lines + port) * C_WORDS + c];
    return s;
  }
}
