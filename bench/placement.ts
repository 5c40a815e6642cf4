// Where the host put the two CPUs the fwd bench uses. On a VM the two vCPUs
// may share a cache or sit far apart, and the host moves them within seconds:
// a 1514-byte handoff from CPU a to CPU b then takes ~300 or 1100-1500 ns. Every
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

/**
 * A reading over FAR_FACTOR times the near cost and over FAR_FLOOR_NS reads
 * "far". Here near read 300-410 ns (and ~130 ns at times: the vCPUs on one
 * core's two threads), far 1060-1525 ns; the floor keeps the usual near
 * placement from reading far against that rarer faster one.
 */
export const FAR_FACTOR = 2;
export const FAR_FLOOR_NS = 800;
/** The longest wait for a near reading before one run, the times a far run is made again, and the total wait of a bench. */
export const PLACE_WAIT_MS = 30_000;
export const PLACE_RETRIES = 2;
export const PLACE_WAIT_TOTAL_MS = 15 * 60_000;
const PROBE_MS = 150;
/** Readings before a bench's first run: the near cost's first samples. */
export const SEED_PROBES = 10;

/**
 * The near placement's cost: the 10th percentile of the unbiased readings
 * (made at fixed points, not while waiting out a far spell). Far spells took
 * 20-80% of the time here, depending on the hour.
 */
export function nearCost(readings: readonly number[]): number {
  const s = [...readings].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 10)];
}

/** Whether a reading `ns` is far from the near cost; pure, so the rule is tested on its own. */
export function isFar(ns: number, near: number): boolean {
  return ns > FAR_FACTOR * near && ns > FAR_FLOOR_NS;
}

/** What the run loop needs of a probe (a fake in tests). */
export interface Probe {
  /** One reading, ns; `sample` = false for the re-probes of a wait, which would over-count far spells. */
  probe(sample?: boolean): number;
  far(ns: number): boolean;
  waitNear(maxMs: number): Promise<number>;
}

export class Placement implements Probe {
  /** Every reading, ns per round trip, and the unbiased ones the near cost comes from. */
  readonly readings: number[] = [];
  private readonly samples: number[] = [];
  private waitLeftMs = PLACE_WAIT_TOTAL_MS;
  private constructor(private readonly bin: string, private readonly cpus: [number, number]) {}

  /** Builds the probe with cc and takes `seed` readings 0.3 s apart; a one-line reason when it cannot build or run here. */
  static async build(cpus: [number, number], seed: number): Promise<Placement | string> {
    const src = path.resolve(__dirname, '..', '..', 'bench', 'c', 'xcpu.c');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-xcpu-'));
    const p = new Placement(path.join(dir, 'xcpu'), cpus);
    const cc = spawnSync('cc', ['-O2', '-Wall', '-pthread', '-o', p.bin, src], { encoding: 'utf8' });
    if (cc.status !== 0) {
      p.dispose();
      return `placement probe not built: cc failed (${(cc.stderr || cc.error?.message || '').trim().split('\n')[0]})`;
    }
    try {
      for (let k = 0; k < seed; k++) {
        if (k) await sleep(300);
        p.probe();
      }
    } catch (e) {
      p.dispose();
      return `placement probe failed: ${(e as Error).message}`;
    }
    return p;
  }

  /** One reading: ns per 1514-byte round trip between the two CPUs (both must be idle, or it measures their load). */
  probe(sample = true): number {
    const r = spawnSync(this.bin, [String(this.cpus[0]), String(this.cpus[1]), String(PROBE_MS)], { encoding: 'utf8', timeout: 10_000 });
    const ns = Number(r.stdout.trim());
    if (r.status !== 0 || !(ns > 0)) throw new Error((r.stderr || r.error?.message || 'no reading').trim());
    this.readings.push(ns);
    if (sample) this.samples.push(ns);
    return ns;
  }

  get near(): number { return nearCost(this.samples); }
  get sampleCount(): number { return this.samples.length; }
  far(ns: number): boolean { return isFar(ns, this.near); }

  /** Probes every 0.5 s until a reading is near, `maxMs` has passed or the bench's total wait is spent; returns the last reading. */
  async waitNear(maxMs: number): Promise<number> {
    const t0 = Date.now();
    const end = t0 + Math.min(maxMs, this.waitLeftMs);
    let ns = this.probe();
    while (this.far(ns) && Date.now() < end) {
      await sleep(500);
      ns = this.probe(false);
    }
    this.waitLeftMs = Math.max(0, this.waitLeftMs - (Date.now() - t0));
    return ns;
  }

  dispose(): void { fs.rmSync(path.dirname(this.bin), { recursive: true, force: true }); }
}

export interface Placed<R> {
  result: R;
  /** The readings before and after the run kept; absent when the probe failed (the run is then unchecked). */
  xcpuNs?: [number, number];
  /** Still far after PLACE_RETRIES more tries: the caller leaves the run out of its figures. */
  far: boolean;
}

/**
 * Makes one run with both placement readings near: waits for a near reading,
 * runs, reads again; a far reading means another try (a far reading before
 * the run skips it), up to PLACE_RETRIES more. The last try runs whatever the
 * reading and says whether it was far. A probe that fails leaves the run unchecked.
 */
export async function placedRun<R>(p: Probe | undefined, once: () => Promise<R>, note: (what: string) => void): Promise<Placed<R>> {
  if (!p) return { result: await once(), far: false };
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= PLACE_RETRIES;
    let before: number;
    try {
      before = await p.waitNear(PLACE_WAIT_MS);
    } catch (e) {
      note(`placement probe failed (${(e as Error).message}): run not checked`);
      return { result: await once(), far: false };
    }
    if (p.far(before) && !last) {
      note(`CPUs still far apart (${before.toFixed(0)} ns) after the wait: not run, trying again`);
      continue;
    }
    const result = await once();
    let after: number;
    try {
      after = p.probe();
    } catch (e) {
      note(`placement probe failed (${(e as Error).message}): run not checked after`);
      return { result, far: p.far(before) };
    }
    const far = p.far(before) || p.far(after);
    if (far && !last) {
      note(`CPUs far apart (${before.toFixed(0)}/${after.toFixed(0)} ns): made again`);
      continue;
    }
    return { result, xcpuNs: [before, after], far };
  }
}
