// Ethernet / IPv4 / UDP header layout and a builder for test and generator
// frames. Offsets are relative to the frame start; every reader checks the
// frame is long enough before looking (bounds-checked views).
import { quote } from '../eal/quote';
import { ipv4HeaderChecksum, udp4Checksum } from './checksum';

export const ETH_HLEN = 14;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const IPV4_HLEN = 20;
export const UDP_HLEN = 8;
export const IPPROTO_UDP = 17;
/** Frame bytes before a UDP payload: Ethernet + IPv4 (no options) + UDP. */
export const UDP_PAYLOAD_OFF = ETH_HLEN + IPV4_HLEN + UDP_HLEN;

export function parseMac(s: string): number[] {
  const m = /^([0-9a-f]{2})(?::([0-9a-f]{2})){5}$/i.test(s) ? s.split(':').map((x) => parseInt(x, 16)) : undefined;
  if (!m) throw new Error(`bad MAC address ${quote(s)}`);
  return m;
}

export function parseIpv4(s: string): number {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^\d{1,3}$/.test(x) || Number(x) > 255)) throw new Error(`bad IPv4 address ${quote(s)}`);
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

export function formatIpv4(a: number): string {
  return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
}

export interface UdpFrameSpec {
  dstMac: readonly number[];
  srcMac: readonly number[];
  srcIp: number;
  dstIp: number;
  srcPort: number;
  dstPort: number;
  ttl?: number;
  /** Total frame length without FCS, >= 42 (60 is the Ethernet minimum). */
  length: number;
}

/** Writes an Ethernet/IPv4/UDP frame at data[off..off+length) with valid checksums; payload bytes are zero. */
export function writeUdpFrame(data: Uint8Array, off: number, f: UdpFrameSpec): number {
  if (f.length < UDP_PAYLOAD_OFF || f.length > 65535) throw new RangeError(`UDP frame length must be ${UDP_PAYLOAD_OFF}..65535, got ${f.length}`);
  if (off + f.length > data.length) throw new RangeError('frame does not fit');
  data.fill(0, off, off + f.length);
  data.set(f.dstMac, off);
  data.set(f.srcMac, off + 6);
  data[off + 12] = ETHERTYPE_IPV4 >> 8;
  data[off + 13] = ETHERTYPE_IPV4 & 0xff;
  const ip = off + ETH_HLEN;
  const ipLen = f.length - ETH_HLEN;
  data[ip] = 0x45; // version 4, IHL 5
  data[ip + 2] = ipLen >> 8;
  data[ip + 3] = ipLen & 0xff;
  data[ip + 6] = 0x40; // don't fragment
  data[ip + 8] = f.ttl ?? 64;
  data[ip + 9] = IPPROTO_UDP;
  writeU32(data, ip + 12, f.srcIp);
  writeU32(data, ip + 16, f.dstIp);
  const udp = ip + IPV4_HLEN;
  const udpLen = ipLen - IPV4_HLEN;
  data[udp] = f.srcPort >> 8;
  data[udp + 1] = f.srcPort & 0xff;
  data[udp + 2] = f.dstPort >> 8;
  data[udp + 3] = f.dstPort & 0xff;
  data[udp + 4] = udpLen >> 8;
  data[udp + 5] = udpLen & 0xff;
  ipv4HeaderChecksum(data, ip);
  udp4Checksum(data, ip);
  return f.length;
}

export function writeU32(data: Uint8Array, off: number, v: number): void {
  data[off] = v >>> 24;
  data[off + 1] = (v >>> 16) & 0xff;
  data[off + 2] = (v >>> 8) & 0xff;
  data[off + 3] = v & 0xff;
}

export function readU32(data: Uint8Array, off: number): number {
  return ((data[off] << 24) | (data[off + 1] << 16) | (data[off + 2] << 8) | data[off + 3]) >>> 0;
}

/** True if the frame at off (len bytes) is IPv4/UDP with no IP options; bounds-checked. */
export function isUdp4(data: Uint8Array, off: number, len: number): boolean {
  return len >= UDP_PAYLOAD_OFF && data[off + 12] === 0x08 && data[off + 13] === 0x00 &&
    data[off + 14] === 0x45 && data[off + 23] === IPPROTO_UDP;
}

/**
 * True if the frame is IPv4/UDP (as isUdp4) and long enough to hold
 * `payloadLen` bytes of UDP payload, so a reader of those bytes never sees
 * what an earlier, longer frame left in the mbuf.
 */
export function hasUdp4Payload(data: Uint8Array, off: number, len: number, payloadLen: number): boolean {
  return len >= UDP_PAYLOAD_OFF + payloadLen && isUdp4(data, off, len);
}
