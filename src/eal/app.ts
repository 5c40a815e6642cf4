// What an lcore runs: a named function exported by a module, called once with
// its context, like rte_eal_remote_launch(fn, arg, lcore). It busy-polls until
// `ctx.stopped()` and returns a structured-cloneable result.
import * as path from 'node:path';
import { CTL_STOP } from './control';

export interface LcoreContext<C = unknown> {
  /** lcore id (= the CPU it is pinned to). */
  readonly lcoreId: number;
  /** Position of this lcore in the launch list, 0-based. */
  readonly index: number;
  /** Number of lcores launched together. */
  readonly count: number;
  /** Application config, including any SharedArrayBuffers, structured-cloned. */
  readonly config: C;
  /** Shared control words; word CTL_STOP is the stop flag. */
  readonly control: Int32Array;
}

/** True once the main thread (or a failing lcore) asked every lcore to stop. */
export function stopped(ctx: LcoreContext): boolean {
  // Observes the stop request; pairs with the Atomics.store in LcoreGroup.stop().
  return Atomics.load(ctx.control, CTL_STOP) !== 0;
}

export type LcoreFunction<C = unknown> = (ctx: LcoreContext<C>) => unknown;

/** Where an lcore function lives: an absolute module path and an export name. */
export interface AppRef {
  module: string;
  export: string;
}

const builtins: Record<string, AppRef> = {
  'ring-demo-producer': { module: path.join(__dirname, '..', 'apps', 'ring-demo.js'), export: 'producer' },
  'ring-demo-consumer': { module: path.join(__dirname, '..', 'apps', 'ring-demo.js'), export: 'consumer' },
  'io-fwd': { module: path.join(__dirname, '..', 'apps', 'io-fwd.js'), export: 'ioFwd' },
  'l2fwd': { module: path.join(__dirname, '..', 'apps', 'l2fwd', 'lcore.js'), export: 'l2fwdLcore' },
  'pipeline': { module: path.join(__dirname, '..', 'apps', 'pipeline', 'lcore.js'), export: 'pipelineLcore' },
  'pktgen': { module: path.join(__dirname, '..', 'apps', 'pktgen', 'lcore.js'), export: 'pktgenLcore' },
  'pktgen-xdp-live': { module: path.join(__dirname, '..', 'apps', 'pktgen', 'xdp-live.js'), export: 'xdpLiveLcore' },
  'sink': { module: path.join(__dirname, '..', 'apps', 'sink', 'lcore.js'), export: 'sinkLcore' },
};

/** Resolves a built-in app name, or passes an AppRef through. */
export function resolveApp(app: string | AppRef): AppRef {
  if (typeof app !== 'string') return app;
  const ref = builtins[app];
  if (!ref) throw new Error(`unknown lcore app '${app}' (known: ${Object.keys(builtins).join(', ')})`);
  return ref;
}
