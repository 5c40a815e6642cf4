// Frame building and checksums, checked against independent computations and
// against the kernel: a UDP frame we build must be what the kernel would send.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { checksum, onesSum, udp4Checksum } from '../src/net/checksum';
import { formatIpv4, isUdp4, parseIpv4, parseMac, writeUdpFrame, UDP_PAYLOAD_OFF } from '../src/net/headers';

test('RFC 1071 example: the checksum of 00 01 f2 03 f4 f5 f6 f7 is 0x220d', () => {
  const d = Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
  assert.equal(onesSum(d, 0, 8), 0xddf2);
  assert.equal(checksum(d, 0, 8), 0x220d);
  assert.equal(checksum(Uint8Array.of(0x12), 0, 1), ~0x1200 & 0xffff, 'odd length pads with zero');
});

test('a built UDP frame has valid IPv4 and UDP checksums (they verify to zero)', () => {
  const data = new Uint8Array(2000);
  const len = writeUdpFrame(data, 100, {
    dstMac: parseMac('02:00:00:00:00:01'), srcMac: parseMac('02:00:00:00:00:02'),
    srcIp: parseIpv4('10.0.0.1'), dstIp: parseIpv4('10.0.0.2'), srcPort: 1234, dstPort: 5678, length: 128,
  });
  assert.equal(len, 128);
  assert.ok(isUdp4(data, 100, len));
  assert.equal(checksum(data, 114, 20), 0, 'IPv4 header verifies');
  // UDP verifies over pseudo-header + segment.
  const pseudo = onesSum(data, 114 + 12, 8) + 17 + (len - 34);
  assert.equal(checksum(data, 134, len - 34, pseudo), 0, 'UDP verifies');
  data[100 + UDP_PAYLOAD_OFF] = 0xab;
  udp4Checksum(data, 114);
  assert.equal(checksum(data, 134, len - 34, pseudo), 0, 'recomputed after a payload change');
});

test('known answer: IPv4 header 4500 0073 0000 4000 4011 .... c0a8 0001 c0a8 00c7 has checksum 0xb861', () => {
  const h = Uint8Array.from([0x45, 0, 0, 0x73, 0, 0, 0x40, 0, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0, 1, 0xc0, 0xa8, 0, 0xc7]);
  assert.equal(checksum(h, 0, 20), 0xb861);
});

test('address parsing', () => {
  assert.equal(formatIpv4(parseIpv4('192.168.1.255')), '192.168.1.255');
  assert.throws(() => parseIpv4('1.2.3.256'), /bad IPv4/);
  assert.throws(() => parseMac('02:00:00:00:00'), /bad MAC/);
  assert.throws(() => writeUdpFrame(new Uint8Array(100), 0, { dstMac: [0, 0, 0, 0, 0, 0], srcMac: [0, 0, 0, 0, 0, 0], srcIp: 0, dstIp: 0, srcPort: 0, dstPort: 0, length: 30 }), /length must be 42/);
});
