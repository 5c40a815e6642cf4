// The lcore side of the poll modes (poll-mode.ts) and of per-lcore busy-ness.
// An lcore calls `poll(got)` once per loop iteration with the frames that
// iteration handled. It counts polls and empty polls, measures the time spent
// in iterations that did work (busy) and asleep, and in adaptive or interrupt
// mode puts the thread to sleep after a run of empty polls.
//
// Busy time: one clock read per poll; the interval since the previous poll is
// the iteration just finished, and it counts as busy if it handled a frame
// (DPDK's lcore poll busyness works the same way, with the TSC).
import { LcoreContext, stopped } from './app';
import { CTL_WAKE_FD, lcoreWord } from './control';
import { PollConfig } from './poll-mode';
import { MONO_US_MASK, evfdCreate, monoUs, errnoName, setPolicy, setSlice, waitNap, waitSetCreate, waitSetFree } from '../native';
import type { Ring } from '../ring/ring';
import type { RxWake } from '../port/types';

// Words of an lcore's stats line (8 Float64s), shared by every lcore app.
export const L_POLLS = 0;     // loop iterations (rx polls of all its queues)
export const L_EMPTY = 1;     // iterations in which no queue returned a frame
export const L_SLEEP_US = 2;  // time asleep (naps and blocked waits), µs
export const L_BUSY_US = 3;   // time in iterations that handled a frame, µs
export const L_SLEEPS = 4;    // naps and waits entered

const MODE_BUSY = 0;
const MODE_NAP = 1;
const MODE_BLOCK = 2;
const FIRST_NAP_US = 16;
// Time slice asked for by lcores that sleep (EEVDF's minimum, 0.1 ms).
const LCORE_SLICE_US = 100;
// A blocked lcore also wakes this often: a safety net, never the mechanism.
const BLOCK_MAX_MS = 1000;
// Wakes in a row that found no frame before naps stop listening to the rx fds:
// an fd that stays readable without frames to take (an empty mempool leaves
// them in the ring, a socket hung up) would otherwise make every sleep return
// at once, a busy spin with a syscall per poll. A frame, or a listening sleep
// that runs to its timeout, ends the run; while blind, one sleep in
// BLIND_PROBE listens again, so the lcore recovers without traffic.
const SPURIOUS_MAX = 8;
const BLIND_PROBE = 256;

// This thread's Idlers that still hold a wait set (a wait set is a slot of the
// shim's 256): lcore-worker closes them when the app returns or throws.
const open = new Set<Idler>();

/** Releases the wait sets of this thread's Idlers that the app did not close. */
export function closeIdlers(): void {
  for (const i of [...open]) i.close();
}

export class Idler {
  /** busy, adaptive, or interrupt; interrupt with an unwaitable queue naps. */
  readonly mode: 'busy' | 'adaptive' | 'interrupt';
  private readonly m: number;
  private readonly emptyMax: number;
  private readonly maxNapUs: number;
  private readonly control: Int32Array;
  private readonly rings: Ring[];
  private waitSet = -1;
  private readonly evfd: number;
  private empty = 0;
  /** The last sleep ended early (a readable fd or the eventfd), not by its timeout. */
  private early = false;
  /** Early wakes in a row whose next poll found nothing. */
  private spurious = 0;
  /** Sleeps since the lcore went blind (spurious >= SPURIOUS_MAX). */
  private blindSleeps = 0;
  private napUs = FIRST_NAP_US;
  private last: number;

  /** The clock (monoUs) at the last poll: lcores use it instead of reading it again. */
  get now(): number { return this.last; }

  /**
   * `wakes`: one per rx queue the lcore polls; `line`/`base`: its stats line;
   * `beforeSleep`: drains what must not wait through a sleep (buffered tx).
   */
  constructor(private readonly ctx: LcoreContext, cfg: PollConfig, wakes: readonly RxWake[],
    private readonly line: Float64Array, private readonly base: number, private readonly beforeSleep?: () => void) {
    this.control = ctx.control;
    this.emptyMax = cfg.emptyPolls;
    this.maxNapUs = cfg.maxSleepUs;
    this.rings = [];
    const fds: number[] = [];
    let blockable = wakes.length > 0;
    for (const w of wakes) {
      if (w === null) blockable = false;
      else if (w.ring) this.rings.push(w.ring);
      else fds.push(w.fd);
    }
    // The shim's wait sets hold 64 fds, one of them the eventfd.
    if (cfg.mode === 'interrupt' && blockable && fds.length > 63) throw new Error(`poll-mode interrupt: an lcore can wait on at most 63 queues, this one polls ${fds.length}`);
    // Every lcore gets an eventfd: stop() writes it, and so does a ring's
    // producer once the lcore armed its doorbell. Interrupt mode blocks on it
    // and its rx fds; adaptive naps on the same set with a timeout, so a frame
    // ends the nap instead of waiting in a filling ring (more than 63 fds: a
    // nap without them); pktgen's pacing pauses sleep on it alone.
    const evfd = evfdCreate();
    if (evfd < 0) throw new Error(`lcore ${ctx.lcoreId}: cannot create an eventfd (errno ${-evfd})`);
    // Publishes the fd stop() writes to; pairs with the load in LcoreGroup.stop().
    Atomics.store(this.control, lcoreWord(ctx.index, CTL_WAKE_FD), evfd + 1);
    this.evfd = evfd;
    const block = cfg.mode === 'interrupt' && blockable;
    if (block) {
      this.m = MODE_BLOCK;
      this.mode = 'interrupt';
    } else {
      this.m = cfg.mode === 'busy' ? MODE_BUSY : MODE_NAP;
      this.mode = cfg.mode === 'busy' ? 'busy' : 'adaptive';
    }
    // A sleeping lcore must get its CPU back as soon as it wakes, not after a
    // thread that has been running (a GC helper, another process) has used
    // a default slice (~3 ms here, a ring's worth of frames at 100 kpps):
    // the shortest fair-scheduler slice makes its wakeups preempt. Busy lcores
    // never sleep and keep the default. Best effort: a kernel before 6.12
    // ignores the request, a seccomp filter may refuse it; neither changes
    // what the lcore does.
    if (this.m !== MODE_BUSY) setSlice(LCORE_SLICE_US);
    // Real-time lcores (--sched-policy): a woken lcore preempts any normal
    // thread at once (a GC helper, a compiler thread, another process's
    // main thread), where the fair scheduler may let it wait a slice.
    if (cfg.schedPolicy !== 'other') {
      const rc = setPolicy(cfg.schedPolicy === 'fifo' ? 1 : 2, cfg.schedPriority);
      if (rc < 0) throw new Error(`--sched-policy ${cfg.schedPolicy}: ${errnoName(-rc)}${rc === -1 ? ' (needs CAP_SYS_NICE)' : ''}`);
    }
    // Last: nothing after it throws, so the slot is released by close().
    const listen = fds.length <= 63 ? fds : [];
    const set = waitSetCreate(Int32Array.from([evfd, ...listen]));
    if (set < 0) throw new Error(`lcore ${ctx.lcoreId}: cannot register ${listen.length + 1} fds for its waits (errno ${-set})`);
    this.waitSet = set;
    open.add(this);
    this.last = monoUs();
  }

  /** Once per loop iteration, after it: `got` frames handled (0: an empty poll). */
  poll(got: number): void {
    const line = this.line;
    const b = this.base;
    const now = monoUs();
    const dt = (now - this.last) & MONO_US_MASK;
    this.last = now;
    line[b + L_POLLS]++;
    if (got > 0) {
      line[b + L_BUSY_US] += dt;
      this.empty = 0;
      this.napUs = FIRST_NAP_US;
      // Set only around sleeps: a busy iteration tests, it does not write.
      if (this.early || this.spurious !== 0) {
        this.early = false;
        this.spurious = 0;
        this.blindSleeps = 0;
      }
      return;
    }
    line[b + L_EMPTY]++;
    if (this.early) {
      this.early = false;
      this.spurious++;
    }
    // Past the threshold every empty poll sleeps again (the count is reset by a
    // frame only): spinning another run of empty polls between naps would cost
    // more CPU than the naps save (l3fwd-power keeps sleeping the same way).
    if (this.m === MODE_BUSY || ++this.empty < this.emptyMax) return;
    // Stopping: lcores drain what is left, they must not sleep through it.
    if (stopped(this.ctx)) return;
    if (this.beforeSleep !== undefined) this.beforeSleep();
    // Blocking on fds that keep waking the lcore for nothing would spin: nap blind instead.
    if (this.m === MODE_BLOCK && this.spurious < SPURIOUS_MAX) this.block();
    else this.nap();
    const after = monoUs();
    line[b + L_SLEEP_US] += (after - this.last) & MONO_US_MASK;
    line[b + L_SLEEPS]++;
    this.last = after;
  }

  /**
   * Sleeps about `us` µs now (pktgen between paced bursts: it knows when its
   * next frame is due), counted as an empty poll and as time asleep. A stop
   * ends it at once.
   */
  pause(us: number): void {
    const line = this.line;
    const b = this.base;
    line[b + L_POLLS]++;
    line[b + L_EMPTY]++;
    if (stopped(this.ctx)) return; // a stop drained by an earlier sleep would not end this one
    const before = monoUs();
    waitNap(this.waitSet, us, true); // ended early by stop() only, at most 1 s (the caller pauses again)
    const after = monoUs();
    line[b + L_SLEEP_US] += (after - before) & MONO_US_MASK;
    line[b + L_SLEEPS]++;
    this.last = after;
  }

  private nap(): void {
    this.sleep(this.napUs);
    const next = this.napUs * 2;
    this.napUs = next > this.maxNapUs ? this.maxNapUs : next;
  }

  private block(): void {
    this.sleep(BLOCK_MAX_MS * 1000);
  }

  /**
   * Sleeps up to `us` µs, less if stop(), a ring's doorbell or an rx fd wakes
   * it (a frame, or a socket error, which the wait reads and so clears). Blind
   * (after SPURIOUS_MAX wakes for nothing) only stop() and doorbells wake it.
   */
  private sleep(us: number): void {
    if (this.waitSet < 0) return; // closed: nothing to wait on
    const rings = this.rings;
    let armed = 0;
    while (armed < rings.length && rings[armed].armDoorbell(this.evfd)) armed++;
    const blind = this.spurious >= SPURIOUS_MAX && ++this.blindSleeps % BLIND_PROBE !== 0;
    // Checked after publishing the wake fd (constructor) and arming the rings:
    // a stop() or an enqueue from now on writes the eventfd.
    if (armed === rings.length && !stopped(this.ctx)) {
      const r = waitNap(this.waitSet, us, blind);
      this.early = r > 0;
      // A listening sleep that ran its course: whatever kept the fds readable is gone.
      if (r === 0 && !blind) {
        this.spurious = 0;
        this.blindSleeps = 0;
      }
    }
    for (let i = 0; i < armed; i++) rings[i].disarmDoorbell();
  }

  /** After the loop: releases the wait set (the eventfd is closed by the lcore group). */
  close(): void {
    if (this.waitSet >= 0) waitSetFree(this.waitSet);
    this.waitSet = -1;
    open.delete(this);
  }
}
