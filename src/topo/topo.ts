// Building and removing topologies with iproute2, called without a shell;
// offloads are set from the shim (offload.ts).
// `up` records what it built in a state file; `down` removes it, and falls
// back to every namespace carrying the prefix, so it cleans up after a crash.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NETNS_DIR, withNetns } from './netns';
import { setOffloads } from './offload';
import { TopoSpec, validateSpec } from './spec';

export const STATE_DIR = '/run/tsfwd/topo';

export interface TopoState {
  prefix: string;
  spec: TopoSpec;
  /** Host namespace name of each spec namespace. */
  namespaces: Record<string, string>;
}

function run(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`${argv[0]}: ${(r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not installed' : r.error.message}`);
  if (r.status !== 0) {
    const err = (r.stderr || '').trim().split('\n')[0];
    throw new Error(`${argv.join(' ')}: ${err}${/Operation not permitted/.test(err) ? ' (needs root: CAP_NET_ADMIN and CAP_SYS_ADMIN)' : ''}`);
  }
  return r.stdout;
}

const inNs = (ns: string, argv: string[]): string => run(['ip', 'netns', 'exec', ns, ...argv]);
const statePath = (prefix: string): string => path.join(STATE_DIR, `${prefix}.json`);

export function hostNs(prefix: string, ns: string): string {
  return `${prefix}-${ns}`;
}

/** Namespaces on this host that carry `prefix`. */
export function prefixedNamespaces(prefix: string): string[] {
  if (!fs.existsSync(NETNS_DIR)) return [];
  return fs.readdirSync(NETNS_DIR).filter((n) => n.startsWith(`${prefix}-`)).sort();
}

export function readState(prefix: string): TopoState | undefined {
  try {
    return JSON.parse(fs.readFileSync(statePath(prefix), 'utf8')) as TopoState;
  } catch {
    return undefined;
  }
}

/** Builds `spec` with namespaces named `<prefix>-<ns>`; on any failure removes what it made. */
export function topoUp(specIn: TopoSpec, prefix: string): TopoState {
  const spec = validateSpec(specIn);
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(prefix)) throw new Error(`bad prefix '${prefix}'`);
  const existing = prefixedNamespaces(prefix);
  if (existing.length > 0 || readState(prefix)) {
    throw new Error(`a topology with prefix '${prefix}' is already up (namespaces: ${existing.join(', ') || 'none'}); take it down first (tsfwd topo down NAME --prefix ${prefix})`);
  }
  const state: TopoState = { prefix, spec, namespaces: Object.fromEntries(spec.namespaces.map((n) => [n, hostNs(prefix, n)])) };
  fs.mkdirSync(STATE_DIR, { recursive: true });
  // Written first, so `down` finds everything even if building fails midway.
  fs.writeFileSync(statePath(prefix), JSON.stringify(state, null, 2));
  try {
    for (const ns of spec.namespaces) {
      run(['ip', 'netns', 'add', state.namespaces[ns]]);
      inNs(state.namespaces[ns], ['ip', 'link', 'set', 'lo', 'up']);
    }
    for (const l of spec.links) {
      const A = state.namespaces[l.a.ns];
      const B = state.namespaces[l.b.ns];
      run(['ip', 'link', 'add', l.a.name, 'netns', A, ...(l.a.mac ? ['address', l.a.mac] : []), 'type', 'veth',
        'peer', 'name', l.b.name, 'netns', B, ...(l.b.mac ? ['address', l.b.mac] : [])]);
      for (const [e, ns] of [[l.a, A], [l.b, B]] as const) {
        if (l.mtu) inNs(ns, ['ip', 'link', 'set', e.name, 'mtu', String(l.mtu)]);
        if (e.addr) inNs(ns, ['ip', 'addr', 'add', e.addr, 'dev', e.name]);
        inNs(ns, ['ip', 'link', 'set', e.name, 'up']);
        // Offloads once the device is up: on 6.18, GRO switched on while a veth
        // was down (with its peer's GRO already on) left it without the NAPI
        // instance that frames sent by XDP (pktgen --engine xdp-live) need;
        // every one of them was dropped.
        // Through the shim's SIOCETHTOOL, so no `ethtool` program is needed.
        if (l.offloads && Object.keys(l.offloads).length > 0) withNetns(ns, () => setOffloads(e.name, l.offloads!));
      }
    }
    for (const [ns, argv] of spec.setup ?? []) inNs(state.namespaces[ns], argv);
  } catch (e) {
    topoDown(prefix);
    throw e;
  }
  return state;
}

/** Removes every namespace of the topology (veths go with them). Returns what it removed. */
export function topoDown(prefix: string): string[] {
  const st = readState(prefix);
  const names = new Set([...Object.values(st?.namespaces ?? {}), ...prefixedNamespaces(prefix)]);
  const removed: string[] = [];
  for (const ns of names) {
    const r = spawnSync('ip', ['netns', 'del', ns], { encoding: 'utf8' });
    if (r.status === 0) removed.push(ns);
  }
  fs.rmSync(statePath(prefix), { force: true });
  return removed.sort();
}

/** Human description of a live topology: namespaces, interfaces, MACs, addresses, state. */
export function topoShow(prefix: string): string {
  const st = readState(prefix);
  const live = prefixedNamespaces(prefix);
  if (!st && live.length === 0) throw new Error(`topology '${prefix}' is not up`);
  const out = [`topology ${st?.spec.name ?? '?'} (prefix ${prefix})`];
  for (const ns of live) {
    out.push(`  netns ${ns}`);
    const links = JSON.parse(inNs(ns, ['ip', '-j', 'addr', 'show'])) as { ifname: string; address?: string; operstate: string; mtu: number; addr_info?: { family: string; local: string; prefixlen: number }[] }[];
    for (const l of links) {
      if (l.ifname === 'lo') continue;
      const addrs = (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
      out.push(`    ${l.ifname.padEnd(15)} ${l.address ?? ''} mtu ${l.mtu} ${l.operstate}${addrs.length ? ` ${addrs.join(' ')}` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
