// Fuzzing the rx capture loader (pcap-load.ts via pcap-parser, into a
// pcap-image): files built in all four magics (micro/nanosecond, both byte
// orders), then truncated, bit-flipped, given absurd or zero caplens, or
// replaced by random bytes. Each file gives exactly the packets a reference
// reading of pcap-savefile(5) finds before the first damage, byte for byte
// with their timestamps, or one CaptureError line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { PCAP_MAX_SNAPLEN } from '../src/port/pcap/pcap-format';
import { IDX_LEN, IDX_OFF, IDX_TS_HI, IDX_TS_LO, IDX_WORDS, attachImage } from '../src/port/pcap/pcap-image';
import { CaptureError, loadCapture } from '../src/port/pcap/pcap-load';
import { fuzzParamsAsync, fuzzTmpDir, oneLineOutcomeAsync } from './helpers/fuzz-arb';

const MAGICS = [0xa1b2c3d4, 0xa1b23c4d];

interface Rec { sec: number; frac: number; caplen?: number; data: Uint8Array }
interface FileSpec { magic: number; le: boolean; major: number; minor: number; snaplen: number; link: number; recs: Rec[] }

const rec: fc.Arbitrary<Rec> = fc.record({
  sec: fc.oneof(fc.nat(), fc.constant(0xffffffff)),
  frac: fc.oneof(fc.nat(999_999_999), fc.constant(0xffffffff)),
  // An explicit caplen that disagrees with the data: absurd, above the snaplen, or zero.
  caplen: fc.option(fc.constantFrom(0, 1, 13, 65535, 65536, PCAP_MAX_SNAPLEN, PCAP_MAX_SNAPLEN + 1, 2 ** 31, 0xffffffff), { freq: 8 }).map((v) => v ?? undefined),
  data: fc.uint8Array({ maxLength: 200 }),
});
const fileSpec: fc.Arbitrary<FileSpec> = fc.record({
  magic: fc.constantFrom(...MAGICS),
  le: fc.boolean(),
  major: fc.oneof({ arbitrary: fc.constant(2), weight: 10 }, fc.nat(5)),
  minor: fc.oneof({ arbitrary: fc.constant(4), weight: 10 }, fc.nat(5)),
  snaplen: fc.constantFrom(65535, 262144, 64, 0, 0xffffffff),
  link: fc.oneof({ arbitrary: fc.constant(1), weight: 10 }, fc.constantFrom(0, 113, 276, 0xffffffff)),
  recs: fc.array(rec, { maxLength: 6 }),
});

function build(f: FileSpec): Uint8Array {
  const size = 24 + f.recs.reduce((n, r) => n + 16 + r.data.length, 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, f.magic, f.le);
  v.setUint16(4, f.major, f.le);
  v.setUint16(6, f.minor, f.le);
  v.setUint32(16, f.snaplen, f.le);
  v.setUint32(20, f.link, f.le);
  let off = 24;
  for (const r of f.recs) {
    v.setUint32(off, r.sec, f.le);
    v.setUint32(off + 4, r.frac, f.le);
    v.setUint32(off + 8, r.caplen ?? r.data.length, f.le);
    v.setUint32(off + 12, r.data.length, f.le);
    b.set(r.data, off + 16);
    off += 16 + r.data.length;
  }
  return b;
}

/** Damage done to a well-formed file: cut at a byte, bits flipped, or nothing. */
const damaged: fc.Arbitrary<Uint8Array> = fc.tuple(fileSpec, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(7)), { maxLength: 3 }), fc.nat(3))
  .map(([f, cut, flips, kind]) => {
    const b = build(f);
    if (kind === 1) return b.subarray(0, cut % (b.length + 1));
    if (kind === 2) for (const [at, bit] of flips) b[at % b.length] ^= 1 << bit;
    return b;
  });
const fileBytes = fc.oneof({ arbitrary: damaged, weight: 8 }, { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 1 });

interface Expect { error: boolean; packets: { off: number; len: number; tsNs: bigint }[]; damage: boolean }

/** pcap-savefile(5) read by the book; caplen above libpcap's maximum is damage, as in libpcap. */
function reference(b: Uint8Array): Expect {
  const none: Expect = { error: true, packets: [], damage: false };
  if (b.length < 24) return none;
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const be = v.getUint32(0, false);
  const le = v.getUint32(0, true);
  const little = MAGICS.includes(le) && !MAGICS.includes(be);
  const magic = little ? le : be;
  if (!MAGICS.includes(magic)) return none;
  if (v.getUint16(4, little) !== 2 || v.getUint32(20, little) !== 1) return none;
  const fracNs = magic === MAGICS[1] ? 1n : 1000n;
  const packets: Expect['packets'] = [];
  let off = 24;
  while (off < b.length) {
    if (b.length - off < 16) return { error: false, packets, damage: true };
    const caplen = v.getUint32(off + 8, little);
    if (caplen > PCAP_MAX_SNAPLEN || caplen > b.length - off - 16) return { error: false, packets, damage: true };
    const tsNs = BigInt(v.getUint32(off, little)) * 1_000_000_000n + BigInt(v.getUint32(off + 4, little)) * fracNs;
    packets.push({ off: off + 16, len: caplen, tsNs });
    off += 16 + caplen;
  }
  return { error: false, packets, damage: false };
}

const tmp = fuzzTmpDir('tsfwd-fuzz-pcap-');

async function check(bytes: Uint8Array, file: string): Promise<void> {
  fs.writeFileSync(file, bytes);
  const want = reference(bytes);
  await oneLineOutcomeAsync(() => loadCapture(file), [CaptureError], (cap) => {
    assert.ok(!want.error, 'loaded a file the reference refuses');
    assert.equal(cap.count, want.packets.length);
    assert.equal(cap.damage !== undefined, want.damage, cap.damage);
    if (cap.damage !== undefined) assert.ok(!/[\r\n]/.test(cap.damage));
    const img = attachImage(cap.image);
    assert.equal(img.count, cap.count);
    for (let i = 0; i < img.count; i++) {
      const w = want.packets[i];
      const at = img.index[i * IDX_WORDS + IDX_OFF];
      const len = img.index[i * IDX_WORDS + IDX_LEN];
      assert.equal(len, w.len);
      assert.ok(at + len <= img.bytes.length);
      assert.deepEqual(img.bytes.subarray(at, at + len), bytes.subarray(w.off, w.off + w.len));
      assert.equal(img.index[i * IDX_WORDS + IDX_TS_LO], Number(w.tsNs & 0xffffffffn));
      assert.equal(img.index[i * IDX_WORDS + IDX_TS_HI], Number((w.tsNs >> 32n) & 0xffffffffn));
    }
  });
  // The other way round: a refused file must be one the reference refuses too.
  if (!want.error) await loadCapture(file);
}

test('fuzz: pcap files load exactly the packets before the first damage, or fail with one CaptureError line', async () => {
  const file = path.join(tmp, 'f.pcap');
  await fc.assert(fc.asyncProperty(fileBytes, (b) => check(b, file)), fuzzParamsAsync());
});

// Fixed cases, one per kind of damage the brief names (none crashed the loader).
test('fixed: caplen 2^31, caplen above the snaplen, zero-length records and both magics in both orders', async () => {
  const file = path.join(tmp, 'fixed.pcap');
  const d = Uint8Array.of(1, 2, 3);
  for (const magic of MAGICS) {
    for (const le of [false, true]) {
      const base = { magic, le, major: 2, minor: 4, snaplen: 64, link: 1 };
      await check(build({ ...base, recs: [{ sec: 1, frac: 2, data: d }, { sec: 1, frac: 2, caplen: 2 ** 31, data: d }] }), file);
      await check(build({ ...base, recs: [{ sec: 1, frac: 2, data: new Uint8Array(100) }] }), file); // 100 > snaplen 64
      await check(build({ ...base, recs: [{ sec: 1, frac: 2, data: new Uint8Array(0) }, { sec: 3, frac: 4, data: d }] }), file);
    }
  }
  fs.writeFileSync(file, build({ magic: MAGICS[0], le: true, major: 2, minor: 4, snaplen: 64, link: 1, recs: [{ sec: 0, frac: 0, caplen: 2 ** 31, data: d }] }));
  const cap = await loadCapture(file);
  assert.equal(cap.count, 0);
  assert.equal(cap.damage, 'corrupt packet record at byte 24 (caplen 2147483648 is above the 262144 maximum)');
});
