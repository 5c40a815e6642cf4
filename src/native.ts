// The one module that loads the C shim (native-shims/). Everything else calls
// the typed wrappers below, which validate arguments before crossing into C.
// Every native function returns a count or a value, or -errno on failure.
import * as path from 'node:path';
import * as os from 'node:os';

interface Shim {
  cpu_set_affinity(cpu: number): number;
  cpu_get_affinity(): number;
  cpu_get_current(): number;
  cpu_yield(): number;
  cpu_set_slice(us: number): number;
  cpu_set_policy(policy: number, priority: number): number;
  mem_address(view: ArrayBufferView): number;
  netns_set(fd: number): number;
  ethtool_feature_names(ifname: string, out: Uint8Array): number;
  ethtool_features_get(ifname: string, out: Uint32Array): number;
  ethtool_features_set(ifname: string, valid: Uint32Array, requested: Uint32Array): number;
  link_flags(ifname: string): number;
  udp_socket(family: number, rcvbuf: number): number;
  udp_bind(fd: number, family: number, addr: string, port: number): number;
  udp_connect(fd: number, family: number, addr: string, port: number): number;
  udp_ctx_create(fd: number, connected: number, vni: number, family: number, addr: string, port: number,
    data: Uint8Array, meta: Uint32Array, io: Uint32Array, eltSize: number, headroom: number, dataRoom: number): number;
  udp_ctx_free(ctx: number): number;
  udp_ctx_set_mbufs(ctx: number, mbufs: Uint32Array): number;
  udp_rx(ctx: number, n: number): number;
  udp_tx(ctx: number, start: number, n: number): number;
  udp_layout(): UdpLayout;
  mem_copy_register(dst: ArrayBufferView, src: ArrayBufferView, desc: Uint32Array): number;
  mem_copy_unregister(id: number): number;
  mem_copy_burst(id: number, n: number): number;
  fd_write(fd: number, view: Uint8Array, offset: number, len: number): number;
  evfd_create(): number;
  evfd_signal(fd: number): number;
  wait_set_create(fds: Int32Array): number;
  wait_set_free(id: number): number;
  wait_nap(id: number, us: number, blind: number): number;
  clock_realtime(out: Float64Array): number;
  clock_mono_us(): number;
  clock_mono_ns(out: Float64Array): number;
  afp_ifinfo(name: string, out: Int32Array): number;
  afp_queue_open(cfg: Int32Array, out: Int32Array): number;
  afp_queue_close(queue: number): number;
  afp_bind(queue: number, data: Uint8Array, meta: Uint32Array, stash: Uint32Array, rx: Float64Array, tx: Float64Array, params: Int32Array): number;
  afp_unbind(bind: number): number;
  afp_set_mbufs(bind: number, tx: number, mbufs: Uint32Array): number;
  afp_rx(bind: number, avail: number, max: number): number;
  afp_tx(bind: number, start: number, n: number): number;
  afp_live(out: Int32Array): number;
  afp_layout(out: Int32Array): number;
  afp_sock_version(fd: number): number;
  xsk_available(): number;
  xsk_prog_attach(ifindex: number, mode: number, entries: number, out: Int32Array): number;
  xsk_prog_detach(prog: number): number;
  xsk_queue_open(cfg: Int32Array, ifname: string, data: Uint8Array, meta: Uint32Array, rx: Float64Array, tx: Float64Array, out: Int32Array): number;
  xsk_queue_close(queue: number, prog: number, devQueue: number, out: Uint32Array): number;
  xsk_fill(queue: number, mbufs: Uint32Array, n: number): number;
  xsk_bind(queue: number, stash: Uint32Array, io: Int32Array): number;
  xsk_unbind(bind: number): number;
  xsk_set_mbufs(bind: number, which: number, mbufs: Uint32Array): number;
  xsk_rx_io(bind: number): void;
  xsk_tx_io(bind: number): void;
  xsk_live(out: Int32Array): number;
  xdpgen_open(ifindex: number, frame: Uint8Array): number;
  xdpgen_run(handle: number, repeat: number): number;
  xdpgen_close(handle: number): number;
  caps_drop(keepLo: number, keepHi: number): number;
  memif_open(cfg: Int32Array, path: string, secret: string): number;
  memif_close(port: number): number;
  memif_service(port: number, tryConnect: number, note: Uint8Array): number;
  memif_rx_wake(port: number, queue: number): number;
  memif_bind(port: number, queue: number, data: Uint8Array, meta: Uint32Array, stash: Uint32Array, rx: Float64Array, tx: Float64Array, params: Int32Array): number;
  memif_unbind(bind: number): number;
  memif_set_mbufs(bind: number, tx: number, mbufs: Uint32Array): number;
  memif_rx(bind: number, avail: number, max: number): number;
  memif_tx(bind: number, start: number, n: number): number;
}

/** Constants udp.c was built with; a test checks src/port/udp/udp-port.ts agrees. */
export interface UdpLayout {
  burstMax: number; ioLen: number; ioFlags: number; ioForeign: number; ioDrops: number; ioWords: number;
  metaWords: number; metaDataOff: number; metaDataLen: number; msgTrunc: number; maxCtx: number;
}

function load(): Shim {
  // dist/src/native.js -> ../../native-shims/build/Release
  // TSFWD_NATIVE_SHIM: another build of the same shim (the tests load one built without libxdp).
  const file = process.env.TSFWD_NATIVE_SHIM || path.resolve(__dirname, '..', '..', 'native-shims', 'build', 'Release', 'tsfwd_shim.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as Shim;
  } catch (e) {
    throw new Error(`tsfwd: cannot load the native shim ${file} (run \`npm install\` to build it): ${(e as Error).message}`);
  }
}

const shim: Shim = load();

/** Name of an errno value, e.g. 22 -> "EINVAL". */
export function errnoName(errno: number): string {
  const names = os.constants.errno as Record<string, number>;
  for (const k of Object.keys(names)) if (names[k] === errno) return k;
  return `errno ${errno}`;
}

/** Pins the calling thread to `cpu`. Returns 0 or -errno. */
export function setAffinity(cpu: number): number {
  if (!Number.isInteger(cpu) || cpu < 0 || cpu > 1023) throw new RangeError(`cpu must be an integer 0..1023, got ${cpu}`);
  return shim.cpu_set_affinity(cpu);
}

/** CPUs the calling thread may run on (first 53), or throws. */
export function getAffinity(): number[] {
  const mask = shim.cpu_get_affinity();
  if (mask < 0) throw new Error(`sched_getaffinity failed: ${errnoName(-mask)}`);
  const cpus: number[] = [];
  for (let i = 0, m = mask; m > 0; i++, m = Math.floor(m / 2)) if (m % 2 === 1) cpus.push(i);
  return cpus;
}

/** CPU the calling thread runs on now (sched_getcpu), or -errno. */
export function currentCpu(): number {
  return shim.cpu_get_current();
}

/** sched_yield(): lets another runnable thread on this CPU run. Returns 0 or -errno. */
export function cpuYield(): number {
  return shim.cpu_yield();
}

/** Asks the fair scheduler for a `us` µs slice for the calling thread (Linux >= 6.12). Returns 0 or -errno. */
export function setSlice(us: number): number {
  return shim.cpu_set_slice(us);
}

/** The calling thread's scheduling policy: 0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR (priority 1..99). Returns 0 or -errno. */
export function setPolicy(policy: 0 | 1 | 2, priority: number): number {
  return shim.cpu_set_policy(policy, priority);
}

/** Absolute address of a typed array's first byte (for alignment decisions). */
export function addressOf(view: ArrayBufferView): number {
  const a = shim.mem_address(view);
  if (a < 0) throw new TypeError('addressOf needs a typed array');
  return a;
}

/** Moves the calling thread into the network namespace open as `fd`. Returns 0 or -errno. */
export function setNetns(fd: number): number {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`bad namespace fd ${fd}`);
  return shim.netns_set(fd);
}

// Offload features via SIOCETHTOOL (native-shims/src/ethtool.c), in the calling
// thread's network namespace; src/topo/offload.ts gives them names.
const checkIfname = (ifname: string): void => {
  if (typeof ifname !== 'string' || !/^[^\s/:]{1,15}$/.test(ifname)) throw new RangeError(`bad interface name '${ifname}'`);
};

/** Bytes per feature name in ethtoolFeatureNames' output (ETH_GSTRING_LEN). */
export const ETHTOOL_NAME_LEN = 32;

/** Fills `out` with the kernel's feature names, ETHTOOL_NAME_LEN bytes each. Returns the count or -errno. */
export function ethtoolFeatureNames(ifname: string, out: Uint8Array): number {
  checkIfname(ifname);
  return shim.ethtool_feature_names(ifname, out);
}

/** Fills `out` with available, requested, active, never_changed per feature word. Returns the word count or -errno. */
export function ethtoolFeaturesGet(ifname: string, out: Uint32Array): number {
  checkIfname(ifname);
  return shim.ethtool_features_get(ifname, out);
}

/** Sets the features whose `valid` bit is set to their `requested` bit. Returns ETHTOOL_F_* flags (0: all applied) or -errno. */
export function ethtoolFeaturesSet(ifname: string, valid: Uint32Array, requested: Uint32Array): number {
  checkIfname(ifname);
  return shim.ethtool_features_set(ifname, valid, requested);
}

/** netdevice(7) interface flags: administratively up, and operationally up (carrier). */
export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;

/** The interface's SIOCGIFFLAGS flags (IFF_UP, IFF_RUNNING, ...), or -errno (-ENODEV: no such interface). */
export function linkFlags(ifname: string): number {
  checkIfname(ifname);
  return shim.link_flags(ifname);
}

// ---- net_udp (native-shims/src/udp/) ----

function checkFd(fd: number): void {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`bad socket fd ${fd}`);
}

function checkAddr(family: number, addr: string, port: number): void {
  if (family !== 4 && family !== 6) throw new RangeError(`address family must be 4 or 6, got ${family}`);
  if (typeof addr !== 'string' || addr.length > 45) throw new TypeError(`bad IPv${family} address ${String(addr)}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad UDP port ${port}`);
}

/** A non-blocking UDP socket with SO_RXQ_OVFL and a receive buffer of about `rcvbuf` bytes. Returns fd or -errno. */
export function udpSocket(family: 4 | 6, rcvbuf: number): number {
  if (family !== 4 && family !== 6) throw new RangeError(`address family must be 4 or 6, got ${family}`);
  if (!Number.isInteger(rcvbuf) || rcvbuf < 0 || rcvbuf > 0x7fffffff) throw new RangeError(`bad rcvbuf ${rcvbuf}`);
  return shim.udp_socket(family, rcvbuf);
}

/** bind(2) to a numeric address. Returns 0 or -errno. */
export function udpBind(fd: number, family: 4 | 6, addr: string, port: number): number {
  checkFd(fd);
  checkAddr(family, addr, port);
  return shim.udp_bind(fd, family, addr, port);
}

/** connect(2) to a numeric address. Returns 0 or -errno. */
export function udpConnect(fd: number, family: 4 | 6, addr: string, port: number): number {
  checkFd(fd);
  checkAddr(family, addr, port);
  return shim.udp_connect(fd, family, addr, port);
}

export interface UdpCtxOptions {
  fd: number;
  /** The socket is connected to the remote; else tx names it and rx flags other sources. */
  connected: boolean;
  /** VXLAN network identifier, or -1 for plain frames. */
  vni: number;
  family: 4 | 6;
  remoteAddr: string;
  remotePort: number;
  /** The mempool's data region, metadata words and geometry. */
  data: Uint8Array;
  meta: Uint32Array;
  eltSize: number;
  headroom: number;
  dataRoom: number;
  /** layout.ioWords words the shim writes burst results into. */
  io: Uint32Array;
}

/** Registers a queue's views once; returns a context id for udpRx/udpTx, or -errno. */
export function udpCtxCreate(o: UdpCtxOptions): number {
  checkFd(o.fd);
  checkAddr(o.family, o.remoteAddr, o.remotePort);
  if (!Number.isInteger(o.vni) || o.vni < -1 || o.vni > 0xffffff) throw new RangeError(`bad vni ${o.vni}`);
  if (!(o.data instanceof Uint8Array) || !(o.meta instanceof Uint32Array) || !(o.io instanceof Uint32Array)) {
    throw new TypeError('udpCtxCreate needs Uint8Array data and Uint32Array meta and io views');
  }
  const L = udpLayout();
  if (o.io.length < L.ioWords) throw new RangeError(`io view needs ${L.ioWords} words, got ${o.io.length}`);
  for (const k of ['eltSize', 'headroom', 'dataRoom'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 0 || o[k] > 0x7fffffff) throw new RangeError(`bad ${k} ${o[k]}`);
  }
  if (o.headroom + o.dataRoom > o.eltSize) throw new RangeError('headroom + dataRoom exceed the mbuf size');
  if (o.vni >= 0 && o.headroom < 8) throw new RangeError('VXLAN needs at least 8 bytes of headroom');
  if (o.data.length < (o.meta.length / L.metaWords) * o.eltSize) throw new RangeError('data view smaller than the pool');
  return shim.udp_ctx_create(o.fd, o.connected ? 1 : 0, o.vni, o.family, o.remoteAddr, o.remotePort,
    o.data, o.meta, o.io, o.eltSize, o.headroom, o.dataRoom);
}

/** Frees a context made by this thread. Returns 0 or -EBADF. */
export function udpCtxFree(ctx: number): number {
  return shim.udp_ctx_free(ctx);
}

/** Makes `mbufs` the array udpRx/udpTx build iovecs from; keep it referenced while registered. */
export function udpCtxSetMbufs(ctx: number, mbufs: Uint32Array): number {
  if (!(mbufs instanceof Uint32Array)) throw new TypeError('mbufs must be a Uint32Array');
  return shim.udp_ctx_set_mbufs(ctx, mbufs);
}

/** Hot path: recvmmsg into the data rooms of registered mbufs[0..n). Count or -errno. Caller checks n. */
export function udpRx(ctx: number, n: number): number {
  return shim.udp_rx(ctx, n);
}

/** Hot path: sendmmsg of registered mbufs[start..start+n). Count or -errno. Caller checks the range. */
export function udpTx(ctx: number, start: number, n: number): number {
  return shim.udp_tx(ctx, start, n);
}

let layout: UdpLayout | undefined;

/** Constants udp.c was compiled with. */
export function udpLayout(): UdpLayout {
  if (layout === undefined) layout = shim.udp_layout();
  return layout;
}

// ---- bulk copies between registered views (native-shims/src/copy.c) ----

/** Byte offsets in a copy descriptor are uint32: views must be below 4 GiB. */
const COPY_VIEW_MAX = 0xffffffff;

/**
 * Registers a bulk copy from `src` to `dst` driven by `desc`, a Uint32Array of
 * triples (dst byte offset, src byte offset, length). Returns an id for
 * memCopyBurst. The caller keeps all three views referenced until it calls
 * memCopyUnregister from the same thread.
 */
export function memCopyRegister(dst: Uint8Array, src: Uint8Array, desc: Uint32Array): number {
  if (!(dst instanceof Uint8Array) || !(src instanceof Uint8Array)) throw new TypeError('memCopyRegister: dst and src must be Uint8Arrays');
  if (!(desc instanceof Uint32Array) || desc.length < 3 || desc.length % 3 !== 0) throw new TypeError('memCopyRegister: desc must be a Uint32Array of (dst, src, len) triples');
  if (dst.byteLength > COPY_VIEW_MAX || src.byteLength > COPY_VIEW_MAX) throw new RangeError('memCopyRegister: views must be smaller than 4 GiB');
  const id = shim.mem_copy_register(dst, src, desc);
  if (id < 0) throw new Error(`memCopyRegister failed: ${errnoName(-id)}`);
  return id;
}

export function memCopyUnregister(id: number): void {
  shim.mem_copy_unregister(id);
}

/**
 * Hot path: copies the first `n` triples of the registered descriptor.
 * Returns n, or -EINVAL if a triple falls outside the views (nothing is
 * written out of bounds; copies before the bad triple are done). Integers
 * only, validated by C: the caller guarantees n <= desc.length / 3.
 */
export function memCopyBurst(id: number, n: number): number {
  return shim.mem_copy_burst(id, n);
}

// ---- file writes and the clock without allocation (fd.c, clock.c) ----

/**
 * Writes view[offset, offset + len) to `fd`, retrying short writes: returns
 * len, or fewer bytes when an error (ENOSPC) stopped it after some, or -errno
 * when none were written; never throws, allocates nothing (tx hot path, once
 * per burst). The caller passes integers that fit the view; C checks them again.
 */
export function fdWrite(fd: number, view: Uint8Array, offset: number, len: number): number {
  return shim.fd_write(fd, view, offset, len);
}

/** A non-blocking eventfd (an lcore's wake-up line), or -errno. */
export function evfdCreate(): number {
  return shim.evfd_create();
}

/** Wakes whoever waits on eventfd `fd` (0, or -errno). */
export function evfdSignal(fd: number): number {
  return shim.evfd_signal(fd);
}

/** Registers fds for waitNap: fds[0] is the waiter's eventfd, the rest are rx fds. Returns an id or -errno. */
export function waitSetCreate(fds: Int32Array): number {
  if (fds.length < 1 || fds.length > 64) throw new RangeError(`wait set of ${fds.length} fds (1..64)`);
  return shim.wait_set_create(fds);
}

export function waitSetFree(id: number): void {
  shim.wait_set_free(id);
}

/**
 * Sleeps until an fd of set `id` is readable (its eventfd alone if `blind`)
 * or `us` µs pass, at most 1 s: ready fds, 0, or -errno.
 */
export function waitNap(id: number, us: number, blind: boolean): number {
  return shim.wait_nap(id, us > 1_000_000 ? 1_000_000 : us > 0 ? us : 0, blind ? 1 : 0);
}

/**
 * Wall-clock time into out[0] (seconds) and out[1] (nanoseconds), with no
 * allocation (Date.now() and performance.now() return heap numbers). Returns
 * 0 or -errno. `out` is a Float64Array of at least 2 elements.
 */
export function clockRealtime(out: Float64Array): number {
  return shim.clock_realtime(out);
}

/** Mask for differences of monoUs() readings: ((b - a) & MONO_US_MASK). */
export const MONO_US_MASK = 0x3fffffff;

/** CLOCK_MONOTONIC in ns into out[0] (same clock in every process); 0 or -errno, no allocation. */
export function monoNs(out: Float64Array): number {
  return shim.clock_mono_ns(out);
}

/** Monotonic microseconds modulo 2^30; a small integer, so reading it allocates nothing. */
export function monoUs(): number {
  return shim.clock_mono_us();
}

// ---- net_af_packet (native-shims/src/af-packet/) ----

/** Interface facts from SIOCGIF* in the calling thread's namespace. */
export interface IfInfo { ifindex: number; mtu: number; hwType: number; mac: number[] }

/** Looks up interface `name`; returns its facts or -errno (ENODEV: no such interface). */
export function afpIfinfo(name: string): IfInfo | number {
  if (typeof name !== 'string' || name.length < 1 || name.length > 15) throw new RangeError(`bad interface name '${name}'`);
  const out = new Int32Array(9);
  const rc = shim.afp_ifinfo(name, out);
  if (rc < 0) return rc;
  return { ifindex: out[0], mtu: out[1], hwType: out[2], mac: Array.from(out.subarray(3, 9)) };
}

/** Word offsets in afpQueueOpen's cfg (Int32Array of WORDS words). */
export const AFP_CFG = { IFINDEX: 0, MODE: 1, FRAMESZ: 2, FRAMECNT: 3, BLOCKSZ: 4, QDISC_BYPASS: 5, FANOUT: 6, FANOUT_ID: 7, TX_MAX: 8, SOCKBUF: 9, TPACKET_VERSION: 10, TX_FRAMECNT: 11, WORDS: 12 } as const;

/** Opens one queue's socket (and rings). Returns its id or -errno; out = [step reached, fanout group id, fd]. */
export function afpQueueOpen(cfg: Int32Array, out: Int32Array): number {
  if (!(cfg instanceof Int32Array) || cfg.length < AFP_CFG.WORDS || !(out instanceof Int32Array) || out.length < 3) {
    throw new TypeError(`afpQueueOpen needs an Int32Array(${AFP_CFG.WORDS}) cfg and an Int32Array(3) out`);
  }
  return shim.afp_queue_open(cfg, out);
}

/** Closes a queue: its bindings, rings and socket. Returns 0 or -errno. */
export function afpQueueClose(queue: number): number {
  if (!Number.isInteger(queue) || queue <= 0) throw new RangeError(`bad queue id ${queue}`);
  return shim.afp_queue_close(queue);
}

/** Registers this thread's views for `queue` once; returns a binding id or -errno. */
export function afpBind(queue: number, data: Uint8Array, meta: Uint32Array, stash: Uint32Array, rx: Float64Array, tx: Float64Array,
  params: { port: number; headroom: number; dataRoom: number; eltSize: number; nbMbufs: number }): number {
  if (!Number.isInteger(queue) || queue <= 0) throw new RangeError(`bad queue id ${queue}`);
  if (!(data instanceof Uint8Array) || !(meta instanceof Uint32Array) || !(stash instanceof Uint32Array) ||
      !(rx instanceof Float64Array) || !(tx instanceof Float64Array)) throw new TypeError('afpBind: wrong view types');
  const p = Int32Array.of(params.port, params.headroom, params.dataRoom, params.eltSize, params.nbMbufs);
  return shim.afp_bind(queue, data, meta, stash, rx, tx, p);
}

export function afpUnbind(bind: number): number {
  return shim.afp_unbind(bind);
}

/** Registers the caller's rx (tx = 0) or tx (tx = 1) burst array for a binding. */
export function afpSetMbufs(bind: number, tx: 0 | 1, mbufs: Uint32Array): number {
  if (!(mbufs instanceof Uint32Array)) throw new TypeError('mbufs must be a Uint32Array');
  return shim.afp_set_mbufs(bind, tx, mbufs);
}

/** Hot: unchecked here, the af_packet port validated its arguments. Frames received | -errno. */
export function afpRx(bind: number, avail: number, max: number): number {
  return shim.afp_rx(bind, avail, max);
}

/** Hot: unchecked here, the af_packet port validated its arguments. mbufs consumed | -errno. */
export function afpTx(bind: number, start: number, n: number): number {
  return shim.afp_tx(bind, start, n);
}

/** Open af_packet queues and bindings in this process (leak checks). */
export function afpLive(): { queues: number; binds: number } {
  const out = new Int32Array(2);
  shim.afp_live(out);
  return { queues: out[0], binds: out[1] };
}

/** The TPACKET version (2 or 3) of an AF_PACKET socket, or -errno: which ring a queue really got. */
export function afpSockVersion(fd: number): number {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`bad fd ${fd}`);
  return shim.afp_sock_version(fd);
}

/** Layout constants the C side assumes (see afp_layout in afp_info.c). */
export function afpLayout(): number[] {
  const out = new Int32Array(16);
  const n = shim.afp_layout(out);
  return Array.from(out.subarray(0, n));
}

/** Largest frame xdpgen_open copies (xdp_gen.c XDPGEN_FRAME_MAX). */
export const XDPGEN_FRAME_MAX = 3000;

/**
 * Opens an XDP live-frames generator on `ifindex` (in this netns): loads
 * `r0 = XDP_TX; exit` and probes BPF_F_TEST_XDP_LIVE_FRAMES without sending.
 * Returns a handle (usable from any thread) or -errno.
 */
export function xdpgenOpen(ifindex: number, frame: Uint8Array): number {
  if (!Number.isInteger(ifindex) || ifindex < 1 || ifindex > 0x7fffffff) throw new RangeError(`ifindex must be a positive integer, got ${ifindex}`);
  if (!(frame instanceof Uint8Array) || frame.length < 14 || frame.length > XDPGEN_FRAME_MAX) {
    throw new RangeError(`frame must be a Uint8Array of 14..${XDPGEN_FRAME_MAX} bytes`);
  }
  return shim.xdpgen_open(ifindex, frame);
}

/** Adds `repeat` copies of the handle's frame to its budget and sends most of them before returning (xdp_gen.c). Returns 0 or -errno. */
export function xdpgenRun(handle: number, repeat: number): number {
  if (!Number.isInteger(handle) || handle < 0) throw new RangeError(`bad xdpgen handle ${handle}`);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 0x7fffffff) throw new RangeError(`repeat must be 1..2^31-1, got ${repeat}`);
  return shim.xdpgen_run(handle, repeat);
}

/** Waits until the handle's budget is sent, then closes it. Returns 0, -EINVAL, or a send failure's -errno. */
export function xdpgenClose(handle: number): number {
  if (!Number.isInteger(handle) || handle < 0) throw new RangeError(`bad xdpgen handle ${handle}`);
  return shim.xdpgen_close(handle);
}

/** One-line reason for an xdpgen -errno. */
export function xdpgenError(rc: number, iface: string): string {
  const e = -rc;
  const c = os.constants.errno;
  if (e === c.EPERM || e === c.EACCES) return `xdp-live on ${iface}: bpf() refused (${errnoName(e)}): needs CAP_BPF/CAP_SYS_ADMIN (run as root)`;
  if (e === c.EINVAL) return `xdp-live on ${iface}: BPF_PROG_RUN refused live frames (EINVAL): needs kernel >= 5.18 for BPF_F_TEST_XDP_LIVE_FRAMES, and the interface must register an XDP rx queue`;
  if (e === c.EOPNOTSUPP || e === 524) return `xdp-live on ${iface}: BPF_PROG_RUN does not support live XDP frames here (${e === 524 ? "ENOTSUPP" : errnoName(e)})`;
  if (e === c.ENODEV) return `xdp-live: no interface ${iface} in this network namespace (ENODEV)`;
  if (e === c.ENOSYS) return 'xdp-live: bpf(2) is not available (ENOSYS): kernel built without CONFIG_BPF_SYSCALL';
  return `xdp-live on ${iface}: bpf() failed: ${errnoName(e)}`;
}

// ---- net_af_xdp (native-shims/src/af-xdp/) ----

/** True when the shim was built with libxdp and libbpf (Debian libxdp-dev, libbpf-dev). */
export function xskAvailable(): boolean {
  return shim.xsk_available() === 1;
}

/** XDP attach modes: what xskProgAttach asks for and reports in out[1]. */
export const XSK_XDP_MODE = { auto: 0, native: 1, generic: 2 } as const;

/** Loads and links the redirect program on `ifindex`. Returns its id or -errno; out = [step, active mode]. */
export function xskProgAttach(ifindex: number, mode: number, entries: number, out: Int32Array): number {
  if (!(out instanceof Int32Array) || out.length < 2) throw new TypeError('xskProgAttach needs an Int32Array(2) out');
  return shim.xsk_prog_attach(ifindex, mode, entries, out);
}

export function xskProgDetach(prog: number): number {
  return shim.xsk_prog_detach(prog);
}

/** Word offsets in xskQueueOpen's cfg. */
export const XSK_CFG = { PROG: 0, QUEUE: 1, BIND_MODE: 2, BUSY: 3, NB: 4, ELT: 5, PORT: 6, TX_MAX: 7, WORDS: 8 } as const;

/** Opens one AF_XDP socket over the mempool data region. Returns its id or -errno; out = [step, fd, zero-copy]. */
export function xskQueueOpen(cfg: Int32Array, ifname: string, data: Uint8Array, meta: Uint32Array, rx: Float64Array, tx: Float64Array,
  out: Int32Array): number {
  if (!(cfg instanceof Int32Array) || cfg.length < XSK_CFG.WORDS || !(out instanceof Int32Array) || out.length < 3) {
    throw new TypeError('xskQueueOpen needs an Int32Array cfg and an Int32Array(3) out');
  }
  return shim.xsk_queue_open(cfg, ifname, data, meta, rx, tx, out);
}

/** Closes a queue; writes the mbufs the kernel still held to `out` and returns their count, or -errno. */
export function xskQueueClose(queue: number, prog: number, devQueue: number, out: Uint32Array): number {
  return shim.xsk_queue_close(queue, prog, devQueue, out);
}

/** Setup: puts mbufs[0..n) on a queue's fill ring; returns how many (a prefix) or -errno. */
export function xskFill(queue: number, mbufs: Uint32Array, n: number): number {
  return shim.xsk_fill(queue, mbufs, n);
}

export function xskBind(queue: number, stash: Uint32Array, io: Int32Array): number {
  return shim.xsk_bind(queue, stash, io);
}

export function xskUnbind(bind: number): number {
  return shim.xsk_unbind(bind);
}

/** Registers the caller's rx (0), tx (1) or completion (2) array for a binding. */
export function xskSetMbufs(bind: number, which: 0 | 1 | 2, mbufs: Uint32Array): number {
  return shim.xsk_set_mbufs(bind, which, mbufs);
}

/** Word offsets in a binding's io Int32Array (xsk.h XSK_IO_*): the burst calls' inputs and outputs. */
export const XSK_IO = { FILLED: 0, DONE: 1, AVAIL: 2, MAX: 3, START: 4, N: 5, RESULT: 6, WORDS: 8 } as const;

/** rx burst of a binding: inputs and outputs in its io words (a stale id writes nothing). */
export function xskRxIo(bind: number): void {
  shim.xsk_rx_io(bind);
}

/** tx burst of a binding: inputs and outputs in its io words. */
export function xskTxIo(bind: number): void {
  shim.xsk_tx_io(bind);
}

/** Open AF_XDP queues, bindings and attached programs in this process, for leak checks. */
export function xskLive(): { queues: number; binds: number; progs: number } {
  const out = new Int32Array(3);
  if (shim.xsk_live(out) < 0) return { queues: 0, binds: 0, progs: 0 };
  return { queues: out[0], binds: out[1], progs: out[2] };
}

// ---- capabilities (native-shims/src/caps.c) ----

/**
 * Sets effective, permitted, inheritable (so ambient) and bounding sets of
 * every thread of the process to current ∩ keep, and no_new_privs in every
 * thread. keepLo/keepHi: bits 0-31 and 32-63 of the keep mask. Returns 0 or -errno
 * (ETIMEDOUT: a thread did not answer within 1 s).
 */
export function capsDrop(keepLo: number, keepHi: number): number {
  for (const v of [keepLo, keepHi]) if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`bad capability mask word ${v}`);
  return shim.caps_drop(keepLo, keepHi);
}

// ---- net_memif (native-shims/src/memif/) ----

/** Word offsets in memifOpen's cfg. */
export const MEMIF_CFG = { SERVER: 0, ABSTRACT: 1, ID: 2, LOG2_RING: 3, BSIZE: 4, NQ: 5, WORDS: 6 } as const;
/** What memifService reports (MIF_EV_* in memif_ctl.c). */
export const MEMIF_EV = { NONE: 0, UP: 1, DOWN: 2, FAILED: 3 } as const;

/** Server: binds and listens now; client: connects later from memifService. Returns a port id or -errno. */
export function memifOpen(cfg: Int32Array, path: string, secret: string): number {
  if (!(cfg instanceof Int32Array) || cfg.length < MEMIF_CFG.WORDS) throw new TypeError('memifOpen needs an Int32Array(6) cfg');
  if (typeof path !== 'string' || path.length === 0 || Buffer.byteLength(path) > 106) throw new RangeError('memif socket path must be 1..106 bytes');
  if (typeof secret !== 'string' || Buffer.byteLength(secret) > 24) throw new RangeError('memif secret must be at most 24 bytes');
  return shim.memif_open(cfg, path, secret);
}

/** Sends DISCONNECT to a connected peer, unmaps, closes; removes a server's socket file. */
export function memifClose(port: number): number {
  return shim.memif_close(port);
}

/** Main thread: accepts/connects and runs the handshake without blocking. Returns MEMIF_EV_* or -errno; `note` gets the event's text (NUL-ended). */
export function memifService(port: number, tryConnect: boolean, note: Uint8Array): number {
  return shim.memif_service(port, tryConnect ? 1 : 0, note);
}

/** An fd poll() reports readable when the peer kicked rx queue `queue` (the peer is asked to kick from now on), or -errno. */
export function memifRxWake(port: number, queue: number): number {
  return shim.memif_rx_wake(port, queue);
}

/** Registers this thread's views for (port, queue) once; returns a binding id or -errno. */
export function memifBind(port: number, queue: number, data: Uint8Array, meta: Uint32Array, stash: Uint32Array, rx: Float64Array, tx: Float64Array,
  params: { port: number; headroom: number; dataRoom: number; eltSize: number; nbMbufs: number }): number {
  const p = Int32Array.of(params.port, params.headroom, params.dataRoom, params.eltSize, params.nbMbufs);
  return shim.memif_bind(port, queue, data, meta, stash, rx, tx, p);
}

export function memifUnbind(bind: number): number {
  return shim.memif_unbind(bind);
}

/** Registers the caller's rx (0) or tx (1) burst array for a binding. */
export function memifSetMbufs(bind: number, tx: 0 | 1, mbufs: Uint32Array): number {
  return shim.memif_set_mbufs(bind, tx, mbufs);
}

/** Hot: frames received into the top of the stash | -errno. */
export function memifRx(bind: number, avail: number, max: number): number {
  return shim.memif_rx(bind, avail, max);
}

/** Hot: mbufs consumed (sent or counted as errors) | -errno. */
export function memifTx(bind: number, start: number, n: number): number {
  return shim.memif_tx(bind, start, n);
}
