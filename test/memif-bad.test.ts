// net_memif bad input: each case one line and nothing left open.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { run, sockDir, tsfwd, waitLine } from './helpers/memif-proc';

const CPU = String(getAffinity()[0]);
const PEER = path.resolve(__dirname, '..', '..', 'test', 'helpers', 'memif_peer.py');
const lines = (s: string): string[] => s.split('\n').filter((l) => l.length > 0);

test('memif bad devargs: one line each, exit 2, no stack trace', async () => {
  const dir = sockDir('bad');
  try {
    const cases: [string, RegExp][] = [
      ['role=boss', /devarg role=boss must be one of server, client, master, slave/],
      ['rsize=15', /devarg rsize=15 must be an integer 1\.\.14/],
      ['bsize=0', /devarg bsize=0 must be an integer 64\.\.65535/],
      ['id=-1', /devarg id=-1 must be an integer/],
      ['zero-copy=yes', /zero-copy=yes is not supported/],
      ['socket-abstract=maybe', /devarg socket-abstract=maybe must be one of yes, no/],
      ['mac=01:02', /mac=01:02 must be xx:xx:xx:xx:xx:xx/],
      ['secret=0123456789012345678901234', /secret must be at most 24 bytes/],
      ['socket=rel.sock,socket-abstract=no', /must be an absolute path/],
      [`role=server,socket=${dir}/no/such/dir/m.sock,socket-abstract=no`, /its directory does not exist \(ENOENT\)/],
      ['owner-uid=0', /unknown devarg 'owner-uid' \(net_memif takes: /],
    ];
    for (const [args, re] of cases) {
      const p = tsfwd(['sink', '-l', CPU, '--vdev', `net_memif0,${args}`, '--', '--duration', '1', '-T', '0'], 20_000);
      assert.equal(await p.done, 2, `${args}: ${p.err()}`);
      assert.deepEqual(lines(p.err()).length, 1, `${args}: ${p.err()}`);
      assert.match(p.err(), re);
      assert.doesNotMatch(p.err(), /\n\s+at /);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif socket path in use: the second server says so in one line; the first keeps it and removes it at exit', async () => {
  const dir = sockDir('inuse');
  const sock = path.join(dir, 'm.sock');
  try {
    const first = tsfwd(['sink', '-l', CPU, '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no`, '--', '--duration', '6', '-T', '0']);
    await waitLine(() => first.out() + first.err(), /sink: net_memif0 on lcore/, 10_000, 'first server');
    const second = tsfwd(['sink', '-l', CPU, '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no`, '--', '--duration', '1', '-T', '0']);
    assert.equal(await second.done, 2);
    assert.deepEqual(lines(second.err()), [`tsfwd: net_memif0: socket ${sock} is in use by another memif server (EADDRINUSE)`]);
    // The first still serves: a client connects to it.
    const client = tsfwd(['pktgen', '-l', CPU, '--vdev', `net_memif0,socket=${sock},socket-abstract=no`, '--', '--duration', '2', '--rate', '1000', '-T', '0']);
    assert.equal(await client.done, 0, client.err());
    assert.match(client.err(), /net_memif0 \(memif client, [^)]*\): link up \(peer tsfwd/);
    assert.equal(await first.done, 0);
    assert.equal(fs.existsSync(sock), false, 'the server removed its socket file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif secret mismatch: one line on each side (not one per retry), the link never comes up', async () => {
  const dir = sockDir('secret');
  const sock = path.join(dir, 'm.sock');
  try {
    const srv = tsfwd(['sink', '-l', CPU, '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no,secret=right`, '--', '--duration', '4', '-T', '0']);
    await waitLine(() => srv.out() + srv.err(), /sink: net_memif0 on lcore/, 10_000, 'server');
    const cli = tsfwd(['pktgen', '-l', CPU, '--vdev', `net_memif0,socket=${sock},socket-abstract=no,secret=wrong`, '--', '--duration', '2.5', '--rate', '1000', '-T', '0']);
    assert.equal(await cli.done, 0, cli.err());
    assert.equal(await srv.done, 0, srv.err());
    assert.equal(lines(cli.err()).filter((l) => /net_memif0/.test(l)).join('\n'),
      `net_memif0 (memif client, ${sock}, id 0): peer disconnected: Incorrect secret`);
    assert.equal(lines(srv.err()).filter((l) => /net_memif0 \(/.test(l)).join('\n'),
      `net_memif0 (memif server, ${sock}, id 0): refused a client: Incorrect secret (id 0)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif peer speaking another version: one line, DISCONNECT names it, both roles', async () => {
  const dir = sockDir('version');
  try {
    // tsfwd as client, the peer offers only memif 3.0.
    const s1 = path.join(dir, 'a.sock');
    const fakeSrv = run('python3', [PEER, 'server', s1], 20_000);
    await waitLine(fakeSrv.out, /listening/, 10_000, 'fake server');
    const cli = tsfwd(['pktgen', '-l', CPU, '--vdev', `net_memif0,socket=${s1},socket-abstract=no`, '--', '--duration', '1.5', '--rate', '1000', '-T', '0']);
    assert.equal(await cli.done, 0, cli.err());
    assert.equal(await fakeSrv.done, 0, fakeSrv.err());
    assert.equal(fakeSrv.out().trim().split('\n').pop(), 'reply 8 Incompatible memif version');
    assert.equal(lines(cli.err()).filter((l) => /net_memif0/.test(l)).join('\n'), `net_memif0 (memif client, ${s1}, id 0): peer speaks memif 3.0..3.0, not 2.0`);
    // tsfwd as server, the peer asks for memif 1.0.
    const s2 = path.join(dir, 'b.sock');
    const srv = tsfwd(['sink', '-l', CPU, '--vdev', `net_memif0,role=server,socket=${s2},socket-abstract=no`, '--', '--duration', '3', '-T', '0']);
    await waitLine(() => srv.out() + srv.err(), /sink: net_memif0 on lcore/, 10_000, 'server');
    const fakeCli = run('python3', [PEER, 'client', s2], 20_000);
    assert.equal(await fakeCli.done, 0, fakeCli.err());
    assert.equal(fakeCli.out().trim(), 'reply 8 Incompatible memif version');
    assert.equal(await srv.done, 0);
    assert.equal(lines(srv.err()).filter((l) => /net_memif0 \(/.test(l)).join('\n'), `net_memif0 (memif server, ${s2}, id 0): peer speaks memif 1.0, not 2.0`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('memif peer that stalls mid-handshake: dropped after 5 s with one line, and the id is free again for a real client', async () => {
  const dir = sockDir('stall');
  const sock = path.join(dir, 'm.sock');
  try {
    const srv = tsfwd(['sink', '-l', CPU, '--vdev', `net_memif0,role=server,socket=${sock},socket-abstract=no`, '--', '--duration', '10', '-T', '0', '--stats-json']);
    await waitLine(() => srv.out() + srv.err(), /sink: net_memif0 on lcore/, 10_000, 'server');
    const stall = run('python3', [PEER, 'stall', sock], 20_000);
    assert.equal(await stall.done, 0, stall.err());
    const m = /^reply 8 Handshake timed out after (\d+\.\d) s$/.exec(stall.out().trim());
    assert.ok(m, stall.out());
    assert.ok(Number(m[1]) >= 4.9 && Number(m[1]) < 6.5, `dropped after ${m[1]} s`);
    const cli = tsfwd(['pktgen', '-l', CPU, '--vdev', `net_memif0,socket=${sock},socket-abstract=no`, '--', '--count', '1000', '--rate', '10000', '-T', '0', '--stats-json']);
    assert.equal(await cli.done, 0, cli.err());
    assert.equal(await srv.done, 0, srv.err());
    assert.equal(lines(srv.err()).filter((l) => /net_memif0 \(/.test(l))[0],
      `net_memif0 (memif server, ${sock}, id 0): the peer did not finish the handshake within 5000 ms`);
    assert.match(srv.err(), /net_memif0 \([^)]*\): link up \(peer tsfwd/);
    const last = JSON.parse(srv.out().trim().split('\n').pop()!) as { ports: { ipackets: number }[] };
    assert.equal(last.ports[0].ipackets, 1000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
