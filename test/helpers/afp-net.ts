// Namespaces, veths and an independent wire tool (test/helpers/afp_wire.py,
// plain python3 AF_PACKET sockets run with `ip netns exec`) for the
// net_af_packet tests: frames go onto a veth peer and what tsfwd transmitted
// is read back without going through tsfwd.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Port } from '../../src/port/types';
import type { Wire } from './conformance';
import { TestNet } from './testnet';

export const PYTHON = '/usr/bin/python3';
// dist/test/helpers -> test/helpers (the .py is not compiled).
export const WIRE_PY = path.resolve(__dirname, '..', '..', '..', 'test', 'helpers', 'afp_wire.py');

const hex = (f: Uint8Array): string => Buffer.from(f).toString('hex');

/** Namespace with IPv6 off, so no router solicitation or MLD report lands on the test wires. */
export function quietNs(tn: TestNet, name: string): string {
  const ns = tn.ns(name);
  // /proc/sys/net is per namespace; plain sh, because procps (sysctl) may be missing.
  tn.exec(ns, ['sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
  return ns;
}

/** A tsfwd namespace F with `dev` (for the port) wired to `peer` in namespace W. */
export interface Wire1 { tn: TestNet; nsF: string; nsW: string; dev: string; peer: string }

export function wire1(tag: string): Wire1 {
  const tn = new TestNet(tag);
  try {
    const nsF = quietNs(tn, 'f');
    const nsW = quietNs(tn, 'w');
    const dev = `${tn.prefix}f0`;
    const peer = `${tn.prefix}w0`;
    tn.veth(dev, nsF, peer, nsW);
    return { tn, nsF, nsW, dev, peer };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

/** gen [g0]--[f0] fwd [f1]--[s0] sink, quiet namespaces, fixed MACs (f0 02:..:0f:00, f1 02:..:0f:01). */
export interface GenFwdSink { tn: TestNet; g: string; f: string; s: string }

export function genFwdSink(tag: string): GenFwdSink {
  const tn = new TestNet(tag);
  try {
    const g = quietNs(tn, 'g');
    const f = quietNs(tn, 'f');
    const s = quietNs(tn, 's');
    tn.veth('g0', g, 'f0', f, { macA: '02:00:00:00:0a:01', macB: '02:00:00:00:0f:00' });
    tn.veth('f1', f, 's0', s, { macA: '02:00:00:00:0f:01', macB: '02:00:00:00:0b:01' });
    return { tn, g, f, s };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

/** A conformance Wire for a port on wire1()'s dev: frames injected and captured at the peer. */
export async function wireHarness(tag: string, openOn: (ns: string, dev: string) => Promise<Port>): Promise<Wire> {
  const w = wire1(tag);
  let port: Port | undefined;
  try {
    port = await openOn(w.nsF, w.dev);
    const cap = await Capture.start(w.nsW, w.peer);
    const p = port;
    return {
      port: p,
      inject: (frames) => inject(w.tn, w.nsW, w.peer, frames),
      collect: (n) => cap.take(n),
      teardown: () => { cap.stop(); p.close(); w.tn.destroy(); },
    };
  } catch (e) {
    port?.close();
    w.tn.destroy();
    throw e;
  }
}

/** Sends `frames` byte-exact out of `iface` in `ns`. */
export function inject(tn: TestNet, ns: string, iface: string, frames: Uint8Array[]): void {
  const out = tn.exec(ns, [PYTHON, WIRE_PY, 'send', iface], `${frames.map(hex).join('\n')}\n`);
  if (Number(out.trim()) !== frames.length) throw new Error(`wire tool sent ${out.trim()} of ${frames.length} frames`);
}

/** Frames arriving on an interface, read by the wire tool running in the background. */
export class Capture {
  private readonly lines: string[] = [];
  private partial = '';
  private constructor(private readonly proc: ChildProcess) {}

  /** With `status`, lines are "<tp_status> <hex>" (use takeLines). */
  static start(ns: string, iface: string, ms = 5000, status?: 'status'): Promise<Capture> {
    const args = ['netns', 'exec', ns, PYTHON, WIRE_PY, 'capture', iface, ...(status ? [status] : [])];
    const proc = spawn('ip', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const cap = new Capture(proc);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { cap.stop(); reject(new Error(`capture on ${iface} not ready after ${ms} ms`)); }, ms);
      proc.on('error', (e) => { clearTimeout(timer); reject(e); });
      proc.stdout!.on('data', (d: Buffer) => {
        const parts = (cap.partial + d.toString()).split('\n');
        cap.partial = parts.pop()!;
        for (const p of parts) {
          if (p === 'ready') { clearTimeout(timer); resolve(cap); } else if (p) cap.lines.push(p);
        }
      });
    });
  }

  /** Waits until `n` frames arrived (or `ms` passed), then a short settle for extras; returns and forgets them all. */
  async take(n: number, ms = 5000): Promise<Uint8Array[]> {
    return (await this.takeLines(n, ms)).map((l) => new Uint8Array(Buffer.from(l, 'hex')));
  }

  async takeLines(n: number, ms = 5000): Promise<string[]> {
    const end = Date.now() + ms;
    while (this.lines.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    return this.lines.splice(0);
  }

  stop(): void {
    this.proc.stdin?.end();
    if (this.proc.exitCode === null) this.proc.kill();
  }
}

/** Mappings of sockets in this process (packet rings show up as socket:[inode]). */
export function socketMappings(): number {
  return ringMappings().length;
}

/** Sizes of this process's socket mappings (packet rings), bytes, sorted. */
export function ringMappings(): number[] {
  return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes('socket:['))
    .map((l) => { const [a, b] = l.split(' ')[0].split('-'); return parseInt(b, 16) - parseInt(a, 16); }).sort((x, y) => x - y);
}

/** Udp counters of /proc/net/snmp in namespace `ns`. */
export function udpSnmp(tn: TestNet, ns: string): Record<string, number> {
  const lines = tn.exec(ns, ['cat', '/proc/net/snmp']).split('\n').filter((l) => l.startsWith('Udp:'));
  const keys = lines[0].split(/\s+/).slice(1);
  const vals = lines[1].split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(keys.map((k, i) => [k, vals[i]]));
}

/** Runs the wire tool in `ns` in the background; resolves with its stdout. */
export function runPy(ns: string, args: string[], onLine?: (l: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, PYTHON, WIRE_PY, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); if (onLine) for (const l of d.toString().split('\n')) if (l) onLine(l); });
    const timer = setTimeout(() => p.kill(), 20_000);
    p.on('error', reject);
    p.on('exit', (code) => { clearTimeout(timer); if (code === 0) resolve(out); else reject(new Error(`${args[0]} exited with ${code}`)); });
  });
}
