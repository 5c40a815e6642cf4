// DPDK devargs: "net_af_packet0,iface=veth0,qpairs=2" -> driver, name, args.
// The device name is a driver name plus any suffix ("net_pcap_rx0" is a
// net_pcap device), as rte_vdev matches it.
import { CONTROL_CHAR, quote } from '../eal/quote';
import { PortError } from './types';

export interface Devargs {
  /** Device name: the part before the first comma. */
  name: string;
  args: Map<string, string>;
}

export function parseDevargs(s: string): Devargs {
  // Refused whole, so that no driver echoes a line break from a value.
  if (CONTROL_CHAR.test(s)) throw new PortError(`devargs ${quote(s)} contain a control character`);
  const parts = s.split(',');
  const name = parts[0].trim();
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new PortError(`bad device name ${quote(name)} in devargs ${quote(s)}`);
  const args = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const eq = p.indexOf('=');
    const k = p.slice(0, Math.max(eq, 0)).trim();
    if (k === '') throw new PortError(`${name}: bad devarg ${quote(p)} (expected key=value)`);
    const v = p.slice(eq + 1).trim();
    if (args.has(k)) throw new PortError(`${name}: devarg ${quote(k)} given twice`);
    args.set(k, v);
  }
  return { name, args };
}

/** Integer devarg in [min, max], or `def` when absent. */
export function intArg(name: string, args: ReadonlyMap<string, string>, key: string, def: number, min: number, max: number): number {
  const v = args.get(key);
  if (v === undefined) return def;
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new PortError(`${name}: devarg ${key}=${v} must be an integer ${min}..${max}`);
  return n;
}

/** One of `choices`, or `def` when absent. */
export function enumArg<T extends string>(name: string, args: ReadonlyMap<string, string>, key: string, def: T, choices: readonly T[]): T {
  const v = args.get(key);
  if (v === undefined) return def;
  if (!(choices as readonly string[]).includes(v)) throw new PortError(`${name}: devarg ${key}=${v} must be one of ${choices.join(', ')}`);
  return v as T;
}

/** "0"/"1" flag, or `def` when absent. */
export function boolArg(name: string, args: ReadonlyMap<string, string>, key: string, def: boolean): boolean {
  const v = args.get(key);
  if (v === undefined) return def;
  if (v !== '0' && v !== '1') throw new PortError(`${name}: devarg ${key}=${v} must be 0 or 1`);
  return v === '1';
}
