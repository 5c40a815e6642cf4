// l2fwd's application options (after `--`), with DPDK examples/l2fwd's
// names and limits, plus tsfwd's additions.
import { Args } from '../../cli/args';
import { UsageError } from '../../eal/corelist';
import type { ConfigTuple } from './plan';

export interface L2fwdOptions {
  portmask: number;
  promiscuous: boolean;
  /** rx queues per lcore when --config is not given, 1..15 (l2fwd's MAX_RX_QUEUE_PER_LCORE is 16, -q takes 1..15). */
  rxPerLcore: number;
  /** Stats period in seconds; 0 = off. */
  period: number;
  macUpdating: boolean;
  portmap?: [number, number][];
  /** l3fwd's --config: which lcore polls each (port, rx queue). */
  config?: ConfigTuple[];
  burst: number;
  duration?: number;
  statsJson: boolean;
  metrics?: { host: string; port: number };
  txFirst: boolean;
  /** pipeline only: how many of the lcores receive (the rest transmit). */
  rxLcores?: number;
  /** pipeline only: slots per ring between rx and tx lcores. */
  ringSize: number;
}

export function parsePortmask(s: string): number {
  if (!/^(0x)?[0-9a-f]+$/i.test(s)) throw new UsageError(`invalid portmask '${s}' (expected hex, e.g. 0x3)`);
  const v = parseInt(s.replace(/^0x/i, ''), 16);
  if (v === 0) throw new UsageError(`portmask '${s}' selects no port`);
  if (v > 0xffffffff) throw new UsageError(`portmask '${s}' is wider than 32 ports`);
  return v;
}

/** "(0,1),(2,3)" -> [[0,1],[2,3]] */
export function parsePortmap(s: string): [number, number][] {
  const body = s.trim();
  if (!/^\(\s*\d+\s*,\s*\d+\s*\)(\s*,\s*\(\s*\d+\s*,\s*\d+\s*\))*$/.test(body)) {
    throw new UsageError(`invalid portmap '${s}' (expected e.g. "(0,1),(2,3)")`);
  }
  return [...body.matchAll(/\(\s*(\d+)\s*,\s*(\d+)\s*\)/g)].map((m) => [Number(m[1]), Number(m[2])]);
}

/** l3fwd's --config: "(0,0,1),(1,0,2)" -> [[0,0,1],[1,0,2]] as (port, queue, lcore). */
export function parseConfig(s: string): ConfigTuple[] {
  const t = String.raw`\(\s*\d+\s*,\s*\d+\s*,\s*\d+\s*\)`;
  if (!new RegExp(`^\\s*${t}(\\s*,\\s*${t})*\\s*$`).test(s)) {
    throw new UsageError(`invalid --config '${s}' (expected (port,queue,lcore) tuples, e.g. "(0,0,1),(0,1,2)")`);
  }
  return [...s.matchAll(/\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)/g)].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:(.+):)?(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : NaN;
  const host = m ? (m[1] ?? '127.0.0.1').replace(/^\[(.*)\]$/, '$1') : '';
  // An empty host ("[]:9100") would make listen() bind every address: refused.
  if (!m || port < 1 || port > 65535 || host === '') throw new UsageError(`invalid --metrics '${s}' (expected [HOST:]PORT)`);
  return { host, port };
}

export function parseL2fwdOptions(argv: readonly string[], cmd: string, pipeline: boolean): L2fwdOptions {
  const o: L2fwdOptions = {
    portmask: 0, promiscuous: false, rxPerLcore: 1, period: 10, macUpdating: true, burst: 32,
    statsJson: false, txFirst: false, ringSize: 1024,
  };
  let haveMask = false;
  const a = new Args(argv);
  for (let k = a.next(); k !== undefined; k = a.next()) {
    switch (k) {
      case '-p': o.portmask = parsePortmask(a.value(k)); haveMask = true; break;
      case '-P': o.promiscuous = true; break;
      case '-q': o.rxPerLcore = a.int(k, 1, 15); break;
      case '-T': o.period = a.int(k, 0, 86400); break;
      case '--no-mac-updating': o.macUpdating = false; break;
      case '--mac-updating': o.macUpdating = true; break;
      case '--portmap': o.portmap = parsePortmap(a.value(k)); break;
      case '--config': o.config = parseConfig(a.value(k)); break;
      case '--burst': o.burst = a.int(k, 1, 512); break;
      case '--duration': o.duration = a.num(k, 0.01, 31 * 86400); break;
      case '--stats-json': o.statsJson = true; break;
      case '--metrics': o.metrics = parseHostPort(a.value(k)); break;
      case '--tx-first': o.txFirst = true; break;
      case '--rx-lcores':
        if (!pipeline) throw new UsageError(`${cmd}: --rx-lcores is a pipeline option`);
        o.rxLcores = a.int(k, 1, 1024); break;
      case '--ring-size': {
        if (!pipeline) throw new UsageError(`${cmd}: --ring-size is a pipeline option`);
        const v = a.int(k, 2, 1 << 20);
        if ((v & (v - 1)) !== 0) throw new UsageError(`${cmd}: --ring-size must be a power of two, got ${v}`);
        o.ringSize = v; break;
      }
      default:
        throw new UsageError(`${cmd}: unknown application option '${k}'`);
    }
  }
  if (!haveMask) throw new UsageError(`${cmd}: missing portmask (-p MASK, e.g. -p 0x3)`);
  return o;
}
