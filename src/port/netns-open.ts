// The `netns=NAME` devarg (net_af_packet, net_af_xdp, net_udp): the device is
// opened with the main thread inside network namespace NAME (`ip netns add`),
// then the thread steps back. A socket keeps the namespace it was created in
// (setns(2)), so the port sends and receives there while the process, its
// lcores and its other ports stay where they are: one tsfwd can drive both
// ends of a device under test that sits between two namespaces.
//
// Why this cannot race: setns moves only the calling thread; the open is
// synchronous, so no other JavaScript runs on the main thread while it is
// inside, and lcores (other threads) never leave their own namespace.
import { withNetns } from '../topo/netns';
import { OpenContext, PortDriver, PortError, PortHandle } from './types';

/** Devarg key; drivers that list it in `keys` open their sockets in that namespace. */
export const NETNS_KEY = 'netns';

/** `ip netns` names are file names under /run/netns: no '/', not '.' or '..'. */
export function checkNetnsName(dev: string, ns: string): void {
  if (!/^[A-Za-z0-9_.@+-]{1,255}$/.test(ns) || ns === '.' || ns === '..') {
    throw new PortError(`${dev}: devarg netns=${ns} is not a network namespace name (letters, digits, '.', '_', '-', no '/')`);
  }
}

/** Opens with `drv`, inside the namespace `netns=` names when given. */
export function openMaybeInNetns(drv: PortDriver, ctx: OpenContext): PortHandle | Promise<PortHandle> {
  const ns = ctx.args.get(NETNS_KEY);
  if (ns === undefined) return drv.open(ctx);
  checkNetnsName(ctx.name, ns);
  let h: PortHandle | Promise<PortHandle>;
  try {
    h = withNetns(ns, () => drv.open(ctx));
  } catch (e) {
    if (e instanceof PortError) throw e;
    throw new PortError(`${ctx.name}: ${(e as Error).message}`);
  }
  // An asynchronous open would finish outside the namespace: only synchronous drivers list the key.
  if (h instanceof Promise) throw new Error(`${drv.name}: lists '${NETNS_KEY}' but opens asynchronously`);
  return h;
}
