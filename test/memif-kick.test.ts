// net_memif rx kicks: only an lcore that sleeps on a queue (--poll-mode
// interrupt) asks the peer to write the ring eventfd after each tx burst; a
// busy sink leaves the ring flag at "no interrupt", so the transmitting peer
// makes no write() per burst. Counted with the peer's write syscalls
// (/proc/<pid>/io syscw), which the kicks would dominate.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { final, sockDir, tsfwd, waitLine } from './helpers/memif-proc';

const cpus = getAffinity();
const CPU_A = String(cpus[0]);
const CPU_B = String(cpus[cpus.length - 1]);
const up = (dev: string): RegExp => new RegExp(`${dev} \\(memif [a-z]+, [^)]*\\): link up`);

interface SinkFinal { ports: { ipackets: number }[] }
interface GenFinal { ports: { opackets: number }[] }

function syscw(pid: number): number {
  try {
    const m = /^syscw: (\d+)$/m.exec(fs.readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch { return -1; }
}

/** Runs pktgen (client) -> sink (server) with the sink in `mode`; returns the peer's write syscalls and the counts. */
async function run(mode: string, N: number): Promise<{ writes: number; sent: number; got: number }> {
  const dir = sockDir(`kick-${mode}`);
  try {
    const sock = path.join(dir, 's.sock');
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 size 64\ndelay 1000\nstart 0\ndelay 3000\nstop 0\ndelay 1500\n`);
    const sink = tsfwd(['sink', '-l', CPU_B, '--poll-mode', mode, '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no,rsize=10`,
      '--', '-T', '0', '--stats-json', '--duration', '9']);
    await waitLine(sink.err, /sink: net_memif0 on lcore/, 10_000, 'sink start');
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,socket=${sock},socket-abstract=no,rsize=10`,
      '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    await waitLine(gen.err, up('net_memif0'), 10_000, 'pktgen link up');
    // The last reading taken while pktgen is alive (it idles 1.5 s after its stream): every kick is in it.
    let writes = -1;
    let alive = true;
    void gen.done.then(() => { alive = false; });
    while (alive) {
      const w = syscw(gen.proc.pid!);
      if (w >= 0) writes = w;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await gen.done, 0, gen.err());
    assert.equal(await sink.done, 0, sink.err());
    return { writes, sent: final<GenFinal>(gen.out()).ports[0].opackets, got: final<SinkFinal>(sink.out()).ports[0].ipackets };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('memif busy-mode sink: the peer is told not to kick (few write syscalls); interrupt mode: one kick per tx burst', async () => {
  const N = 20000;
  const busy = await run('busy', N);
  assert.equal(busy.sent, N);
  assert.equal(busy.got, N);
  const intr = await run('interrupt', N);
  assert.equal(intr.sent, N);
  assert.equal(intr.got, N);
  // A tx burst carries at most 32 frames: N/32 kicks at least in interrupt mode.
  // Not less the busy run's writes: the peer's other writes (log lines, the
  // control socket) vary by ~10 between runs, and kicks alone reach N/32.
  assert.ok(intr.writes >= N / 32, `interrupt-mode peer writes ${intr.writes}, busy-mode peer writes ${busy.writes}`);
  assert.ok(busy.writes < N / 64, `busy-mode peer made ${busy.writes} write syscalls for ${N} frames: it kicks`);
});
