// Bounded lock-free ring of uint32 values in shared memory, with rte_ring's
// semantics: power-of-two size, separate producer and consumer head/tail,
// SP/SC or MP/MC chosen at creation, bulk (all or nothing) and burst (as many
// as possible) calls sharing one path. Mirrors __rte_ring_move_prod_head /
// __rte_ring_update_tail from DPDK's rte_ring_c11_pvt.h.
import {
  RING_CAPACITY, RING_CONS_HEAD, RING_CONS_SLEEPING, RING_CONS_WAKE_FD, RING_CONS_TAIL, RING_FLAGS, RING_F_SC_DEQ, RING_F_SP_ENQ,
  RING_HEADER_BYTES, RING_MAGIC, RING_MAGIC_W, RING_MASK, RING_MAX_CAPACITY, RING_PROD_HEAD,
  RING_PROD_TAIL, RING_SLOTS_W, isPowerOfTwo, ringBytesFor,
} from './layout';
import { evfdSignal } from '../native';
import { backoff } from './relax';

export interface RingCreateOptions {
  /** Initial value of all four indices; tests use values near 2^32 to exercise the wrap. */
  startIndex?: number;
}

export class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly capacity: number;
  readonly flags: number;
  private readonly h: Uint32Array;
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private readonly sp: boolean;
  private readonly sc: boolean;
  /** Free space (enqueue) or entries left (dequeue) after the last call. */
  private after = 0;

  private constructor(buffer: SharedArrayBuffer, byteOffset: number) {
    this.buffer = buffer;
    this.byteOffset = byteOffset;
    this.h = new Uint32Array(buffer, byteOffset, RING_SLOTS_W);
    if (this.h[RING_MAGIC_W] !== RING_MAGIC) throw new Error(`no ring at byte ${byteOffset} of this buffer`);
    this.capacity = this.h[RING_CAPACITY];
    this.mask = this.h[RING_MASK];
    this.flags = this.h[RING_FLAGS];
    this.sp = (this.flags & RING_F_SP_ENQ) !== 0;
    this.sc = (this.flags & RING_F_SC_DEQ) !== 0;
    this.slots = new Uint32Array(buffer, byteOffset + RING_HEADER_BYTES, this.capacity);
  }

  static bytesFor(capacity: number): number {
    return ringBytesFor(capacity);
  }

  /** Creates a ring in a new SharedArrayBuffer. */
  static create(capacity: number, flags = 0, opts: RingCreateOptions = {}): Ring {
    const buf = new SharedArrayBuffer(Ring.bytesFor(Ring.checkCapacity(capacity)));
    return Ring.init(buf, 0, capacity, flags, opts);
  }

  /** Writes a new ring into `buffer` at `byteOffset` (64-byte aligned) and returns it. */
  static init(buffer: SharedArrayBuffer, byteOffset: number, capacity: number, flags = 0,
    opts: RingCreateOptions = {}): Ring {
    Ring.checkCapacity(capacity);
    if (byteOffset % 64 !== 0) throw new RangeError(`ring offset must be 64-byte aligned, got ${byteOffset}`);
    if ((flags & ~(RING_F_SP_ENQ | RING_F_SC_DEQ)) !== 0) throw new RangeError(`unknown ring flags 0x${flags.toString(16)}`);
    const start = opts.startIndex ?? 0;
    if (!Number.isInteger(start) || start < 0 || start > 0xffffffff) throw new RangeError(`startIndex must be a uint32, got ${start}`);
    const h = new Uint32Array(buffer, byteOffset, RING_SLOTS_W);
    h.fill(0);
    h[RING_CAPACITY] = capacity;
    h[RING_MASK] = capacity - 1;
    h[RING_FLAGS] = flags;
    h[RING_PROD_HEAD] = start;
    h[RING_PROD_TAIL] = start;
    h[RING_CONS_HEAD] = start;
    h[RING_CONS_TAIL] = start;
    // Publishes the header above; pairs with the magic check in the constructor
    // of any thread that attaches after receiving the buffer.
    Atomics.store(h, RING_MAGIC_W, RING_MAGIC);
    return new Ring(buffer, byteOffset);
  }

  /** Rebuilds, in any thread, the ring that `init`/`create` wrote into `buffer`. */
  static attach(buffer: SharedArrayBuffer, byteOffset = 0): Ring {
    return new Ring(buffer, byteOffset);
  }

  private static checkCapacity(capacity: number): number {
    if (!isPowerOfTwo(capacity) || capacity > RING_MAX_CAPACITY) {
      throw new RangeError(`ring capacity must be a power of two between 1 and 2^30, got ${capacity}`);
    }
    return capacity;
  }

  /** Enqueues all `n` values of `objs` or none. Returns n or 0. */
  enqueueBulk(objs: Uint32Array, n: number, freeSpace?: Uint32Array): number {
    const r = this.enqueueFrom(objs, 0, n, true);
    if (freeSpace !== undefined) freeSpace[0] = this.after;
    return r;
  }

  /** Enqueues as many of the first `n` values of `objs` as fit. Returns the count. */
  enqueueBurst(objs: Uint32Array, n: number, freeSpace?: Uint32Array): number {
    const r = this.enqueueFrom(objs, 0, n, false);
    if (freeSpace !== undefined) freeSpace[0] = this.after;
    return r;
  }

  /** Dequeues exactly `n` values into `out` or none. Returns n or 0. */
  dequeueBulk(out: Uint32Array, n: number, available?: Uint32Array): number {
    const r = this.dequeueInto(out, 0, n, true);
    if (available !== undefined) available[0] = this.after;
    return r;
  }

  /** Dequeues up to `n` values into `out`. Returns the count. */
  dequeueBurst(out: Uint32Array, n: number, available?: Uint32Array): number {
    const r = this.dequeueInto(out, 0, n, false);
    if (available !== undefined) available[0] = this.after;
    return r;
  }

  /**
   * Enqueues `objs[start .. start+n)`; with `bulk` all or nothing, else as many
   * as fit. The shared path behind enqueueBulk/enqueueBurst.
   */
  enqueueFrom(objs: Uint32Array, start: number, n: number, bulk: boolean): number {
    if (n > objs.length - start) throw new RangeError(`enqueue of ${n} from offset ${start} overruns an array of ${objs.length}`);
    const h = this.h;
    const cap = this.capacity;
    let head: number;
    let next: number;
    let free: number;
    if (this.sp) {
      head = h[RING_PROD_HEAD]; // only this thread writes PROD_HEAD
      // Observes consumers' release of slots; pairs with the CONS_TAIL store in dequeueInto.
      free = (cap + Atomics.load(h, RING_CONS_TAIL) - head) >>> 0;
      if (n > free) n = bulk ? 0 : free;
      if (n === 0) { this.after = free; return 0; }
      next = (head + n) >>> 0;
      h[RING_PROD_HEAD] = next;
    } else {
      do {
        // Observes other producers' claims; pairs with the compareExchange below.
        head = Atomics.load(h, RING_PROD_HEAD);
        // Observes consumers' release of slots; pairs with the CONS_TAIL store in dequeueInto.
        free = (cap + Atomics.load(h, RING_CONS_TAIL) - head) >>> 0;
        if (n > free) n = bulk ? 0 : free;
        if (n === 0) { this.after = free; return 0; }
        next = (head + n) >>> 0;
        // Claims [head, next) for this producer; a failed exchange means another
        // producer moved the head, which is progress, so the retry is lock-free.
      } while (Atomics.compareExchange(h, RING_PROD_HEAD, head, next) !== head);
    }
    const slots = this.slots;
    const idx = head & this.mask;
    if (idx + n <= cap) {
      for (let i = 0; i < n; i++) slots[idx + i] = objs[start + i];
    } else {
      const first = cap - idx;
      for (let i = 0; i < first; i++) slots[idx + i] = objs[start + i];
      for (let i = first; i < n; i++) slots[i - first] = objs[start + i];
    }
    if (!this.sp) this.waitTail(RING_PROD_TAIL, head);
    // Publishes the slots written above to consumers; pairs with the PROD_TAIL
    // load in dequeueInto.
    Atomics.store(h, RING_PROD_TAIL, next);
    this.after = free - n;
    // Observes a consumer gone to sleep; pairs with the SLEEPING store in
    // armDoorbell. Loaded after the PROD_TAIL store: either the consumer's
    // re-check after arming sees these slots, or this load sees it asleep.
    if (Atomics.load(h, RING_CONS_SLEEPING) !== 0) this.ringDoorbell();
    return n;
  }

  private ringDoorbell(): void {
    // Only one producer writes the eventfd per sleep; pairs with the store in armDoorbell.
    if (Atomics.compareExchange(this.h, RING_CONS_SLEEPING, 1, 0) === 1) {
      // Observes the fd published before SLEEPING was set (armDoorbell).
      evfdSignal(Atomics.load(this.h, RING_CONS_WAKE_FD));
    }
  }

  /**
   * Consumer about to sleep: asks producers to write `fd` on their next
   * enqueue. Returns false (and disarms) if entries are already waiting, so
   * no wake-up can be missed between the last empty poll and the sleep.
   */
  armDoorbell(fd: number): boolean {
    // Publishes the eventfd before the flag; pairs with the load in ringDoorbell.
    Atomics.store(this.h, RING_CONS_WAKE_FD, fd);
    // Publishes "asleep"; pairs with the load after the PROD_TAIL store in enqueueFrom.
    Atomics.store(this.h, RING_CONS_SLEEPING, 1);
    if (this.count() === 0) return true;
    this.disarmDoorbell();
    return false;
  }

  /** Consumer awake again: producers need not ring. */
  disarmDoorbell(): void {
    // Publishes "awake"; pairs with the compareExchange in ringDoorbell.
    Atomics.store(this.h, RING_CONS_SLEEPING, 0);
  }

  /**
   * Dequeues up to `n` values into `out[start ..]`; with `bulk` all or nothing.
   * The shared path behind dequeueBulk/dequeueBurst.
   */
  dequeueInto(out: Uint32Array, start: number, n: number, bulk: boolean): number {
    if (n > out.length - start) throw new RangeError(`dequeue of ${n} at offset ${start} overruns an array of ${out.length}`);
    const h = this.h;
    let head: number;
    let next: number;
    let avail: number;
    if (this.sc) {
      head = h[RING_CONS_HEAD]; // only this thread writes CONS_HEAD
      // Observes producers' published slots; pairs with the PROD_TAIL store in enqueueFrom.
      avail = (Atomics.load(h, RING_PROD_TAIL) - head) >>> 0;
      if (n > avail) n = bulk ? 0 : avail;
      if (n === 0) { this.after = avail; return 0; }
      next = (head + n) >>> 0;
      h[RING_CONS_HEAD] = next;
    } else {
      do {
        // Observes other consumers' claims; pairs with the compareExchange below.
        head = Atomics.load(h, RING_CONS_HEAD);
        // Observes producers' published slots; pairs with the PROD_TAIL store in enqueueFrom.
        avail = (Atomics.load(h, RING_PROD_TAIL) - head) >>> 0;
        if (n > avail) n = bulk ? 0 : avail;
        if (n === 0) { this.after = avail; return 0; }
        next = (head + n) >>> 0;
        // Claims [head, next) for this consumer; failure means another consumer progressed.
      } while (Atomics.compareExchange(h, RING_CONS_HEAD, head, next) !== head);
    }
    const slots = this.slots;
    const cap = this.capacity;
    const idx = head & this.mask;
    if (idx + n <= cap) {
      for (let i = 0; i < n; i++) out[start + i] = slots[idx + i];
    } else {
      const first = cap - idx;
      for (let i = 0; i < first; i++) out[start + i] = slots[idx + i];
      for (let i = first; i < n; i++) out[start + i] = slots[i - first];
    }
    if (!this.sc) this.waitTail(RING_CONS_TAIL, head);
    // Releases the slots read above to producers; pairs with the CONS_TAIL load
    // in enqueueFrom.
    Atomics.store(h, RING_CONS_TAIL, next);
    this.after = avail - n;
    return n;
  }

  /**
   * MP/MC only: waits until every earlier claimant on this side has published
   * (tail === our head), so tails advance in claim order. Bounded spin, then a
   * yield/sleep: the thread we wait on may be preempted mid-copy on this CPU.
   */
  private waitTail(tail: number, head: number): void {
    let spins = 0;
    // Observes the tail store of the claimant just before us; pairs with the
    // Atomics.store of that tail in enqueueFrom/dequeueInto.
    while (Atomics.load(this.h, tail) !== head) backoff(++spins);
  }

  /** Entries in the ring (a snapshot when other threads are active). */
  count(): number {
    // Observe both published tails; pair with the tail stores above. Read in
    // this order the difference can overshoot while consumers run, so clamp.
    const consTail = Atomics.load(this.h, RING_CONS_TAIL);
    const n = (Atomics.load(this.h, RING_PROD_TAIL) - consTail) >>> 0;
    return n > this.capacity ? this.capacity : n;
  }

  freeCount(): number {
    return this.capacity - this.count();
  }

  empty(): boolean {
    return this.count() === 0;
  }

  full(): boolean {
    return this.count() === this.capacity;
  }
}
