// Internet checksum (RFC 1071) over byte ranges of a frame, and the IPv4/UDP
// checksums built on it. Used on setup paths and per generated frame; works
// on a caller's Uint8Array with offsets, so it allocates nothing.

/** One's-complement sum of data[off .. off+len), folded to 16 bits, added to `init`. */
export function onesSum(data: Uint8Array, off: number, len: number, init = 0): number {
  let s = init;
  const end = off + len - 1;
  let i = off;
  for (; i < end; i += 2) s += (data[i] << 8) | data[i + 1];
  if (i === end) s += data[i] << 8; // odd length: pad with a zero byte
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** Checksum field value for a range whose checksum field currently holds 0. */
export function checksum(data: Uint8Array, off: number, len: number, init = 0): number {
  return ~onesSum(data, off, len, init) & 0xffff;
}

/** Writes the IPv4 header checksum of the header at `ip` (IHL from the header). */
export function ipv4HeaderChecksum(data: Uint8Array, ip: number): void {
  const ihl = (data[ip] & 0x0f) * 4;
  data[ip + 10] = 0;
  data[ip + 11] = 0;
  const c = checksum(data, ip, ihl);
  data[ip + 10] = c >> 8;
  data[ip + 11] = c & 0xff;
}

/** Writes the UDP checksum for the IPv4 packet at `ip` (pseudo-header + UDP header + payload). */
export function udp4Checksum(data: Uint8Array, ip: number): void {
  const ihl = (data[ip] & 0x0f) * 4;
  const udp = ip + ihl;
  const udpLen = (data[udp + 4] << 8) | data[udp + 5];
  data[udp + 6] = 0;
  data[udp + 7] = 0;
  // Pseudo-header: source and destination address, zero + protocol, UDP length.
  let pseudo = onesSum(data, ip + 12, 8);
  pseudo += 17 + udpLen;
  let c = checksum(data, udp, udpLen, pseudo);
  if (c === 0) c = 0xffff; // RFC 768: a computed zero is sent as all ones
  data[udp + 6] = c >> 8;
  data[udp + 7] = c & 0xff;
}
