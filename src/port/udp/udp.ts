// net_udp<N>,local=IP:PORT,remote=IP:PORT[,vni=V]: a port over one UDP
// socket, one Ethernet frame per datagram. Without vni the socket is bound to
// `local` and connected to `remote`, so the kernel delivers only the remote's
// datagrams. With vni every frame travels in a VXLAN header (RFC 7348), so a
// Linux vxlan device is a peer; the socket is then bound but not connected,
// because a VXLAN sender picks its UDP source port per flow (RFC 7348
// section 5), and rx drops datagrams from any host other than the remote.
import * as fs from 'node:fs';
import * as net from 'node:net';
import { errnoName, udpBind, udpConnect, udpSocket } from '../../native';
import { VXLAN_HLEN, VXLAN_VNI_MAX } from '../../net/vxlan';
import { intArg } from '../devargs';
import { virtualMac } from '../claims';
import { statsBytesFor } from '../stats';
import { OpenContext, PortDriver, PortError, PortHandle } from '../types';
import { UdpPort, UdpState } from './udp-port';

/** Receive buffer asked for: room for bursts while an lcore is busy elsewhere (capped by rmem_max without CAP_NET_ADMIN). */
export const UDP_RCVBUF = 2 << 20;

export interface HostPort {
  family: 4 | 6;
  addr: string;
  port: number;
  /** As the user wrote it, for messages. */
  text: string;
}

/** Parses "a.b.c.d:port" or "[v6]:port" (numeric addresses only, port 1..65535). */
export function parseHostPort(dev: string, key: string, text: string): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : 0;
  const addr = m ? (m[1] ?? m[2]) : '';
  const family = m ? (m[1] !== undefined ? (net.isIPv6(addr) ? 6 : 0) : (net.isIPv4(addr) ? 4 : 0)) : 0;
  if (family === 0 || port < 1 || port > 65535) {
    throw new PortError(`${dev}: devarg ${key}=${text} must be IPv4:PORT or [IPv6]:PORT with PORT 1..65535`);
  }
  return { family, addr, port, text };
}

function bindError(dev: string, local: HostPort, errno: number): PortError {
  const e = errnoName(errno);
  if (e === 'EADDRINUSE') return new PortError(`${dev}: local ${local.text} is already in use`);
  if (e === 'EADDRNOTAVAIL') return new PortError(`${dev}: local ${local.text} is not an address of this host`);
  return new PortError(`${dev}: cannot bind local ${local.text}: ${e}`);
}

export const driver: PortDriver = {
  name: 'net_udp',
  keys: ['local', 'remote', 'vni', 'netns'],
  required: ['local', 'remote'],
  open(ctx: OpenContext): PortHandle {
    const dev = ctx.name;
    const local = parseHostPort(dev, 'local', ctx.args.get('local')!);
    const remote = parseHostPort(dev, 'remote', ctx.args.get('remote')!);
    if (local.family !== remote.family) {
      throw new PortError(`${dev}: local ${local.text} and remote ${remote.text} are not of the same address family`);
    }
    const vni = intArg(dev, ctx.args, 'vni', -1, 0, VXLAN_VNI_MAX);
    if (vni >= 0 && ctx.pool.headroom < VXLAN_HLEN) {
      throw new PortError(`${dev}: vni needs a mempool headroom of at least ${VXLAN_HLEN} bytes, this pool has ${ctx.pool.headroom}`);
    }
    const fd = udpSocket(local.family, UDP_RCVBUF);
    if (fd < 0) throw new PortError(`${dev}: cannot create a UDP socket: ${errnoName(-fd)}`);
    const connected = vni < 0;
    let rc = udpBind(fd, local.family, local.addr, local.port);
    let err: PortError | undefined = rc < 0 ? bindError(dev, local, -rc) : undefined;
    if (!err) {
      // VXLAN stays unconnected, but a throwaway socket checks the route now,
      // so a bad remote fails here rather than as oerrors later.
      const probe = connected ? fd : udpSocket(remote.family, 0);
      rc = probe < 0 ? probe : udpConnect(probe, remote.family, remote.addr, remote.port);
      if (probe >= 0 && probe !== fd) fs.closeSync(probe);
      if (rc < 0) err = new PortError(`${dev}: cannot connect to remote ${remote.text}: ${errnoName(-rc)}`);
    }
    if (err) {
      fs.closeSync(fd);
      throw err;
    }
    const state: UdpState = { fd, family: local.family, vni, connected, remoteAddr: remote.addr, remotePort: remote.port };
    return {
      driver: 'net_udp', id: ctx.id, name: dev, mac: virtualMac(ctx.id), nbQueues: 1,
      stats: new SharedArrayBuffer(statsBytesFor(1)), state,
    };
  },
  attach: (h, pool) => new UdpPort(h, pool),
  release(h: PortHandle): void {
    fs.closeSync((h.state as UdpState).fd);
  },
};
