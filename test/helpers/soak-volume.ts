// The volume proof (issue 11), shared by test/volume.test.ts and `npm run
// soak`: exactly N frames through tsfwd l2fwd with no kernel in the way.
// net_null0 (count=N) hands out N frames; l2fwd sends them out of net_ring1,
// a looped-back ring, so each comes back in on port 1 and leaves by port 0,
// where net_null frees it. Every frame crosses the lcore twice, through both
// memory drivers, and every counter has an exact expected value.
import { ChildProcess, spawn } from 'node:child_process';
import { getAffinity } from '../../src/native';
import { BIN } from './cli-proc';
import { FinalLine, FinalPort, balanceProblems, dropsText, droppedAfterRx, lastFinal } from './soak-final';

export interface VolumeReport {
  frames: number;
  /** From spawn to the first stats line showing all N frames in. */
  seconds: number;
  /** Highest port 0 rx rate over one stats period. */
  peakPps: number;
  final?: FinalLine;
  problems: string[];
  summary: string;
}

const SIZE = 64;

/** Runs the CLI until a stats line shows all N frames in and nothing moving, then SIGINT. */
export async function runVolume(frames: number, log?: (line: string) => void): Promise<VolumeReport> {
  const cpus = getAffinity();
  const args = ['l2fwd', '-l', String(cpus[cpus.length - 1]), '--vdev', `net_null0,size=${SIZE},count=${frames}`, '--vdev', 'net_ring1',
    '--', '-p', '0x3', '-q', '2', '-T', '1', '--stats-json'];
  // Bounded: a minute plus N frames at 0.25 M/s (a tenth of the slowest rate seen here), then SIGKILL.
  const boundMs = 60_000 + frames / 250;
  const proc: ChildProcess = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let seen = 0;
  let stopping = false;
  const t0 = Date.now();
  let tFull = 0;
  let peakPps = 0;
  const done = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
  const kill = setTimeout(() => proc.kill('SIGKILL'), boundMs);
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    // Only the stats lines completed since the last look; the final line comes after SIGINT.
    const lines = out.split('\n');
    for (; seen < lines.length - 1; seen++) {
      if (stopping || !lines[seen].includes('"msg":"stats"')) continue;
      const s = JSON.parse(lines[seen]) as { ports: (FinalPort & { rxPps: number; txPps: number })[] };
      if (log) log(`volume: ${s.ports[0].ipackets} of ${frames} frames in`);
      peakPps = Math.max(peakPps, s.ports[0].rxPps);
      if (s.ports[0].ipackets === frames && tFull === 0) tFull = Date.now();
      // All N in, and a whole period with nothing moving: every tx buffer and the ring have drained.
      if (s.ports[0].ipackets === frames && s.ports.every((p) => p.rxPps === 0 && p.txPps === 0)) {
        stopping = true;
        proc.kill('SIGINT');
      }
    }
  });
  const code = await done;
  clearTimeout(kill);
  // Wall time from spawn to the first stats line showing all N (startup and up to 1 s of stats period included).
  const seconds = ((tFull || Date.now()) - t0) / 1000;
  const final = lastFinal<FinalLine>(out);
  const problems: string[] = [];
  if (!stopping) problems.push(`l2fwd stopped before all ${frames} frames were in (exit ${code}): ${err.trim().split('\n').pop()}`);
  if (code !== 0) problems.push(`l2fwd exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
  if (!final) problems.push('no final line');
  else {
    problems.push(...balanceProblems(final));
    const [p0, p1] = final.ports;
    if (p0.ipackets !== frames) problems.push(`port 0 received ${p0.ipackets}, net_null0 count=${frames}`);
    if (p0.ibytes !== frames * SIZE) problems.push(`port 0 received ${p0.ibytes} bytes, expected ${frames * SIZE}`);
    // The loopback ring returns everything port 1 sent (released rings are drained into the pool, so a shortfall would hide there).
    if (p1.ipackets !== p1.opackets) problems.push(`port 1 (loopback ring) received ${p1.ipackets} != sent ${p1.opackets}`);
    if (p0.obytes !== p0.opackets * SIZE) problems.push(`port 0 sent ${p0.obytes} bytes for ${p0.opackets} frames`);
    // The only way to lose a frame here is a drop by reason; the totals must add up through both hops.
    const lost = droppedAfterRx(p0.dropped) + droppedAfterRx(p1.dropped);
    if (p0.opackets + lost !== frames) problems.push(`out of port 0 ${p0.opackets} + dropped ${lost} != ${frames} in`);
  }
  const summary = final
    ? `volume l2fwd net_null0(count=${frames}) <-> net_ring1 (loopback): ${frames} frames in within ${seconds.toFixed(1)} s of start ` +
      `(peak ${(peakPps / 1e6).toFixed(2)} M frames/s in over a 1 s period; each frame is forwarded twice); ` +
      `${final.ports.map((p) => `port ${p.port} in ${p.ipackets} out ${p.opackets} drops ${dropsText(p.dropped)}`).join('; ')}; ` +
      `mempool in use ${final.mempool.inUse}/${final.mempool.size}; ${problems.length ? `FAIL: ${problems.join('; ')}` : 'ok'}`
    : `volume: FAIL: ${problems.join('; ')}`;
  return { frames, seconds, peakPps, final, problems, summary };
}
