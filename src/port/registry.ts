// Driver registry and the two ways to get a Port: `openPort` in the main
// thread (acquires the device) and `attachPort` in any thread (uses it).
// Drivers are looked up by the longest registered name prefixing the device
// name, as rte_vdev does; each driver module loads on first use. Drivers live
// in one folder each and import only types, devargs, stats and claims, never
// this module, so imports run one way.
import { quote } from '../eal/quote';
import type { Mempool } from '../mempool/mempool';
import { releaseClaims } from './claims';
import { Devargs, parseDevargs } from './devargs';
import { openMaybeInNetns } from './netns-open';
import { Port, PortDriver, PortError, PortHandle, PortStats, RxWake } from './types';

export { claim, virtualMac } from './claims';

const DRIVERS: Record<string, () => PortDriver> = {
  /* eslint-disable @typescript-eslint/no-require-imports */
  net_null: () => (require('./memory/null') as { driver: PortDriver }).driver,
  net_ring: () => (require('./memory/ring-port') as { driver: PortDriver }).driver,
  net_af_packet: () => (require('./af-packet/af-packet') as { driver: PortDriver }).driver,
  net_af_xdp: () => (require('./af-xdp/af-xdp') as { driver: PortDriver }).driver,
  net_udp: () => (require('./udp/udp') as { driver: PortDriver }).driver,
  net_pcap: () => (require('./pcap/pcap') as { driver: PortDriver }).driver,
  net_memif: () => (require('./memif/memif') as { driver: PortDriver }).driver,
  /* eslint-enable @typescript-eslint/no-require-imports */
};

export function driverNames(): string[] {
  return Object.keys(DRIVERS).sort();
}

function driverFor(devName: string): PortDriver {
  let best = '';
  for (const d of Object.keys(DRIVERS)) if (devName.startsWith(d) && d.length > best.length) best = d;
  if (!best) throw new PortError(`unknown driver for device ${quote(devName)} (known: ${driverNames().join(', ')})`);
  return DRIVERS[best]();
}

const openNames = new Set<string>();

export interface OpenOptions {
  id: number;
  pool: Mempool;
}

/** Parses `devargs` and checks its keys against its driver's, touching no device. */
export function checkDevargs(devargs: string): Devargs & { drv: PortDriver } {
  const { name, args } = parseDevargs(devargs);
  const drv = driverFor(name);
  for (const k of args.keys()) {
    if (!drv.keys.includes(k)) throw new PortError(`${name}: unknown devarg '${k}' (${drv.name} takes: ${drv.keys.join(', ') || 'none'})`);
  }
  for (const k of drv.required) if (!args.has(k)) throw new PortError(`${name}: missing devarg '${k}'`);
  return { name, args, drv };
}

/** Opens the device `devargs` describes (main thread). The Port's close() releases it. */
export async function openPort(devargs: string, opts: OpenOptions): Promise<Port> {
  const { name, args, drv } = checkDevargs(devargs);
  if (openNames.has(name)) throw new PortError(`${name}: device is already open`);
  let handle: PortHandle;
  try {
    handle = await openMaybeInNetns(drv, { id: opts.id, name, args, pool: opts.pool });
  } catch (e) {
    releaseClaims(name);
    throw e;
  }
  let port: Port;
  try {
    port = drv.attach(handle, opts.pool);
  } catch (e) {
    drv.release(handle); // nothing half-open: the device goes back as well
    releaseClaims(name);
    throw e;
  }
  openNames.add(name);
  return new OwnedPort(port, handle, drv);
}

/** A Port in any thread for a handle opened elsewhere; its close() only detaches. */
export function attachPort(handle: PortHandle, pool: Mempool): Port {
  return driverFor(handle.name).attach(handle, pool);
}

/** The handle behind a port returned by openPort, to pass to lcores. */
export function portHandle(port: Port): PortHandle {
  if (!(port instanceof OwnedPort)) throw new Error(`port ${port.name} was not opened in this thread`);
  return port.handle;
}

class OwnedPort implements Port {
  private closed = false;
  readonly id: number;
  readonly name: string;
  readonly mac: Uint8Array;
  readonly nbQueues: number;
  constructor(private readonly inner: Port, readonly handle: PortHandle, private readonly drv: PortDriver) {
    this.id = inner.id;
    this.name = inner.name;
    this.mac = inner.mac;
    this.nbQueues = inner.nbQueues;
  }
  rxBurst(queue: number, mbufs: Uint32Array, max: number): number { return this.inner.rxBurst(queue, mbufs, max); }
  txBurst(queue: number, mbufs: Uint32Array, n: number): number { return this.inner.txBurst(queue, mbufs, n); }
  stats(): PortStats { return this.inner.stats(); }
  rxWake(queue: number, nap: boolean): RxWake { return this.inner.rxWake(queue, nap); }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inner.close();
    this.drv.release(this.handle);
    releaseClaims(this.name);
    openNames.delete(this.name);
  }
}
