// Opening the --vdev ports of a command: in order (port id = position), all or
// none, with driver errors turned into one-line usage errors (exit 2).
import { UsageError, formatCoreList } from '../eal/corelist';
import { Mempool } from '../mempool/mempool';
import { getAffinity } from '../native';
import { openPort, portHandle } from '../port/registry';
import { Port, PortError } from '../port/types';
import { waitForInterfaces } from './port-wait';

/** `portWait`: seconds to wait for missing interfaces first (EAL --port-wait). */
export async function openPorts(vdevs: readonly string[], pool: Mempool, portWait = 0): Promise<Port[]> {
  await waitForInterfaces(vdevs, portWait, (l) => { process.stderr.write(`${l}\n`); });
  const ports: Port[] = [];
  try {
    for (let i = 0; i < vdevs.length; i++) {
      const p = await openPort(vdevs[i], { id: i, pool });
      ports.push(p);
      const note = portHandle(p).note;
      if (note) process.stderr.write(`${p.name}: ${note}\n`);
    }
  } catch (e) {
    for (const p of ports) p.close();
    if (e instanceof PortError) throw new UsageError(e.message);
    throw e;
  }
  return ports;
}

/** Refuses lcores on CPUs this process may not use. */
export function checkLcores(cmd: string, lcores: readonly number[]): void {
  const allowed = getAffinity();
  for (const c of lcores) {
    if (!allowed.includes(c)) throw new UsageError(`${cmd}: lcore ${c}: CPU ${c} is not available (this process may run on CPUs ${formatCoreList(allowed)})`);
  }
}

/** Round-robin: items spread over `n` lcores in order. */
export function spread<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  items.forEach((x, i) => out[i % n].push(x));
  return out;
}

export function rate(v: number): string {
  return v >= 1e9 ? `${(v / 1e9).toFixed(2)}G` : v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)}k` : v.toFixed(0);
}

/**
 * Waits (up to `ms`) until every port that has a link state (net_memif) is up,
 * as pktgen-dpdk checks link status before it sends: frames sent before the
 * peer connects would only be refused. Returns the names still down.
 */
export async function waitLinksUp(ports: readonly Port[], ms: number, say: (line: string) => void, stop: () => boolean = () => false): Promise<string[]> {
  const down = (): Port[] => ports.filter((p) => p.stats().link === 'down');
  let waiting = down();
  if (waiting.length === 0) return [];
  say(`waiting up to ${ms / 1000} s for the link of ${waiting.map((p) => p.name).join(', ')}`);
  for (const end = Date.now() + ms; waiting.length > 0 && Date.now() < end && !stop(); waiting = down()) {
    await new Promise((r) => setTimeout(r, 10));
  }
  return waiting.map((p) => p.name);
}
