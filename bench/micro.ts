// Runs one micro-benchmark case on lcores: launch, wait until all are
// running, start them together, let them run, stop, and sum their rates.
import * as path from 'node:path';
import { AppRef } from '../src/eal/app';
import { LcoreGroup } from '../src/eal/launch';
import type { MicroConfig, MicroResult } from './bench-apps';

export const APPS = path.join(__dirname, 'bench-apps.js');
export const app = (name: string): AppRef => ({ module: APPS, export: name });

export interface MicroCase {
  lcores: number[];
  apps: AppRef[];
  /** Indices of the lcores whose object counts make up the rate. */
  counted: number[];
  config: Omit<MicroConfig, 'go'>;
  pin: boolean;
}

export interface MicroRun { rate: number; gcs: number }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runMicro(c: MicroCase, seconds: number): Promise<MicroRun> {
  const go = new SharedArrayBuffer(4);
  const group = LcoreGroup.launch({ lcores: c.lcores, app: c.apps, config: { ...c.config, go }, pin: c.pin });
  while (group.running() < c.lcores.length) await sleep(5);
  await sleep(20);
  const goWord = new Int32Array(go);
  // Publishes the start signal; pairs with the loads in waitGo (bench-apps.ts).
  Atomics.store(goWord, 0, 1);
  Atomics.notify(goWord, 0);
  await sleep(seconds * 1000);
  group.stop();
  const results = await group.wait();
  let rate = 0;
  let gcs = 0;
  for (let i = 0; i < results.length; i++) {
    const r = results[i].result as MicroResult;
    gcs += r.gcs;
    if (c.counted.includes(i)) rate += r.objs / r.seconds;
  }
  return { rate, gcs };
}
