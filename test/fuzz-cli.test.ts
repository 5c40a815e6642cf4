// Fuzzing the command line end to end: `node bin/tsfwd.js <cmd> <argv>` for
// l2fwd, pipeline, pktgen, sink and topo with argv that must fail before any
// port opens (every --vdev a known driver would accept is swapped for an
// unknown one; topo gets no verb that touches namespaces). Each run must exit
// 2 with exactly one `tsfwd: ...` line on stderr, nothing on stdout, no stack
// frame, within 10 s. Spawning is slow, so the cases are few (FUZZ_CLI_RUNS,
// 150 by default) and run two at a time.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { checkDevargs } from '../src/port/registry';
import { PRESETS } from '../src/topo/spec';
import { BIN } from './helpers/cli-proc';
import { hostileText, nearValid, numberText, oddPiece } from './helpers/fuzz-arb';

const RUNS = Number(process.env.FUZZ_CLI_RUNS) || 150;
const SEED = Number(process.env.FUZZ_SEED) || Date.now() % 2 ** 31;
const TIMEOUT_MS = 10_000;

const eal = fc.constantFrom('-l', '0', '0-1', '1', '99999', '-c', '0x1', '0x0', '--mbufs', '64', '16777216', '--vdev', 'net_null0', 'net_bogus0',
  'net_af_packet0,iface=lo', 'net_udp0,local=1.2.3.4:1', '--no-huge', '-m', '--file-prefix', '--lcores', '--vdev=net_ring0');
const app = fc.constantFrom('-p', '0x3', '0x0', '0', '-q', '16', '-T', '-1', '--portmap', '(0,1)', '(0,0)', '--burst', '513', '--duration', '0',
  '--metrics', '0', ':9100', '--rx-lcores', '--ring-size', '3', '--tx-first', '--no-mac-updating', '--size', '63', '64-1518', '--imix',
  '--rate', '101%', '--line-rate', '10X', '--count', '0', '--src-mac', '02:00:00:00:00:01-02:00:00:00:00:00', '--src-ip', '1.2.3.4-1.2.3.3',
  '--sport', '70000', '--ttl', '0', '-f', '/nonexistent/x.pkt', '--pcap', '--engine', 'xdp-live', 'turbo', '--idle', '--stats-json');
const word = fc.oneof({ arbitrary: eal, weight: 4 }, { arbitrary: app, weight: 4 }, { arbitrary: numberText, weight: 1 },
  { arbitrary: oddPiece, weight: 1 }, { arbitrary: nearValid(fc.oneof(eal, app)), weight: 2 }, { arbitrary: hostileText, weight: 1 });
const argvArb = fc.tuple(fc.array(word, { maxLength: 6 }), fc.boolean(), fc.array(word, { maxLength: 6 }))
  .map(([e, dash, a]) => (dash ? [...e, '--', ...a] : [...e, ...a]));

/** Swaps any devargs a known driver would accept (even net_af_packet on lo) for an unknown device: nothing may open. */
function noOpenablePort(argv: string[]): string[] {
  return argv.map((a) => {
    const v = a.startsWith('--vdev=') ? a.slice(7) : a;
    try {
      checkDevargs(v);
      return 'net_bogus0';
    } catch {
      return a;
    }
  });
}

// topo: only `up` of a name that is no preset and no --spec; down, show and check touch the host's namespaces.
const topoArgv = fc.tuple(fc.oneof(fc.constant('up'), hostileText, oddPiece), fc.oneof(hostileText, fc.constantFrom('', 'nope', 'pair')),
  fc.array(fc.oneof(fc.constantFrom('--prefix', 'p', '--count', '3', '--timeout'), hostileText), { maxLength: 4 }))
  .map(([verb, name, rest]) => [['up', 'down', 'show', 'check'].includes(verb) ? 'up' : verb, name in PRESETS ? `${name}x` : name, ...rest]);

// execve takes no NUL inside an argument.
const cases = fc.oneof(
  fc.tuple(fc.constantFrom('l2fwd', 'pipeline', 'pktgen', 'sink'), argvArb).map(([cmd, argv]) => [cmd, ...noOpenablePort(argv)]),
  topoArgv.map((argv) => ['topo', ...argv]),
).map((argv) => argv.map((a) => a.replace(/\0/g, '')));

interface Run { code: number | null; signal: string | null; out: string; err: string; ms: number }

function run(argv: string[]): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const kill = setTimeout(() => p.kill('SIGKILL'), TIMEOUT_MS);
    p.on('close', (code, signal) => { clearTimeout(kill); resolve({ code, signal, out, err, ms: Date.now() - t0 }); });
  });
}

test(`fuzz: ${RUNS} tsfwd command lines that cannot open a port exit 2 with one stderr line (seed ${SEED})`, async () => {
  const argvs = fc.sample(cases, { numRuns: RUNS, seed: SEED });
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < argvs.length) {
      const argv = argvs[next++];
      const r = await run(argv);
      const lines = r.err.split('\n');
      const ok = r.code === 2 && r.out === '' && lines.length === 2 && lines[1] === '' && lines[0].startsWith('tsfwd: ') && !/\n\s+at /.test(r.err);
      if (!ok) failures.push(`${JSON.stringify(argv)} -> code ${r.code} signal ${r.signal} in ${r.ms} ms, stdout ${JSON.stringify(r.out.slice(0, 200))}, stderr ${JSON.stringify(r.err.slice(0, 400))}`);
    }
  };
  await Promise.all([worker(), worker()]);
  assert.deepEqual(failures, [], `replay with FUZZ_SEED=${SEED}`);
});

// Crashers the fuzzer found, kept as fixed cases.
test('fixed: --mbufs 16777216 on a machine without 35 GiB is a usage error, not a RangeError', async () => {
  const r = await run(['l2fwd', '--mbufs', '16777216', '--vdev', 'net_bogus0', '--', '-p', '0x1']);
  // Where the allocation succeeds, the unknown device fails next: exit 2 either way.
  assert.equal(r.code, 2);
  assert.match(r.err, /^tsfwd: (cannot allocate [\d.]+ GiB for a mempool of 16777216 mbufs \(give fewer with --mbufs\)|unknown driver for device 'net_bogus0'.*)\n$/);
});

test('fixed: a line break in topo\'s verb is escaped', async () => {
  const r = await run(['topo', 'u\np', 'x']);
  assert.equal(r.code, 2);
  assert.equal(r.err, "tsfwd: topo: expected up, down, show or check, got 'u\\np'\n");
});
