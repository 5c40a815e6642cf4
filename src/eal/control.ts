// Control block shared by the main thread and every lcore: the stop flag and a
// state word per lcore. A spinning worker never sees postMessage, so control
// goes through this shared memory (DESIGN.md, measured facts).

export const CTL_STOP = 0;        // non-zero: lcores leave their loops
export const CTL_LCORE_BASE = 16; // byte 64: per-lcore words start on their own line
export const CTL_WORDS_PER_LCORE = 16; // one 64-byte line each
export const CTL_STATE = 0;       // LcoreState
export const CTL_CPU = 1;         // CPU the lcore saw itself on after pinning
export const CTL_WAKE_FD = 2;     // 1 + the eventfd an lcore's naps and blocks wait on (idler.ts), 0 if none

export enum LcoreState {
  Launching = 0,
  Running = 1,
  Done = 2,
  Failed = 3,
}

export function controlBytesFor(nLcores: number): number {
  return (CTL_LCORE_BASE + nLcores * CTL_WORDS_PER_LCORE) * 4;
}

export function lcoreWord(index: number, field: number): number {
  return CTL_LCORE_BASE + index * CTL_WORDS_PER_LCORE + field;
}
