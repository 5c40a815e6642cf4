// What pktgen puts at the start of each UDP payload so the sink can measure
// loss, duplicates, reordering and latency. 12 bytes, so it fits the smallest
// frame (60 bytes without FCS = 42 bytes of headers + 18 of payload).
//   +0  u16 magic 0x5446 ("TF")     +2  u16 stream (generator port)
//   +4  u32 sequence number         +8  u32 send time, ns modulo 2^32
// Sequence numbers and times wrap; the sink compares them modulo 2^32.
import { UDP_PAYLOAD_OFF } from '../../net/headers';

export const PAYLOAD_MAGIC = 0x5446;
export const P_MAGIC = UDP_PAYLOAD_OFF;
export const P_STREAM = UDP_PAYLOAD_OFF + 2;
export const P_SEQ = UDP_PAYLOAD_OFF + 4;
export const P_TS = UDP_PAYLOAD_OFF + 8;
export const PAYLOAD_LEN = 12;
/** Smallest frame that carries the payload (without FCS). */
export const MIN_FRAME = UDP_PAYLOAD_OFF + PAYLOAD_LEN;
