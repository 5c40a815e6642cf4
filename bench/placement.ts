// Where the host put the two CPUs the fwd bench uses. On a VM the two vCPUs
// may share a cache or sit far apart, and the host moves them within seconds:
// a 1514-byte handoff from CPU a to CPU b then takes ~300 or ~1200 ns. Every
// frame a forwarder takes crosses CPUs (the kernel writes it into the socket
// ring on the generator's CPU, the lcore reads it on the other), so a run
// made far apart measures the placement, not the forwarder. bench/c/xcpu.c
// probes it between runs; the bench waits for a near placement and keeps a
// run only if the probes before and after it both read near.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep } from './traffic';

/** A probe reading more than this many times the lowest one seen reads "far". */
export const FAR_FACTOR = 2;
const PROBE_MS = 150;

/** Whether a reading `ns` is far from the near placement's cost; pure, so the rule is tested on its own. */
export function isFar(ns: number, near: number): boolean {
  return ns > FAR_FACTOR * near;
}

/**
 * The near placement's cost: the 25th percentile of `readings`. Far readings
 * may be a third of them, and a rarer, faster placement (the vCPUs on one
 * core's two threads, ~130 ns here) must not make the usual near one far.
 */
export function nearCost(readings: readonly number[]): number {
  const s = [...readings].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 4)];
}

export class Placement {
  private readonly bin: string;
  /** Every reading, ns per round trip. */
  readonly readings: number[] = [];
  private constructor(bin: string, private readonly cpus: [number, number]) { this.bin = bin; }

  /** Builds the probe with cc; undefined (and why) when it cannot be built or run here. */
  static build(cpus: [number, number]): Placement | string {
    const src = path.resolve(__dirname, '..', '..', 'bench', 'c', 'xcpu.c');
    const bin = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-xcpu-')), 'xcpu');
    const cc = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', bin, src], { encoding: 'utf8' });
    if (cc.status !== 0) return `placement probe not built: cc failed (${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]})`;
    const p = new Placement(bin, cpus);
    try { p.probe(); } catch (e) { p.dispose(); return `placement probe failed: ${(e as Error).message}`; }
    return p;
  }

  /** One reading: ns per 1514-byte round trip between the two CPUs (both must be idle, or it measures their load). */
  probe(): number {
    const r = spawnSync(this.bin, [String(this.cpus[0]), String(this.cpus[1]), String(PROBE_MS)], { encoding: 'utf8', timeout: 10_000 });
    const ns = Number(r.stdout.trim());
    if (r.status !== 0 || !(ns > 0)) throw new Error((r.stderr || r.error?.message || 'no reading').trim());
    this.readings.push(ns);
    return ns;
  }

  get lowest(): number { return nearCost(this.readings); }
  far(ns: number): boolean { return isFar(ns, this.lowest); }

  /** Probes every 0.5 s until a reading is near or `maxMs` has passed; returns the last reading. */
  async waitNear(maxMs: number): Promise<number> {
    const end = Date.now() + maxMs;
    let ns = this.probe();
    while (this.far(ns) && Date.now() < end) {
      await sleep(500);
      ns = this.probe();
    }
    return ns;
  }

  dispose(): void { fs.rmSync(path.dirname(this.bin), { recursive: true, force: true }); }
}
