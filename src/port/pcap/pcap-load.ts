// Loads an rx capture at open (main thread, async) into a shared image.
// Parsing is pcap-parser's; it knows only the microsecond magic, so a
// nanosecond file (magic a1b23c4d in either byte order) is fed to it with the
// microsecond magic of the same byte order in its first 4 bytes, and the
// fraction it reports as "microseconds" is read as nanoseconds.
//
// What pcap-parser 0.2.1 does (lib/pcap-parser.js): it takes the byte order
// from the magic's byte sequence (a1b2c3d4 big-endian, d4c3b2a1 little) and
// reads every header field in it, so both orders work as they are. Its version
// check rejects only when major AND minor both differ from 2.4, so the major
// is checked here. It ends silently on a truncated file and waits forever for
// the body of a record whose caplen is absurd, so this module tracks the byte
// offset of every record itself: whatever is left when the parser ends, or a
// caplen above libpcap's limit, becomes `damage`, a one-line description
// naming the byte offset. Packets before the damage are kept. The file goes
// to the parser as a single chunk, so it never concatenates buffers.
import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import * as pcapp from 'pcap-parser';
import { PacketList, buildImage } from './pcap-image';
import {
  LINKTYPE_ETHERNET, PCAPNG_MAGIC, PCAP_FILE_HDR_LEN, PCAP_MAGIC_NS, PCAP_MAGIC_US, PCAP_MAX_SNAPLEN, PCAP_REC_HDR_LEN,
} from './pcap-format';

/** A capture that cannot be used at all; the message is one line without the file name. */
export class CaptureError extends Error {}

export interface Capture {
  image: SharedArrayBuffer;
  count: number;
  nano: boolean;
  bigEndian: boolean;
  /** Where and how the file is truncated or corrupt; packets before it are in the image. */
  damage?: string;
}

const swap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;

function readError(e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EISDIR') return 'is a directory, not a file';
  if (e.code === 'ERR_FS_FILE_TOO_LARGE') return 'file is too large to load (2 GiB at most)';
  return `cannot read: ${e.code ?? e.message}`;
}

class Packets implements PacketList {
  count = 0;
  srcOff = new Float64Array(1024);
  len = new Uint32Array(1024);
  tsLo = new Uint32Array(1024);
  tsHi = new Uint32Array(1024);

  add(srcOff: number, len: number, tsNs: bigint): void {
    if (this.count === this.len.length) this.grow();
    const i = this.count++;
    this.srcOff[i] = srcOff;
    this.len[i] = len;
    this.tsLo[i] = Number(tsNs & 0xffffffffn);
    this.tsHi[i] = Number((tsNs >> 32n) & 0xffffffffn);
  }

  private grow(): void {
    const n = this.len.length * 2;
    const f = new Float64Array(n); f.set(this.srcOff); this.srcOff = f;
    const l = new Uint32Array(n); l.set(this.len); this.len = l;
    const a = new Uint32Array(n); a.set(this.tsLo); this.tsLo = a;
    const b = new Uint32Array(n); b.set(this.tsHi); this.tsHi = b;
  }
}

export async function loadCapture(file: string): Promise<Capture> {
  let src: Buffer;
  try {
    src = await fs.promises.readFile(file);
  } catch (e) {
    throw new CaptureError(readError(e as NodeJS.ErrnoException));
  }
  const hdrShort = `truncated file header at byte 0 (the file has ${src.length} of its ${PCAP_FILE_HDR_LEN} bytes)`;
  if (src.length < 4) throw new CaptureError(hdrShort);
  const magic = src.readUInt32BE(0);
  let bigEndian: boolean;
  let nano = false;
  if (magic === PCAP_MAGIC_US || magic === PCAP_MAGIC_NS) bigEndian = true;
  else if (magic === swap32(PCAP_MAGIC_US) || magic === swap32(PCAP_MAGIC_NS)) bigEndian = false;
  else if (magic === PCAPNG_MAGIC) throw new CaptureError(`pcapng format is not supported; convert it with \`tcpdump -r ${file} -w out.pcap\``);
  else throw new CaptureError(`not a pcap file (magic 0x${magic.toString(16).padStart(8, '0')} at byte 0)`);
  if (magic === PCAP_MAGIC_NS || magic === swap32(PCAP_MAGIC_NS)) {
    nano = true;
    // Our own copy of the file: give the parser the microsecond magic.
    src.writeUInt32BE(bigEndian ? PCAP_MAGIC_US : swap32(PCAP_MAGIC_US), 0);
  }
  const fracNs = nano ? 1n : 1000n;

  return new Promise<Capture>((resolve, reject) => {
    const pk = new Packets();
    let headerSeen = false;
    let fatal: string | undefined;
    let stop: string | undefined;  // corrupt record: ignore everything after it
    let off = PCAP_FILE_HDR_LEN;   // byte offset of the next record
    let pending = -1;              // caplen of a record whose header was parsed but not its body
    let ts = 0n;
    let done = false;
    const parser = pcapp.parse(Readable.from([src]));
    parser.on('globalHeader', (h) => {
      headerSeen = true;
      if (h.majorVersion !== 2) fatal = `unsupported pcap version ${h.majorVersion}.${h.minorVersion} at byte 4 (2.x expected)`;
      else if (h.linkLayerType !== LINKTYPE_ETHERNET) fatal = `link type ${h.linkLayerType} at byte 20 is not Ethernet (${LINKTYPE_ETHERNET}); capture on an Ethernet interface, not 'any'`;
    });
    parser.on('packetHeader', (h) => {
      if (fatal !== undefined || stop !== undefined) return;
      if (h.capturedLength > PCAP_MAX_SNAPLEN) {
        stop = `corrupt packet record at byte ${off} (caplen ${h.capturedLength} is above the ${PCAP_MAX_SNAPLEN} maximum)`;
        return;
      }
      pending = h.capturedLength;
      ts = BigInt(h.timestampSeconds) * 1_000_000_000n + BigInt(h.timestampMicroseconds) * fracNs;
    });
    parser.on('packet', (p) => {
      if (fatal !== undefined || stop !== undefined) return;
      pk.add(off + PCAP_REC_HDR_LEN, p.data.length, ts);
      off += PCAP_REC_HDR_LEN + p.data.length;
      pending = -1;
    });
    parser.on('error', (e) => { fatal ??= e.message; });
    parser.on('end', () => {
      if (done) return;
      done = true;
      if (fatal !== undefined) { reject(new CaptureError(fatal)); return; }
      if (!headerSeen) { reject(new CaptureError(hdrShort)); return; }
      let damage = stop;
      if (damage === undefined && pending >= 0) {
        damage = `truncated packet record at byte ${off} (caplen ${pending}, but only ${src.length - off - PCAP_REC_HDR_LEN} bytes follow its header)`;
      } else if (damage === undefined && off < src.length) {
        damage = `truncated packet record header at byte ${off} (${src.length - off} of its ${PCAP_REC_HDR_LEN} bytes)`;
      }
      let image: SharedArrayBuffer;
      try {
        image = buildImage(src, pk, nano);
      } catch (e) {
        reject(new CaptureError((e as Error).message));
        return;
      }
      resolve({ image, count: pk.count, nano, bigEndian, damage });
    });
  });
}
