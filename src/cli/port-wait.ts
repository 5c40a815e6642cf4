// --port-wait SECONDS: in a pod, the interfaces Multus adds (net1, net2) may
// appear after the container started. Before any port opens, wait up to the
// window for every interface a net_af_packet/net_af_xdp --vdev names, then
// let the drivers open them as usual (or fail with one line naming the one
// still missing). 0, the default, waits not at all: the driver's own
// immediate "does not exist" error, as before.
import { UsageError } from '../eal/corelist';
import { parseDevargs } from '../port/devargs';
import { interfacesNow } from './link-watch';

const POLL_MS = 100;
const WAITS_FOR = /^net_af_(packet|xdp)\d*$/;

/** Interfaces named by iface= of the vdevs that open one in this namespace (netns= names another: not visible here). */
function named(vdevs: readonly string[]): { vdev: string; iface: string }[] {
  const out: { vdev: string; iface: string }[] = [];
  for (const v of vdevs) {
    let d: ReturnType<typeof parseDevargs>;
    try { d = parseDevargs(v); } catch { continue; } // the driver reports it
    const iface = d.args.get('iface');
    if (iface && WAITS_FOR.test(d.name) && !d.args.has('netns')) out.push({ vdev: d.name, iface });
  }
  return out;
}

/** Resolves once every named interface exists; after `seconds`, one usage line naming the first missing one. */
export async function waitForInterfaces(vdevs: readonly string[], seconds: number, say: (line: string) => void): Promise<void> {
  if (seconds <= 0) return;
  const want = named(vdevs);
  const missing = (): { vdev: string; iface: string }[] => {
    const now = interfacesNow();
    return want.filter((w) => !now.has(w.iface));
  };
  let m = missing();
  if (m.length === 0) return;
  say(`waiting up to ${seconds} s for interface${m.length > 1 ? 's' : ''} ${m.map((w) => w.iface).join(', ')} (--port-wait)`);
  const end = Date.now() + seconds * 1000;
  while (m.length > 0) {
    if (Date.now() >= end) throw new UsageError(`${m[0].vdev}: interface '${m[0].iface}' does not exist (waited ${seconds} s, --port-wait)`);
    await new Promise((r) => setTimeout(r, POLL_MS));
    m = missing();
  }
}
