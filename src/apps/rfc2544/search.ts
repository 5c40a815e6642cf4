// The rate search of RFC 2544 section 26.1 (throughput), run for several loss
// targets at once as FD.io CSIT's MLRsearch does: every trial's result bounds
// every target (NDR = 0% loss, PDR = the given ratio), so a trial run for the
// NDR also narrows the PDR. Per target the bounds are recomputed from all
// trials so far: `hi` = the lowest rate that lost too much, `lo` = the highest
// rate below it that did not. The next rate is the first step of a target not
// yet done: the maximum rate, then the forwarding rate a lossy trial measured
// (MLRsearch's start from the maximum receive rate), then bisection until
// hi - lo <= precision x hi; then a longer confirmation trial at lo, which, if
// it loses too much, becomes a new hi and the search goes on.
//
// A trial whose generator fell short of the offered rate tells nothing about
// the device at that rate: it only lowers the search's ceiling to what the
// generator reached. Pure: no clock, no I/O; test/rfc2544.test.ts drives it
// with simulated devices.

export interface SearchOptions {
  /** Loss ratios in percent, e.g. [0, 0.5]: one result per target. */
  targets: readonly number[];
  /** Highest and lowest rate tried, pps. */
  maxRate: number;
  minRate: number;
  /** Relative width, percent, at which a search stops: hi - lo <= precision/100 x hi. */
  precision: number;
  /** Bound on trials (search and final) for all targets together. */
  maxTrials: number;
}

export type TrialKind = 'search' | 'final';

export interface TrialRecord {
  rate: number;
  kind: TrialKind;
  /** Percent of the frames sent that did not arrive. */
  lossPct: number;
  /** Frames per second the device delivered (received / duration). */
  rxRate: number;
  /** Frames per second the generator reached. */
  txRate: number;
  /** The generator fell short of `rate` by more than the precision: not the device's result. */
  limited: boolean;
  /**
   * The generator stalled and caught up with a burst: a pass still counts (the device met
   * a harder test), a failure is retried once, and counted if it happens again.
   */
  stalled?: boolean;
}

export interface TargetResult {
  lossTarget: number;
  /** Highest rate that met the target (confirmed by a final trial), or the lowest rate tried if none did. */
  rate: number;
  /** Loss measured at `rate`, percent. */
  lossPct: number;
  /** False when even the lowest rate lost too much. */
  found: boolean;
  /** A final (longer) trial at `rate` met the target. */
  confirmed: boolean;
  /** What stopped the search going higher: the device lost frames, the generator's ceiling, or --max-rate. */
  limitedBy: 'device' | 'generator' | 'max-rate';
}

export interface NextTrial { rate: number; kind: TrialKind; target: number }

export class RateSearch {
  readonly trials: TrialRecord[] = [];
  /** Highest rate worth offering: --max-rate, lowered by generator-limited trials. */
  ceiling: number;
  generatorCapped = false;
  private readonly hinted = new Set<number>();
  /** Per target, the index the trial at the forwarding-rate guess got (external search starts there). */
  private readonly guessAt = new Map<number, number>();

  constructor(readonly opts: SearchOptions) {
    if (!(opts.minRate > 0 && opts.maxRate >= opts.minRate)) throw new Error('rate search: need 0 < minRate <= maxRate');
    this.ceiling = opts.maxRate;
  }

  /** The next trial to run, or undefined when every target is done. */
  next(): NextTrial | undefined {
    if (this.trials.length >= this.opts.maxTrials) return undefined;
    for (let t = 0; t < this.opts.targets.length; t++) {
      const step = this.step(t);
      if (step) return step;
    }
    return undefined;
  }

  record(r: TrialRecord): void {
    this.trials.push(r);
    // A failed confirmation re-opens the search below it, from what the device delivered.
    if (r.kind === 'final' && !r.limited) {
      this.opts.targets.forEach((_, t) => { if (!this.passes(r, t)) { this.hinted.delete(t); this.guessAt.delete(t); } });
    }
    if (r.stalled) {
      const prev = this.trials[this.trials.length - 2];
      if (prev && prev.stalled && prev.rate === r.rate && prev.kind === r.kind) r.stalled = false;
    }
    // A trial at the ceiling that the generator could not reach lowers the ceiling to what
    // it reached; one in the middle of a search (a busy machine) is retried once first.
    const again = this.trials.length >= 2 && this.trials[this.trials.length - 2].limited && this.trials[this.trials.length - 2].rate === r.rate;
    if (r.limited && (r.rate >= this.ceiling * (1 - this.opts.precision / 100) || again)) {
      // What the generator reached, a little under, so the next trial is within its reach.
      const reach = Math.floor(Math.min(r.txRate, r.rate) * (1 - this.opts.precision / 200));
      this.ceiling = Math.max(this.opts.minRate, Math.min(this.ceiling, reach));
      this.generatorCapped = true;
    }
  }

  /** Results per target, from the trials so far. */
  results(): TargetResult[] {
    return this.opts.targets.map((_, t) => this.result(t));
  }

  private passes(r: TrialRecord, t: number): boolean {
    return r.lossPct <= this.opts.targets[t];
  }

  /**
   * `hi` = the lowest rate that lost too much; `top` = hi's rate, or lower when a failed
   * confirmation trial showed the device sustains less (what it delivered over the long
   * trial, scaled by the loss allowed): short search trials above that passed only because
   * the device's queues had not filled yet. `lo` = the highest passing rate below top.
   */
  private bounds(t: number): { lo?: TrialRecord; hi?: TrialRecord; top: number } {
    const allowed = 1 - this.opts.targets[t] / 100;
    let hi: TrialRecord | undefined;
    let top = Infinity;
    for (const r of this.trials) {
      if (r.limited || r.stalled || this.passes(r, t)) continue;
      if (!hi || r.rate < hi.rate) hi = r;
      top = Math.min(top, r.rate, r.kind === 'final' ? Math.max(this.opts.minRate, r.rxRate / allowed) : Infinity);
    }
    let lo: TrialRecord | undefined;
    for (const r of this.trials) {
      if (r.limited || !this.passes(r, t) || r.rate >= top || r.rate > this.ceiling) continue;
      // The same rate passed by a final trial outranks a search trial (it is longer).
      if (!lo || r.rate > lo.rate || (r.rate === lo.rate && r.kind === 'final')) lo = r;
    }
    return { lo, hi, top: Math.min(top, this.ceiling) };
  }

  private step(t: number): NextTrial | undefined {
    const { lo, hi, top } = this.bounds(t);
    const { minRate, precision } = this.opts;
    const p = precision / 100;
    const narrow = (a: number, b: number): boolean => b - a <= p * b;
    const search = (rate: number): NextTrial => ({ rate: Math.round(rate), kind: 'search', target: t });
    if (lo && (lo.rate >= this.ceiling || narrow(lo.rate, top))) {
      return lo.kind === 'final' ? undefined : { rate: lo.rate, kind: 'final', target: t };
    }
    if (!hi) return search(this.ceiling);
    if (!lo && top <= minRate) return undefined; // even the lowest rate lost too much
    if (!lo && narrow(minRate, top)) return search(minRate);
    // Once per target (again after a failed confirmation): just under what the device
    // delivered at the lowest failing rate, scaled by the loss allowed (MLRsearch starts
    // from the maximum receive rate the same way).
    if (!this.hinted.has(t)) {
      this.hinted.add(t);
      const guess = Math.min(top, (hi.rxRate / (1 - this.opts.targets[t] / 100))) * (1 - p / 2);
      const floor = lo ? lo.rate * (1 + p) : minRate;
      if (guess > floor && guess <= top * (1 - p / 2)) { this.guessAt.set(t, this.trials.length); return search(guess); }
      if (lo) this.guessAt.set(t, this.trials.indexOf(lo)); // the answer is just above lo: search up from there
    }
    if (!lo) return search(Math.max(minRate, top / 2));
    // MLRsearch's external search: after the guess passed, the answer is usually just
    // above it, so step up by a width that doubles with each pass (one precision first)
    // rather than halving the wide interval up to top.
    const from = this.guessAt.get(t);
    if (from !== undefined && from >= 0 && from < this.trials.length) {
      const since = this.trials.slice(from).filter((r) => !r.limited && !(r.stalled && !this.passes(r, t)));
      if (since.length > 0 && since.every((r) => this.passes(r, t))) {
        const up = lo.rate * (1 + p * 2 ** (since.length - 1));
        if (up < (lo.rate + top) / 2) return search(up);
      }
    }
    return search((lo.rate + top) / 2);
  }

  private result(t: number): TargetResult {
    const { lo, hi } = this.bounds(t);
    const lossTarget = this.opts.targets[t];
    if (!lo) {
      // Nothing met the target: report the lowest rate tried, with its loss.
      let low: TrialRecord | undefined;
      for (const r of this.trials) if (!r.limited && (!low || r.rate < low.rate)) low = r;
      return { lossTarget, rate: low?.rate ?? 0, lossPct: low?.lossPct ?? 0, found: false, confirmed: false, limitedBy: 'device' };
    }
    const atTop = !hi && lo.rate >= this.ceiling * (1 - this.opts.precision / 100);
    const limitedBy = !atTop ? 'device' : this.generatorCapped ? 'generator' : 'max-rate';
    return { lossTarget, rate: lo.rate, lossPct: lo.lossPct, found: true, confirmed: lo.kind === 'final', limitedBy };
  }
}
