// A topology is plain data: namespaces and veth links between them, with
// names, MACs, addresses, MTU and offloads. Namespace names get the run's
// prefix on the host; interface names live inside their namespace, so they
// never collide across runs and keep the kernel's 15-character limit.
import { quote } from '../eal/quote';

export interface EndSpec {
  /** Namespace key from `namespaces` (unprefixed). */
  ns: string;
  /** Interface name, at most 15 characters. */
  name: string;
  mac?: string;
  /** CIDR address, e.g. 10.99.0.1/24. */
  addr?: string;
}

export interface LinkSpec {
  a: EndSpec;
  b: EndSpec;
  mtu?: number;
  /** Offloads for both ends, named as for ethtool -K (see offload.ts), e.g. { "gro": "on", "tx-checksumming": "off" }. */
  offloads?: Record<string, 'on' | 'off'>;
}

export interface TopoSpec {
  name: string;
  namespaces: string[];
  links: LinkSpec[];
  /** Extra commands run inside a namespace after the links are up: [ns, argv]. */
  setup?: [string, string[]][];
}

const MAC = /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i;
// Octets without leading zeros: some tools read "010" as octal.
const CIDR = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\/(\d{1,2})$/;
const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** A value from a spec file, for a message: strings quoted and escaped, anything else by kind. */
function shown(x: unknown): string {
  if (typeof x === 'string') return quote(x);
  if (Array.isArray(x)) return 'a list';
  return x !== null && typeof x === 'object' ? 'a map' : String(x);
}

const isCidr = (x: unknown): boolean => {
  const m = typeof x === 'string' ? CIDR.exec(x) : null;
  return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && Number(m[5]) <= 32;
};
const isMap = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** Checks a spec and returns it, or throws one line naming the first problem. */
export function validateSpec(x: unknown): TopoSpec {
  const s = x as TopoSpec;
  const bad = (m: string): never => {
    throw new Error(`topology${isMap(s) && typeof s.name === 'string' ? ` ${quote(s.name)}` : ''}: ${m}`);
  };
  if (!isMap(s)) bad('spec must be a map');
  if (typeof s.name !== 'string' || !NAME.test(s.name)) bad('name must be 1..32 letters, digits, - or _');
  if (!Array.isArray(s.namespaces) || s.namespaces.length === 0) bad('namespaces must be a non-empty list');
  for (const n of s.namespaces) if (typeof n !== 'string' || !NAME.test(n)) bad(`bad namespace name ${shown(n)}`);
  if (new Set(s.namespaces).size !== s.namespaces.length) bad('namespace names repeat');
  if (!Array.isArray(s.links)) bad('links must be a list');
  const ifaces = new Set<string>();
  for (const [i, l] of s.links.entries()) {
    if (!isMap(l)) bad(`link ${i}: needs ends a and b`);
    for (const e of [l.a, l.b]) {
      if (!isMap(e)) bad(`link ${i}: needs ends a and b`);
      if (!s.namespaces.includes(e.ns)) bad(`link ${i}: namespace ${shown(e.ns)} is not in namespaces`);
      if (typeof e.name !== 'string' || !IFNAME.test(e.name)) bad(`link ${i}: interface name ${shown(e.name)} must be 1..15 characters of letters, digits, _ . -`);
      if (ifaces.has(`${e.ns}/${e.name}`)) bad(`link ${i}: interface ${e.name} appears twice in namespace ${e.ns}`);
      ifaces.add(`${e.ns}/${e.name}`);
      if (e.mac !== undefined && (typeof e.mac !== 'string' || !MAC.test(e.mac))) bad(`link ${i}: bad MAC ${shown(e.mac)}`);
      if (e.addr !== undefined && !isCidr(e.addr)) bad(`link ${i}: bad address ${shown(e.addr)} (expected CIDR, e.g. 10.0.0.1/24)`);
    }
    if (l.mtu !== undefined && (!Number.isInteger(l.mtu) || l.mtu < 68 || l.mtu > 65535)) bad(`link ${i}: mtu must be 68..65535`);
    if (l.offloads !== undefined && !isMap(l.offloads)) bad(`link ${i}: offloads must be a map of feature: on|off`);
    for (const [k, v] of Object.entries(l.offloads ?? {})) if (v !== 'on' && v !== 'off') bad(`link ${i}: offload ${shown(k)} must be "on" or "off"`);
  }
  if (s.setup !== undefined && !Array.isArray(s.setup)) bad('setup must be a list of [namespace, [command...]]');
  for (const entry of s.setup ?? []) {
    const [ns, argv] = (Array.isArray(entry) ? entry : []) as unknown[];
    if (typeof ns !== 'string' || !s.namespaces.includes(ns) || !Array.isArray(argv) || argv.length === 0 || !argv.every((a) => typeof a === 'string')) {
      bad(`setup entry for ${shown(ns)} needs a known namespace and a command (a list of strings)`);
    }
  }
  return s;
}

const mac = (a: number, b: number): string => `02:00:00:00:${a.toString(16).padStart(2, '0')}:${b.toString(16).padStart(2, '0')}`;

/** Built-in topologies. */
export const PRESETS: Record<string, TopoSpec> = {
  // Two namespaces joined by one veth pair.
  pair: {
    name: 'pair', namespaces: ['a', 'b'],
    links: [{ a: { ns: 'a', name: 'veth0', mac: mac(1, 0), addr: '10.201.0.1/24' }, b: { ns: 'b', name: 'veth1', mac: mac(1, 1), addr: '10.201.0.2/24' } }],
  },
  // gen [g0]--[f0] fwd [f1]--[s0] sink: the forwarder's ports are f0 and f1.
  'gen-fwd-sink': {
    name: 'gen-fwd-sink', namespaces: ['gen', 'fwd', 'sink'],
    links: [
      { a: { ns: 'gen', name: 'g0', mac: mac(2, 0), addr: '10.202.0.1/24' }, b: { ns: 'fwd', name: 'f0', mac: mac(2, 1) }, offloads: { gro: 'on' } },
      { a: { ns: 'fwd', name: 'f1', mac: mac(2, 2) }, b: { ns: 'sink', name: 's0', mac: mac(2, 3), addr: '10.202.0.2/24' }, offloads: { gro: 'on' } },
    ],
  },
  // Two forwarder ports joined to each other: with --tx-first frames circulate
  // through the forwarder with no generator.
  loop: {
    name: 'loop', namespaces: ['fwd'],
    links: [{ a: { ns: 'fwd', name: 'l0', mac: mac(3, 0) }, b: { ns: 'fwd', name: 'l1', mac: mac(3, 1) } }],
  },
  // A Linux vxlan peer for net_udp: tsfwd binds 10.204.0.1:4789 in `fwd`; the
  // peer namespace has vx0 (VNI 42) reaching it over the veth.
  vxlan: {
    name: 'vxlan', namespaces: ['fwd', 'peer'],
    links: [{ a: { ns: 'fwd', name: 'u0', mac: mac(4, 0), addr: '10.204.0.1/24' }, b: { ns: 'peer', name: 'p0', mac: mac(4, 1), addr: '10.204.0.2/24' } }],
    setup: [
      ['peer', ['ip', 'link', 'add', 'vx0', 'address', mac(4, 2), 'type', 'vxlan', 'id', '42', 'local', '10.204.0.2', 'remote', '10.204.0.1', 'dstport', '4789', 'dev', 'p0']],
      ['peer', ['ip', 'addr', 'add', '10.205.0.2/24', 'dev', 'vx0']],
      ['peer', ['ip', 'link', 'set', 'vx0', 'up']],
    ],
  },
};
