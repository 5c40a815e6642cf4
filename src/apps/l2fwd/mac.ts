// l2fwd's MAC update: destination 02:00:00:00:00:<tx port>, source = the tx
// port's own address (l2fwd_mac_updating in DPDK examples/l2fwd/main.c).

/** Rewrites the Ethernet addresses of the frame at `off` in `data`. */
export function macUpdate(data: Uint8Array, off: number, txPort: number, srcMac: Uint8Array): void {
  data[off] = 0x02;
  data[off + 1] = 0;
  data[off + 2] = 0;
  data[off + 3] = 0;
  data[off + 4] = 0;
  data[off + 5] = txPort & 0xff;
  data[off + 6] = srcMac[0];
  data[off + 7] = srcMac[1];
  data[off + 8] = srcMac[2];
  data[off + 9] = srcMac[3];
  data[off + 10] = srcMac[4];
  data[off + 11] = srcMac[5];
}

/** Writes the 64-byte frame --tx-first sends: to 02:00:00:00:00:<port>, EtherType 0x88b5. */
export function primeFrame(data: Uint8Array, off: number, txPort: number, srcMac: Uint8Array): number {
  macUpdate(data, off, txPort, srcMac);
  data[off + 12] = 0x88;
  data[off + 13] = 0xb5;
  data.fill(0, off + 14, off + 64);
  return 64;
}
