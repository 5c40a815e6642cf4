// Processes for the net_memif tests: tsfwd commands (no namespace: the
// control channel is a socket file in a per-test directory) and a bounded
// wait for a line.
import { ChildProcess, spawn } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BIN } from './cli-proc';

export interface Proc { proc: ChildProcess; out: () => string; err: () => string; done: Promise<number | null> }

/** Spawns `cmd args`; output is collected, `done` resolves with the exit code (SIGKILL after `limitMs`). */
export function run(cmd: string, args: string[], limitMs = 60_000): Proc {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const kill = setTimeout(() => proc.kill('SIGKILL'), limitMs);
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => { clearTimeout(kill); resolve(code); }));
  return { proc, out: () => out, err: () => err, done };
}

export function tsfwd(args: string[], limitMs?: number): Proc {
  return run(process.execPath, [BIN, ...args], limitMs);
}

/** Waits until `what()` matches `re` (polling), at most `ms`. */
export async function waitLine(what: () => string, re: RegExp, ms: number, label: string): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(what())) {
    assert.ok(Date.now() < end, `timed out waiting for ${label}: ${what().slice(-600)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A fresh directory for socket files; removed by the caller. */
export function sockDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tsfwd-memif-${tag}-`));
}

/** The final --stats-json record of a run's stdout. */
export function final<T>(out: string): T {
  const lines = out.trim().split('\n');
  const f = JSON.parse(lines[lines.length - 1]) as T & { msg: string };
  assert.equal(f.msg, 'final', 'the last stdout line is the final record');
  return f;
}
