// EAL command-line options, parsed as DPDK's EAL does for the subset tsfwd
// implements; the DPDK options that only matter for hugepages and PCI are
// accepted and ignored so copied DPDK command lines run unchanged.
import { Args } from '../cli/args';
import type { OptionHelp } from '../cli/usage';
import { driverNames } from '../port/registry';
import { autoLcores } from './auto-lcores';
import { UsageError, parseCoreList, parseCoreMask } from './corelist';
import { PollConfig, PollModeName, checkSchedPolicy, defaultPoll, parsePollMode, parseSchedPolicy } from './poll-mode';
import { quote } from './quote';

export interface EalOptions {
  /** lcore ids (= CPUs), from -l or -c. */
  lcores: number[];
  /** With `-l auto`: one line saying which CPUs were found where (for the run's log). */
  autoNote?: string;
  /** --vdev devargs, in order: port ids follow this order. */
  vdevs: string[];
  /** Number of mbufs (--mbufs), or undefined for the application's default. */
  mbufs?: number;
  /** Bytes of frame data per mbuf (--mbuf-size), or undefined for the default 2048. */
  mbufSize?: number;
  /** --poll-mode, --empty-polls, --max-sleep-us, --sched-policy, --sched-priority. */
  poll: PollConfig;
  /** --port-wait: seconds to wait for the interfaces the ports name before opening them (0: not at all). */
  portWait: number;
  /** True if any of the poll options was given (a command that cannot honour them refuses them). */
  pollGiven: boolean;
}

/** Splits `argv` at the first `--` into EAL and application arguments. */
export function splitAtDashDash(argv: readonly string[]): [string[], string[]] {
  const i = argv.indexOf('--');
  return i < 0 ? [[...argv], []] : [argv.slice(0, i), argv.slice(i + 1)];
}

const IGNORED_WITH_VALUE = new Set(['-m', '-n', '--file-prefix', '--socket-mem', '--proc-type', '--log-level', '--huge-dir', '-r']);
const IGNORED_FLAGS = new Set(['--no-pci', '--no-huge', '--no-telemetry', '--no-shconf', '--in-memory']);

/** One line per option parseEal accepts (test/cli-help.test.ts checks): add a line with each new option. */
export const EAL_HELP: readonly OptionHelp[] = [
  ['-l, --lcores CORELIST|auto', 'lcores (= CPUs) to run on, e.g. -l 1 or -l 0-1 (default 0); auto: every CPU of this process\'s affinity ' +
    'that its cgroup\'s cpuset allows (a pod\'s CPUs, a taskset)'],
  ['-c COREMASK', 'the same as a hex mask, e.g. -c 0x3'],
  ['--vdev DEVARGS', `a port in DPDK devargs syntax, e.g. net_af_packet0,iface=veth0; repeatable, port ids follow the order; ` +
    `drivers: ${driverNames().join(', ')} (an unknown devarg is refused with the list its driver takes)`],
  ['--mbufs N', 'mempool size, 64..16777216 (default fits the ports and lcores)'],
  ['--mbuf-size N', 'bytes of frame data per mbuf (the data room after the headroom), 256..65535 (default 2048); ' +
    'raise it for jumbo frames, e.g. 9216 for 9000-byte frames'],
  ['--poll-mode busy|adaptive|interrupt', 'what an lcore does when its queues are empty: spin (busy), nap growing to --max-sleep-us and ended early by a frame on a socket queue (adaptive), or block until a queue has frames (interrupt); default busy, sink: interrupt'],
  ['--empty-polls N', 'empty polls before an lcore naps or blocks, 1..16777216 (default 512)'],
  ['--max-sleep-us U', 'longest adaptive nap in µs, 1..1000000 (default 2000)'],
  ['--sched-policy P', 'scheduling policy of the lcore threads: other (default), fifo or rr; fifo/rr (real-time: a woken lcore preempts ' +
    'every normal thread at once) need CAP_SYS_NICE and --poll-mode adaptive or interrupt'],
  ['--sched-priority N', 'real-time priority of fifo/rr lcores, 1..99 (default 10)'],
  ['--port-wait SECONDS', 'wait up to SECONDS, 0..3600, for the interfaces that net_af_packet/net_af_xdp iface= name to exist before opening ports ' +
    '(a pod\'s Multus interfaces may come up after the container starts); default 0: a missing interface is an error at once'],
  ['-h, --help', "this command's usage"],
  [[...IGNORED_FLAGS].join(', '), 'accepted and ignored (DPDK compatibility)'],
  [`${[...IGNORED_WITH_VALUE].join(', ')} VALUE`, 'accepted with their value and ignored (DPDK compatibility)'],
];

/** `pollMode`: the command's default poll mode (sink: interrupt; the rest: busy, as in DPDK). */
export function parseEal(argv: readonly string[], cmd: string, pollMode: PollModeName = 'busy'): EalOptions {
  const poll = defaultPoll(pollMode);
  let pollGiven = false;
  let lcores: number[] | undefined;
  let autoNote: string | undefined;
  const vdevs: string[] = [];
  let mbufs: number | undefined;
  let mbufSize: number | undefined;
  let portWait = 0;
  const a = new Args(argv);
  for (let o = a.next(); o !== undefined; o = a.next()) {
    if (o === '-l' || o === '--lcores') {
      if (lcores) throw new UsageError(`${cmd}: give the cores once, with -l or -c`);
      const v = a.value(o);
      if (v === 'auto') ({ lcores, note: autoNote } = autoLcores(cmd));
      else lcores = parseCoreList(v);
    } else if (o === '-c') {
      if (lcores) throw new UsageError(`${cmd}: give the cores once, with -l or -c`);
      lcores = parseCoreMask(a.value(o));
    } else if (o === '--vdev') vdevs.push(a.value(o));
    else if (o === '--mbufs') mbufs = a.int(o, 64, 1 << 24);
    else if (o === '--mbuf-size') mbufSize = a.int(o, 256, 65535);
    else if (o === '--port-wait') portWait = a.int(o, 0, 3600);
    else if (o === '--poll-mode') { poll.mode = parsePollMode(a.value(o), cmd); pollGiven = true; }
    else if (o === '--empty-polls') { poll.emptyPolls = a.int(o, 1, 1 << 24); pollGiven = true; }
    else if (o === '--max-sleep-us') { poll.maxSleepUs = a.int(o, 1, 1_000_000); pollGiven = true; }
    else if (o === '--sched-policy') { poll.schedPolicy = parseSchedPolicy(a.value(o), cmd); pollGiven = true; }
    else if (o === '--sched-priority') { poll.schedPriority = a.int(o, 1, 99); pollGiven = true; }
    else if (IGNORED_WITH_VALUE.has(o)) a.value(o);
    else if (IGNORED_FLAGS.has(o)) continue;
    else throw new UsageError(`${cmd}: unknown EAL option ${quote(o)} (application options go after --)`);
  }
  checkSchedPolicy(poll, cmd);
  return { lcores: lcores ?? [0], autoNote, vdevs, mbufs, mbufSize, portWait, poll, pollGiven };
}
