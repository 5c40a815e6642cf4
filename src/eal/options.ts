// EAL command-line options, parsed as DPDK's EAL does for the subset tsfwd
// implements; the DPDK options that only matter for hugepages and PCI are
// accepted and ignored so copied DPDK command lines run unchanged.
import { Args } from '../cli/args';
import { UsageError, parseCoreList, parseCoreMask } from './corelist';
import { quote } from './quote';

export interface EalOptions {
  /** lcore ids (= CPUs), from -l or -c. */
  lcores: number[];
  /** --vdev devargs, in order: port ids follow this order. */
  vdevs: string[];
  /** Number of mbufs (--mbufs), or undefined for the application's default. */
  mbufs?: number;
}

/** Splits `argv` at the first `--` into EAL and application arguments. */
export function splitAtDashDash(argv: readonly string[]): [string[], string[]] {
  const i = argv.indexOf('--');
  return i < 0 ? [[...argv], []] : [argv.slice(0, i), argv.slice(i + 1)];
}

const IGNORED_WITH_VALUE = new Set(['-m', '-n', '--file-prefix', '--socket-mem', '--proc-type', '--log-level', '--huge-dir', '-r']);
const IGNORED_FLAGS = new Set(['--no-pci', '--no-huge', '--no-telemetry', '--no-shconf', '--in-memory']);

export function parseEal(argv: readonly string[], cmd: string): EalOptions {
  let lcores: number[] | undefined;
  const vdevs: string[] = [];
  let mbufs: number | undefined;
  const a = new Args(argv);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '-l' || o === '--lcores') {
      if (lcores) throw new UsageError(`${cmd}: give the cores once, with -l or -c`);
      lcores = parseCoreList(a.value(o));
    } else if (o === '-c') {
      if (lcores) throw new UsageError(`${cmd}: give the cores once, with -l or -c`);
      lcores = parseCoreMask(a.value(o));
    } else if (o === '--vdev') vdevs.push(a.value(o));
    else if (o === '--mbufs') mbufs = a.int(o, 64, 1 << 24);
    else if (IGNORED_WITH_VALUE.has(o)) a.value(o);
    else if (IGNORED_FLAGS.has(o)) continue;
    else throw new UsageError(`${cmd}: unknown EAL option ${quote(o)} (application options go after --)`);
  }
  return { lcores: lcores ?? [0], vdevs, mbufs };
}
