// net_memif: the memif shared-memory interface of VPP, DPDK (net_memif) and
// libmemif, with DPDK 22.11's devargs and defaults (drivers/net/memif/
// rte_eth_memif.c): role=client, id=0, bsize=2048, rsize=10 (log2),
// socket=/run/memif.sock, socket-abstract=yes. The shim (native-shims/src/
// memif/) runs the control channel and copies frames; this module parses the
// devargs and services the control socket from a main-thread timer, so no
// lcore ever blocks on it: the link is down until the peer connects, and a
// peer that goes makes it down again (one line each way) while the server
// keeps listening and the client retries.
import { MEMIF_CFG, MEMIF_EV, errnoName, memifClose, memifOpen, memifService } from '../../native';
import { claim, virtualMac } from '../claims';
import { enumArg, intArg } from '../devargs';
import { statsBytesFor } from '../stats';
import { OpenContext, PortDriver, PortError, PortHandle } from '../types';
import { MemifPort, MemifState } from './memif-port';

const KEYS = ['role', 'id', 'bsize', 'rsize', 'socket', 'socket-abstract', 'mac', 'secret', 'zero-copy', 'qpairs'] as const;
const SERVICE_MS = 20;     // control socket poll period: handshake latency, not data path
const RETRY_MS = 500;      // client: connect attempts while the server is away
const DEFAULT_SOCKET = '/run/memif.sock';

export interface MemifConfig {
  server: boolean;
  id: number;
  bsize: number;
  log2Ring: number;
  socket: string;
  abstract: boolean;
  mac: number[] | undefined;
  secret: string;
  qpairs: number;
}

function yesNo(name: string, args: ReadonlyMap<string, string>, key: string, def: boolean): boolean {
  return enumArg(name, args, key, def ? 'yes' : 'no', ['yes', 'no'] as const) === 'yes';
}

/** Devargs -> config, touching nothing (throws PortError, one line). */
export function parse(name: string, args: ReadonlyMap<string, string>): MemifConfig {
  // DPDK also takes the deprecated master/slave; so do we.
  const role = enumArg(name, args, 'role', 'client', ['server', 'client', 'master', 'slave'] as const);
  if (yesNo(name, args, 'zero-copy', false)) throw new PortError(`${name}: zero-copy=yes is not supported: tsfwd's net_memif copies between memif buffers and mbufs`);
  const socket = args.get('socket') ?? DEFAULT_SOCKET;
  const abstract = yesNo(name, args, 'socket-abstract', true);
  if (socket === '' || Buffer.byteLength(socket) > 106) throw new PortError(`${name}: socket must be 1..106 bytes`);
  if (!abstract && !socket.startsWith('/')) throw new PortError(`${name}: socket=${socket} must be an absolute path (or use socket-abstract=yes)`);
  const secret = args.get('secret') ?? '';
  if (Buffer.byteLength(secret) > 24) throw new PortError(`${name}: secret must be at most 24 bytes`);
  let mac: number[] | undefined;
  const m = args.get('mac');
  if (m !== undefined) {
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(m)) throw new PortError(`${name}: mac=${m} must be xx:xx:xx:xx:xx:xx`);
    mac = m.split(':').map((x) => parseInt(x, 16));
  }
  return {
    server: role === 'server' || role === 'master',
    id: intArg(name, args, 'id', 0, 0, 0xffffffff),
    bsize: intArg(name, args, 'bsize', 2048, 64, 65535),
    log2Ring: intArg(name, args, 'rsize', 10, 1, 14),
    socket, abstract, mac, secret,
    qpairs: intArg(name, args, 'qpairs', 1, 1, 16),
  };
}

/** Per open port in this (main) thread: the timer that services its control socket. */
const timers = new Map<number, NodeJS.Timeout>();

function openError(name: string, c: MemifConfig, errno: number): PortError {
  const where = c.abstract ? `abstract socket @${c.socket}` : `socket ${c.socket}`;
  if (errno === 98) return new PortError(`${name}: ${where} is in use by another memif server (EADDRINUSE)`);
  if (errno === 2) return new PortError(`${name}: cannot create ${where}: its directory does not exist (ENOENT)`);
  return new PortError(`${name}: cannot listen on ${where}: ${errnoName(errno)}`);
}

export const driver: PortDriver = {
  name: 'net_memif',
  keys: KEYS,
  required: [],
  open(ctx: OpenContext): PortHandle {
    const c = parse(ctx.name, ctx.args);
    claim(ctx.name, `memif:${c.abstract ? '@' : ''}${c.socket}:${c.id}:${c.server ? 's' : 'c'}`, `memif ${c.socket} id ${c.id}`);
    const cfg = new Int32Array(MEMIF_CFG.WORDS);
    cfg[MEMIF_CFG.SERVER] = c.server ? 1 : 0;
    cfg[MEMIF_CFG.ABSTRACT] = c.abstract ? 1 : 0;
    cfg[MEMIF_CFG.ID] = c.id | 0;
    cfg[MEMIF_CFG.LOG2_RING] = c.log2Ring;
    cfg[MEMIF_CFG.BSIZE] = c.bsize;
    cfg[MEMIF_CFG.NQ] = c.qpairs;
    const port = memifOpen(cfg, c.socket, c.secret);
    if (port < 0) throw openError(ctx.name, c, -port);
    const state: MemifState = { port, server: c.server, socket: c.socket, link: new SharedArrayBuffer(4) };
    const link = new Int32Array(state.link);
    const note = new Uint8Array(160);
    const tag = `${ctx.name} (memif ${c.server ? 'server' : 'client'}, ${c.abstract ? '@' : ''}${c.socket}, id ${c.id})`;
    let lastTry = -Infinity;
    let failed = '';
    const tick = (): void => {
      const now = Date.now();
      const tryConnect = !c.server && now - lastTry >= RETRY_MS;
      if (tryConnect) lastTry = now;
      const ev = memifService(port, tryConnect, note);
      if (ev <= MEMIF_EV.NONE) return;
      const text = Buffer.from(note.subarray(0, note.indexOf(0))).toString();
      if (ev === MEMIF_EV.UP) {
        failed = '';
        // Publishes the link state to stats readers; pairs with Atomics.load in MemifPort.linkUp.
        Atomics.store(link, 0, 1);
        process.stderr.write(`${tag}: ${text}\n`);
      } else if (ev === MEMIF_EV.DOWN) {
        Atomics.store(link, 0, 0); // pairs with Atomics.load in MemifPort.linkUp
        process.stderr.write(`${tag}: link down: ${text}; ${c.server ? 'listening for the peer again' : 'reconnecting'}\n`);
      } else if (text !== failed) {
        failed = text; // one line per distinct reason, not one per retry
        process.stderr.write(`${tag}: ${text}\n`);
      }
    };
    const t = setInterval(tick, SERVICE_MS);
    t.unref();
    timers.set(port, t);
    tick();
    return {
      driver: 'net_memif', id: ctx.id, name: ctx.name, mac: c.mac ?? virtualMac(ctx.id), nbQueues: c.qpairs,
      stats: new SharedArrayBuffer(statsBytesFor(c.qpairs)), state,
    };
  },
  attach: (h, pool) => new MemifPort(h, pool),
  release(h: PortHandle): void {
    const st = h.state as MemifState;
    const t = timers.get(st.port);
    if (t) clearInterval(t);
    timers.delete(st.port);
    memifClose(st.port);
  },
};
