// Entry point of every lcore thread: pin to the CPU, then run the app function
// once. The result (or the exception) goes back to the main thread after the
// loop has ended; nothing is posted while it runs.
import { parentPort, workerData } from 'node:worker_threads';
import { currentCpu, errnoName, setAffinity } from '../native';
import { AppRef, LcoreContext, LcoreFunction } from './app';
import { CTL_CPU, CTL_STATE, LcoreState, lcoreWord } from './control';
import { closeIdlers } from './idler';

export interface LcoreWorkerData {
  lcoreId: number;
  index: number;
  count: number;
  app: AppRef;
  config: unknown;
  control: SharedArrayBuffer;
  pin: boolean;
}

async function run(): Promise<void> {
  const d = workerData as LcoreWorkerData;
  const control = new Int32Array(d.control);
  if (d.pin) {
    const rc = setAffinity(d.lcoreId);
    if (rc < 0) throw new Error(`cannot pin to CPU ${d.lcoreId}: sched_setaffinity failed with ${errnoName(-rc)}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(d.app.module) as Record<string, unknown>;
  const fn = mod[d.app.export];
  if (typeof fn !== 'function') throw new Error(`${d.app.module} exports no function '${d.app.export}'`);
  const ctx: LcoreContext = { lcoreId: d.lcoreId, index: d.index, count: d.count, config: d.config, control };
  // Publishes where this lcore runs; read by the main thread (LcoreGroup.cpuOf).
  Atomics.store(control, lcoreWord(d.index, CTL_CPU), currentCpu());
  // Publishes "running"; pairs with the loads in LcoreGroup.running().
  Atomics.store(control, lcoreWord(d.index, CTL_STATE), LcoreState.Running);
  let result: unknown;
  try {
    const ret = (fn as LcoreFunction)(ctx);
    // An app may finish asynchronously after its loop (l2fwd collects its GC
    // observations); the loop itself never awaits.
    result = ret instanceof Promise ? await ret : ret;
  } finally {
    // An app that threw (or forgot) leaves its Idler's wait set: release it.
    closeIdlers();
  }
  Atomics.store(control, lcoreWord(d.index, CTL_STATE), LcoreState.Done);
  parentPort!.postMessage({ result });
}

// A failure surfaces as the Worker's 'error' event (an uncaught exception), as before.
run().catch((e: unknown) => { setImmediate(() => { throw e; }); });
