// Several net_memif server ports on one socket, told apart by id (as DPDK and
// VPP serve many interfaces on one socket), carrying 9000-byte jumbo frames
// (--mbuf-size) chained over 2048-byte memif buffers; a client whose id no
// port has is refused with DPDK's reason.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { final, sockDir, tsfwd, waitLine } from './helpers/memif-proc';

const cpus = getAffinity();
const CPU_A = String(cpus[0]);
const CPU_B = String(cpus[cpus.length - 1]);
const up = (dev: string, id: number): RegExp => new RegExp(`${dev} \\(memif [a-z]+, [^)]*, id ${id}\\): link up`);

interface FwdFinal { ports: { ipackets: number; ibytes: number; opackets: number; obytes: number; forwarded: number }[]; mempool: { inUse: number } }
interface SinkFinal { ports: { ipackets: number; ibytes: number; ierrors: number }[]; streams: { received: number; lost: number; duplicates: number; reordered: number }[] }
interface GenFinal { ports: { opackets: number; obytes: number; oerrors: number }[] }

test('two memif server ports on one socket (ids 0 and 1): pktgen -> l2fwd -> sink with 9000-byte frames, exact counts and bytes; id 7 refused', async () => {
  const dir = sockDir('shared');
  try {
    const sock = path.join(dir, 's.sock');
    const N = 5000;
    const FRAME = 9000; // without FCS
    const mbuf = ['--mbuf-size', '9216'];
    const client = (id: number): string => `net_memif0,socket=${sock},socket-abstract=no,id=${id},rsize=12`;
    fs.writeFileSync(path.join(dir, 'g.pkt'), `set 0 count ${N}\nset 0 size ${FRAME + 4}\nset 0 rate 5\ndelay 1000\nstart 0\ndelay 4000\nstop 0\n`);
    // The sink starts first: its client connects only after it dropped its capabilities (retrying every 500 ms).
    const sink = tsfwd(['sink', '-l', CPU_A, '--poll-mode', 'adaptive', '--max-sleep-us', '100', ...mbuf, '--vdev', client(1),
      '--', '-T', '0', '--stats-json', '--duration', '12']);
    await waitLine(sink.err, /privileges: dropped all/, 10_000, 'sink dropped its capabilities');
    const fwd = tsfwd(['l2fwd', '-l', CPU_B, ...mbuf,
      '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no,id=0`,
      '--vdev', `net_memif1,role=server,socket=${sock},socket-abstract=no,id=1`,
      '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json', '--duration', '12']);
    await waitLine(fwd.err, /Lcore \d+: RX port 0/, 10_000, 'l2fwd start');
    const stray = tsfwd(['sink', '-l', CPU_A, '--vdev', client(7), '--', '-T', '0', '--duration', '2']);
    await waitLine(sink.err, up('net_memif0', 1), 10_000, 'sink link up');
    const gen = tsfwd(['pktgen', '-l', CPU_A, ...mbuf, '--vdev', client(0), '--', '-f', path.join(dir, 'g.pkt'), '-T', '0', '--stats-json']);
    assert.equal(await gen.done, 0, gen.err());
    assert.equal(await sink.done, 0, sink.err());
    assert.equal(await stray.done, 0, stray.err());
    assert.equal(await fwd.done, 0, fwd.err());
    for (const p of [fwd, sink, gen]) assert.match(p.err() + p.out(), /privileges: dropped all/, 'net_memif needs no capability after open');
    assert.match(fwd.err(), up('net_memif0', 0));
    assert.match(fwd.err(), up('net_memif1', 1));
    assert.match(fwd.err(), /refused a client: ID not found \(id 7\)/);
    assert.match(stray.err(), /net_memif0 \(memif client, [^)]*, id 7\): peer disconnected: ID not found/);
    const g = final<GenFinal>(gen.out());
    const f = final<FwdFinal>(fwd.out());
    const s = final<SinkFinal>(sink.out());
    assert.deepEqual([g.ports[0].opackets, g.ports[0].obytes, g.ports[0].oerrors], [N, N * FRAME, 0]);
    assert.deepEqual([f.ports[0].ipackets, f.ports[0].ibytes, f.ports[0].forwarded], [N, N * FRAME, N]);
    assert.deepEqual([f.ports[1].opackets, f.ports[1].obytes], [N, N * FRAME]);
    assert.equal(f.mempool.inUse, 0);
    assert.deepEqual([s.ports[0].ipackets, s.ports[0].ibytes, s.ports[0].ierrors], [N, N * FRAME, 0]);
    assert.deepEqual(s.streams.map((x) => [x.received, x.lost, x.duplicates, x.reordered]), [[N, 0, 0, 0]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('frames must fit the mbufs: pktgen --size 9004 without a big enough --mbuf-size, or --imix with a small one, is refused in one line', async () => {
  const dir = sockDir('jumbo-bad');
  try {
    const gen = tsfwd(['pktgen', '--vdev', `net_memif0,socket=${path.join(dir, 'x.sock')},socket-abstract=no`, '--', '--size', '9004']);
    assert.equal(await gen.done, 2);
    assert.deepEqual(gen.err().trim().split('\n'), ['tsfwd: pktgen: --size 9004 is more than 1518: give the EAL option --mbuf-size 9000 or more for jumbo frames']);
    const small = tsfwd(['pktgen', '--mbuf-size', '4096', '--vdev', `net_memif0,socket=${path.join(dir, 'x.sock')},socket-abstract=no`, '--', '--size', '9004']);
    assert.equal(await small.done, 2);
    assert.match(small.err(), /^tsfwd: pktgen: --size 9004 is more than 4100: give the EAL option --mbuf-size 9000 or more/);
    const imix = tsfwd(['pktgen', '--mbuf-size', '1000', '--vdev', `net_memif0,socket=${path.join(dir, 'x.sock')},socket-abstract=no`, '--', '--imix']);
    assert.equal(await imix.done, 2);
    assert.deepEqual(imix.err().trim().split('\n'), ['tsfwd: pktgen: --imix sends 1518-byte frames: --mbuf-size must be 1514 or more, not 1000']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
