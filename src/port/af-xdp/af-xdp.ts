// net_af_xdp: a port on a Linux interface through AF_XDP sockets, as DPDK's
// rte_eth_af_xdp. The UMEM is the mempool's data region itself, so rx lands in
// mbufs and a received frame is sent from another net_af_xdp port by address.
// One socket per queue (device queues start_queue .. start_queue+queue_count-1),
// one XDP program per port redirecting those queues into the sockets (see
// native-shims/src/af-xdp/xsk_prog.c), attached in native (driver) mode when the
// driver has it and in generic (skb) mode otherwise, unless xdp_mode= says.
//
// veth: native XDP works on the receiving end alone (attaching a program turns
// on the veth's NAPI); the device has no zero-copy, so the socket binds in copy
// mode (mode=zc fails with a clear error). Frames the peer redirects into this
// veth with XDP (not our case) would need a program on this end too: ours is.
import * as fs from 'node:fs';
import { constants } from 'node:os';
import type { Mempool } from '../../mempool/mempool';
import { addressOf, afpIfinfo, errnoName, XSK_CFG, XSK_XDP_MODE, xskAvailable, xskProgAttach, xskProgDetach, xskFill, xskQueueClose, xskQueueOpen } from '../../native';
import { AfXdpPort, XskState } from './af-xdp-port';
import { enumArg, intArg } from '../devargs';
import { claim } from '../claims';
import { rxLine, statsBytesFor, txLine } from '../stats';
import { OpenContext, PortDriver, PortError, PortHandle } from '../types';

const { ENODEV, EPERM, EACCES, ENOMEM, ENOBUFS, EBUSY, EEXIST, EOPNOTSUPP, EINVAL, ENOSYS } = constants.errno;
const ARPHRD_ETHER = 1;
/** The kernel puts rx data XDP_PACKET_HEADROOM (256) bytes into a chunk. */
const XDP_PACKET_HEADROOM = 256;
const VLAN_HLEN = 4;
/** Buffers each queue keeps on the fill ring (XSK_FILL_TARGET in xsk.h). */
const XSK_FILL_TARGET = 1024;
const BIND_MODES = { auto: 0, copy: 1, zc: 2 } as const;

/** Setup steps in xsk.h's enum xsk_step order, named for error messages. */
export const XSK_STEPS = ['UMEM registration (XDP_UMEM_REG)', 'AF_XDP socket bind', 'busy-poll socket options', 'XSKMAP update',
  'getsockopt(XDP_OPTIONS)', 'queue table'];
const PROG_STEPS = ['BPF map create (XSKMAP)', 'BPF program load', 'XDP attach', 'program table'];

/** The command that installs what net_af_xdp is built with. */
export const XSK_PACKAGES = 'apt-get install -y libxdp-dev libbpf-dev';

// The pool each open port registered as UMEM: release() returns the mbufs the
// kernel held to it (a handle is cloneable data and cannot carry the pool).
const pools = new Map<PortHandle, Mempool>();

export interface Config {
  iface: string;
  startQueue: number;
  queueCount: number;
  bindMode: keyof typeof BIND_MODES;
  busyBudget: number;
  xdpMode: keyof typeof XSK_XDP_MODE;
}

export function parse(ctx: OpenContext): Config {
  const { name, args } = ctx;
  const iface = args.get('iface')!;
  if (!/^[^/:\s]{1,15}$/.test(iface) || iface === '.' || iface === '..') {
    throw new PortError(`${name}: devarg iface=${iface} is not an interface name (1..15 characters, no '/', ':' or spaces)`);
  }
  return {
    iface,
    startQueue: intArg(name, args, 'start_queue', 0, 0, 255),
    queueCount: intArg(name, args, 'queue_count', 1, 1, 16),
    bindMode: enumArg(name, args, 'mode', 'auto', ['auto', 'copy', 'zc'] as const),
    busyBudget: intArg(name, args, 'busy_budget', 0, 0, 1024),
    xdpMode: enumArg(name, args, 'xdp_mode', 'auto', ['auto', 'native', 'generic'] as const),
  };
}

function open(ctx: OpenContext): PortHandle {
  const { name, pool } = ctx;
  if (!xskAvailable()) {
    throw new PortError(`${name}: tsfwd was built without AF_XDP support; install libxdp and libbpf (${XSK_PACKAGES}) and rebuild (npm run build:native)`);
  }
  const c = parse(ctx);
  const info = afpIfinfo(c.iface);
  if (typeof info === 'number') {
    if (-info === ENODEV) throw new PortError(`${name}: interface '${c.iface}' does not exist`);
    throw new PortError(`${name}: cannot look up interface '${c.iface}': ${errnoName(-info)}`);
  }
  if (info.hwType !== ARPHRD_ETHER) throw new PortError(`${name}: interface '${c.iface}' is not an Ethernet device`);
  if (pool.eltSize < 2048 || pool.eltSize > 4096) {
    throw new PortError(`${name}: mempool buffers of ${pool.eltSize} bytes cannot be AF_XDP chunks (2048..4096 bytes)`);
  }
  const maxFrame = info.mtu + 14;
  if (pool.eltSize - XDP_PACKET_HEADROOM < maxFrame + VLAN_HLEN) {
    throw new PortError(`${name}: MTU ${info.mtu} of '${c.iface}' does not fit an AF_XDP chunk of ${pool.eltSize} bytes ` +
      `(${XDP_PACKET_HEADROOM} bytes are XDP headroom; at most MTU ${pool.eltSize - XDP_PACKET_HEADROOM - 14 - VLAN_HLEN})`);
  }
  const netns = fs.statSync('/proc/thread-self/ns/net').ino;
  claim(name, `xsk:${netns}:${info.ifindex}`, `interface '${c.iface}'`);

  const pout = new Int32Array(2);
  const prog = xskProgAttach(info.ifindex, XSK_XDP_MODE[c.xdpMode], c.startQueue + c.queueCount, pout);
  if (prog < 0) throw progError(name, c, pout[0], -prog);
  const stats = new SharedArrayBuffer(statsBytesFor(c.queueCount));
  const cfg = new Int32Array(XSK_CFG.WORDS);
  cfg[XSK_CFG.PROG] = prog;
  cfg[XSK_CFG.BIND_MODE] = BIND_MODES[c.bindMode];
  cfg[XSK_CFG.BUSY] = c.busyBudget;
  cfg[XSK_CFG.NB] = pool.n;
  cfg[XSK_CFG.ELT] = pool.eltSize;
  cfg[XSK_CFG.PORT] = ctx.id;
  cfg[XSK_CFG.TX_MAX] = maxFrame;
  const out = new Int32Array(3);
  const queues: number[] = [];
  const fds: number[] = [];
  const devQueues: number[] = [];
  const fillBuf = new Uint32Array(XSK_FILL_TARGET);
  let zeroCopy = true;
  for (let q = 0; q < c.queueCount; q++) {
    cfg[XSK_CFG.QUEUE] = c.startQueue + q;
    const id = xskQueueOpen(cfg, c.iface, pool.data, pool.meta, rxLine(stats, q), txLine(stats, q), out);
    if (id < 0) {
      const scratch = new Uint32Array(pool.n);
      for (let i = 0; i < queues.length; i++) {
        const held = xskQueueClose(queues[i], prog, devQueues[i], scratch);
        if (held > 0) pool.putBulk(scratch, held); // the fill ring's buffers
      }
      xskProgDetach(prog);
      throw queueError(name, c, c.startQueue + q, out[0], -id);
    }
    queues.push(id);
    fds.push(out[1]);
    // Buffers on offer before anything polls: frames that arrive first are not dropped.
    const got = pool.getBulk(fillBuf, XSK_FILL_TARGET);
    const put = got > 0 ? xskFill(id, fillBuf, got) : 0;
    if (put < got) pool.putBulkFrom(fillBuf, put < 0 ? 0 : put, got - (put < 0 ? 0 : put));
    devQueues.push(c.startQueue + q);
    zeroCopy = zeroCopy && out[2] === 1;
  }
  const xdpMode = pout[1] === XSK_XDP_MODE.native ? 'native' : 'generic';
  const last = c.startQueue + c.queueCount - 1;
  // The startup line (printed by the CLI): which XDP hook and which bind mode are active.
  const note = `AF_XDP on ${c.iface} queue${c.queueCount > 1 ? `s ${c.startQueue}..${last}` : ` ${c.startQueue}`}: ` +
    `XDP ${xdpMode} mode, ${zeroCopy ? 'zero-copy' : 'copy'}${c.busyBudget ? `, busy polling budget ${c.busyBudget}` : ''}`;
  const state: XskState = {
    prog, queues, fds, devQueues, iface: c.iface, ifindex: info.ifindex, mtu: info.mtu, xdpMode, zeroCopy,
    dataAddr: addressOf(pool.data),
  };
  const handle: PortHandle = { driver: 'net_af_xdp', id: ctx.id, name, mac: info.mac, nbQueues: c.queueCount, stats, state, note };
  pools.set(handle, pool);
  return handle;
}

function progError(name: string, c: Config, step: number, errno: number): PortError {
  if (errno === EPERM || errno === EACCES) {
    return new PortError(`${name}: cannot load the XDP program: ${errnoName(errno)} (needs CAP_BPF and CAP_NET_ADMIN, or CAP_SYS_ADMIN)`);
  }
  if (step === 2 && (errno === EBUSY || errno === EEXIST)) {
    return new PortError(`${name}: interface '${c.iface}' already has an XDP program attached (remove it: ip link set dev ${c.iface} xdp off)`);
  }
  if (step === 2 && c.xdpMode === 'native' && (errno === EOPNOTSUPP || errno === EINVAL)) {
    return new PortError(`${name}: the driver of '${c.iface}' has no native XDP (use xdp_mode=generic or auto)`);
  }
  return new PortError(`${name}: ${PROG_STEPS[step] ?? `step ${step}`} on '${c.iface}' failed: ${errnoName(errno)}`);
}

function queueError(name: string, c: Config, devQueue: number, step: number, errno: number): PortError {
  const what = XSK_STEPS[step] ?? `step ${step}`;
  if (errno === EPERM || errno === EACCES) {
    return new PortError(`${name}: cannot open an AF_XDP socket: ${errnoName(errno)} (needs CAP_NET_RAW)`);
  }
  if (step === 0 && (errno === ENOMEM || errno === ENOBUFS)) {
    return new PortError(`${name}: ${what} failed: ${errnoName(errno)} (locked memory: needs CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK)`);
  }
  if (step === 1 && c.bindMode === 'zc' && (errno === EOPNOTSUPP || errno === EINVAL || errno === ENOSYS)) {
    return new PortError(`${name}: the driver of '${c.iface}' has no AF_XDP zero-copy (use mode=copy or auto)`);
  }
  if (step === 1 && errno === EINVAL) {
    return new PortError(`${name}: ${what} on '${c.iface}' queue ${devQueue} failed: EINVAL (does the device have that many queues?)`);
  }
  if (step === 1 && errno === EBUSY) {
    return new PortError(`${name}: queue ${devQueue} of '${c.iface}' is already bound to another AF_XDP socket`);
  }
  return new PortError(`${name}: ${what} on '${c.iface}' queue ${devQueue} failed: ${errnoName(errno)}`);
}

export const driver: PortDriver = {
  name: 'net_af_xdp',
  keys: ['iface', 'start_queue', 'queue_count', 'mode', 'busy_budget', 'xdp_mode', 'netns'],
  required: ['iface'],
  open,
  attach: (h, pool) => new AfXdpPort(h, pool),
  release(h: PortHandle): void {
    const st = h.state as XskState;
    const pool = pools.get(h);
    pools.delete(h);
    const held = new Uint32Array(pool ? pool.n : 0);
    for (let q = 0; q < st.queues.length; q++) {
      const n = xskQueueClose(st.queues[q], st.prog, st.devQueues[q], held);
      // The sockets are gone, so the kernel no longer touches these buffers.
      if (n > 0 && pool) pool.putBulk(held, n);
    }
    xskProgDetach(st.prog);
  },
};
