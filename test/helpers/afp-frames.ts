// Frames and mbufs for the net_af_packet tests.
import * as assert from 'node:assert/strict';
import type { Mempool } from '../../src/mempool/mempool';
import { testFrame } from './conformance';

/** Puts frames in fresh mbufs. */
export function load(pool: Mempool, frames: Uint8Array[]): Uint32Array {
  const m = new Uint32Array(frames.length);
  assert.equal(pool.allocBulk(m, frames.length), frames.length);
  frames.forEach((f, i) => { pool.setDataLen(m[i], f.length); pool.data.set(f, pool.mtod(m[i])); });
  return m;
}

/** A frame with an 802.1Q (or 802.1ad + 802.1Q) tag. */
export function tagged(seq: number, len: number, tpid: number, tci: number, inner?: number): Uint8Array {
  const f = testFrame(seq, len);
  const tags = inner === undefined ? [tpid, tci] : [tpid, tci, 0x8100, inner];
  const out = new Uint8Array(len);
  out.set(f.subarray(0, 12));
  tags.forEach((v, i) => { out[12 + 2 * i] = v >> 8; out[13 + 2 * i] = v & 0xff; });
  out.set(f.subarray(12, len - 2 * tags.length), 12 + 2 * tags.length);
  return out;
}

/** IPv4/UDP frame of flow `flow` carrying sequence number `seq` (UDP checksum 0 = none). */
export function udpFrame(seq: number, flow: number, len = 128): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0x00]);
  const ip = len - 14;
  f.set([0x45, 0, ip >> 8, ip & 0xff, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 1, flow >> 8, flow & 0xff, 10, 2, 0, 1], 14);
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  f[24] = ~sum >> 8 & 0xff;
  f[25] = ~sum & 0xff;
  const sport = 1024 + flow;
  const udp = ip - 20;
  f.set([sport >> 8, sport & 0xff, 0x23, 0x28, udp >> 8, udp & 0xff, 0, 0, seq >> 8, seq & 0xff], 34);
  for (let i = 44; i < len; i++) f[i] = (seq + i) & 0xff;
  return f;
}
