// The one module that loads the C shim (native-shims/). Everything else calls
// the typed wrappers below, which validate arguments before crossing into C.
// Every native function returns a count or a value, or -errno on failure.
import * as path from 'node:path';
import * as os from 'node:os';

interface Shim {
  cpu_set_affinity(cpu: number): number;
  cpu_get_affinity(): number;
  cpu_get_current(): number;
  cpu_yield(): number;
  mem_address(view: ArrayBufferView): number;
  netns_set(fd: number): number;
}

function load(): Shim {
  // dist/src/native.js -> ../../native-shims/build/Release
  const file = path.resolve(__dirname, '..', '..', 'native-shims', 'build', 'Release', 'tsfwd_shim.node');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(file) as Shim;
  } catch (e) {
    throw new Error(`tsfwd: cannot load the native shim ${file} (run \`npm install\` to build it): ${(e as Error).message}`);
  }
}

const shim: Shim = load();

/** Name of an errno value, e.g. 22 -> "EINVAL". */
export function errnoName(errno: number): string {
  const names = os.constants.errno as Record<string, number>;
  for (const k of Object.keys(names)) if (names[k] === errno) return k;
  return `errno ${errno}`;
}

/** Pins the calling thread to `cpu`. Returns 0 or -errno. */
export function setAffinity(cpu: number): number {
  if (!Number.isInteger(cpu) || cpu < 0 || cpu > 1023) throw new RangeError(`cpu must be an integer 0..1023, got ${cpu}`);
  return shim.cpu_set_affinity(cpu);
}

/** CPUs the calling thread may run on (first 53), or throws. */
export function getAffinity(): number[] {
  const mask = shim.cpu_get_affinity();
  if (mask < 0) throw new Error(`sched_getaffinity failed: ${errnoName(-mask)}`);
  const cpus: number[] = [];
  for (let i = 0, m = mask; m > 0; i++, m = Math.floor(m / 2)) if (m % 2 === 1) cpus.push(i);
  return cpus;
}

/** CPU the calling thread runs on now (sched_getcpu), or -errno. */
export function currentCpu(): number {
  return shim.cpu_get_current();
}

/** sched_yield(): lets another runnable thread on this CPU run. Returns 0 or -errno. */
export function cpuYield(): number {
  return shim.cpu_yield();
}

/** Absolute address of a typed array's first byte (for alignment decisions). */
export function addressOf(view: ArrayBufferView): number {
  const a = shim.mem_address(view);
  if (a < 0) throw new TypeError('addressOf needs a typed array');
  return a;
}

/** Moves the calling thread into the network namespace open as `fd`. Returns 0 or -errno. */
export function setNetns(fd: number): number {
  if (!Number.isInteger(fd) || fd < 0) throw new RangeError(`bad namespace fd ${fd}`);
  return shim.netns_set(fd);
}
