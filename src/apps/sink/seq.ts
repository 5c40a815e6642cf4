// Per-stream sequence accounting: lost, duplicated and reordered frames,
// exact within a window of the last SEQ_WINDOW sequence numbers. A gap counts
// as lost until a missing number turns up late, when it becomes reordered;
// a number seen twice is a duplicate. Sequence numbers wrap at 2^32. The
// first frame seen need not be the stream's first (the queues of a multi-queue
// port deliver in their own order): a frame older than it moves the start back.

export const MAX_STREAMS = 256;
export const SEQ_WINDOW = 65536;
const WORDS = SEQ_WINDOW / 32;
const MASK = SEQ_WINDOW - 1;

export class SeqTracker {
  readonly received = new Float64Array(MAX_STREAMS);
  readonly lost = new Float64Array(MAX_STREAMS);
  readonly duplicates = new Float64Array(MAX_STREAMS);
  readonly reordered = new Float64Array(MAX_STREAMS);
  private readonly next = new Float64Array(MAX_STREAMS); // next expected, uint32
  private readonly low = new Float64Array(MAX_STREAMS);  // oldest number seen, uint32
  private readonly started = new Uint8Array(MAX_STREAMS);
  private readonly bits = new Int32Array(MAX_STREAMS * WORDS);

  add(s: number, seq: number): void {
    this.received[s]++;
    const base = s * WORDS;
    if (this.started[s] === 0) {
      this.started[s] = 1;
      this.set(base, seq);
      this.next[s] = (seq + 1) >>> 0;
      this.low[s] = seq;
      return;
    }
    const next = this.next[s];
    const ahead = (seq - next) >>> 0;
    if (ahead < 0x80000000) {
      // In order (ahead 0) or after a gap: forget what the window held for the
      // skipped numbers, so a late arrival of one of them reads as reordered.
      if (ahead >= SEQ_WINDOW) this.bits.fill(0, base, base + WORDS);
      else for (let i = 0; i < ahead; i++) this.clear(base, (next + i) >>> 0);
      this.lost[s] += ahead;
      this.set(base, seq);
      this.next[s] = (seq + 1) >>> 0;
      return;
    }
    const back = (next - seq) >>> 0;
    if (back > SEQ_WINDOW) { this.reordered[s]++; return; } // too old to tell a duplicate from a late frame
    const before = (this.low[s] - seq) >>> 0;
    if (before !== 0 && before < 0x80000000) {
      // Older than anything seen: never counted as lost. The numbers between it and the old start are.
      this.lost[s] += before - 1;
      this.low[s] = seq;
      this.set(base, seq);
      this.reordered[s]++;
      return;
    }
    const w = base + ((seq & MASK) >>> 5);
    const bit = 1 << (seq & 31);
    if ((this.bits[w] & bit) !== 0) {
      this.duplicates[s]++;
    } else {
      this.bits[w] |= bit;
      this.reordered[s]++;
      this.lost[s]--;
    }
  }

  private set(base: number, seq: number): void {
    this.bits[base + ((seq & MASK) >>> 5)] |= 1 << (seq & 31);
  }

  private clear(base: number, seq: number): void {
    this.bits[base + ((seq & MASK) >>> 5)] &= ~(1 << (seq & 31));
  }

  /** Streams that received anything, with their figures. */
  summary(): { stream: number; received: number; lost: number; duplicates: number; reordered: number }[] {
    const out = [];
    for (let s = 0; s < MAX_STREAMS; s++) {
      if (this.started[s]) out.push({ stream: s, received: this.received[s], lost: this.lost[s], duplicates: this.duplicates[s], reordered: this.reordered[s] });
    }
    return out;
  }
}
