// Running code inside a named network namespace (`ip netns add NAME`) from
// this process: the calling thread steps in, the callback opens what it needs
// (sockets stay in that namespace), and the thread steps back out.
import * as fs from 'node:fs';
import { errnoName, setNetns } from '../native';

export const NETNS_DIR = '/run/netns';

/** Runs `fn` with the calling thread in network namespace `name`. */
export function withNetns<T>(name: string, fn: () => T): T {
  let target: number;
  try {
    target = fs.openSync(`${NETNS_DIR}/${name}`, 'r');
  } catch {
    throw new Error(`network namespace '${name}' does not exist`);
  }
  const home = fs.openSync('/proc/thread-self/ns/net', 'r');
  try {
    const rc = setNetns(target);
    if (rc < 0) throw new Error(`cannot enter network namespace '${name}': ${errnoName(-rc)}${-rc === 1 ? ' (needs CAP_SYS_ADMIN)' : ''}`);
    try {
      return fn();
    } finally {
      const back = setNetns(home);
      if (back < 0) throw new Error(`cannot return from network namespace '${name}': ${errnoName(-back)}`);
    }
  } finally {
    fs.closeSync(target);
    fs.closeSync(home);
  }
}
