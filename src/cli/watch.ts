// What the main thread of a generator-style command watches while its lcores
// run: a stop request (SIGINT/SIGTERM) and an lcore failure. One object, so
// pktgen, its xdp-live engine and the sink handle both the same way.
import type { LcoreGroup, LcoreResult } from '../eal/launch';

export class RunWatch {
  stopRequested = false;
  failure: Error | undefined;
  /** Every lcore's result once all have exited ([] if one failed: see `failure`). */
  readonly finished: Promise<LcoreResult[]>;
  private readonly onSig = (): void => { this.stopRequested = true; };

  constructor(group: LcoreGroup) {
    this.finished = group.wait().catch((e: Error) => { this.failure = e; return []; });
    process.on('SIGINT', this.onSig);
    process.on('SIGTERM', this.onSig);
  }

  /** True once the run should end: a signal arrived or an lcore failed. */
  quit(): boolean {
    return this.stopRequested || this.failure !== undefined;
  }

  /** Stops listening for signals (the default handlers apply again). */
  release(): void {
    process.off('SIGINT', this.onSig);
    process.off('SIGTERM', this.onSig);
  }
}
