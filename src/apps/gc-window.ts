// Counting garbage collections in an lcore's steady state, the zero-allocation
// proof: collections that start GC_WARMUP_MS or more after the first received
// frame. Nothing is switched inside the loop: a branch first taken in an
// optimized lcore loop deoptimizes it, and the loop then allocates while it
// runs unoptimized, which is exactly the garbage the count must not see. So a
// PerformanceObserver records every collection's start time from the
// beginning, and the window is applied afterwards.
import { PerformanceObserver, performance } from 'node:perf_hooks';

/** Time after the first received frame before collections are counted: the
 * forwarding path tiers up (and deoptimizes once or twice) in its first
 * seconds of traffic. */
export const GC_WARMUP_MS = 2000;

export class GcWindow {
  private readonly starts: number[] = [];
  private readonly obs: PerformanceObserver;
  private firstMs = -1;

  constructor() {
    // Entries are delivered on the event loop, so during the busy loop they
    // queue up; stop() yields once to receive them.
    this.obs = new PerformanceObserver((list) => { for (const e of list.getEntries()) this.starts.push(e.startTime); });
    this.obs.observe({ entryTypes: ['gc'] });
  }

  /** The first frame arrived (call once: performance.now() allocates). */
  traffic(): void {
    if (this.firstMs < 0) this.firstMs = performance.now();
  }

  /** After the loop: collections inside the window, or -1 if it never opened. */
  async stop(): Promise<number> {
    const endMs = performance.now();
    await new Promise((r) => setTimeout(r, 20));
    this.obs.disconnect();
    if (this.firstMs < 0 || endMs - this.firstMs < GC_WARMUP_MS) return -1;
    const open = this.firstMs + GC_WARMUP_MS;
    return this.starts.filter((t) => t >= open && t <= endMs).length;
  }
}
