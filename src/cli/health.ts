// What /healthz and /readyz answer on the --metrics server (Kubernetes'
// liveness and readiness probes). Live: the process serves and is not
// stopping. Ready: every lcore has pinned itself and entered its loop, and
// every port's interface is up with carrier. Each answer that is not "ok" is
// one line saying why.
import { CTL_STATE, LcoreState, lcoreWord } from '../eal/control';
import type { LcoreGroup } from '../eal/launch';
import type { LinkWatch } from './link-watch';

export interface Health {
  /** undefined when alive, else why not. */
  live(): string | undefined;
  /** undefined when ready, else why not. */
  ready(): string | undefined;
}

export class RunHealth implements Health {
  private group: LcoreGroup | undefined;
  private stopping = false;

  constructor(private readonly links: LinkWatch) {}

  /** The lcores were launched: readiness now follows their state. */
  launched(group: LcoreGroup): void {
    this.group = group;
  }

  /** A stop was asked for (signal, --duration, a failing lcore): neither live nor ready from now on. */
  stop(): void {
    this.stopping = true;
  }

  live(): string | undefined {
    return this.stopping ? 'stopping' : undefined;
  }

  ready(): string | undefined {
    if (this.stopping) return 'stopping';
    const g = this.group;
    if (!g) return 'lcores not launched yet';
    const n = g.running();
    if (n < g.lcores.length) return `lcores starting: ${n} of ${g.lcores.length} running`;
    for (let i = 0; i < g.lcores.length; i++) {
      // Observes the lcore's state store (lcore-worker.ts; Failed from LcoreGroup's error handler).
      const st = Atomics.load(g.control, lcoreWord(i, CTL_STATE));
      if (st !== LcoreState.Running) return `lcore ${g.lcores[i]} ${st === LcoreState.Failed ? 'failed' : 'left its loop'}`;
    }
    return this.links.notUp();
  }
}
