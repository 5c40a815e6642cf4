// Test-side pcap tools, independent of the driver's loader: build a file from
// frames, read one back, swap its byte order, and parse `tcpdump -r -tt -xx`.
import * as fs from 'node:fs';

export interface PcapRecord { sec: number; frac: number; data: Uint8Array }
export interface PcapOptions {
  nano?: boolean;
  bigEndian?: boolean;
  linktype?: number;
  /** [seconds, fraction] per frame; default 1700000000 + i, fraction i. */
  ts?: (i: number) => [number, number];
}

export function buildPcap(frames: Uint8Array[], o: PcapOptions = {}): Buffer {
  const le = !o.bigEndian;
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const u32 = (b: Buffer, v: number, at: number): number => (le ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const u16 = (b: Buffer, v: number, at: number): number => (le ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  u32(h, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  u16(h, 2, 4);
  u16(h, 4, 6);
  u32(h, 65535, 16);
  u32(h, o.linktype ?? 1, 20);
  parts.push(h);
  frames.forEach((f, i) => {
    const r = Buffer.alloc(16);
    const [sec, frac] = o.ts ? o.ts(i) : [1700000000 + i, i];
    u32(r, sec, 0);
    u32(r, frac, 4);
    u32(r, f.length, 8);
    u32(r, f.length, 12);
    parts.push(r, Buffer.from(f));
  });
  return Buffer.concat(parts);
}

export interface PcapFile { nano: boolean; bigEndian: boolean; snaplen: number; linktype: number; records: PcapRecord[] }

export function readPcap(src: string | Buffer): PcapFile {
  const b = typeof src === 'string' ? fs.readFileSync(src) : src;
  const m = b.readUInt32LE(0);
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  const r32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const magic = r32(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`bad magic ${m.toString(16)}`);
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const caplen = r32(off + 8);
    if (off + 16 + caplen > b.length) throw new Error(`record at ${off} truncated`);
    records.push({ sec: r32(off), frac: r32(off + 4), data: new Uint8Array(b.subarray(off + 16, off + 16 + caplen)) });
    off += 16 + caplen;
  }
  if (off !== b.length) throw new Error(`trailing ${b.length - off} bytes`);
  return { nano: magic === 0xa1b23c4d, bigEndian: !le, snaplen: r32(16), linktype: r32(20), records };
}

/** The same capture in the other byte order (every header field swapped). */
export function swapPcap(src: Buffer): Buffer {
  const b = Buffer.from(src);
  const sw32 = (at: number): void => { b.writeUInt32LE(b.readUInt32BE(at), at); };
  const sw16 = (at: number): void => { b.writeUInt16LE(b.readUInt16BE(at), at); };
  const le = src.readUInt32LE(0) === 0xa1b2c3d4 || src.readUInt32LE(0) === 0xa1b23c4d;
  const r32 = (at: number): number => (le ? src.readUInt32LE(at) : src.readUInt32BE(at));
  sw32(0); sw16(4); sw16(6); sw32(8); sw32(12); sw32(16); sw32(20);
  for (let off = 24; off + 16 <= src.length; off += 16 + r32(off + 8)) for (let k = 0; k < 16; k += 4) sw32(off + k);
  return b;
}

/** `tcpdump -r F -nn -tt -xx --time-stamp-precision=nano` output -> [timestamp text, frame bytes]. */
export function parseTcpdumpHex(out: string): { ts: string; data: Uint8Array }[] {
  const pkts: { ts: string; hex: string }[] = [];
  for (const line of out.split('\n')) {
    const hex = /^\s+0x[0-9a-f]+:\s+((?:[0-9a-f]{2,4}\s?)+)/.exec(line);
    if (hex && pkts.length > 0) pkts[pkts.length - 1].hex += hex[1].replace(/\s+/g, '');
    else if (/^\d+\.\d+ /.test(line)) pkts.push({ ts: line.split(' ')[0], hex: '' });
  }
  return pkts.map((p) => ({ ts: p.ts, data: new Uint8Array(Buffer.from(p.hex, 'hex')) }));
}

/** "sec.frac" as 9-digit nanoseconds: the exact ns count as a bigint. */
export function tsText(sec: number, ns: number): string {
  return `${sec}.${String(ns).padStart(9, '0')}`;
}
