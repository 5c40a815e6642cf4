// Who forwards what: the destination of every enabled port and which lcore
// polls which rx port, computed exactly as DPDK's l2fwd does (adjacent pairs,
// or --portmap; -q rx ports per lcore, filled in order). Plain data, so the
// CLI prints it, lcores run it and tests check it.
import { UsageError } from '../../eal/corelist';

export interface Plan {
  /** Enabled port ids, ascending. */
  ports: number[];
  /** dst[p] = the port frames received on p leave by (-1 if p is not enabled). */
  dst: number[];
  /** rx ports of each lcore, by position in the lcore list. */
  rxByLcore: number[][];
  notices: string[];
}

export function makePlan(nbPorts: number, portmask: number, lcores: readonly number[], rxPerLcore: number,
  portmap?: readonly [number, number][]): Plan {
  const notices: string[] = [];
  const ports: number[] = [];
  for (let p = 0; p < 32; p++) {
    if (((portmask >>> p) & 1) === 0) continue;
    if (p >= nbPorts) throw new UsageError(`portmask 0x${portmask.toString(16)} names port ${p}, but only ${nbPorts} port${nbPorts === 1 ? '' : 's'} (${nbPorts ? `0..${nbPorts - 1}` : 'none'}) ${nbPorts === 1 ? 'is' : 'are'} configured with --vdev`);
    ports.push(p);
  }
  const dst = new Array<number>(nbPorts).fill(-1);
  if (portmap) {
    const used = new Set<number>();
    for (const [a, b] of portmap) {
      for (const p of [a, b]) {
        if (!ports.includes(p)) throw new UsageError(`portmap names port ${p}, which is not in portmask 0x${portmask.toString(16)}`);
        if (used.has(p)) throw new UsageError(`portmap uses port ${p} more than once`);
        used.add(p);
      }
      dst[a] = b;
      dst[b] = a;
    }
    for (const p of ports) if (dst[p] < 0) throw new UsageError(`port ${p} is in the portmask but not in the portmap`);
  } else {
    for (let i = 0; i + 1 < ports.length; i += 2) {
      dst[ports[i]] = ports[i + 1];
      dst[ports[i + 1]] = ports[i];
    }
    if (ports.length % 2 === 1) {
      const last = ports[ports.length - 1];
      dst[last] = last;
      notices.push('Notice: odd number of ports in portmask.');
    }
  }
  const rxByLcore: number[][] = lcores.map(() => []);
  let l = 0;
  for (const p of ports) {
    while (l < lcores.length && rxByLcore[l].length === rxPerLcore) l++;
    if (l === lcores.length) throw new UsageError(`not enough cores: ${ports.length} ports at ${rxPerLcore} per lcore need ${Math.ceil(ports.length / rxPerLcore)} lcores, -l gives ${lcores.length}`);
    rxByLcore[l].push(p);
  }
  return { ports, dst, rxByLcore, notices };
}
