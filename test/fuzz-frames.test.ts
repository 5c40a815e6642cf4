// Fuzzing the checks applied to received frames: isUdp4 (l2fwd/sink),
// hasUdp4Payload (the sink's stamp reader) and vxlanVni (net_udp rx with
// vni=), on arbitrary bytes, offsets and lengths, runts and oversize
// included. Each answer must match a reference reading of the headers and
// depend only on the frame's own `len` bytes, never on what lies past them
// (stale bytes of an earlier frame in the same mbuf); plus the address
// parsers pktgen applies to outside text.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { PAYLOAD_LEN } from '../src/apps/pktgen/payload';
import { UDP_PAYLOAD_OFF, formatIpv4, hasUdp4Payload, isUdp4, parseIpv4, parseMac, writeUdpFrame } from '../src/net/headers';
import { VXLAN_HLEN, vxlanHeader, vxlanVni } from '../src/net/vxlan';
import { fuzzParams, oneLineOutcome, textInput } from './helpers/fuzz-arb';

/** A buffer holding a frame at `off` of `len` bytes; valid UDP frames, VXLAN headers and random bytes. */
const frame = fc.tuple(
  fc.oneof(
    fc.uint8Array({ maxLength: 100 }),
    fc.tuple(fc.integer({ min: UDP_PAYLOAD_OFF, max: 120 }), fc.nat(0xffffff)).map(([n, vni]) => {
      const b = new Uint8Array(n + VXLAN_HLEN);
      b.set(vxlanHeader(vni));
      writeUdpFrame(b, VXLAN_HLEN, { dstMac: [2, 0, 0, 0, 0, 1], srcMac: [2, 0, 0, 0, 0, 2], srcIp: 1, dstIp: 2, srcPort: 1, dstPort: 2, length: n });
      return b;
    }),
  ),
  fc.nat(16), fc.integer({ min: -8, max: 16 }), fc.array(fc.tuple(fc.nat(), fc.nat(7)), { maxLength: 2 }),
).map(([bytes, off, extra, flips]) => {
  const b = Uint8Array.from(bytes);
  for (const [at, bit] of flips) if (b.length) b[at % b.length] ^= 1 << bit;
  const o = Math.min(off, b.length);
  // len: the frame's bytes, cut short (runts) or claiming more than there is (oversize).
  return { b, off: o, len: Math.max(0, b.length - o + extra) };
});

/** The same call on a copy whose bytes outside [off, off+len) are changed. */
function outsideChanged<T>(f: (d: Uint8Array, off: number, len: number) => T, b: Uint8Array, off: number, len: number, fill: number): T {
  const pad = 64;
  const c = new Uint8Array(b.length + pad).fill(fill);
  c.set(b.subarray(off, Math.min(b.length, off + len)), off);
  return f(c, off, len);
}

test('fuzz: isUdp4 and hasUdp4Payload read only the frame and agree with the headers', () => {
  fc.assert(fc.property(frame, fc.nat(255), ({ b, off, len }, fill) => {
    const r = isUdp4(b, off, len);
    const inFrame = len <= b.length - off;
    if (inFrame) {
      const want = len >= UDP_PAYLOAD_OFF && b[off + 12] === 8 && b[off + 13] === 0 && b[off + 14] === 0x45 && b[off + 23] === 17;
      assert.equal(r, want);
      assert.equal(outsideChanged(isUdp4, b, off, len, fill), r);
      const p = hasUdp4Payload(b, off, len, PAYLOAD_LEN);
      assert.equal(p, r && len >= UDP_PAYLOAD_OFF + PAYLOAD_LEN);
      assert.equal(outsideChanged((d, o, l) => hasUdp4Payload(d, o, l, PAYLOAD_LEN), b, off, len, fill), p);
    }
    if (len < UDP_PAYLOAD_OFF) assert.equal(r, false);
  }), fuzzParams());
});

test('fuzz: vxlanVni reads only the header and returns -1 or the 24-bit VNI of a valid header', () => {
  fc.assert(fc.property(frame, fc.nat(255), ({ b, off, len }, fill) => {
    const v = vxlanVni(b, off, len);
    assert.ok(v === -1 || (Number.isInteger(v) && v >= 0 && v <= 0xffffff));
    if (len <= b.length - off) {
      const want = len < VXLAN_HLEN || (b[off] & 8) === 0 ? -1 : (b[off + 4] << 16) | (b[off + 5] << 8) | b[off + 6];
      assert.equal(v, want);
      assert.equal(outsideChanged(vxlanVni, b, off, len, fill), v);
    }
  }), fuzzParams());
});

test('fuzz: MAC and IPv4 text give 6 bytes or a uint32 that prints back, or one Error line', () => {
  const mac = fc.array(fc.nat(255).map((n) => n.toString(16).padStart(2, '0')), { minLength: 6, maxLength: 6 }).map((a) => a.join(':'));
  fc.assert(fc.property(textInput(mac), textInput(fc.ipV4()), (m, ip) => {
    oneLineOutcome(() => parseMac(m), [Error], (bytes) => {
      assert.equal(bytes.length, 6);
      assert.equal(bytes.map((x) => x.toString(16).padStart(2, '0')).join(':'), m.toLowerCase());
    });
    oneLineOutcome(() => parseIpv4(ip), [Error], (a) => {
      assert.ok(Number.isInteger(a) && a >= 0 && a <= 0xffffffff);
      assert.equal(formatIpv4(a), ip.split('.').map(Number).join('.'));
    });
  }), fuzzParams());
});

// Found while writing the properties: the sink read a stamp past a runt's end.
test('fixed: a 42..53-byte UDP frame has no pktgen stamp, whatever an earlier frame left in the mbuf', () => {
  const b = new Uint8Array(128).fill(0xab);
  writeUdpFrame(b, 0, { dstMac: [2, 0, 0, 0, 0, 1], srcMac: [2, 0, 0, 0, 0, 2], srcIp: 1, dstIp: 2, srcPort: 1, dstPort: 2, length: UDP_PAYLOAD_OFF });
  assert.equal(isUdp4(b, 0, UDP_PAYLOAD_OFF), true);
  for (let len = UDP_PAYLOAD_OFF; len < UDP_PAYLOAD_OFF + PAYLOAD_LEN; len++) assert.equal(hasUdp4Payload(b, 0, len, PAYLOAD_LEN), false);
  assert.equal(hasUdp4Payload(b, 0, UDP_PAYLOAD_OFF + PAYLOAD_LEN, PAYLOAD_LEN), true);
  assert.throws(() => parseMac('02:00:00:00:00:0\n'), { constructor: Error, message: "bad MAC address '02:00:00:00:00:0\\n'" });
});
