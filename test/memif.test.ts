// net_memif between tsfwd processes (no outside program needed): a chain
// pktgen -> memif -> l2fwd -> memif -> sink with exact counts and the sink's
// sequence check, a peer killed and restarted mid-run, and bad input.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import * as YAML from 'yaml';
import { final, sockDir, tsfwd, waitLine } from './helpers/memif-proc';

const cpus = getAffinity();
const CPU_A = String(cpus[0]);
const CPU_B = String(cpus[cpus.length - 1]);
const up = (dev: string): RegExp => new RegExp(`${dev} \\(memif [a-z]+, [^)]*\\): link up`);

interface FwdFinal {
  ok: boolean;
  ports: { ipackets: number; opackets: number; oerrors: number; forwarded: number; dropped: Record<string, number>; link?: string }[];
  mempool: { inUse: number };
}
interface SinkFinal { ports: { ipackets: number; ibytes: number }[]; streams: { received: number; lost: number; duplicates: number; reordered: number }[] }
interface GenFinal { ports: { opackets: number; obytes: number; oerrors: number }[] }

const dropSum = (d: Record<string, number>): number => Object.values(d).reduce((a, b) => a + b, 0);

/** l2fwd serving two memif sockets on one lcore (both ports), big rings so a napping sink loses nothing. */
function startFwd(dir: string, seconds: number, extra = ''): ReturnType<typeof tsfwd> {
  return tsfwd(['l2fwd', '-l', CPU_B,
    '--vdev', `net_memif0,role=server,socket=${path.join(dir, 'a.sock')},socket-abstract=no,rsize=14${extra}`,
    '--vdev', `net_memif1,role=server,socket=${path.join(dir, 'b.sock')},socket-abstract=no,rsize=14${extra}`,
    '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json', '--duration', String(seconds)]);
}

test('memif chain across processes: pktgen -> l2fwd -> sink, 0 lost / dup / reordered, exact counts and bytes', async () => {
  const dir = sockDir('chain');
  try {
    const N = 60000;
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 size 128\nset 0 rate 0.5\ndelay 1000\nstart 0\ndelay 6000\nstop 0\n`);
    const fwd = startFwd(dir, 14);
    await waitLine(fwd.err, /Lcore \d+: RX port 0/, 10_000, 'l2fwd start');
    const sink = tsfwd(['sink', '-l', CPU_A, '--poll-mode', 'adaptive', '--max-sleep-us', '100',
      '--vdev', `net_memif0,socket=${path.join(dir, 'b.sock')},socket-abstract=no,rsize=14`, '--', '-T', '0', '--stats-json', '--duration', '11']);
    await waitLine(sink.err, up('net_memif0'), 10_000, 'sink link up');
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,socket=${path.join(dir, 'a.sock')},socket-abstract=no,rsize=14`,
      '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    assert.equal(await gen.done, 0, gen.err());
    assert.equal(await sink.done, 0, sink.err());
    assert.equal(await fwd.done, 0, fwd.err());
    const g = final<GenFinal>(gen.out());
    const s = final<SinkFinal>(sink.out());
    const f = final<FwdFinal>(fwd.out());
    assert.equal(g.ports[0].opackets, N);
    assert.equal(g.ports[0].obytes, N * 124, '128-byte frames counting FCS: 124 bytes each on the wire');
    assert.equal(f.ports[0].ipackets, N);
    assert.equal(f.ports[0].forwarded, N);
    assert.equal(dropSum(f.ports[0].dropped), 0);
    assert.equal(f.ports[1].opackets, N);
    assert.equal(f.mempool.inUse, 0, 'every mbuf back in the pool');
    assert.equal(s.ports[0].ipackets, N);
    assert.equal(s.ports[0].ibytes, N * 124);
    assert.deepEqual(s.streams.map((x) => [x.received, x.lost, x.duplicates, x.reordered]), [[N, 0, 0, 0]]);
    assert.match(fwd.err(), up('net_memif0'));
    assert.match(fwd.err(), up('net_memif1'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif peer killed and restarted mid-run: link down line, tx refused and counted, reconnects, books balance', async () => {
  const dir = sockDir('restart');
  try {
    const fwd = startFwd(dir, 16);
    await waitLine(fwd.err, /Lcore \d+: RX port 0/, 10_000, 'l2fwd start');
    const sinkArgs = ['sink', '-l', CPU_A, '--poll-mode', 'adaptive', '--max-sleep-us', '100',
      '--vdev', `net_memif0,socket=${path.join(dir, 'b.sock')},socket-abstract=no,rsize=14`, '--', '-T', '0', '--stats-json'];
    const sink1 = tsfwd([...sinkArgs, '--duration', '20']);
    await waitLine(sink1.err, up('net_memif0'), 10_000, 'first sink link up');
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,socket=${path.join(dir, 'a.sock')},socket-abstract=no,rsize=14`,
      '--', '--rate', '20000', '--duration', '7', '-T', '0', '--stats-json']);
    await waitLine(fwd.err, up('net_memif0'), 10_000, 'pktgen link up at l2fwd');
    await new Promise((r) => setTimeout(r, 1500));
    sink1.proc.kill('SIGKILL'); // no DISCONNECT: the control socket just closes
    await sink1.done;
    await waitLine(fwd.err, /net_memif1 \([^)]*\): link down: peer closed the control socket; listening for the peer again/, 5000, 'link down line');
    await new Promise((r) => setTimeout(r, 1000)); // frames for port 1 meet a down link meanwhile
    const sink2 = tsfwd([...sinkArgs, '--duration', '8']);
    await waitLine(sink2.err, up('net_memif0'), 10_000, 'restarted sink link up');
    assert.equal(await gen.done, 0, gen.err());
    assert.equal(await sink2.done, 0, sink2.err());
    assert.equal(await fwd.done, 0, fwd.err());
    const g = final<GenFinal>(gen.out());
    const s2 = final<SinkFinal>(sink2.out());
    const f = final<FwdFinal>(fwd.out());
    assert.equal((fwd.err().match(/net_memif1 \([^)]*\): link up/g) ?? []).length, 2, 'l2fwd saw the sink come back');
    assert.equal(g.ports[0].oerrors, 0, 'pktgen waited for its link before sending');
    assert.equal(f.ports[0].ipackets, g.ports[0].opackets, 'l2fwd received every frame pktgen sent');
    assert.equal(f.ports[0].forwarded + dropSum(f.ports[0].dropped), f.ports[0].ipackets, 'port 0: rx = forwarded + dropped');
    assert.ok(f.ports[1].oerrors > 0 && f.ports[0].dropped.txInvalid === f.ports[1].oerrors, 'frames refused while port 1 was down are booked');
    assert.equal(f.ports[1].opackets + f.ports[1].oerrors, f.ports[0].forwarded + f.ports[0].dropped.txInvalid);
    assert.ok(s2.ports[0].ipackets > 0, 'the restarted sink receives again');
    assert.deepEqual(f.ports.map((p) => p.link), ['down', 'down'], 'the stats show both peers gone at the end');
    assert.ok(s2.ports[0].ipackets <= f.ports[1].opackets);
    assert.equal(f.mempool.inUse, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif pktgen with no peer: waits for the link, then counts what the down link refused as oerrors, not as sent', async () => {
  const dir = sockDir('nopeer');
  try {
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,socket=${path.join(dir, 'none.sock')},socket-abstract=no`,
      '--', '--count', '500', '--rate', '10000', '-T', '0', '--stats-json']);
    assert.equal(await gen.done, 0, gen.err());
    assert.match(gen.err(), /waiting up to 5 s for the link of net_memif0/);
    assert.match(gen.err(), /net_memif0: link still down; sending anyway/);
    const g = final<GenFinal>(gen.out());
    assert.deepEqual([g.ports[0].opackets, g.ports[0].obytes, g.ports[0].oerrors], [0, 0, 500]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif --poll-mode interrupt: an idle sink blocks on the ring eventfd (few polls), a kick wakes it (every frame, low latency)', async () => {
  const dir = sockDir('intr');
  try {
    const N = 3000;
    const sock = path.join(dir, 'm.sock');
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 rate 0.01\ndelay 3000\nstart 0\ndelay 4000\nstop 0\n`);
    const sink = tsfwd(['sink', '-l', CPU_B, '--poll-mode', 'interrupt', '--empty-polls', '1', '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no`,
      '--', '-T', '0', '--stats-json', '--duration', '10']);
    await waitLine(sink.err, /sink: net_memif0 on lcore/, 10_000, 'sink start');
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,socket=${sock},socket-abstract=no`,
      '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    assert.equal(await gen.done, 0, gen.err());
    assert.equal(await sink.done, 0, sink.err());
    const s = final<SinkFinal & { lcores: { polls: number; emptyPolls: number; sleeps: number }[]; latencyNs: { p50: number } }>(sink.out());
    assert.equal(final<GenFinal>(gen.out()).ports[0].opackets, N);
    assert.deepEqual(s.streams.map((x) => [x.received, x.lost, x.duplicates, x.reordered]), [[N, 0, 0, 0]]);
    // ~1490 pps for 2 s: with --empty-polls 1 a blocked lcore polls about twice per
    // kick, plus once a second when nothing comes; a napping one would poll ~1000
    // times a second for 10 s.
    assert.ok(s.lcores[0].polls < 4 * N, `polls ${s.lcores[0].polls}`);
    // Without a kick the block lasts up to 1 s: a median frame would wait ~0.5 s.
    assert.ok(s.latencyNs.p50 < 100e6, `median latency ${s.latencyNs.p50} ns`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('docker/compose.memif.yaml: its three commands, run as written (socket volume -> a temp dir), forward gen -> fwd -> sink', async () => {
  const dir = sockDir('compose');
  const root = path.resolve(__dirname, '..', '..');
  const compose = YAML.parse(fs.readFileSync(path.join(root, 'docker', 'compose.memif.yaml'), 'utf8'), { merge: true }) as
    { services: Record<string, { command: string[]; volumes?: string[]; cap_drop?: string[]; network_mode?: string }> };
  try {
    assert.deepEqual(Object.keys(compose.services).sort(), ['fwd', 'gen', 'sink']);
    const argv = (name: string): string[] => {
      const s = compose.services[name];
      assert.deepEqual(s.volumes, ['memif:/run/memif'], `${name} shares only the socket volume`);
      assert.deepEqual([s.cap_drop, s.network_mode], [['ALL'], 'none'], `${name}: no capability, no network`);
      return s.command.map((a) => a.replaceAll('/run/memif/', `${dir}/`));
    };
    const fwd = tsfwd(argv('fwd'));
    await waitLine(() => fwd.out() + fwd.err(), /Lcore \d+: RX port 0/, 10_000, 'fwd start');
    const sink = tsfwd(argv('sink'));
    await waitLine(sink.err, up('net_memif0'), 10_000, 'sink link up');
    const gen = tsfwd(argv('gen'));
    await waitLine(gen.err, up('net_memif0'), 10_000, 'gen link up');
    await new Promise((r) => setTimeout(r, 3000));
    for (const p of [gen, sink, fwd]) {
      p.proc.kill('SIGINT');
      assert.equal(await p.done, 0, p.err());
    }
    const s = final<SinkFinal>(sink.out());
    assert.ok(s.ports[0].ipackets > 10000, `sink received ${s.ports[0].ipackets}`);
    assert.equal(s.streams[0].duplicates, 0);
    assert.match(fwd.out(), /Port 1 queue 0: received 0, sent [1-9]/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif works unchanged under pipeline: pktgen -> pipeline (rx lcore -> ring -> tx lcore) -> sink, books balance exactly', async () => {
  const dir = sockDir('pipe');
  try {
    const N = 40000;
    const M = 'socket-abstract=no,rsize=14';
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 rate 0.5\ndelay 1000\nstart 0\ndelay 5000\nstop 0\n`);
    const fwd = tsfwd(['pipeline', '-l', `${CPU_A},${CPU_B}`, '--vdev', `net_memif0,role=server,socket=${path.join(dir, 'a.sock')},${M}`,
      '--vdev', `net_memif1,role=server,socket=${path.join(dir, 'b.sock')},${M}`, '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json', '--duration', '12']);
    await waitLine(() => fwd.out() + fwd.err(), /Lcore \d+: RX port 0/, 10_000, 'pipeline start');
    const sink = tsfwd(['sink', '-l', CPU_A, '--poll-mode', 'adaptive', '--max-sleep-us', '100',
      '--vdev', `net_memif0,socket=${path.join(dir, 'b.sock')},${M}`, '--', '-T', '0', '--stats-json', '--duration', '10']);
    await waitLine(sink.err, up('net_memif0'), 10_000, 'sink link up');
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,socket=${path.join(dir, 'a.sock')},${M}`,
      '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    assert.equal(await gen.done, 0, gen.err());
    assert.equal(await sink.done, 0, sink.err());
    assert.equal(await fwd.done, 0, fwd.err());
    const f = final<FwdFinal>(fwd.out());
    const s = final<SinkFinal>(sink.out());
    assert.equal(final<GenFinal>(gen.out()).ports[0].opackets, N);
    assert.equal(f.ports[0].ipackets, N);
    // Three busy processes share two CPUs: the pipeline's own ring may overflow; every frame is accounted for.
    const drops = dropSum(f.ports[0].dropped);
    assert.equal(f.ports[0].forwarded + drops, N);
    assert.equal(f.ports[1].opackets, f.ports[0].forwarded);
    assert.equal(s.ports[0].ipackets + drops, N, 'sink received + pipeline drops = frames sent');
    // Drops after the last frame that arrives are invisible to the sink's sequence check.
    assert.ok(s.streams[0].lost <= drops, `sink lost ${s.streams[0].lost}, pipeline dropped ${drops}`);
    assert.deepEqual(s.streams.map((x) => [x.received, x.duplicates, x.reordered]), [[N - drops, 0, 0]]);
    assert.equal(f.mempool.inUse, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
