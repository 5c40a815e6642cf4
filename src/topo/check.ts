// `topo check`: proves a live topology carries traffic by sending ICMP echo
// requests (RFC 792) between the namespaces' own IP stacks, for every link
// whose two ends have an address. Uses raw-socket from the main thread, not
// `ping`, which minimal images and containers often lack. raw-socket binds to
// libuv's default loop and does not load in worker threads, so this is the
// only module that loads it, lazily: nothing on the data path imports it.
import { isMainThread } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type * as RawSocket from 'raw-socket';
import { checksum } from '../net/checksum';
import { withNetns } from './netns';
import { EndSpec } from './spec';
import { readState, prefixedNamespaces } from './topo';

export interface CheckOptions {
  /** Echo requests per link (default 3). */
  count?: number;
  /** How long to wait for replies after the last request, in ms (default 1000). */
  timeoutMs?: number;
  /** Gap between requests, in ms (default 100). */
  intervalMs?: number;
}

export interface LinkResult {
  from: EndSpec;
  to: EndSpec;
  /** False when an end has no address: the link is reported, not tested. */
  checked: boolean;
  /** Echo requests sent (0 when not checked). */
  count: number;
  received: number;
  /** Round-trip times of the replies, in ms. */
  rtts: number[];
  /** First send or socket error, if any. */
  error?: string;
}

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const PAYLOAD = 56; // ping's default data size

let raw: typeof RawSocket | undefined;
function rawSocket(): typeof RawSocket {
  if (!isMainThread) throw new Error('topo check: raw-socket works only in the main thread');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  raw ??= require('raw-socket') as typeof RawSocket;
  return raw;
}

// Distinct per call, so concurrent checks in one namespace (raw ICMP sockets
// see every ICMP packet of their namespace) never take each other's replies.
let nextId = (process.pid * 7919) & 0xffff;

/** Echo request with identifier `id`, sequence `seq` and a fixed byte pattern. */
function echoRequest(id: number, seq: number): Buffer {
  const b = Buffer.alloc(8 + PAYLOAD);
  b[0] = ICMP_ECHO_REQUEST;
  b.writeUInt16BE(id, 4);
  b.writeUInt16BE(seq, 6);
  for (let i = 0; i < PAYLOAD; i++) b[8 + i] = i & 0xff;
  b.writeUInt16BE(checksum(b, 0, b.length), 2);
  return b;
}

/** Sequence number of a matching echo reply in `pkt` (IPv4 header included, as raw sockets deliver it), or -1. */
function replySeq(pkt: Buffer, id: number): number {
  if (pkt.length < 20 || pkt[0] >> 4 !== 4) return -1;
  const icmp = (pkt[0] & 0x0f) * 4;
  if (pkt.length !== icmp + 8 + PAYLOAD || pkt[icmp] !== ICMP_ECHO_REPLY || pkt.readUInt16BE(icmp + 4) !== id) return -1;
  for (let i = 0; i < PAYLOAD; i++) if (pkt[icmp + 8 + i] !== (i & 0xff)) return -1;
  return pkt.readUInt16BE(icmp + 6);
}

/**
 * Sends `count` echo requests to `dst` from host namespace `ns` and collects
 * the replies until all arrived or `timeoutMs` passed after the last request.
 */
export function echo(ns: string, dst: string, opts: CheckOptions = {}): Promise<{ rtts: number[]; error?: string }> {
  const count = opts.count ?? 3;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const intervalMs = opts.intervalMs ?? 100;
  const r = rawSocket();
  const id = nextId = (nextId + 1) & 0xffff;
  // The socket is opened in the constructor, so it lives in `ns` from then on.
  const sock = withNetns(ns, () => r.createSocket({ protocol: r.Protocol.ICMP }));
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  let error: string | undefined;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve({ rtts, ...(error ? { error } : {}) });
    };
    // raw-socket closes the socket itself after an error; keep what it said.
    sock.on('error', (e) => { error ??= e.message; finish(); });
    sock.on('message', (pkt, source) => {
      const t = performance.now();
      if (source !== dst) return;
      const seq = replySeq(pkt, id);
      const t0 = sentAt.get(seq);
      if (t0 === undefined) return;
      sentAt.set(seq, -1); // a duplicate reply counts once
      if (t0 < 0) return;
      rtts.push(t - t0);
      if (rtts.length === count) finish();
    });
    let seq = 0;
    const sendNext = (): void => {
      if (done) return;
      const s = seq++;
      const pkt = echoRequest(id, s);
      sock.send(pkt, 0, pkt.length, dst, () => sentAt.set(s, performance.now()), (err) => { if (err) error ??= err.message; });
      timer = setTimeout(seq < count ? sendNext : finish, seq < count ? intervalMs : timeoutMs);
    };
    sendNext();
  });
}

const ip = (e: EndSpec): string => (e.addr ?? '').split('/')[0];

/** Checks every link of the topology that is up with `prefix`, one link at a time. */
export async function topoCheck(prefix: string, opts: CheckOptions = {}): Promise<LinkResult[]> {
  const st = readState(prefix);
  if (!st) throw new Error(`topology '${prefix}' is not up${prefixedNamespaces(prefix).length ? ' (its state file is missing; take it down and up again)' : ''}`);
  const out: LinkResult[] = [];
  for (const l of st.spec.links) {
    const res: LinkResult = { from: l.a, to: l.b, checked: false, count: 0, received: 0, rtts: [] };
    if (l.a.addr && l.b.addr) {
      const e = await echo(st.namespaces[l.a.ns], ip(l.b), opts);
      Object.assign(res, { checked: true, count: opts.count ?? 3, received: e.rtts.length, rtts: e.rtts, error: e.error });
    }
    out.push(res);
  }
  return out;
}

/** A checked link passes when every request got its reply and nothing failed. */
export function linkOk(r: LinkResult): boolean {
  return !r.checked || (r.received === r.count && !r.error);
}

/** One line per link, e.g. `gen:g0 10.202.0.1 -> sink:s0 10.202.0.2: 3/3 replies, rtt min/avg/max 0.041/0.052/0.070 ms`. */
export function formatLink(r: LinkResult): string {
  const end = (e: EndSpec): string => `${e.ns}:${e.name}${e.addr ? ` ${ip(e)}` : ''}`;
  if (!r.checked) return `${end(r.from)} -- ${end(r.to)}: not checked (no address on both ends)`;
  let s = `${end(r.from)} -> ${end(r.to)}: ${r.received}/${r.count} replies`;
  if (r.rtts.length) {
    const f = (v: number): string => v.toFixed(3);
    const sum = r.rtts.reduce((a, b) => a + b, 0);
    s += `, rtt min/avg/max ${f(Math.min(...r.rtts))}/${f(sum / r.rtts.length)}/${f(Math.max(...r.rtts))} ms`;
  }
  if (r.error) s += ` (${r.error})`;
  return linkOk(r) ? s : `${s} FAILED`;
}
