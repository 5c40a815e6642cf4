// Offload features by name, read and set through the shim's SIOCETHTOOL calls,
// so a topology needs no `ethtool` program. A name is one of ethtool -K's short
// or long aliases (gro, generic-receive-offload, tso, ...) or a kernel feature
// name (rx-gro-hw). Works in the calling thread's network namespace: wrap the
// call in withNetns() for an interface in another one.
import { ETHTOOL_NAME_LEN, errnoName, ethtoolFeatureNames, ethtoolFeaturesGet, ethtoolFeaturesSet } from '../native';

// ethtool -K's aliases and the kernel feature names they stand for (ethtool(8),
// include/linux/netdev_features.h). A pattern can match several features: tso
// covers tx-tcp-segmentation, tx-tcp6-segmentation and the ECN/mangleid ones.
const ALIASES: [short: string, long: string, kernel: RegExp][] = [
  ['rx', 'rx-checksumming', /^rx-checksum$/],
  ['tx', 'tx-checksumming', /^tx-checksum-/],
  ['sg', 'scatter-gather', /^tx-scatter-gather/],
  ['tso', 'tcp-segmentation-offload', /^tx-tcp.*segmentation$/],
  ['ufo', 'udp-fragmentation-offload', /^tx-udp-fragmentation$/],
  ['gso', 'generic-segmentation-offload', /^tx-generic-segmentation$/],
  ['gro', 'generic-receive-offload', /^rx-gro$/],
  ['lro', 'large-receive-offload', /^rx-lro$/],
  ['rxvlan', 'rx-vlan-offload', /^rx-vlan-hw-parse$/],
  ['txvlan', 'tx-vlan-offload', /^tx-vlan-hw-insert$/],
  ['ntuple', 'ntuple-filters', /^rx-ntuple-filter$/],
  ['rxhash', 'receive-hashing', /^rx-hashing$/],
];

/** ethtool -K's short names, for help and error messages. */
export const OFFLOAD_ALIASES: readonly string[] = ALIASES.map(([s]) => s);

interface Features { names: string[]; words: number; state: Uint32Array }
const AVAILABLE = 0; // changeable by the user
const ACTIVE = 2;

const fail = (ifname: string, rc: number, what: string): never => {
  const e = -rc;
  const hint = e === 1 ? ' (needs CAP_NET_ADMIN)' : e === 19 ? ' (no such interface in this namespace)' : '';
  throw new Error(`offloads on ${ifname}: ${what} failed: ${errnoName(e)}${hint}`);
};

function readFeatures(ifname: string): Features {
  const raw = new Uint8Array(256 * ETHTOOL_NAME_LEN);
  const n = ethtoolFeatureNames(ifname, raw);
  if (n < 0) fail(ifname, n, 'reading feature names');
  const dec = new TextDecoder();
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = raw.subarray(i * ETHTOOL_NAME_LEN, (i + 1) * ETHTOOL_NAME_LEN);
    const end = s.indexOf(0);
    names.push(dec.decode(end < 0 ? s : s.subarray(0, end)));
  }
  const state = new Uint32Array(4 * 8);
  const words = ethtoolFeaturesGet(ifname, state);
  if (words < 0) fail(ifname, words, 'reading features');
  return { names, words, state };
}

const bit = (f: Features, block: number, i: number): boolean => ((f.state[4 * (i >>> 5) + block] >>> (i & 31)) & 1) === 1;

/** Active state of every feature of `ifname`, by kernel feature name. */
export function getOffloads(ifname: string): Record<string, boolean> {
  const f = readFeatures(ifname);
  const out: Record<string, boolean> = {};
  f.names.forEach((name, i) => { if (name) out[name] = bit(f, ACTIVE, i); });
  return out;
}

/** Kernel feature indices a name stands for; empty if it names none on this device. */
function resolve(f: Features, name: string): number[] {
  const alias = ALIASES.find(([s, l]) => s === name || l === name);
  const hits: number[] = [];
  f.names.forEach((n, i) => { if (n && (alias ? alias[2].test(n) : n === name)) hits.push(i); });
  return hits;
}

/**
 * Sets offloads as `ethtool -K IF name on|off ...` does, in one request, then
 * reads them back: throws one line if a name is unknown, a feature is fixed
 * in the other state, or the kernel kept a feature from changing.
 */
export function setOffloads(ifname: string, want: Record<string, 'on' | 'off'>): void {
  const f = readFeatures(ifname);
  const valid = new Uint32Array(f.words);
  const requested = new Uint32Array(f.words);
  const check: [name: string, feature: number, on: boolean][] = [];
  for (const [name, v] of Object.entries(want)) {
    if (v !== 'on' && v !== 'off') throw new Error(`offload ${name} on ${ifname}: value must be "on" or "off"`);
    const on = v === 'on';
    const hits = resolve(f, name);
    if (hits.length === 0) {
      throw new Error(`unknown offload '${name}' on ${ifname}: use ${OFFLOAD_ALIASES.join(', ')} or a kernel feature name such as rx-gro-hw`);
    }
    // Like ethtool, an alias changes the features it covers that the device
    // lets change; the fixed ones are only an error if none could change.
    const changeable = hits.filter((i) => bit(f, AVAILABLE, i));
    const wrong = hits.filter((i) => bit(f, ACTIVE, i) !== on);
    if (changeable.length === 0 && wrong.length > 0) {
      throw new Error(`offload ${name} on ${ifname}: ${f.names[wrong[0]]} is fixed ${on ? 'off' : 'on'} by the driver`);
    }
    for (const i of changeable) {
      valid[i >>> 5] |= 1 << (i & 31);
      if (on) requested[i >>> 5] |= 1 << (i & 31);
      else requested[i >>> 5] &= ~(1 << (i & 31));
      check.push([name, i, on]);
    }
  }
  if (check.length === 0) return;
  const rc = ethtoolFeaturesSet(ifname, valid, requested);
  if (rc < 0) fail(ifname, rc, 'setting features');
  const after = readFeatures(ifname);
  for (const [name, i, on] of check) {
    if (bit(after, ACTIVE, i) !== on) {
      throw new Error(`offload ${name} ${on ? 'on' : 'off'} on ${ifname}: the kernel kept ${f.names[i]} ${on ? 'off' : 'on'} (it depends on other features)`);
    }
  }
}
