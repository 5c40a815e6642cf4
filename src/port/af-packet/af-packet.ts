// net_af_packet: a port on a Linux interface through AF_PACKET sockets, as
// DPDK's rte_eth_af_packet. One socket per queue pair, joined in a
// PACKET_FANOUT group when qpairs > 1. mode=mmap moves frames through
// PACKET_MMAP TPACKET_V2 RX and TX rings (C copies between ring frames and
// mbufs, one send() kicks a tx burst); mode=mmsg uses recvmmsg/sendmmsg with
// iovecs pointing into mbuf data rooms. packet(7), packet_mmap.rst.
// tpacket_version=3 (mode mmap) receives through a TPACKET_V3 ring of blocks:
// less kernel work per frame on the receive side, frames wait up to the 1 ms
// block retire timeout at low rates (the trade tcpdump and trafgen make).
//
// Why one socket for rx and tx: every AF_PACKET close and every ring setup
// waits for an RCU grace period (synchronize_net, ~12 ms here), so a second
// socket per queue would make open/close ~20% slower and cost an fd; the
// price is a zero 10-byte virtio_net_hdr in front of each tx frame, because
// PACKET_VNET_HDR (which rx needs for checksum offsets) applies to both ways.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import { AFP_CFG, afpIfinfo, afpQueueClose, afpQueueOpen, errnoName } from '../../native';
import { AfPacketPort, AfpState } from './af-packet-port';
import { boolArg, enumArg, intArg } from '../devargs';
import { claim } from '../claims';
import { statsBytesFor } from '../stats';
import { OpenContext, PortDriver, PortError, PortHandle } from '../types';

/** Default mode: the faster one on veth, measured with `npm run bench -- fwd loop` (bench/fwd.bench.ts, bench/loop.bench.ts). */
export const AFP_DEFAULT_MODE = 'mmap';
const MODES = ['mmap', 'mmsg'] as const;
const FANOUT_MODES = { hash: 0, lb: 1, cpu: 2 } as const; // PACKET_FANOUT_HASH, _LB, _CPU
const PACKET_FANOUT_FLAG_UNIQUEID = 0x2000;
const PAGE = 4096;
/** Default block size of a TPACKET_V3 ring: many frames per block, so the kernel hands over blocks rarely. */
const V3_BLOCK = 65536;
/** A V3 block's header (BLK_HDR_LEN) and a frame's header up to its MAC header (macoff with the vnet header). */
const V3_BLOCK_OVERHEAD = 48 + 92;
const ARPHRD_ETHER = 1;
const { ENODEV, EPERM, EACCES } = constants.errno;
/** Bytes before the MAC header in an rx ring frame: TPACKET_ALIGN(TPACKET2_HDRLEN + 16) + vnet hdr - 14. */
const RX_FRAME_OVERHEAD = 80 + 10 - 14;
const VLAN_HLEN = 4;
/**
 * Default TX ring: 128 frames (at most framecnt). A TX frame is busy only
 * from our copy into it until the device frees its skb: veth frees it inside
 * the send() that kicks the burst, a NIC at tx completion. Each burst takes
 * the next frames round the ring, so 1024 frames of 2 KiB cycle 2 MiB
 * through the cache and the copies into them miss; 128 (256 KiB) stay in
 * L2: at 1514 B, 1.38 against 1.25 times testpmd in A/B series (README,
 * Benchmarks, "The TX ring"). DPDK's PMD sizes both rings with framecnt (512).
 */
const TX_FRAMES = 128;

/** Setup steps in afp.h's enum afp_step order, named for error messages. */
export const AFP_STEPS = [
  'socket(AF_PACKET)', 'setsockopt(PACKET_VERSION)', 'setsockopt(PACKET_VNET_HDR)', 'setsockopt(PACKET_IGNORE_OUTGOING)',
  'setsockopt(PACKET_LOSS)', 'setsockopt(SO_SNDBUF/SO_RCVBUF)', 'setsockopt(PACKET_QDISC_BYPASS)', 'setsockopt(PACKET_RX_RING)',
  'setsockopt(PACKET_TX_RING)', 'mmap of the rings', 'setsockopt(PACKET_AUXDATA)', 'bind', 'setsockopt(PACKET_ADD_MEMBERSHIP PROMISC)',
  'setsockopt(PACKET_FANOUT)',
  'getsockopt(PACKET_FANOUT)', 'queue table',
];

export interface Config {
  iface: string;
  qpairs: number;
  mode: (typeof MODES)[number];
  fanout: number;
  framesz: number;
  blocksz: number;
  framecnt: number;
  /** Frames in mode mmap's TX ring (framecnt sizes the RX ring). */
  txFramecnt: number;
  qdiscBypass: boolean;
  /** TPACKET version of mode mmap's rings: 2 (per-frame status) or 3 (rx in blocks). */
  tpacketVersion: 2 | 3;
}

/** V3's default block: the first multiple of both framesz and the page from 64 KiB, or from two frames if larger (capped at 4 MiB). */
function v3Block(framesz: number): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const step = (framesz / gcd(framesz, PAGE)) * PAGE;
  return Math.min(Math.ceil(Math.max(V3_BLOCK, framesz * 2) / step) * step, 1 << 22);
}

export function parse(ctx: OpenContext): Config {
  const { name, args } = ctx;
  const iface = args.get('iface')!;
  // dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
  if (!/^[^/:\s]{1,15}$/.test(iface) || iface === '.' || iface === '..') {
    throw new PortError(`${name}: devarg iface=${iface} is not an interface name (1..15 characters, no '/', ':' or spaces)`);
  }
  const mode = enumArg(name, args, 'mode', AFP_DEFAULT_MODE, MODES);
  const tpacketVersion = Number(enumArg(name, args, 'tpacket_version', '2', ['2', '3'] as const)) as 2 | 3;
  if (args.has('tpacket_version') && mode !== 'mmap') {
    throw new PortError(`${name}: devarg tpacket_version=${tpacketVersion} needs mode=mmap (mode=${mode} has no ring)`);
  }
  const framesz = intArg(name, args, 'framesz', 2048, 128, 65536);
  if (framesz % 16 !== 0) throw new PortError(`${name}: devarg framesz=${framesz} must be a multiple of 16 (TPACKET_ALIGNMENT)`);
  const blocksz = intArg(name, args, 'blocksz', tpacketVersion === 3 ? v3Block(framesz) : PAGE, PAGE, 1 << 22);
  if (blocksz % PAGE !== 0) throw new PortError(`${name}: devarg blocksz=${blocksz} must be a multiple of the page size ${PAGE}`);
  if (blocksz % framesz !== 0) throw new PortError(`${name}: devarg blocksz=${blocksz} must be a multiple of framesz=${framesz}`);
  if (tpacketVersion === 3 && blocksz - V3_BLOCK_OVERHEAD < framesz) {
    throw new PortError(`${name}: devarg blocksz=${blocksz} is too small for tpacket_version=3 with framesz=${framesz} (a block must hold a whole frame: at least ${framesz * 2})`);
  }
  const perBlock = blocksz / framesz;
  // V2 keeps DPDK's defaults (1024 frames, page-sized blocks); V3 rounds 1024 up to whole blocks, at least two.
  const framecnt = intArg(name, args, 'framecnt', tpacketVersion === 3 ? Math.max(Math.ceil(1024 / perBlock), 2) * perBlock : 1024, 8, 1 << 20);
  if (framecnt % perBlock !== 0) {
    throw new PortError(`${name}: devarg framecnt=${framecnt} must be a multiple of ${perBlock} (frames per block, blocksz/framesz)`);
  }
  if (args.has('txframecnt') && mode !== 'mmap') {
    throw new PortError(`${name}: devarg txframecnt needs mode=mmap (mode=${mode} has no ring)`);
  }
  const txFramecnt = intArg(name, args, 'txframecnt', Math.min(framecnt, Math.ceil(TX_FRAMES / perBlock) * perBlock), 8, 1 << 20);
  if (txFramecnt % perBlock !== 0) {
    throw new PortError(`${name}: devarg txframecnt=${txFramecnt} must be a multiple of ${perBlock} (frames per block, blocksz/framesz)`);
  }
  return {
    iface,
    qpairs: intArg(name, args, 'qpairs', 1, 1, 16),
    mode,
    fanout: FANOUT_MODES[enumArg(name, args, 'fanout_mode', 'hash', ['hash', 'lb', 'cpu'] as const)],
    framesz, blocksz, framecnt, txFramecnt,
    qdiscBypass: boolArg(name, args, 'qdisc_bypass', true),
    tpacketVersion,
  };
}

function open(ctx: OpenContext): PortHandle {
  const c = parse(ctx);
  const name = ctx.name;
  const info = afpIfinfo(c.iface);
  if (typeof info === 'number') {
    if (-info === ENODEV) throw new PortError(`${name}: interface '${c.iface}' does not exist`);
    throw new PortError(`${name}: cannot look up interface '${c.iface}': ${errnoName(-info)}`);
  }
  if (info.hwType !== ARPHRD_ETHER) throw new PortError(`${name}: interface '${c.iface}' is not an Ethernet device`);
  const maxFrame = info.mtu + 14;
  if (c.mode === 'mmap' && c.framesz - RX_FRAME_OVERHEAD < maxFrame) {
    const need = Math.ceil((maxFrame + RX_FRAME_OVERHEAD) / 16) * 16;
    throw new PortError(`${name}: devarg framesz=${c.framesz} is too small for MTU ${info.mtu} of '${c.iface}' (needs at least ${need})`);
  }
  if (ctx.pool.dataRoom < maxFrame + VLAN_HLEN) {
    throw new PortError(`${name}: mempool data room ${ctx.pool.dataRoom} is too small for MTU ${info.mtu} of '${c.iface}' (needs ${maxFrame + VLAN_HLEN})`);
  }
  // The calling thread's network namespace: withNetns() may have stepped in.
  const netns = fs.statSync('/proc/thread-self/ns/net').ino;
  claim(name, `afp:${netns}:${info.ifindex}`, `interface '${c.iface}'`);

  const cfg = new Int32Array(AFP_CFG.WORDS);
  cfg[AFP_CFG.IFINDEX] = info.ifindex;
  cfg[AFP_CFG.MODE] = c.mode === 'mmap' ? 0 : 1;
  cfg[AFP_CFG.FRAMESZ] = c.framesz;
  cfg[AFP_CFG.FRAMECNT] = c.framecnt;
  cfg[AFP_CFG.BLOCKSZ] = c.blocksz;
  cfg[AFP_CFG.QDISC_BYPASS] = c.qdiscBypass ? 1 : 0;
  cfg[AFP_CFG.FANOUT] = -1;
  cfg[AFP_CFG.TX_MAX] = maxFrame;
  // Socket buffers for as many bytes as a ring holds (the kernel doubles the value).
  cfg[AFP_CFG.SOCKBUF] = Math.min(c.framecnt * c.framesz, 1 << 30);
  cfg[AFP_CFG.TPACKET_VERSION] = c.tpacketVersion;
  cfg[AFP_CFG.TX_FRAMECNT] = c.txFramecnt;
  const out = new Int32Array(3);
  const queues: number[] = [];
  const fds: number[] = [];
  for (let q = 0; q < c.qpairs; q++) {
    if (c.qpairs > 1) {
      // The first socket asks the kernel for an unused group id, the others join it.
      cfg[AFP_CFG.FANOUT] = q === 0 ? c.fanout | PACKET_FANOUT_FLAG_UNIQUEID : c.fanout;
      cfg[AFP_CFG.FANOUT_ID] = q === 0 ? 0 : out[1];
    }
    const id = afpQueueOpen(cfg, out);
    if (id < 0) {
      for (const qid of queues) afpQueueClose(qid);
      throw openError(name, c.iface, out[0], -id);
    }
    queues.push(id);
    fds.push(out[2]);
  }
  const state: AfpState = { queues, fds, mode: c.mode, iface: c.iface, ifindex: info.ifindex, mtu: info.mtu };
  // mmsg stays for interfaces or kernels where PACKET_MMAP rings cannot be set up; it costs a
  // syscall per poll and a copy per frame in the kernel, so whoever picked it hears the price once.
  if (c.mode === 'mmsg') process.stderr.write(`${name}: mode=mmsg: a recvmmsg/sendmmsg per burst, 0.4 to 0.7 times mode=mmap's rate on veth (npm run bench -- fwd loop); use it only where PACKET_MMAP rings are unavailable\n`);
  return {
    driver: 'net_af_packet', id: ctx.id, name, mac: info.mac, nbQueues: c.qpairs,
    stats: new SharedArrayBuffer(statsBytesFor(c.qpairs)), state,
  };
}

function openError(name: string, iface: string, step: number, errno: number): PortError {
  if (step === 0 && (errno === EPERM || errno === EACCES)) {
    return new PortError(`${name}: cannot open an AF_PACKET socket: ${errnoName(errno)} (needs CAP_NET_RAW)`);
  }
  return new PortError(`${name}: ${AFP_STEPS[step] ?? `step ${step}`} on '${iface}' failed: ${errnoName(errno)}`);
}

export const driver: PortDriver = {
  name: 'net_af_packet',
  keys: ['iface', 'qpairs', 'mode', 'fanout_mode', 'framesz', 'blocksz', 'framecnt', 'txframecnt', 'qdisc_bypass', 'tpacket_version', 'netns'],
  required: ['iface'],
  open,
  attach: (h, pool) => new AfPacketPort(h, pool),
  release(h: PortHandle): void {
    for (const q of (h.state as AfpState).queues) afpQueueClose(q);
  },
};
