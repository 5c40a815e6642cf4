// net_memif against DPDK 22.11's dpdk-testpmd (net_memif PMD) both ways:
// testpmd as client (txonly / rxonly) against tsfwd servers, and tsfwd
// clients through a testpmd server (io between two memif ports) with
// 1514-byte frames over 512-byte memif buffers and 9000-byte jumbo frames over
// 2048-byte ones, so descriptors chain in both directions. testpmd in the
// server role reports 0 in its counters (see issue 14), so those runs are
// counted on tsfwd's side.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { needTool, optionalSkip } from './helpers/need';
import { Proc, final, run, sockDir, tsfwd, waitLine } from './helpers/memif-proc';

const INSTALL = 'dpdk-dev librte-net-memif23';
const memifPmd = '/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0/librte_net_memif.so.23';
const skip = needTool('dpdk-testpmd', INSTALL) ??
  (fs.existsSync(memifPmd) ? undefined : optionalSkip(`needs DPDK's net_memif PMD (apt-get install -y ${INSTALL})`));
const cpus = getAffinity();
const CPU_A = String(cpus[0]);
const up = (dev: string): RegExp => new RegExp(`${dev} \\(memif [a-z]+, [^)]*\\): link up \\(peer DPDK`);

let prefix = 0;
/** testpmd on two lcores without hugepages; --stats-period keeps it running without a terminal. */
function testpmd(vdevs: string[], fwd: string, extra: string[] = []): Proc {
  const args = ['--no-huge', '-m', '512', '-l', `${cpus[0]},${cpus[cpus.length - 1]}`, '--no-pci', '--no-telemetry',
    '--file-prefix', `tsfwd-memif-${process.pid}-${prefix++}`, ...vdevs.flatMap((v) => ['--vdev', v]),
    '--', `--forward-mode=${fwd}`, '--stats-period', '1', '-a', '--nb-cores=1', '--total-num-mbufs=8192', ...extra];
  return run('dpdk-testpmd', args, 60_000);
}

/** Last value of `label: N` in testpmd's output (its final forward statistics come last). */
function last(out: string, label: string): number {
  const all = [...out.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))];
  assert.ok(all.length > 0, `testpmd printed no ${label}: ${out.slice(-800)}`);
  return Number(all[all.length - 1][1]);
}

/** Largest value of `label: N` in testpmd's periodic port statistics (rxonly's forward statistics read 0 after stop). */
function most(out: string, label: string): number {
  const all = [...out.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))].map((m) => Number(m[1]));
  assert.ok(all.length > 0, `testpmd printed no ${label}: ${out.slice(-800)}`);
  return Math.max(...all);
}

interface SinkFinal { ports: { ipackets: number; ibytes: number; ierrors: number }[]; streams: { received: number; lost: number; duplicates: number; reordered: number }[] }
interface GenFinal { ports: { opackets: number; obytes: number }[] }

test('testpmd txonly as memif client -> tsfwd sink as server: every frame testpmd counts sent arrives, 64 B each', { skip }, async () => {
  const dir = sockDir('tp-tx');
  try {
    const sock = path.join(dir, 'm.sock');
    const sink = tsfwd(['sink', '-l', CPU_A, '--poll-mode', 'busy', '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no`,
      '--', '-T', '0', '--stats-json', '--duration', '12']);
    await waitLine(sink.err, /sink: net_memif0 on lcore/, 10_000, 'sink start');
    const tp = testpmd([`net_memif0,role=client,socket=${sock},socket-abstract=no`], 'txonly', ['--txpkts=64']);
    await waitLine(sink.err, up('net_memif0'), 20_000, 'testpmd connected');
    await new Promise((r) => setTimeout(r, 2500));
    tp.proc.kill('SIGINT');
    assert.equal(await tp.done, 0, tp.err());
    assert.equal(await sink.done, 0, sink.err());
    const sent = last(tp.out(), 'TX-packets');
    const s = final<SinkFinal>(sink.out());
    assert.ok(sent > 1000, `testpmd sent ${sent}`);
    assert.equal(s.ports[0].ipackets, sent, 'tsfwd received exactly what testpmd counted sent');
    assert.equal(s.ports[0].ibytes, sent * 64);
    assert.equal(s.ports[0].ierrors, 0);
    // testpmd closes the control socket without a DISCONNECT message.
    assert.match(sink.err(), /link down: peer (closed the control socket|disconnected: [^;]+); listening for the peer again/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('tsfwd pktgen as memif server -> testpmd rxonly as client: testpmd counts every frame and byte', { skip }, async () => {
  const dir = sockDir('tp-rx');
  try {
    const sock = path.join(dir, 'm.sock');
    const N = 50000;
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 size 100\nset 0 rate 1\ndelay 4000\nstart 0\ndelay 3000\nstop 0\n`);
    const gen = tsfwd(['pktgen', '-l', CPU_A, '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no`,
      '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    await waitLine(gen.err, /Lcore \d+: TX port 0/, 10_000, 'pktgen start');
    const tp = testpmd([`net_memif0,role=client,socket=${sock},socket-abstract=no`], 'rxonly');
    await waitLine(gen.err, up('net_memif0'), 20_000, 'testpmd connected');
    assert.equal(await gen.done, 0, gen.err());
    await new Promise((r) => setTimeout(r, 1500));
    tp.proc.kill('SIGINT');
    assert.equal(await tp.done, 0, tp.err());
    const g = final<GenFinal>(gen.out());
    assert.equal(g.ports[0].opackets, N);
    assert.equal(most(tp.out(), 'RX-packets'), N, 'testpmd received every frame');
    assert.equal(most(tp.out(), 'RX-bytes'), N * 96, '100-byte frames counting FCS: 96 bytes each');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** tsfwd pktgen -> testpmd io between two memif server ports -> tsfwd sink; `size` counts the FCS. */
async function throughTestpmd(tag: string, size: number, bsize: number, N: number, ratePct: number, mbufSize?: number): Promise<void> {
  const dir = sockDir(tag);
  try {
    const a = path.join(dir, 'a.sock');
    const b = path.join(dir, 'b.sock');
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 size ${size}\nset 0 rate ${ratePct}\ndelay 1000\nstart 0\ndelay 4000\nstop 0\n`);
    const tp = testpmd([`net_memif0,role=server,socket=${a},socket-abstract=no,rsize=12`, `net_memif1,role=server,socket=${b},socket-abstract=no,rsize=12`], 'io');
    await waitLine(tp.out, /Press enter to exit|Port statistics/, 30_000, 'testpmd forwarding');
    const client = (s: string): string => `net_memif0,socket=${s},socket-abstract=no,bsize=${bsize},rsize=12`;
    const mbuf = mbufSize ? ['--mbuf-size', String(mbufSize)] : [];
    const sink = tsfwd(['sink', '-l', CPU_A, '--poll-mode', 'adaptive', '--max-sleep-us', '100', ...mbuf, '--vdev', client(b),
      '--', '-T', '0', '--stats-json', '--duration', '12']);
    await waitLine(sink.err, up('net_memif0'), 20_000, 'sink connected to testpmd');
    const gen = tsfwd(['pktgen', '-l', CPU_A, ...mbuf, '--vdev', client(a), '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    assert.equal(await gen.done, 0, gen.err());
    assert.match(gen.err(), up('net_memif0'));
    assert.equal(await sink.done, 0, sink.err());
    tp.proc.kill('SIGINT');
    await tp.done;
    const g = final<GenFinal>(gen.out());
    const s = final<SinkFinal>(sink.out());
    assert.equal(g.ports[0].opackets, N);
    assert.equal(g.ports[0].obytes, N * (size - 4));
    assert.equal(s.ports[0].ipackets, N, 'every frame came back through testpmd');
    assert.equal(s.ports[0].ibytes, N * (size - 4));
    assert.equal(s.ports[0].ierrors, 0);
    assert.deepEqual(s.streams.map((x) => [x.received, x.lost, x.duplicates, x.reordered]), [[N, 0, 0, 0]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('tsfwd pktgen -> testpmd io (memif server, two ports) -> tsfwd sink, 1514-byte frames chained over 512-byte buffers', { skip }, async () => {
  await throughTestpmd('tp-io', 1518, 512, 20000, 2);
});

test('jumbo: 9000-byte frames (--mbuf-size 9216) chained over 2048-byte memif buffers through testpmd io, exact counts and bytes', { skip }, async () => {
  await throughTestpmd('tp-jumbo', 9004, 2048, 5000, 5, 9216);
});

test('two queue pairs over an abstract socket (both sides\' default): testpmd txonly --txq=2 -> tsfwd sink qpairs=2, both streams whole', { skip }, async () => {
  const dir = sockDir('tp-mq');
  try {
    const sock = `/tsfwd-memif-test-${process.pid}`; // abstract: no file, DPDK 22.11's default
    const sink = tsfwd(['sink', '-l', CPU_A, '--poll-mode', 'busy', '--vdev', `net_memif0,role=server,socket=${sock},qpairs=2`,
      '--', '-T', '0', '--stats-json', '--duration', '12']);
    await waitLine(sink.err, /sink: net_memif0 on lcore/, 10_000, 'sink start');
    const tp = testpmd([`net_memif0,role=client,socket=${sock}`], 'txonly', ['--txpkts=64', '--rxq=2', '--txq=2']);
    await waitLine(sink.err, /link up \(peer DPDK [^,]*, 2 queue pairs/, 20_000, 'testpmd connected with 2 queue pairs');
    await new Promise((r) => setTimeout(r, 2500));
    tp.proc.kill('SIGINT');
    assert.equal(await tp.done, 0, tp.err());
    assert.equal(await sink.done, 0, sink.err());
    const perStream = [...tp.out().matchAll(/RX-packets: 0\s+TX-packets: (\d+)\s+TX-dropped/g)].map((m) => Number(m[1]));
    assert.equal(perStream.length, 2, 'testpmd reports one stream per tx queue');
    assert.ok(perStream.every((n) => n > 0), `both queues carried frames: ${perStream.join(', ')}`);
    const sent = last(tp.out(), 'TX-packets');
    assert.equal(sent, perStream[0] + perStream[1]);
    assert.match(sink.err(), new RegExp(`memif server, @${sock}, id 0\\): link up`));
    const s = final<SinkFinal>(sink.out());
    assert.equal(s.ports[0].ipackets, sent);
    assert.equal(s.ports[0].ibytes, sent * 64);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
