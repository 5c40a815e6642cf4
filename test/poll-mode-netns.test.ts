// Poll modes through a real topology (issue 12): in every mode l2fwd forwards
// an exact count gen -> fwd -> sink; idle, an adaptive or interrupt lcore
// costs next to no CPU where a busy one burns a whole CPU; a blocked lcore
// stops promptly on SIGINT; the sink (interrupt by default) is quiet when idle.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { getAffinity } from '../src/native';
import { genFwdSink } from './helpers/afp-net';
import { BIN, CliRun, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const cpus = getAffinity();
const FWD_CPU = String(cpus[cpus.length - 1]);
const GEN_CPU = String(cpus[0]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const HZ = 100; // USER_HZ: /proc/PID/stat counts CPU time in 1/100 s

/** CPU seconds a process used so far (utime + stime of all its threads). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / HZ;
}

async function cpuShare(pid: number, seconds: number): Promise<number> {
  const a = cpuSeconds(pid);
  const t0 = Date.now();
  await sleep(seconds * 1000);
  return (cpuSeconds(pid) - a) / ((Date.now() - t0) / 1000);
}

/** se.slice (ns) of the thread of `pid` pinned to `cpu` alone (the lcore), or undefined on a kernel that shows none. */
function lcoreSlice(pid: number, cpu: string): number | undefined {
  const m = /^se\.slice\s*:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${lcoreTid(pid, cpu)}/sched`, 'utf8'));
  return m ? Number(m[1]) : undefined;
}

/** The thread of `pid` pinned to `cpu` alone: the lcore. */
function lcoreTid(pid: number, cpu: string): string {
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    if (/^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync(`/proc/${pid}/task/${t}/status`, 'utf8'))?.[1] === cpu && Number(t) !== pid) return t;
  }
  throw new Error(`no thread of ${pid} pinned to CPU ${cpu}`);
}

/** pktgen sends n frames at 50 kpps from g0; returns how many reached s0 (kernel counter), waiting up to 10 s for them. */
async function sendThrough(t: ReturnType<typeof genFwdSink>, n: number): Promise<number> {
  const s0 = t.tn.counter(t.s, 's0', 'rx_packets');
  const gen = spawnSync('ip', ['netns', 'exec', t.g, process.execPath, BIN, 'pktgen', '-l', GEN_CPU, '--vdev', 'net_af_packet0,iface=g0', '--',
    '--count', String(n), '--rate', '50000', '-T', '0'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(gen.status, 0, gen.stderr);
  const end = Date.now() + 10_000;
  while (t.tn.counter(t.s, 's0', 'rx_packets') - s0 < n && Date.now() < end) await sleep(50);
  await sleep(200);
  return t.tn.counter(t.s, 's0', 'rx_packets') - s0;
}
// Kernels with EEVDF custom slices (6.12+) show se.slice; there the request must have landed.
const sliceShown = /^se\.slice/m.test(fs.readFileSync('/proc/self/sched', 'utf8'));

interface FinalLcore { lcore: number; polls: number; emptyPolls: number; sleepUs: number; busyUs: number }

for (const mode of ['busy', 'adaptive', 'interrupt'] as const) {
  test(`l2fwd --poll-mode ${mode}: exact count gen -> fwd -> sink; idle CPU ${mode === 'busy' ? 'a whole CPU' : 'under 10%'}; stops promptly`,
    { skip, timeout: 120_000 }, async () => {
      const t = genFwdSink(`p${mode[0]}`);
      let fwd: CliRun | undefined;
      try {
        // Adaptive with 1 s naps: after the idle window the lcore sleeps ~1 s at a
        // time, longer than f0's 1024-frame ring lasts at sendThrough's rate, so
        // the exact count below holds only if the first frame ends the nap.
        const naps = mode === 'adaptive' ? ['--max-sleep-us', '1000000'] : [];
        fwd = await startCli(t.f, ['l2fwd', '-l', FWD_CPU, '--poll-mode', mode, ...naps, '--empty-polls', '64', '--vdev', 'net_af_packet0,iface=f0',
          '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2', '-T', '1', '--stats-json'], /RX port 1 TX port 0/);
        await sleep(500);
        const idle = await cpuShare(fwd.proc.pid!, 3);
        if (mode === 'busy') assert.ok(idle > 0.8, `a busy lcore spins: ${(idle * 100).toFixed(1)}% of a CPU`);
        else assert.ok(idle < 0.1, `an idle ${mode} l2fwd used ${(idle * 100).toFixed(1)}% of a CPU over 3 s`);
        // A sleeping lcore asks for the shortest slice (its wakes preempt); a busy one keeps the default.
        const slice = lcoreSlice(fwd.proc.pid!, FWD_CPU);
        if (sliceShown && mode === 'busy') assert.ok(slice !== 100_000, `busy lcore slice ${slice} ns`);
        else if (sliceShown) assert.equal(slice, 100_000, 'adaptive/interrupt lcore slice 0.1 ms');
        const N = 20_000;
        assert.equal(await sendThrough(t, N), N, 'exactly N frames reached the sink');
        await sleep(1000); // idle again: the lcore goes back to sleep before the stop
        const r = await stopCli(fwd.proc);
        assert.equal(r.code, 0, fwd.err());
        assert.ok(r.ms < 1000, `exited ${r.ms} ms after SIGINT`);
        const f = finalJson<{ ok: boolean; ports: { port: number; ipackets: number; opackets: number }[]; lcores: FinalLcore[] }>(fwd.out());
        assert.equal(f.ok, true);
        assert.equal(f.ports[0].ipackets, N);
        assert.equal(f.ports[1].opackets, N);
        const l = f.lcores[0];
        assert.ok(l.polls > l.emptyPolls && l.busyUs > 0, 'polls with work and busy time counted');
        if (mode === 'busy') assert.equal(l.sleepUs, 0);
        else assert.ok(l.sleepUs > 3e6, `asleep ${l.sleepUs} µs of the idle time`);
      } finally {
        if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
        t.tn.destroy();
      }
    });
}

test('sink (interrupt by default) is quiet when idle and counts an exact burst of pktgen frames', { skip, timeout: 60_000 }, async () => {
  const t = genFwdSink('ps');
  let sink: CliRun | undefined;
  try {
    // The sink listens on f0 directly: gen [g0] -- [f0] sink.
    sink = await startCli(t.f, ['sink', '-l', FWD_CPU, '--vdev', 'net_af_packet0,iface=f0', '--', '-T', '0', '--stats-json'], /sink: /);
    await sleep(500);
    const idle = await cpuShare(sink.proc.pid!, 3);
    assert.ok(idle < 0.05, `an idle sink used ${(idle * 100).toFixed(1)}% of a CPU over 3 s`);
    const gen = spawnSync('ip', ['netns', 'exec', t.g, process.execPath, BIN, 'pktgen', '-l', GEN_CPU, '--vdev', 'net_af_packet0,iface=g0', '--',
      '--count', '5000', '--rate', '20000', '-T', '0'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(gen.status, 0, gen.stderr);
    await sleep(300);
    const r = await stopCli(sink.proc);
    assert.equal(r.code, 0, sink.err());
    assert.ok(r.ms < 1000, `exited ${r.ms} ms after SIGINT`);
    const f = finalJson<{ streams: { received: number; lost: number }[] }>(sink.out());
    assert.deepEqual(f.streams.map((s) => [s.received, s.lost]), [[5000, 0]]);
  } finally {
    if (sink && sink.proc.exitCode === null) sink.proc.kill('SIGKILL');
    t.tn.destroy();
  }
});

/** Scheduling policy and real-time priority (/proc/PID/task/TID/stat fields 41 and 40) of the thread of `pid` pinned to `cpu` alone. */
function lcorePolicy(pid: number, cpu: string): { policy: number; prio: number } {
  const st = fs.readFileSync(`/proc/${pid}/task/${lcoreTid(pid, cpu)}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' '); // f[0] is field 3
  return { prio: Number(f[37]), policy: Number(f[38]) };
}

test('l2fwd --sched-policy fifo: the lcore thread alone is SCHED_FIFO at the priority asked, CAP_SYS_NICE kept for it, exact count, prompt stop',
  { skip, timeout: 120_000 }, async () => {
    const t = genFwdSink('prt');
    let fwd: CliRun | undefined;
    try {
      fwd = await startCli(t.f, ['l2fwd', '-l', FWD_CPU, '--poll-mode', 'interrupt', '--sched-policy', 'fifo', '--sched-priority', '20',
        '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json'], /RX port 1 TX port 0/);
      await sleep(500);
      assert.deepEqual(lcorePolicy(fwd.proc.pid!, FWD_CPU), { policy: 1, prio: 20 }, 'lcore: SCHED_FIFO, priority 20');
      const main = fs.readFileSync(`/proc/${fwd.proc.pid}/stat`, 'utf8');
      assert.equal(main.slice(main.lastIndexOf(')') + 2).split(' ')[38], '0', 'the main thread stays SCHED_OTHER');
      assert.match(fwd.err(), /privileges: kept CAP_SYS_NICE \(--sched-policy fifo: each lcore sets its own policy when it starts\)/);
      const N = 20_000;
      assert.equal(await sendThrough(t, N), N, 'exactly N frames reached the sink');
      const r = await stopCli(fwd.proc);
      assert.equal(r.code, 0, fwd.err());
      assert.ok(r.ms < 1000, `exited ${r.ms} ms after SIGINT`);
      const f = finalJson<{ ok: boolean; ports: { ipackets: number; opackets: number }[] }>(fwd.out());
      assert.deepEqual([f.ok, f.ports[0].ipackets, f.ports[1].opackets], [true, N, N]);
    } finally {
      if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
      t.tn.destroy();
    }
  });

test('l2fwd --sched-policy fifo without CAP_SYS_NICE: the lcore fails at start with the errno, exit 1', { skip, timeout: 30_000 }, () => {
  const r = spawnSync('setpriv', ['--bounding-set', '-sys_nice', '--inh-caps', '-sys_nice', '--', process.execPath, BIN, 'l2fwd', '-l', FWD_CPU,
    '--poll-mode', 'adaptive', '--sched-policy', 'fifo', '--vdev', 'net_null0', '--vdev', 'net_null1', '--', '-p', '0x3', '-q', '2', '-T', '0', '--duration', '1'],
  { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /^tsfwd: lcore \d+ failed: --sched-policy fifo: EPERM \(needs CAP_SYS_NICE\)$/m);
});

// A downed link leaves ENETDOWN on the packet socket until a send, a receive
// call or an SO_ERROR read clears it, and poll() reports it at once: without
// the wait reading it, an idle lcore that never sends there would spin on its
// sleeps (or, with the Idler's fallback, nap blind where it should block).
for (const mode of ['adaptive', 'interrupt'] as const) {
  test(`l2fwd --poll-mode ${mode}: a port whose link goes down does not turn sleeping into spinning; up again, it forwards; stops promptly`,
    { skip, timeout: 60_000 }, async () => {
      const t = genFwdSink(`pd${mode[0]}`);
      let fwd: CliRun | undefined;
      try {
        fwd = await startCli(t.f, ['l2fwd', '-l', FWD_CPU, '--poll-mode', mode, '--empty-polls', '64', '--vdev', 'net_af_packet0,iface=f0',
          '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json'], /RX port 1 TX port 0/);
        await sleep(500);
        const down = spawnSync('ip', ['-n', t.f, 'link', 'set', 'f1', 'down'], { encoding: 'utf8' });
        assert.equal(down.status, 0, down.stderr);
        await sleep(300);
        const share = await cpuShare(fwd.proc.pid!, 2);
        assert.ok(share < 0.1, `with f1 down an idle ${mode} l2fwd used ${(share * 100).toFixed(1)}% of a CPU over 2 s`);
        const up = spawnSync('ip', ['-n', t.f, 'link', 'set', 'f1', 'up'], { encoding: 'utf8' });
        assert.equal(up.status, 0, up.stderr);
        await sleep(1000); // carrier on both ends of the veth
        const N = 5000;
        assert.equal(await sendThrough(t, N), N, 'exactly N frames reached the sink after the link came back');
        const r = await stopCli(fwd.proc);
        assert.equal(r.code, 0, fwd.err());
        assert.ok(r.ms < 1000, `exited ${r.ms} ms after SIGINT`);
        // Blocked, an interrupt lcore sleeps a few times a second (1 s safety wakes,
        // the link event, ~160 between pktgen's bursts); napping blind at --max-sleep-us it
        // would sleep ~500 times a second, ~2500 in all.
        const l = finalJson<{ lcores: (FinalLcore & { sleeps: number })[] }>(fwd.out()).lcores[0];
        if (mode === 'interrupt') assert.ok(l.sleeps < 500, `${l.sleeps} sleeps in ~5 s: not blocked`);
      } finally {
        if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
        t.tn.destroy();
      }
    });
}
