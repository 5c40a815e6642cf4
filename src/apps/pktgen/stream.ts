// Shared-memory description of pktgen's streams (one per tx port): the
// configuration the main thread writes (from options or a .pkt script), the
// run/generation words it flips to start and stop, and the counters the lcore
// writes. The lcore reloads a stream's configuration each time its
// generation changes, so a script can re-`set` and `start` while it runs.

// Float64 configuration words per stream.
export const S_SIZE_MIN = 0;    // frame length without FCS
export const S_SIZE_MAX = 1;    // > S_SIZE_MIN: sweep min..max, one byte per frame
export const S_IMIX = 2;        // 1: 60/590/1514 at 7:4:1 (64/594/1518 with FCS)
export const S_PPS = 3;         // 0 = as fast as the port takes
export const S_COUNT = 4;       // frames per start, 0 = unlimited
export const S_SRC_IP = 5;      // min, then max at +1
export const S_DST_IP = 7;
export const S_SPORT = 9;
export const S_DPORT = 11;
export const S_TTL = 13;
export const S_SRC_MAC = 14;    // 48-bit value, then count at +1 (low 16 bits vary)
export const S_DST_MAC = 16;
export const S_RANGE = 18;      // 1: addresses/ports cycle through their ranges; 0: min only
export const S_WORDS = 24;

// Int32 control words per stream (16 = one 64-byte line).
export const K_RUN = 0;         // 1 while the stream should send
export const K_GEN = 1;         // bumped on every start; the lcore reloads the config
export const K_WORDS = 16;

// Float64 counters per stream, written by the lcore.
export const N_SENT = 0;
export const N_BYTES = 1;
export const N_NOMBUF = 2;
export const N_DONE = 3;        // generation whose count is complete
export const N_PENDING = 4;     // frames built and refused by the port, to be retried
export const N_WORDS = 8;

export const IMIX_SIZES = [60, 60, 60, 60, 60, 60, 60, 590, 590, 590, 590, 1514];

export interface StreamBuffers {
  config: SharedArrayBuffer;
  control: SharedArrayBuffer;
  counters: SharedArrayBuffer;
}

export function streamBuffers(n: number): StreamBuffers {
  return {
    config: new SharedArrayBuffer(n * S_WORDS * 8),
    control: new SharedArrayBuffer(n * K_WORDS * 4),
    counters: new SharedArrayBuffer(n * N_WORDS * 8),
  };
}

/** The frame lengths one start of the stream cycles through. */
export function sizeCycle(cfg: Float64Array, base: number): number[] {
  if (cfg[base + S_IMIX] === 1) return IMIX_SIZES;
  const lo = cfg[base + S_SIZE_MIN];
  const hi = Math.max(lo, cfg[base + S_SIZE_MAX]);
  const out: number[] = [];
  for (let s = lo; s <= hi; s++) out.push(s);
  return out;
}

export function macToNumber(mac: readonly number[]): number {
  return mac.reduce((v, b) => v * 256 + b, 0);
}
