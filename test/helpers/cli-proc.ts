// A tsfwd CLI run inside a namespace, for tests: started until a line on
// stderr says it is ready, stopped with SIGINT (SIGKILL after 10 s).
import { ChildProcess, spawn } from 'node:child_process';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';

export const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'tsfwd.js');

export interface CliRun { proc: ChildProcess; out: () => string; err: () => string }

/** Runs `tsfwd ARGS` in `ns`; resolves when stderr matches `ready`, rejects if it exits first or takes 10 s. */
export function startCli(ns: string, args: string[], ready: RegExp): Promise<CliRun> {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`tsfwd ${args[0]} did not start: ${err}`)); }, 10_000);
    proc.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (ready.test(err)) { clearTimeout(timer); resolve({ proc, out: () => out, err: () => err }); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tsfwd ${args[0]} exited early (${code}): ${err}`)); });
  });
}

/** SIGINT, then the exit code and how long the exit took. */
export function stopCli(proc: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => { clearTimeout(kill); resolve({ code, ms: Date.now() - t0 }); });
    proc.kill('SIGINT');
  });
}

/** The last stdout line of a --stats-json run: the final record. */
export function finalJson<T>(stdout: string): T & { msg: string } {
  const lines = stdout.trim().split('\n');
  const f = JSON.parse(lines[lines.length - 1]) as T & { msg: string };
  assert.equal(f.msg, 'final');
  return f;
}
