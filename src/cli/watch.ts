// What the main thread of every lcore command watches while its lcores run: a
// stop request (SIGINT/SIGTERM) and an lcore failure. One object, so l2fwd,
// pipeline, pktgen, its xdp-live engine and the sink handle both the same way.
//
// The first signal asks for a graceful stop (lcores drain, books are checked).
// A signal that arrives once the run is already stopping (a second Ctrl-C, or
// any signal after --duration/--count ended the run) forces the exit: print
// what is known, say the accounting check was skipped, exit 128 + signo, as a
// shell reports a process killed by that signal. A repeat within
// SAME_SIGNAL_MS of the same first signal counts as the same request: coreutils
// `timeout -s INT` delivers its signal twice (to the command, then to its
// process group), which must not skip the final stats.
import type { LcoreGroup, LcoreResult } from '../eal/launch';

const SIGNO: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };
const SAME_SIGNAL_MS = 250;

export interface WatchOptions {
  /** Lines describing the run so far, printed on a forced exit (read from shared counters). */
  report?: () => string[];
  /** Where the forced-exit lines go (default stderr). */
  write?: (s: string) => void;
}

export class RunWatch {
  stopRequested = false;
  failure: Error | undefined;
  /** Every lcore's result once all have exited ([] if one failed: see `failure`). */
  readonly finished: Promise<LcoreResult[]>;
  private stopping = false;
  private firstSignalAt = -Infinity;
  private firstSignal: NodeJS.Signals | undefined;
  private readonly onSig = (sig: NodeJS.Signals): void => {
    const now = performance.now();
    if (this.stopRequested && sig === this.firstSignal && now - this.firstSignalAt < SAME_SIGNAL_MS) return;
    if (this.stopping || this.stopRequested) this.force(sig);
    this.firstSignalAt = now;
    this.firstSignal = sig;
    this.stopRequested = true;
    this.onStop?.();
  };

  /** `onStop`: called on the first signal (e.g. to set the lcores' stop flag at once). */
  constructor(group: LcoreGroup, private readonly opts: WatchOptions = {}, private readonly onStop?: () => void) {
    this.finished = group.wait().catch((e: Error) => { this.failure = e; return []; });
    process.on('SIGINT', this.onSig);
    process.on('SIGTERM', this.onSig);
  }

  /** True once the run should end: a signal arrived or an lcore failed. */
  quit(): boolean {
    return this.stopRequested || this.failure !== undefined;
  }

  /** The run is stopping (lcores told to leave): from now on a signal forces the exit. */
  release(): void {
    this.stopping = true;
  }

  /** The run is over: the default signal handlers apply again. */
  close(): void {
    process.off('SIGINT', this.onSig);
    process.off('SIGTERM', this.onSig);
  }

  private force(sig: NodeJS.Signals): never {
    const write = this.opts.write ?? ((s: string): void => { process.stderr.write(s); });
    let lines: string[] = [];
    try {
      lines = this.opts.report?.() ?? [];
    } catch (e) {
      lines = [`(statistics unavailable: ${(e as Error).message})`];
    }
    for (const l of lines) write(`${l}\n`);
    process.stderr.write(`tsfwd: second ${sig}: exiting without waiting for the lcores; accounting check skipped\n`);
    process.exit(128 + (SIGNO[sig] ?? 0));
  }
}
