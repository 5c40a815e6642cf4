// `tsfwd demo` (npm start): builds gen-fwd-sink, runs l2fwd in the fwd
// namespace, a sink behind it and pktgen in front of it for a bounded time,
// shows their live output, prints the sink's summary and removes every
// namespace it made, also when something fails.
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../eal/corelist';
import { getAffinity, setPolicy } from '../native';
import { PRESETS } from '../topo/spec';
import { topoDown, topoUp } from '../topo/topo';

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'tsfwd.js');
/** Warm-up at a tenth of the rate before the demo's traffic, ms. */
const WARMUP_MS = 1000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or `fallback` after `ms`; the timer is cleared either way, so it never holds the process open. */
function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<T>((r) => { timer = setTimeout(() => r(fallback), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

interface Child { proc: ChildProcess; done: Promise<number | null>; out: string[] }

function start(tag: string, ns: string, args: string[], show: boolean): Child {
  const proc = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const onData = (d: Buffer): void => {
    for (const line of d.toString().split('\n')) {
      if (!line.trim() || /^\x1b/.test(line)) continue;
      out.push(line);
      if (show) process.stdout.write(`[${tag}] ${line}\n`);
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const done = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, done, out };
}

// capabilities(7) bit numbers.
const NEEDED: [string, number, string][] = [
  ['CAP_NET_ADMIN', 12, 'create namespaces and veth pairs'],
  ['CAP_SYS_ADMIN', 21, 'enter and mount network namespaces'],
  ['CAP_NET_RAW', 13, 'open AF_PACKET sockets'],
];

/** The capabilities the demo needs that this process does not have (from CapEff). */
function missingCaps(): string[] {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  const eff = m ? BigInt(`0x${m[1]}`) : 0n;
  return NEEDED.filter(([, bit]) => ((eff >> BigInt(bit)) & 1n) === 0n).map(([name, , why]) => `${name} (${why})`);
}

/** Whether lcores may be real-time here: tried on this thread, then undone (a container may refuse it despite root). */
function canRealtime(): boolean {
  if (setPolicy(1, 1) < 0) return false;
  setPolicy(0, 0);
  return true;
}

export async function runNetDemo(duration: number, pps: number): Promise<number> {
  const missing = missingCaps();
  if (missing.length > 0) {
    throw new UsageError(`demo: missing ${missing.join(', ')}; run it as root (sudo npm start), or \`npx tsfwd demo --core\` for the in-memory demo`);
  }
  const cpus = getAffinity();
  const [c0, c1] = [cpus[0], cpus[cpus.length - 1]];
  const prefix = `tsfwd-demo-${process.pid}`;
  const ns = (n: string): string => `${prefix}-${n}`;
  console.log(`tsfwd demo: topology gen [g0]--[f0] fwd [f1]--[s0] sink (namespaces ${prefix}-*)`);
  topoUp(PRESETS['gen-fwd-sink'], prefix);
  const kids: Child[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-demo-'));
  const stopAll = (): void => { for (const k of kids) if (k.proc.exitCode === null) k.proc.kill('SIGINT'); };
  process.on('SIGINT', stopAll);
  process.on('SIGTERM', stopAll);
  try {
    // Three lcores on two CPUs: l2fwd has CPU c1 to itself and naps when idle
    // (adaptive); pktgen (adaptive: sleeps until its next frame is due) and the
    // sink (interrupt: blocks in poll()) share c0 without spinning against each
    // other. Real-time lcores (when this process may: root with CAP_SYS_NICE)
    // preempt the processes' other threads (V8's compiler and GC helpers, main
    // threads) the moment they wake; they sleep when idle, so nothing starves.
    const rt = canRealtime() ? ['--sched-policy', 'fifo'] : [];
    // Receive rings of 8192 frames (80 ms at 100 kpps) where frames arrive (f0, s0): on a VM the
    // hypervisor takes a CPU away for tens of ms now and then (steal in /proc/stat), and the frames
    // that arrive meanwhile must wait in a ring, not overflow a 10 ms one.
    const fwd = start('fwd', ns('fwd'), ['l2fwd', '-l', String(c1), '--poll-mode', 'adaptive', ...rt,
      '--vdev', 'net_af_packet0,iface=f0,framecnt=8192', '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2', '-T', '2'], true);
    const sink = start('sink', ns('sink'), ['sink', '-l', String(c0), ...rt, '--vdev', 'net_af_packet0,iface=s0,framecnt=8192', '--', '-T', '0'], false);
    kids.push(fwd, sink);
    for (const end = Date.now() + 10_000; Date.now() < end;) {
      if (fwd.out.some((l) => /RX port 1 TX port 0/.test(l)) && sink.out.some((l) => /^sink: /.test(l))) break;
      if (fwd.proc.exitCode !== null || sink.proc.exitCode !== null) throw new Error(`demo: a process failed to start:\n${[...fwd.out, ...sink.out].join('\n')}`);
      await sleep(20);
    }
    console.log(`tsfwd demo: pktgen sends 64-byte UDP frames at ${pps} pps for ${duration} s from gen (lcore ${c0}); l2fwd forwards on lcore ${c1}`);
    // A second at a tenth of the rate first: JavaScript lcores run their frame
    // path unoptimized until V8 has compiled it, and at a low rate the rings
    // absorb that. The sink counts these frames too.
    const script = path.join(tmp, 'demo.pkt');
    const pct = (rate: number): string => String((rate * 8 * (64 + 20) * 100) / 10e9); // pktgen's rate: % of 10G, 64 B + 20 B of preamble and gap
    fs.writeFileSync(script, [`set 0 size 64`, `set 0 rate ${pct(pps / 10)}`, 'start 0', `delay ${WARMUP_MS}`, 'stop 0',
      `set 0 rate ${pct(pps)}`, 'start 0', `delay ${duration * 1000}`, 'stop 0', ''].join('\n'));
    const gen = start('gen', ns('gen'), ['pktgen', '-l', String(c0), ...rt, '--vdev', 'net_af_packet0,iface=g0', '--', '-f', script, '-T', '1'], true);
    kids.push(gen);
    const genCode = await within(gen.done, (duration + 20) * 1000, -1);
    await sleep(500); // frames in flight reach the sink
    sink.proc.kill('SIGINT');
    fwd.proc.kill('SIGINT');
    const [sinkCode, fwdCode] = await Promise.all([sink.done, fwd.done]);
    console.log('tsfwd demo: sink summary');
    for (const l of sink.out.filter((x) => !/^sink: /.test(x))) console.log(`  ${l}`);
    const ok = genCode === 0 && sinkCode === 0 && fwdCode === 0;
    if (!ok) console.error(`tsfwd demo: FAILED (pktgen ${genCode}, l2fwd ${fwdCode}, sink ${sinkCode})`);
    return ok ? 0 : 1;
  } finally {
    stopAll();
    await Promise.all(kids.map((k) => within(k.done, 3000, null)));
    for (const k of kids) if (k.proc.exitCode === null) k.proc.kill('SIGKILL');
    process.off('SIGINT', stopAll);
    process.off('SIGTERM', stopAll);
    fs.rmSync(tmp, { recursive: true, force: true });
    const removed = topoDown(prefix);
    console.log(`tsfwd demo: removed ${removed.join(', ')}`);
  }
}
