// Launching lcores and waiting for them: rte_eal_remote_launch +
// rte_eal_mp_wait_lcore on worker_threads. One worker per lcore, pinned from
// inside itself; a shared stop flag ends every loop; the first lcore that
// throws stops the others and is reported with its id.
//
// Plain worker_threads rather than piscina: an lcore is one forever-task on
// one fixed CPU, so a pool's queue and idle-worker dispatch add nothing, and
// the 'error'/'exit' events of a dedicated Worker name the lcore directly.
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as fs from 'node:fs';
import { evfdSignal, getAffinity } from '../native';
import { AppRef, resolveApp } from './app';
import { CTL_CPU, CTL_STATE, CTL_STOP, CTL_WAKE_FD, LcoreState, controlBytesFor, lcoreWord } from './control';
import { formatCoreList } from './corelist';
import type { LcoreWorkerData } from './lcore-worker';

export interface LaunchOptions {
  /** lcore ids = CPU ids, one worker thread each. */
  lcores: readonly number[];
  /** App to run on every lcore, or one per lcore (same order as `lcores`). */
  app: string | AppRef | readonly (string | AppRef)[];
  /** Per-lcore config, or one shared config; must be structured-cloneable. */
  config?: unknown;
  configs?: readonly unknown[];
  /** Pin each lcore to its CPU (default true). */
  pin?: boolean;
}

export interface LcoreResult {
  lcoreId: number;
  result: unknown;
}

/** An lcore that threw; the message names the lcore. */
export class LcoreError extends Error {
  constructor(readonly lcoreId: number, readonly reason: Error) {
    super(`lcore ${lcoreId} failed: ${reason.message}`);
  }
}

export class LcoreGroup {
  readonly control: Int32Array;
  private readonly done: Promise<LcoreResult[]>;

  private constructor(readonly lcores: readonly number[], workers: Worker[], control: Int32Array, createError?: LcoreError) {
    this.control = control;
    this.done = this.collect(workers, createError);
  }

  static launch(opts: LaunchOptions): LcoreGroup {
    const lcores = opts.lcores;
    if (lcores.length === 0) throw new Error('no lcores to launch');
    if (new Set(lcores).size !== lcores.length) throw new Error(`lcore list ${lcores.join(',')} repeats a core`);
    const pin = opts.pin ?? true;
    if (pin) {
      const allowed = getAffinity();
      for (const c of lcores) {
        if (!allowed.includes(c)) {
          throw new Error(`lcore ${c}: CPU ${c} is not available (this process may run on CPUs ${formatCoreList(allowed)})`);
        }
      }
    }
    const apps = Array.isArray(opts.app) ? opts.app : lcores.map(() => opts.app as string | AppRef);
    if (apps.length !== lcores.length) throw new Error(`${apps.length} apps for ${lcores.length} lcores`);
    const refs = apps.map(resolveApp);
    const control = new Int32Array(new SharedArrayBuffer(controlBytesFor(lcores.length)));
    // Fault injection for tests: TSFWD_FAULT_WORKER=k makes creating the k-th
    // worker fail the way a real failure (EAGAIN, out of memory) would.
    const faultAt = process.env.TSFWD_FAULT_WORKER !== undefined ? Number(process.env.TSFWD_FAULT_WORKER) : -1;
    const workers: Worker[] = [];
    let createError: LcoreError | undefined;
    for (let index = 0; index < lcores.length; index++) {
      const lcoreId = lcores[index];
      const data: LcoreWorkerData = {
        lcoreId, index, count: lcores.length, app: refs[index], control: control.buffer as SharedArrayBuffer, pin,
        config: opts.configs ? opts.configs[index] : opts.config,
      };
      try {
        if (index === faultAt) throw new Error('injected fault (TSFWD_FAULT_WORKER)');
        workers.push(new Worker(path.join(__dirname, 'lcore-worker.js'), { workerData: data, name: `lcore-${lcoreId}` }));
      } catch (e) {
        // The lcores already started must leave before the caller releases the
        // ports they use: stop them, and report the failure from wait(), which
        // resolves only after they exited.
        createError = new LcoreError(lcoreId, new Error(`cannot start its thread: ${(e as Error).message}`));
        break;
      }
    }
    const group = new LcoreGroup(lcores.slice(0, workers.length), workers, control, createError);
    if (createError) group.stop();
    return group;
  }

  /** Asks every lcore to leave its loop. */
  stop(): void {
    // Publishes the stop request; pairs with the load in stopped(ctx).
    Atomics.store(this.control, CTL_STOP, 1);
    // Wakes an lcore app that waits on the flag itself (the Idler does not).
    Atomics.notify(this.control, CTL_STOP);
    // Wakes lcores napping or blocked in ppoll() (idler.ts, every poll mode).
    // Observes the fd each publishes before its first wait; an lcore that
    // publishes after this load sees the stop flag before it waits (the Idler
    // checks it last).
    for (let i = 0; i < this.lcores.length; i++) {
      const fd = Atomics.load(this.control, lcoreWord(i, CTL_WAKE_FD)) - 1;
      if (fd >= 0) evfdSignal(fd);
    }
  }

  /** Number of lcores that have pinned themselves and entered their app. */
  running(): number {
    let n = 0;
    for (let i = 0; i < this.lcores.length; i++) {
      // Observes the worker's state store in lcore-worker.ts.
      if (Atomics.load(this.control, lcoreWord(i, CTL_STATE)) >= LcoreState.Running) n++;
    }
    return n;
  }

  /** CPU lcore `index` reported after pinning, or -1 before it started. */
  cpuOf(index: number): number {
    // Observes the worker's CTL_CPU store; the CTL_STATE store after it marks it valid.
    return Atomics.load(this.control, lcoreWord(index, CTL_STATE)) >= LcoreState.Running
      ? Atomics.load(this.control, lcoreWord(index, CTL_CPU)) : -1;
  }

  /** Resolves with every lcore's result once all have exited; rejects with the first LcoreError. */
  wait(): Promise<LcoreResult[]> {
    return this.done;
  }

  private collect(workers: Worker[], createError?: LcoreError): Promise<LcoreResult[]> {
    let firstError: LcoreError | undefined = createError;
    const one = (w: Worker, index: number): Promise<LcoreResult> => new Promise((resolve) => {
      const lcoreId = this.lcores[index];
      let result: unknown;
      w.on('message', (m: { result: unknown }) => { result = m.result; });
      w.on('error', (e: Error) => {
        Atomics.store(this.control, lcoreWord(index, CTL_STATE), LcoreState.Failed);
        firstError ??= new LcoreError(lcoreId, e);
        this.stop();
      });
      w.on('exit', (code) => {
        if (code !== 0 && !firstError) {
          firstError = new LcoreError(lcoreId, new Error(`worker exited with code ${code}`));
          this.stop();
        }
        resolve({ lcoreId, result });
      });
    });
    return Promise.all(workers.map(one)).then((results) => {
      // The lcores' eventfds are closed here, once nobody can signal or wait on
      // them: an lcore closing its own would race stop() writing to a reused fd.
      for (let i = 0; i < this.lcores.length; i++) {
        const fd = Atomics.exchange(this.control, lcoreWord(i, CTL_WAKE_FD), 0) - 1;
        if (fd >= 0) fs.closeSync(fd);
      }
      if (firstError) throw firstError;
      return results;
    });
  }
}
