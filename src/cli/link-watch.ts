// Says, once, when the interface behind a port disappears mid-run (`ip link
// del`, a container's veth torn down): the port's tx failures and silence
// then have a visible cause. The run goes on: the other ports keep working,
// and the books still balance at the end.
//
// The interface list comes from /proc/self/net/dev, which shows the network
// namespace this process is in (sysfs would show the namespace of whoever
// mounted it, which differs under `nsenter --net`). A port opened with
// `netns=NAME` is looked for in that namespace (the thread steps in to read it).
import * as fs from 'node:fs';
import { IFF_RUNNING, IFF_UP, errnoName, linkFlags } from '../native';
import { parseDevargs } from '../port/devargs';
import { NETNS_DIR, withNetns } from '../topo/netns';

const PERIOD_MS = 250;

export function interfacesNow(): Set<string> {
  const names = new Set<string>();
  // thread-self: inside withNetns() only this thread has moved.
  for (const line of fs.readFileSync('/proc/thread-self/net/dev', 'utf8').split('\n')) {
    const m = /^\s*([^:\s]+):/.exec(line);
    if (m) names.add(m[1]);
  }
  return names;
}

export class LinkWatch {
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly watched: { port: number; name: string; iface: string; netns: string | undefined; gone: boolean }[] = [];

  /** `vdevs` in port order; `names` the ports' names. */
  constructor(vdevs: readonly string[], names: readonly string[], private readonly say: (line: string) => void) {
    vdevs.forEach((v, port) => {
      const args = parseDevargs(v).args;
      const iface = args.get('iface');
      if (iface) this.watched.push({ port, name: names[port], iface, netns: args.get('netns'), gone: false });
    });
    if (this.watched.length > 0) {
      this.timer = setInterval(() => this.check(), PERIOD_MS);
      this.timer.unref();
    }
  }

  /** Reports every watched interface that is gone and was not reported yet. */
  check(): void {
    const seen = new Map<string | undefined, Set<string> | null>();
    for (const w of this.watched) {
      if (w.gone) continue;
      let now = seen.get(w.netns);
      if (now === undefined) {
        try {
          // A namespace deleted mid-run took its interfaces with it.
          now = w.netns === undefined ? interfacesNow()
            : fs.existsSync(`${NETNS_DIR}/${w.netns}`) ? withNetns(w.netns, interfacesNow) : new Set<string>();
        } catch {
          // No /proc, or setns refused once capabilities were dropped: nothing to say.
          now = null;
        }
        seen.set(w.netns, now);
      }
      if (now === null || now.has(w.iface)) continue;
      w.gone = true;
      this.say(`port ${w.port} (${w.name}): interface ${w.iface} is gone: the port can no longer send or receive`);
    }
  }

  /** Why some port's interface cannot carry frames now (gone, down, no carrier), or undefined if all can: for /readyz. */
  notUp(): string | undefined {
    for (const w of this.watched) {
      const f = linkFlags(w.iface);
      const why = f < 0 ? (f === -19 ? 'is gone' : `cannot be read (${errnoName(-f)})`)
        : (f & IFF_UP) === 0 ? 'is down' : (f & IFF_RUNNING) === 0 ? 'has no carrier' : undefined;
      if (why) return `port ${w.port} (${w.name}): interface ${w.iface} ${why}`;
    }
    return undefined;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
