// Namespaces and veth pairs for tests. Every name carries a per-run prefix so
// parallel runs never collide, and `destroy()` removes everything this run
// created, even after a failure (call it in a finally / t.after).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { optionalSkip } from './need';

/** Why namespace tests cannot run here, or undefined if they can. Under CI=true they must run. */
export function netSkipReason(): string | undefined {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'needs root (CAP_NET_ADMIN and CAP_NET_RAW) to create namespaces and raw sockets';
  else if (spawnSync('ip', ['-V']).status !== 0) reason = 'needs iproute2 (`ip`)';
  if (reason && process.env.CI === 'true') throw new Error(`namespace tests must run under CI=true but ${reason}`);
  return reason;
}

/** netSkipReason, plus: the shim must have been built with libxdp and libbpf (CI installs them). */
export function xskSkipReason(): string | undefined {
  const net = netSkipReason();
  if (net) return net;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { xskAvailable } = require('../../src/native') as typeof import('../../src/native');
  if (xskAvailable()) return undefined;
  return optionalSkip('needs tsfwd built with AF_XDP (apt-get install -y libxdp-dev libbpf-dev, then npm run build:native)');
}

let seq = 0;

export class TestNet {
  readonly prefix: string;
  private readonly namespaces: string[] = [];

  constructor(tag: string) {
    // Short: interface names are limited to 15 characters.
    this.prefix = `t${(process.pid % 100000).toString(36)}${(seq++).toString(36)}${tag}`.slice(0, 9);
  }

  /** Runs a command, throwing with its stderr on failure. */
  static run(cmd: string, args: string[], input?: string): string {
    const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
    return r.stdout;
  }

  /** Creates namespace `<prefix>-<name>` with loopback up; returns its full name. */
  ns(name: string): string {
    const full = `${this.prefix}-${name}`;
    TestNet.run('ip', ['netns', 'add', full]);
    this.namespaces.push(full);
    this.exec(full, ['ip', 'link', 'set', 'lo', 'up']);
    return full;
  }

  /** Runs a command inside namespace `ns`. */
  exec(ns: string, args: string[], input?: string): string {
    return TestNet.run('ip', ['netns', 'exec', ns, ...args], input);
  }

  /** veth pair a (in nsA) <-> b (in nsB), both up. Offloads are left as the kernel sets them. */
  veth(a: string, nsA: string, b: string, nsB: string, opts: { mtu?: number; macA?: string; macB?: string; queues?: number } = {}): void {
    for (const n of [a, b]) if (n.length > 15) throw new Error(`interface name ${n} longer than 15 characters`);
    const q = opts.queues ? ['numtxqueues', String(opts.queues), 'numrxqueues', String(opts.queues)] : [];
    TestNet.run('ip', ['link', 'add', a, 'netns', nsA, ...(opts.macA ? ['address', opts.macA] : []), ...q, 'type', 'veth',
      'peer', 'name', b, 'netns', nsB, ...(opts.macB ? ['address', opts.macB] : []), ...q]);
    for (const [ns, dev] of [[nsA, a], [nsB, b]]) {
      if (opts.mtu) this.exec(ns, ['ip', 'link', 'set', dev, 'mtu', String(opts.mtu)]);
      this.exec(ns, ['ip', 'link', 'set', dev, 'up']);
    }
  }

  /** Kernel counter of `dev` in `ns`, from /sys/class/net/DEV/statistics. */
  counter(ns: string, dev: string, name: string): number {
    return Number(this.exec(ns, ['cat', `/sys/class/net/${dev}/statistics/${name}`]).trim());
  }

  /** Removes every namespace this run created (their veths go with them). */
  destroy(): void {
    for (const ns of this.namespaces.splice(0)) {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  }

  /** Namespaces with this run's prefix still present (for leak checks). */
  leftovers(): string[] {
    if (!fs.existsSync('/run/netns')) return [];
    return fs.readdirSync('/run/netns').filter((n) => n.startsWith(`${this.prefix}-`));
  }
}
