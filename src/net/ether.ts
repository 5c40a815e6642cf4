// Ethernet II framing constants (IEEE 802.3 clause 3).

export const ETHER_ADDR_LEN = 6;
/** Destination MAC, source MAC, EtherType: the shortest frame a port accepts. */
export const ETH_HLEN = 14;
