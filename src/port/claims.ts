// Devices and resources held by open ports in this process, so a second open
// of the same interface or file fails cleanly instead of sharing it. Drivers
// import this (never the registry), which keeps registry -> drivers one way.
import { PortError } from './types';

const claims = new Map<string, string>();

/** Records that the port `owner` holds `resource`; throws if another port does. */
export function claim(owner: string, resource: string, what: string): void {
  const holder = claims.get(resource);
  if (holder !== undefined) throw new PortError(`${owner}: ${what} is already in use by port ${holder}`);
  claims.set(resource, owner);
}

/** Drops every claim `owner` holds (the registry calls it when a port closes or fails to open). */
export function releaseClaims(owner: string): void {
  for (const [k, v] of claims) if (v === owner) claims.delete(k);
}

/** Locally administered MAC for ports with no hardware address: 02:74:73:66:HH:LL (id). */
export function virtualMac(id: number): number[] {
  return [0x02, 0x74, 0x73, 0x66, (id >> 8) & 0xff, id & 0xff];
}
