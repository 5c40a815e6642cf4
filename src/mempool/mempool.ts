// Fixed-size mbufs in one SharedArrayBuffer, addressed by index, like
// rte_mempool + rte_pktmbuf_pool. The free list is an MP/MC Ring of indices;
// each lcore owns a cache in the same buffer that it refills and flushes by
// half, so most get/put calls touch no shared cache line at all.
import { UsageError } from '../eal/corelist';
import { addressOf } from '../native';
import { Ring } from '../ring/ring';
import {
  CACHE_LEN, CACHE_OBJS_BYTE, MBUF_DATA_LEN, MBUF_DATA_OFF, MBUF_DATA_ROOM_DEFAULT, MBUF_FLAGS,
  MBUF_HEADROOM_DEFAULT, MBUF_META_WORDS, MBUF_PORT, MBUF_RESERVED, MBUF_TS_HI, MBUF_TS_LO, MBUF_USER,
  MEMPOOL_CACHE_DEFAULT, MEMPOOL_CACHE_MAX, MEMPOOL_MAX_LCORES, MP_CACHES_OFF, MP_CACHE_SIZE,
  MP_CACHE_STRIDE, MP_DATA_ALIGN, MP_DATA_OFF, MP_DATA_ROOM, MP_ELT_SIZE, MP_HEADER_BYTES, MP_HEADROOM,
  MP_MAGIC, MP_MAGIC_W, MP_MAX_LCORES, MP_META_OFF, MP_N, MP_RING_OFF, align, nextPowerOfTwo,
} from './layout';

export interface MempoolOptions {
  /** Number of mbufs. */
  n: number;
  /** Bytes of frame data per mbuf (default 2048). */
  dataRoom?: number;
  /** Bytes reserved before the data, a multiple of 64 (default 128). */
  headroom?: number;
  /** Objects per lcore cache, 0..512 and at most n/1.5 (default min(256, n/1.5); 0 disables caches). */
  cacheSize?: number;
  /** Number of lcore cache slots (default 128, as RTE_MAX_LCORE). */
  maxLcores?: number;
}

/** Index meaning "this thread uses no cache" (DPDK's non-EAL threads). */
export const NO_LCORE = -1;

export class Mempool {
  readonly buffer: SharedArrayBuffer;
  readonly n: number;
  readonly eltSize: number;
  readonly headroom: number;
  readonly dataRoom: number;
  readonly cacheSize: number;
  readonly maxLcores: number;
  /** The lcore whose cache this handle uses, or NO_LCORE. */
  readonly lcore: number;
  /** Every mbuf's buffer: mbuf i starts at byte `i * eltSize`. */
  readonly data: Uint8Array;
  /** Per-mbuf metadata words; see MBUF_* in layout.ts. */
  readonly meta: Uint32Array;
  readonly ring: Ring;
  private readonly cacheLens: Uint32Array; // word CACHE_LEN of every cache, by stride
  private readonly cacheStrideW: number;
  private readonly cacheLenW: number;      // index into cacheLens of this lcore's length
  private readonly cache: Uint32Array;     // this lcore's cached objects (empty if none)
  private readonly half: number;

  private constructor(buffer: SharedArrayBuffer, lcore: number) {
    const h = new Uint32Array(buffer, 0, MP_HEADER_BYTES / 4);
    if (h[MP_MAGIC_W] !== MP_MAGIC) throw new Error('buffer holds no mempool');
    this.buffer = buffer;
    this.n = h[MP_N];
    this.eltSize = h[MP_ELT_SIZE];
    this.headroom = h[MP_HEADROOM];
    this.dataRoom = h[MP_DATA_ROOM];
    this.cacheSize = h[MP_CACHE_SIZE];
    this.maxLcores = h[MP_MAX_LCORES];
    if (!Number.isInteger(lcore) || lcore < NO_LCORE || lcore >= this.maxLcores) {
      throw new RangeError(`lcore ${lcore} out of range for a mempool with ${this.maxLcores} cache slots`);
    }
    this.lcore = lcore;
    this.ring = Ring.attach(buffer, h[MP_RING_OFF]);
    this.meta = new Uint32Array(buffer, h[MP_META_OFF], this.n * MBUF_META_WORDS);
    this.data = new Uint8Array(buffer, h[MP_DATA_OFF], this.n * this.eltSize);
    const stride = h[MP_CACHE_STRIDE];
    this.cacheStrideW = stride / 4;
    this.cacheLens = new Uint32Array(buffer, h[MP_CACHES_OFF], (stride * this.maxLcores) / 4);
    const useCache = lcore !== NO_LCORE && this.cacheSize > 0;
    this.cacheLenW = useCache ? lcore * this.cacheStrideW + CACHE_LEN : 0;
    this.cache = useCache
      ? new Uint32Array(buffer, h[MP_CACHES_OFF] + lcore * stride + CACHE_OBJS_BYTE, this.cacheSize)
      : new Uint32Array(0);
    this.half = this.cacheSize >>> 1;
  }

  /** Creates a pool in a new SharedArrayBuffer; the returned handle uses no cache. */
  static create(opts: MempoolOptions): Mempool {
    const n = opts.n;
    const dataRoom = opts.dataRoom ?? MBUF_DATA_ROOM_DEFAULT;
    const headroom = opts.headroom ?? MBUF_HEADROOM_DEFAULT;
    // DPDK refuses cache_size * 1.5 > n: caches could then hold the whole pool.
    const cacheSize = opts.cacheSize ?? Math.min(MEMPOOL_CACHE_DEFAULT, Math.floor(n / 1.5));
    const maxLcores = opts.maxLcores ?? MEMPOOL_MAX_LCORES;
    if (!Number.isInteger(n) || n < 1 || n > 0x1000000) throw new RangeError(`mempool size must be 1..16777216 mbufs, got ${n}`);
    if (!Number.isInteger(dataRoom) || dataRoom < 64 || dataRoom > 65536) throw new RangeError(`dataRoom must be 64..65536 bytes, got ${dataRoom}`);
    if (!Number.isInteger(headroom) || headroom < 0 || headroom % 64 !== 0 || headroom > 4096) {
      throw new RangeError(`headroom must be a multiple of 64 in 0..4096 so data rooms stay cache-line aligned, got ${headroom}`);
    }
    if (!Number.isInteger(cacheSize) || cacheSize < 0 || cacheSize > MEMPOOL_CACHE_MAX || cacheSize * 1.5 > n) {
      throw new RangeError(`cacheSize must be 0..${Math.min(MEMPOOL_CACHE_MAX, Math.floor(n / 1.5))} for ${n} mbufs, got ${cacheSize}`);
    }
    if (!Number.isInteger(maxLcores) || maxLcores < 1 || maxLcores > 1024) throw new RangeError(`maxLcores must be 1..1024, got ${maxLcores}`);

    const eltSize = align(headroom + dataRoom, 64);
    const ringOff = MP_HEADER_BYTES;
    const ringCap = nextPowerOfTwo(n);
    const metaOff = align(ringOff + Ring.bytesFor(ringCap), 64);
    const cachesOff = align(metaOff + n * MBUF_META_WORDS * 4, 64);
    const stride = align(CACHE_OBJS_BYTE + cacheSize * 4, 64);
    const dataMin = cachesOff + stride * maxLcores;
    // Room to slide the data region onto an absolute page boundary.
    const bytes = dataMin + MP_DATA_ALIGN + n * eltSize;
    let buffer: SharedArrayBuffer;
    try {
      buffer = new SharedArrayBuffer(bytes);
    } catch {
      // V8's RangeError names no size; a user asking for 2^24 mbufs (36 GiB) should see why.
      throw new UsageError(`cannot allocate ${(bytes / 2 ** 30).toFixed(1)} GiB for a mempool of ${n} mbufs (give fewer with --mbufs)`);
    }
    const base = addressOf(new Uint8Array(buffer, 0, 1));
    const dataOff = align(base + dataMin, MP_DATA_ALIGN) - base;

    const h = new Uint32Array(buffer, 0, MP_HEADER_BYTES / 4);
    h[MP_N] = n;
    h[MP_ELT_SIZE] = eltSize;
    h[MP_HEADROOM] = headroom;
    h[MP_DATA_ROOM] = dataRoom;
    h[MP_CACHE_SIZE] = cacheSize;
    h[MP_MAX_LCORES] = maxLcores;
    h[MP_RING_OFF] = ringOff;
    h[MP_META_OFF] = metaOff;
    h[MP_CACHES_OFF] = cachesOff;
    h[MP_CACHE_STRIDE] = stride;
    h[MP_DATA_OFF] = dataOff;
    const ring = Ring.init(buffer, ringOff, ringCap, 0);
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    ring.enqueueBulk(all, n);
    // Publishes the header and the filled ring; pairs with the magic check in
    // the constructor of every thread that attaches.
    Atomics.store(h, MP_MAGIC_W, MP_MAGIC);
    const mp = new Mempool(buffer, NO_LCORE);
    for (let i = 0; i < n; i++) mp.reset(i);
    return mp;
  }

  /**
   * Rebuilds the pool from `buffer` in any thread. `lcore` selects this
   * thread's cache; one thread per lcore id, or the cache is corrupted.
   */
  static attach(buffer: SharedArrayBuffer, lcore: number = NO_LCORE): Mempool {
    return new Mempool(buffer, lcore);
  }

  /** Gets exactly `n` mbuf indices into `out`, or none. Returns n or 0. */
  getBulk(out: Uint32Array, n: number): number {
    return this.getBulkInto(out, 0, n);
  }

  /** Returns `n` mbufs from `objs` to the pool. */
  putBulk(objs: Uint32Array, n: number): void {
    this.putBulkFrom(objs, 0, n);
  }

  /** getBulk into `out[start ..]`. */
  getBulkInto(out: Uint32Array, start: number, n: number): number {
    const cache = this.cache;
    const size = cache.length;
    if (n > size) return this.ring.dequeueInto(out, start, n, true);
    const lens = this.cacheLens;
    let len = lens[this.cacheLenW]; // only this lcore writes its cache length
    if (len < n) {
      // Refill so that half a cache remains after serving this request.
      let want = n - len + this.half;
      if (want > size - len) want = size - len;
      let got = this.ring.dequeueInto(cache, len, want, true);
      if (got === 0) got = this.ring.dequeueInto(cache, len, n - len, true);
      if (got === 0) return 0;
      len += got;
    }
    // LIFO: hand out the most recently freed (warmest) buffers first.
    for (let i = 0; i < n; i++) out[start + i] = cache[--len];
    lens[this.cacheLenW] = len; // read racily by availCount(); exact once this lcore has stopped
    return n;
  }

  /** putBulk from `objs[start ..]`. */
  putBulkFrom(objs: Uint32Array, start: number, n: number): void {
    const cache = this.cache;
    const size = cache.length;
    if (n > size) { this.ringPut(objs, start, n); return; }
    const lens = this.cacheLens;
    let len = lens[this.cacheLenW];
    if (len + n > size) {
      // Flush the oldest entries so that at most half a cache stays behind.
      const keep = size - n < this.half ? size - n : this.half;
      const flush = len - keep;
      this.ringPut(cache, 0, flush);
      cache.copyWithin(0, flush, len);
      len = keep;
    }
    for (let i = 0; i < n; i++) cache[len++] = objs[start + i];
    lens[this.cacheLenW] = len;
  }

  private ringPut(objs: Uint32Array, start: number, n: number): void {
    // The ring can hold every mbuf, so a short enqueue means more puts than gets
    // (a double free); not every double free is caught, as in DPDK without debug.
    if (this.ring.enqueueFrom(objs, start, n, true) !== n) {
      throw new Error(`mempool overflow: ${n} mbufs returned to a full pool (double free?)`);
    }
  }

  /** Empties this lcore's cache into the shared ring (rte_mempool_cache_flush). */
  flushCache(): void {
    if (this.cache.length === 0) return;
    const len = this.cacheLens[this.cacheLenW];
    if (len > 0) this.ringPut(this.cache, 0, len);
    this.cacheLens[this.cacheLenW] = 0;
  }

  /** Empties the cache of `lcore` from another thread; only once that lcore has stopped. */
  flushLcoreCache(lcore: number): void {
    Mempool.attach(this.buffer, lcore).flushCache();
  }

  /** Free mbufs: in the ring plus in every lcore cache. */
  availCount(): number {
    let total = this.ring.count();
    if (this.cacheSize === 0) return total;
    for (let l = 0; l < this.maxLcores; l++) {
      // Observes each lcore's last cache-length store (plain, one writer); a
      // snapshot while lcores run, exact after they have been joined.
      total += Atomics.load(this.cacheLens, l * this.cacheStrideW + CACHE_LEN);
    }
    return total;
  }

  inUseCount(): number {
    return this.n - this.availCount();
  }

  /** Gets `n` mbufs and resets their metadata (rte_pktmbuf_alloc_bulk). */
  allocBulk(out: Uint32Array, n: number): number {
    if (this.getBulkInto(out, 0, n) === 0) return 0;
    for (let i = 0; i < n; i++) this.reset(out[i]);
    return n;
  }

  /** Restores an mbuf's metadata to a fresh state (rte_pktmbuf_reset). */
  reset(m: number): void {
    const b = m * MBUF_META_WORDS;
    const meta = this.meta;
    meta[b + MBUF_DATA_OFF] = this.headroom;
    meta[b + MBUF_DATA_LEN] = 0;
    meta[b + MBUF_PORT] = 0xffff;
    meta[b + MBUF_FLAGS] = 0;
    meta[b + MBUF_TS_LO] = 0;
    meta[b + MBUF_TS_HI] = 0;
    meta[b + MBUF_USER] = 0;
    meta[b + MBUF_RESERVED] = 0;
  }

  /** Byte offset in `data` where mbuf `m`'s buffer (its headroom) starts. */
  bufOffset(m: number): number { return m * this.eltSize; }
  /** Byte offset in `data` of mbuf `m`'s first frame byte (rte_pktmbuf_mtod). */
  mtod(m: number): number { return m * this.eltSize + this.meta[m * MBUF_META_WORDS + MBUF_DATA_OFF]; }
  dataOff(m: number): number { return this.meta[m * MBUF_META_WORDS + MBUF_DATA_OFF]; }
  setDataOff(m: number, v: number): void { this.meta[m * MBUF_META_WORDS + MBUF_DATA_OFF] = v; }
  dataLen(m: number): number { return this.meta[m * MBUF_META_WORDS + MBUF_DATA_LEN]; }
  setDataLen(m: number, v: number): void { this.meta[m * MBUF_META_WORDS + MBUF_DATA_LEN] = v; }
  port(m: number): number { return this.meta[m * MBUF_META_WORDS + MBUF_PORT]; }
  setPort(m: number, v: number): void { this.meta[m * MBUF_META_WORDS + MBUF_PORT] = v; }
  flags(m: number): number { return this.meta[m * MBUF_META_WORDS + MBUF_FLAGS]; }
  setFlags(m: number, v: number): void { this.meta[m * MBUF_META_WORDS + MBUF_FLAGS] = v; }
  user(m: number): number { return this.meta[m * MBUF_META_WORDS + MBUF_USER]; }
  setUser(m: number, v: number): void { this.meta[m * MBUF_META_WORDS + MBUF_USER] = v; }
  /** Timestamp in ns (exact below 2^53). */
  timestamp(m: number): number {
    const b = m * MBUF_META_WORDS;
    return this.meta[b + MBUF_TS_HI] * 0x100000000 + this.meta[b + MBUF_TS_LO];
  }
  setTimestamp(m: number, ns: number): void {
    const b = m * MBUF_META_WORDS;
    this.meta[b + MBUF_TS_LO] = ns % 0x100000000;
    this.meta[b + MBUF_TS_HI] = Math.floor(ns / 0x100000000);
  }
}
