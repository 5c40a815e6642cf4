// The namespace side of the traffic benchmarks: the `gen-fwd-sink` and
// `loop` topology presets under this run's own prefix, kernel counters,
// and child processes that are bounded in time and always reaped.
//
//   gen [g0] --- [f0] fwd [f1] --- [s0] sink      loop: fwd [l0] --- [l1] fwd
//
// Every command that can send traffic runs under `timeout`, so a bench that
// dies cannot leave a generator running; the namespaces are removed when the
// bench ends, on failure, and on SIGINT/SIGTERM (abort.ts: children first).
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { withNetns } from '../src/topo/netns';
import { PRESETS } from '../src/topo/spec';
import { topoDown, topoUp } from '../src/topo/topo';
import { onAbort } from './abort';

export const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function sh(args: string[]): string {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** Both topologies of one bench run; `down()` is idempotent. */
export class BenchNet {
  readonly prefix = `tsfwdb${process.pid}`;
  readonly gen = `${this.prefix}-g-gen`;
  readonly fwd = `${this.prefix}-g-fwd`;
  readonly sink = `${this.prefix}-g-sink`;
  readonly loop = `${this.prefix}-l-fwd`;
  private up = false;
  private readonly onExit = (): void => this.down();
  private unregister = (): void => {};

  /** Builds the presets (gen-fwd-sink has GRO on every end: veth NAPI, which XDP_TX'd frames need). */
  start(): this {
    process.once('exit', this.onExit);
    this.unregister = onAbort(this.onExit);
    this.up = true;
    topoUp(PRESETS['gen-fwd-sink'], `${this.prefix}-g`);
    topoUp(PRESETS.loop, `${this.prefix}-l`);
    // IPv6 off everywhere: no ND/MLD frames in the counters or the loop.
    for (const ns of [this.gen, this.fwd, this.sink, this.loop]) {
      sh(['ip', 'netns', 'exec', ns, 'sh', '-c', 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do echo 1 > "$f"; done']);
    }
    return this;
  }

  down(): void {
    if (!this.up) return;
    this.up = false;
    topoDown(`${this.prefix}-g`);
    topoDown(`${this.prefix}-l`);
    process.removeListener('exit', this.onExit);
    this.unregister();
  }
}

/**
 * Kernel packet counters of `dev` in namespace `ns`: [rx_packets, tx_packets],
 * from /proc/thread-self/net/dev read with this thread inside the namespace
 * (no child process, so both ends of a window cost microseconds).
 */
export function packets(ns: string, dev: string): [number, number] {
  const text = withNetns(ns, () => fs.readFileSync('/proc/thread-self/net/dev', 'utf8'));
  for (const line of text.split('\n')) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] !== dev) continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    return [f[1], f[9]];
  }
  throw new Error(`no interface ${dev} in namespace ${ns}`);
}

/** A child process with its output kept, bounded by `timeout -s INT` (then KILL). */
export class Proc {
  readonly child: ChildProcess;
  out = '';
  err = '';
  private readonly exited: Promise<void>;

  constructor(ns: string | undefined, argv: string[], boundSecs: number) {
    const cmd = ['timeout', '-k', '5', '-s', 'INT', String(Math.ceil(boundSecs)), ...argv];
    const full = ns ? ['ip', 'netns', 'exec', ns, ...cmd] : cmd;
    // Its own process group, so a signal reaches the tool and its children.
    this.child = spawn(full[0], full.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdout!.on('data', (d: Buffer) => { this.out += d.toString(); if (this.out.length > 1 << 20) this.out = this.out.slice(-(1 << 19)); });
    this.child.stderr!.on('data', (d: Buffer) => { this.err += d.toString(); if (this.err.length > 1 << 20) this.err = this.err.slice(-(1 << 19)); });
    // Interrupted bench: kill the whole group at once (no graceful stop, nothing is measured any more).
    const unregister = onAbort(() => { if (this.child.pid !== undefined) try { process.kill(-this.child.pid, 'SIGKILL'); } catch { /* gone */ } });
    this.exited = new Promise((r) => this.child.once('close', () => { unregister(); r(); }));
    this.child.on('error', () => { /* seen as an early exit */ });
  }

  /** Resolves true once the process has closed its pipes, false after `ms`. */
  async wait(ms: number): Promise<boolean> {
    // The timer is cleared once the process is gone: a pending one would keep the bench alive for `ms`.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), ms); });
    try {
      return await Promise.race([this.exited.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  get running(): boolean { return this.child.exitCode === null && this.child.signalCode === null; }

  /** Waits until stdout or stderr matches `re`; throws if the process exits first or after `ms`. */
  async ready(re: RegExp, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (!re.test(this.out) && !re.test(this.err)) {
      if (!this.running) throw new Error(`${what} exited at start (${this.child.exitCode ?? this.child.signalCode}): ${lastLine(this.err || this.out)}`);
      if (Date.now() > end) throw new Error(`${what} not ready after ${ms} ms: ${lastLine(this.err || this.out)}`);
      await sleep(20);
    }
  }

  /** SIGINT to the group, then SIGKILL after 5 s; resolves once the process closed its pipes. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid !== undefined && this.running) {
      // To `timeout` only: it passes the signal on to the command and its group.
      try { process.kill(pid, 'SIGINT'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await this.exited;
      clearTimeout(t);
    } else {
      await Promise.race([this.exited, sleep(1000)]);
    }
  }
}

/** The last `"msg":"final"` JSON line a tsfwd process printed (--stats-json), parsed; undefined if there is none. */
export function finalRecord<T>(p: Proc): T | undefined {
  const line = p.out.trim().split('\n').reverse().find((l) => l.includes('"msg":"final"'));
  return line === undefined ? undefined : (JSON.parse(line) as T);
}

export function lastLine(s: string): string {
  return s.trim().split('\n').filter((l) => l.trim()).pop() ?? '';
}

/** Frames/s over a window of `seconds`, from counters read at both ends. */
export async function window(seconds: number, read: () => number[]): Promise<number[]> {
  const a = read();
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const b = read();
  const dt = Number(process.hrtime.bigint() - t0) / 1e9;
  return a.map((v, i) => (b[i] - v) / dt);
}

/** trafgen's config for one frame of `len` bytes (no FCS): a local experimental EtherType. */
export function trafgenConf(len: number): string {
  const file = path.join('/tmp', `tsfwd-bench-${process.pid}-${len}.cfg`);
  fs.writeFileSync(file, `{ 0x02,0x00,0x00,0x00,0x02,0x09, 0x02,0x00,0x00,0x00,0x02,0x00, 0x88,0xb5, fill(0x42, ${len - 14}) }\n`);
  return file;
}
