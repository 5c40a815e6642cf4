// The classic libpcap file format (pcap-savefile(5)): a 24-byte file header,
// then per packet a 16-byte record header (seconds, fraction, captured length,
// original length) and the captured bytes. The magic number tells the byte
// order and whether the fraction counts microseconds or nanoseconds.

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
/** pcapng section header block type (a different format). */
export const PCAPNG_MAGIC = 0x0a0d0d0a;

export const PCAP_FILE_HDR_LEN = 24;
export const PCAP_REC_HDR_LEN = 16;
// Record header fields (byte offsets)
export const REC_TS_SEC = 0;
export const REC_TS_FRAC = 4;
export const REC_CAPLEN = 8;
export const REC_LEN = 12;

/** LINKTYPE_ETHERNET: frames start with a 14-byte Ethernet header. */
export const LINKTYPE_ETHERNET = 1;
export const ETHER_HDR_LEN = 14;
/**
 * libpcap's MAXIMUM_SNAPLEN: no sane capture has a larger caplen, so a record
 * claiming more is corrupt (libpcap rejects it the same way). Also the snaplen
 * we write, as tcpdump does.
 */
export const PCAP_MAX_SNAPLEN = 262144;

/** The 24-byte file header we write: little-endian, version 2.4, Ethernet. */
export function fileHeader(nano: boolean): Uint8Array {
  const h = new Uint8Array(PCAP_FILE_HDR_LEN);
  const v = new DataView(h.buffer);
  v.setUint32(0, nano ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true);    // thiszone: timestamps are UTC
  v.setUint32(12, 0, true);  // sigfigs
  v.setUint32(16, PCAP_MAX_SNAPLEN, true);
  v.setUint32(20, LINKTYPE_ETHERNET, true);
  return h;
}

const NS_PER_S = 1e9;
const TWO16 = 65536;

/**
 * Splits the 64-bit nanosecond count (hi, lo) into seconds (out[0]) and
 * nanoseconds (out[1]) by long division in 16-bit digits, so every step is
 * exact in a double and nothing is allocated (the tx hot path calls this).
 */
export function splitNs(hi: number, lo: number, out: Float64Array): void {
  pair[0] = hi;
  pair[1] = lo;
  splitNsAt(pair, 0, 1, out);
}

const pair = new Uint32Array(2);

/**
 * splitNs of the timestamp words words[hiAt], words[loAt]. The hot path uses
 * this form: it reads the words itself, because a uint32 >= 2^30 passed as an
 * argument to a call that is not inlined gets boxed (an allocation per frame).
 */
export function splitNsAt(words: Uint32Array, hiAt: number, loAt: number, out: Float64Array): void {
  const hi = words[hiAt];
  const lo = words[loAt];
  let r = hi >>> 16;
  const q3 = Math.floor(r / NS_PER_S);
  r = (r - q3 * NS_PER_S) * TWO16 + (hi & 0xffff);
  const q2 = Math.floor(r / NS_PER_S);
  r = (r - q2 * NS_PER_S) * TWO16 + (lo >>> 16);
  const q1 = Math.floor(r / NS_PER_S);
  r = (r - q1 * NS_PER_S) * TWO16 + (lo & 0xffff);
  const q0 = Math.floor(r / NS_PER_S);
  out[0] = ((q3 * TWO16 + q2) * TWO16 + q1) * TWO16 + q0;
  out[1] = r - q0 * NS_PER_S;
}
