// Frame templates for pktgen: one per frame size, built once with valid
// headers and the variable fields (addresses, ports, payload stamp) zeroed,
// plus the one's-complement sums of the IPv4 header and of the UDP
// pseudo-header + datagram over those zeroed bytes. Per frame, adding the
// variable words to those sums gives both checksums in ~20 additions
// (RFC 1071 sums are order-independent), whatever the frame size.
import { onesSum } from '../../net/checksum';
import { ETH_HLEN, IPV4_HLEN, writeU32, writeUdpFrame } from '../../net/headers';

export interface Template {
  /** Frame bytes (without FCS); variable fields are zero. */
  bytes: Uint8Array;
  /** Sum of the IPv4 header with addresses and checksum zero. */
  ipSum: number;
  /** Sum of pseudo-header + UDP header + payload with variable fields and checksum zero. */
  udpSum: number;
}

export function makeTemplate(length: number, ttl: number): Template {
  const bytes = new Uint8Array(length);
  writeUdpFrame(bytes, 0, { dstMac: [0, 0, 0, 0, 0, 0], srcMac: [0, 0, 0, 0, 0, 0], srcIp: 0, dstIp: 0, srcPort: 0, dstPort: 0, ttl, length });
  const ip = ETH_HLEN;
  const udp = ip + IPV4_HLEN;
  bytes[ip + 10] = 0;
  bytes[ip + 11] = 0;
  bytes[udp + 6] = 0;
  bytes[udp + 7] = 0;
  const ipSum = onesSum(bytes, ip, IPV4_HLEN);
  const udpLen = length - udp;
  // Pseudo-header without addresses: zero, protocol 17, UDP length.
  const udpSum = onesSum(bytes, udp, udpLen, 17 + udpLen);
  return { bytes, ipSum, udpSum };
}

/** Folds a sum of 16-bit words to 16 bits. */
export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** A stream's fixed fields: what a frame carries when no range is set. */
export interface FixedFlow {
  dmacHi: number; dmacLo: number; smacHi: number; smacLo: number;
  sip: number; dip: number; sp: number; dp: number; magic: number; sid: number;
  /** Payload offsets of the magic and stream id words. */
  pMagic: number; pStream: number;
}

/**
 * `t` with a stream's fixed fields written in and the IPv4 checksum final, so
 * a frame costs only its sequence number, timestamp and UDP checksum. The
 * result's udpSum covers everything but those: add the seq and ts words, fold.
 */
export function bakeTemplate(t: Template, f: FixedFlow): Template {
  const b = Uint8Array.from(t.bytes);
  const be16 = (o: number, v: number): void => { b[o] = (v >>> 8) & 0xff; b[o + 1] = v & 0xff; };
  writeU32(b, 0, f.dmacHi); be16(4, f.dmacLo);
  writeU32(b, 6, f.smacHi); be16(10, f.smacLo);
  writeU32(b, 26, f.sip); writeU32(b, 30, f.dip);
  be16(34, f.sp); be16(36, f.dp);
  be16(f.pMagic, f.magic); be16(f.pStream, f.sid);
  const addr = (f.sip >>> 16) + (f.sip & 0xffff) + (f.dip >>> 16) + (f.dip & 0xffff);
  be16(24, ~fold(t.ipSum + addr) & 0xffff);
  return { bytes: b, ipSum: t.ipSum, udpSum: t.udpSum + addr + f.sp + f.dp + f.magic + f.sid };
}
