// The tsfwd command: help, one-line errors with the right exit codes, and the
// core demo end to end (every mbuf back in the pool, every object accounted for).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('--help lists the commands and exits 0', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^Usage: tsfwd <command>/);
  assert.match(r.stdout, /demo/);
  // Every bench scenario, in the runner's order (bench/run.ts SCENARIOS).
  assert.match(r.stdout, /bench \[ring\|mempool\|ports\|core\|udp\|fwd\|loop\|gc\|poll\|memif\|rfc2544 \.\.\.\]/);
});

test('--version prints the package version', () => {
  const r = run('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

for (const [args, code, msg] of [
  [['frobnicate'], 2, /^tsfwd: unknown command 'frobnicate' \(try 'tsfwd --help'\)\n$/],
  [['demo', '-l', '1-0'], 2, /^tsfwd: invalid core range '1-0' in core list '1-0'\n$/],
  [['demo', '-l', '0'], 2, /^tsfwd: demo needs exactly 2 lcores/],
  [['demo', '-l', '0,999'], 1, /^tsfwd: lcore 999: CPU 999 is not available \(this process may run on CPUs [0-9,-]+\)\n$/],
  [['demo', '--burst'], 2, /^tsfwd: option --burst needs a value\n$/],
  [['demo', '--burst', 'x'], 2, /^tsfwd: option --burst must be an integer 1\.\.512, got 'x'\n$/],
  [['bench', 'nope'], 2, /^tsfwd: bench: unknown scenario 'nope' \(known: ring, mempool, ports, core, udp, fwd, loop, gc, poll, memif, rfc2544\)\n$/],
  [['bench', 'fwd', '--rows', 'tsfwd l2fwd mmap,nope'], 2, /^tsfwd: bench: --rows: no fwd row 'nope' \(rows: ring ceiling \(tsfwd sink takes every frame at f0\), tsfwd l2fwd mmap, tsfwd l2fwd mmap txframecnt=1024, tsfwd l2fwd mmap v3, tsfwd l2fwd mmsg, linux bridge, testpmd net_af_packet mac, /],
  [['bench', 'fwd', '--sizes', '64,100'], 2, /^tsfwd: bench: --sizes: '100' is not a fwd frame size \(64, 512, 1514\)\n$/],
  [['bench', 'ring', '--sizes', '64'], 2, /^tsfwd: bench: --rows and --sizes select cells of fwd; run fwd alone with them\n$/],
  [['bench', '--rows', 'linux bridge'], 2, /^tsfwd: bench: --rows and --sizes select cells of fwd; run fwd alone with them\n$/],
] as const) {
  test(`tsfwd ${args.join(' ')} fails with one line and exit ${code}`, () => {
    const r = run(...args);
    assert.equal(r.status, code, r.stderr);
    assert.match(r.stderr, msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  });
}

test('demo moves mbufs between two lcores and accounts for every one', () => {
  const r = run('demo', '--core', '--duration', '1');
  assert.equal(r.status, 0, r.stderr);
  const m = /done: stamped (\d+) = consumed (\d+) \+ ring-full drops (\d+) \+ drained at stop (\d+); .*order errors 0, mempool free 8192\/8192/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [stamped, consumed, full, drained] = m.slice(1).map(Number);
  assert.ok(consumed > 100_000, `consumed ${consumed}`);
  assert.equal(stamped, consumed + full + drained);
});
