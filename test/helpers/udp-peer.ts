// Peers and small tools for the net_udp tests: node:dgram sockets opened
// inside a test namespace, ports opened there, frames loaded into mbufs.
import * as assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import type { Mempool } from '../../src/mempool/mempool';
import { udpBind, udpSocket } from '../../src/native';
import { openPort } from '../../src/port/registry';
import type { Port } from '../../src/port/types';
import { withNetns } from '../../src/topo/netns';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A node:dgram socket bound at addr:port inside namespace `ns`, with a big receive buffer. */
export async function dgramIn(ns: string, family: 4 | 6, addr: string, port: number): Promise<dgram.Socket> {
  // The fd is made in the namespace; dgram then only wraps it (bind({ fd })).
  const fd = withNetns(ns, () => {
    const s = udpSocket(family, 4 << 20);
    assert.ok(s >= 0, `socket: ${s}`);
    assert.equal(udpBind(s, family, addr, port), 0, `bind ${addr}:${port}`);
    return s;
  });
  const sock = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  await new Promise<void>((r) => sock.bind({ fd }, () => r()));
  return sock;
}

export function send(sock: dgram.Socket, buf: Uint8Array, port: number, addr: string): Promise<void> {
  return new Promise((res, rej) => sock.send(buf, port, addr, (e) => (e ? rej(e) : res())));
}

export function closeSock(sock: dgram.Socket): Promise<void> {
  return new Promise((r) => sock.close(r));
}

/** openPort with the socket created inside namespace `ns`. */
export function openIn(ns: string, devargs: string, id: number, pool: Mempool): Promise<Port> {
  return withNetns(ns, () => openPort(devargs, { id, pool }));
}

/** Copies frames into fresh mbufs (data at the default offset). */
export function load(pool: Mempool, frames: Uint8Array[]): number[] {
  const m = new Uint32Array(frames.length);
  assert.equal(pool.getBulk(m, frames.length), frames.length);
  frames.forEach((f, i) => { pool.reset(m[i]); pool.setDataLen(m[i], f.length); pool.data.set(f, pool.mtod(m[i])); });
  return [...m];
}

export function free(pool: Mempool, mbufs: number[]): void {
  if (mbufs.length > 0) pool.putBulk(Uint32Array.from(mbufs), mbufs.length);
}

export const SIZES = [60, 64, 100, 128, 256, 512, 1000, 1024, 1280, 1514];
