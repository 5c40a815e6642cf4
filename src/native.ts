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
  mem_address(view: ArrayBufferView): number;
  netns_set(fd: number): number;
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
}

function load(): Shim {
  // dist/src/native.js -> ../../native-shims/build/Release
  const file = path.resolve(__dirname, '..', '..', 'native-shims', 'build', 'Release', 'tsfwd_shim.node');
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

// ---- net_af_packet (native-shims/src/afp_*.c) ----

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
export const AFP_CFG = { IFINDEX: 0, MODE: 1, FRAMESZ: 2, FRAMECNT: 3, BLOCKSZ: 4, QDISC_BYPASS: 5, FANOUT: 6, FANOUT_ID: 7, TX_MAX: 8, SOCKBUF: 9, WORDS: 10 } as const;

/** Opens one queue's socket (and rings). Returns its id or -errno; out = [step reached, fanout group id, fd]. */
export function afpQueueOpen(cfg: Int32Array, out: Int32Array): number {
  if (!(cfg instanceof Int32Array) || cfg.length < AFP_CFG.WORDS || !(out instanceof Int32Array) || out.length < 3) {
    throw new TypeError('afpQueueOpen needs an Int32Array(10) cfg and an Int32Array(3) out');
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

/** Layout constants the C side assumes (see afp_layout in afp_setup.c). */
export function afpLayout(): number[] {
  const out = new Int32Array(16);
  const n = shim.afp_layout(out);
  return Array.from(out.subarray(0, n));
}
