// VXLAN header, RFC 7348 section 5:
//   byte 0 flags (0x08 = I, "VNI is valid"), bytes 1-3 reserved,
//   bytes 4-6 VNI (24 bits, network order), byte 7 reserved.
// Reserved bits are sent as zero and ignored on receipt (as the RFC says).

export const VXLAN_HLEN = 8;
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_VNI_MAX = 0xffffff;
/** IANA port for VXLAN (RFC 7348 section 5); net_udp takes it from local/remote. */
export const VXLAN_PORT = 4789;

/** The 8-byte header for `vni`. */
export function vxlanHeader(vni: number): Uint8Array {
  if (!Number.isInteger(vni) || vni < 0 || vni > VXLAN_VNI_MAX) throw new RangeError(`VNI must be 0..${VXLAN_VNI_MAX}, got ${vni}`);
  return Uint8Array.of(VXLAN_FLAG_I, 0, 0, 0, vni >>> 16, (vni >>> 8) & 0xff, vni & 0xff, 0);
}

/** The VNI of a valid header at `h[off]`, or -1 if the I flag is clear or the header is cut short. */
export function vxlanVni(h: Uint8Array, off: number, len: number): number {
  if (len < VXLAN_HLEN || (h[off] & VXLAN_FLAG_I) === 0) return -1;
  return (h[off + 4] << 16) | (h[off + 5] << 8) | h[off + 6];
}
