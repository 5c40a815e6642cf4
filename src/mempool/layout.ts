// Shared-memory layout of a Mempool: one SharedArrayBuffer holding
//   header | free ring | per-mbuf metadata | per-lcore caches | data region
// Word offsets below index a Uint32Array over the header; byte offsets of the
// sections are stored in it so any thread's `attach` rebuilds the same views.

export const MP_MAGIC = 0x4d504f4c; // "MPOL"

export const MP_MAGIC_W = 0;
export const MP_N = 1;            // number of mbufs
export const MP_ELT_SIZE = 2;     // bytes per mbuf buffer: align64(headroom + dataRoom)
export const MP_HEADROOM = 3;
export const MP_DATA_ROOM = 4;
export const MP_CACHE_SIZE = 5;   // objects per lcore cache, 0 = no caches
export const MP_MAX_LCORES = 6;   // number of cache slots
export const MP_RING_OFF = 7;     // byte offsets of the sections
export const MP_META_OFF = 8;
export const MP_CACHES_OFF = 9;
export const MP_CACHE_STRIDE = 10;
export const MP_DATA_OFF = 11;
export const MP_HEADER_BYTES = 64;

// Per-mbuf metadata: MBUF_META_WORDS uint32 words at META_OFF + 4 * words * index.
export const MBUF_META_WORDS = 8;
export const MBUF_DATA_OFF = 0;   // offset of the first data byte from the buffer start (rte_mbuf data_off)
export const MBUF_DATA_LEN = 1;   // bytes of frame data
export const MBUF_PORT = 2;       // input port
export const MBUF_FLAGS = 3;      // offload/status flags (MBUF_F_*)
export const MBUF_TS_LO = 4;      // timestamp in ns, low 32 bits
export const MBUF_TS_HI = 5;      // timestamp in ns, high bits
export const MBUF_USER = 6;       // free for applications
export const MBUF_RESERVED = 7;

// Per-lcore cache: word 0 holds its length, objects follow from byte 64.
export const CACHE_LEN = 0;
export const CACHE_OBJS_BYTE = 64;

export const MBUF_HEADROOM_DEFAULT = 128; // RTE_PKTMBUF_HEADROOM
export const MBUF_DATA_ROOM_DEFAULT = 2048;
export const MEMPOOL_CACHE_DEFAULT = 256;
export const MEMPOOL_CACHE_MAX = 512;     // RTE_MEMPOOL_CACHE_MAX_SIZE
export const MEMPOOL_MAX_LCORES = 128;    // RTE_MAX_LCORE
/** Data region start: page-aligned in absolute memory (AF_XDP UMEM needs it later). */
export const MP_DATA_ALIGN = 4096;

export const align = (v: number, a: number): number => Math.ceil(v / a) * a;

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
