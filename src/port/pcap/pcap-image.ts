// A capture loaded into one SharedArrayBuffer so that any lcore can replay it
// without allocating: a header, an index of 4 uint32 words per packet (data
// offset, length, timestamp in ns as low/high words) and the packet bytes,
// each starting on an 8-byte boundary. Built once in the main thread at open;
// read-only afterwards, so readers need no synchronisation beyond the
// structured clone that hands the buffer to a worker.

export const IMG_MAGIC = 0x50434150; // "PCAP"
export const IMG_MAGIC_W = 0;
export const IMG_COUNT = 1;       // packets in the index
export const IMG_INDEX_OFF = 2;   // byte offset of the index
export const IMG_DATA_OFF = 3;    // byte offset of the packet bytes
export const IMG_NANO = 4;        // 1 if the source file had nanosecond timestamps
export const IMG_HEADER_BYTES = 64;

export const IDX_WORDS = 4;
export const IDX_OFF = 0;         // byte offset of the packet in the buffer
export const IDX_LEN = 1;         // captured length
export const IDX_TS_LO = 2;       // timestamp, ns since the epoch, low 32 bits
export const IDX_TS_HI = 3;       //   and high bits (as MBUF_TS_LO/HI)

/** Packet data starts 8-byte aligned (memcpy runs at full width). */
export const IMG_DATA_ALIGN = 8;
/** Offsets are uint32: an image is below 4 GiB. */
export const IMG_MAX_BYTES = 0xffffffff;

const align = (v: number, a: number): number => Math.ceil(v / a) * a;

/** Bytes an image of `count` packets holding `dataBytes` (sum of aligned lengths) needs. */
export function imageBytesFor(count: number, dataBytes: number): number {
  return align(IMG_HEADER_BYTES + count * IDX_WORDS * 4, 64) + dataBytes;
}

/** Packets as the loader collected them: positions in `src` and ns timestamps. */
export interface PacketList {
  count: number;
  /** Byte offset of each packet's data in `src`. */
  srcOff: Float64Array;
  len: Uint32Array;
  tsLo: Uint32Array;
  tsHi: Uint32Array;
}

/** Copies the listed packets of `src` into a new shared image. */
export function buildImage(src: Uint8Array, p: PacketList, nano: boolean): SharedArrayBuffer {
  let dataBytes = 0;
  for (let i = 0; i < p.count; i++) dataBytes += align(p.len[i], IMG_DATA_ALIGN);
  const total = imageBytesFor(p.count, dataBytes);
  if (total > IMG_MAX_BYTES) throw new RangeError(`capture needs ${total} bytes in memory, more than the 4 GiB limit`);
  const buf = new SharedArrayBuffer(total);
  const h = new Uint32Array(buf, 0, IMG_HEADER_BYTES / 4);
  const indexOff = IMG_HEADER_BYTES;
  const dataOff = total - dataBytes;
  h[IMG_COUNT] = p.count;
  h[IMG_INDEX_OFF] = indexOff;
  h[IMG_DATA_OFF] = dataOff;
  h[IMG_NANO] = nano ? 1 : 0;
  const idx = new Uint32Array(buf, indexOff, p.count * IDX_WORDS);
  const bytes = new Uint8Array(buf);
  let at = dataOff;
  for (let i = 0; i < p.count; i++) {
    const b = i * IDX_WORDS;
    idx[b + IDX_OFF] = at;
    idx[b + IDX_LEN] = p.len[i];
    idx[b + IDX_TS_LO] = p.tsLo[i];
    idx[b + IDX_TS_HI] = p.tsHi[i];
    bytes.set(src.subarray(p.srcOff[i], p.srcOff[i] + p.len[i]), at);
    at += align(p.len[i], IMG_DATA_ALIGN);
  }
  h[IMG_MAGIC_W] = IMG_MAGIC;
  return buf;
}

/** Views over an image in any thread. */
export interface ImageView {
  count: number;
  /** Index words (IDX_*), packet i at i * IDX_WORDS. */
  index: Uint32Array;
  /** The whole buffer as bytes: IDX_OFF values index it. */
  bytes: Uint8Array;
}

export function attachImage(buf: SharedArrayBuffer): ImageView {
  const h = new Uint32Array(buf, 0, IMG_HEADER_BYTES / 4);
  if (h[IMG_MAGIC_W] !== IMG_MAGIC) throw new Error('buffer holds no pcap image');
  const count = h[IMG_COUNT];
  return { count, index: new Uint32Array(buf, h[IMG_INDEX_OFF], count * IDX_WORDS), bytes: new Uint8Array(buf) };
}
