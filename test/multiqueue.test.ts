// Multi-queue ports without a kernel: the plan (default spread, l3fwd's
// --config, tx queue ownership, pipeline ring flags), the usage errors that
// refuse a silent loss, l2fwd and pipeline over 2-queue net_null ports with
// every queue and lcore doing work, and a pipeline whose rx lcore dies.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { assignTxQueues, l2fwdTxPorts, makePlan } from '../src/apps/l2fwd/plan';
import { parseConfig } from '../src/apps/l2fwd/options';
import { FAIL_RX_ENV } from '../src/apps/pipeline/lcore';
import { pipelinePlan } from '../src/apps/pipeline/plan';
import { SeqTracker } from '../src/apps/sink/seq';
import { getAffinity } from '../src/native';
import { RING_F_SC_DEQ, RING_F_SP_ENQ } from '../src/ring/layout';
import { UsageError } from '../src/eal/corelist';
import { BIN } from './helpers/cli-proc';

const cpus = getAffinity();
/** assert.throws validator: a UsageError whose message matches. */
const usage = (re: RegExp) => (e: unknown): boolean => e instanceof UsageError && re.test(e.message);
const run = (args: string[], env?: NodeJS.ProcessEnv) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

test('plan: queues spread queue by queue over the lcores in order, -q per lcore; single-queue ports as l2fwd', () => {
  const p = makePlan([2, 2], 0x3, [0, 1], 2);
  assert.deepEqual(p.rxByLcore, [[[0, 0], [1, 0]], [[0, 1], [1, 1]]], 'each lcore gets its own queue of every port');
  assert.deepEqual(assignTxQueues(l2fwdTxPorts(p), [2, 2], [0, 1]), [[0, 0], [1, 1]], 'lcore k owns tx queue k of each port');
  const one = makePlan([3, 1], 0x3, [4], 4);
  assert.deepEqual(one.rxByLcore, [[[0, 0], [1, 0], [0, 1], [0, 2]]]);
  const filled = makePlan([2, 2], 0x3, [0, 1, 2, 3], 1);
  assert.deepEqual(filled.rxByLcore, [[[0, 0]], [[1, 0]], [[0, 1]], [[1, 1]]]);
  assert.throws(() => makePlan([2, 2], 0x3, [0, 1], 1), usage(/^not enough cores: 4 rx queues of 2 ports at 1 per lcore need 4 lcores, -l gives 2$/));
});

test('plan: --config places every queue, and refuses unknown ports, queues and lcores, duplicates and unpolled queues', () => {
  const cfg = parseConfig('(0,0,1),(0,1,2), (1,0,2),(1,1,1)');
  assert.deepEqual(cfg, [[0, 0, 1], [0, 1, 2], [1, 0, 2], [1, 1, 1]]);
  const p = makePlan([2, 2], 0x3, [1, 2], 1, undefined, cfg);
  assert.deepEqual(p.rxByLcore, [[[0, 0], [1, 1]], [[0, 1], [1, 0]]], '-q does not limit an explicit --config');
  for (const [c, msg] of [
    ['(2,0,1)', /^--config names port 2, which is not in portmask 0x3$/],
    ['(0,2,1),(0,0,1),(0,1,1),(1,0,1),(1,1,1)', /^--config names port 0 queue 2, but port 0 has 2 rx queues \(0\.\.1\)$/],
    ['(0,0,7)', /^--config names lcore 7, which is not a receiving lcore \(1,2\)$/],
    ['(0,0,1),(0,0,2)', /^--config lists port 0 queue 0 more than once$/],
    ['(0,0,1),(1,0,1),(1,1,2)', /^--config leaves port 0 queue 1 unpolled/],
  ] as const) {
    assert.throws(() => makePlan([2, 2], 0x3, [1, 2], 1, undefined, parseConfig(c)), usage(msg), c);
  }
  for (const bad of ['(0,0)', '0,0,1', '(0,0,1),', '(0,0,1)(1,0,1)', '(a,0,1)', '']) {
    assert.throws(() => parseConfig(bad), usage(/^invalid --config '.*' \(expected \(port,queue,lcore\) tuples/), bad);
  }
});

test('plan: a port transmitted on by more lcores than it has queues is refused; no tx queue is ever shared', () => {
  const p = makePlan([2, 1], 0x3, [0, 1], 1, undefined, [[0, 0, 0], [0, 1, 1], [1, 0, 0]]);
  assert.throws(() => assignTxQueues(l2fwdTxPorts(p), [2, 1], [0, 1]),
    usage(/^port 1 has 1 tx queue but 2 lcores \(0,1\) transmit on it: give it more queues/));
  const txq = assignTxQueues([[1, 0], [1], [1, 0]], [4, 4], [5, 6, 7]);
  assert.deepEqual(txq, [[0, 0], [-1, 1], [1, 2]]);
});

test('pipeline plan: a ring is MP only when several rx lcores feed it, always SC; tx lcores own their queue', () => {
  const shared = makePlan([2, 2], 0x3, [0, 1], 2);   // both rx lcores receive on both ports
  const a = pipelinePlan(shared, [2, 2], [2]);
  assert.deepEqual(a.producers, [2, 2]);
  assert.deepEqual(a.ringFlags, [RING_F_SC_DEQ, RING_F_SC_DEQ]);
  assert.deepEqual(a.txByLcore, [[1, 0]]);
  assert.deepEqual(a.txQueues, [[0, 0]]);
  const split = makePlan([1, 1, 1], 0x3, [0, 1], 1);  // rx lcore 0 feeds port 1's ring, rx lcore 1 port 0's
  const b = pipelinePlan(split, [1, 1, 1], [2, 3]);
  assert.deepEqual(b.producers, [1, 1, 0]);
  assert.deepEqual(b.ringFlags, [RING_F_SP_ENQ | RING_F_SC_DEQ, RING_F_SP_ENQ | RING_F_SC_DEQ, -1]);
  assert.deepEqual(b.txByLcore, [[1], [0]]);
});

const NULLQ2 = ['--vdev', 'net_null0,qpairs=2', '--vdev', 'net_null1,qpairs=2'];
for (const [args, msg] of [
  [['l2fwd', '-l', '0', ...NULLQ2, '--', '-p', '0x3', '--config', '(0,0,0),(0,2,0),(1,0,0),(1,1,0)'], /^tsfwd: --config names port 0 queue 2, but port 0 has 2 rx queues \(0\.\.1\)$/],
  [['l2fwd', '-l', '0', ...NULLQ2, '--', '-p', '0x3', '--config', '(0,0,0),(1,0,0),(1,1,0)'], /^tsfwd: --config leaves port 0 queue 1 unpolled/],
  [['l2fwd', '-l', '0', ...NULLQ2, '--', '-p', '0x3', '--config', '(0,0,0),(0,1,0),(1,0,0),(1,1,3)'], /^tsfwd: --config names lcore 3, which is not a receiving lcore \(0\)$/],
  [['l2fwd', '-l', '0', ...NULLQ2, '--', '-p', '0x3', '--config', '(0,0;0)'], /^tsfwd: invalid --config '\(0,0;0\)'/],
  [['l2fwd', '-l', '0', ...NULLQ2, '--', '-p', '0x3'], /^tsfwd: not enough cores: 4 rx queues of 2 ports at 1 per lcore need 4 lcores, -l gives 1$/],
  [['l2fwd', '-l', '0,1', '--vdev', 'net_null0,qpairs=2', '--vdev', 'net_null1', '--', '-p', '0x3', '-q', '2'],
    /^tsfwd: port 1 has 1 tx queue but 2 lcores \(0,1\) transmit on it/],
  [['pipeline', '-l', '0,1', ...NULLQ2, '--', '-p', '0x3', '--config', '(0,0,0),(0,1,1),(1,0,0),(1,1,1)'],
    /^tsfwd: pipeline: --config must leave at least one lcore of -l \(0,1\) to transmit$/],
] as const) {
  test(`multi-queue usage error: ${args.join(' ')}`, { skip: cpus.length < 2 && args.includes('0,1') ? 'needs 2 CPUs' : undefined }, () => {
    const r = run([...args]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr.trim(), msg);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  });
}

interface Fin { ok: boolean; ports: { port: number; ipackets: number; forwarded: number; opackets: number }[]; mempool: { inUse: number } }

/** "Port p queue q: received R, sent S" and "Lcore l: received R, forwarded F, sent S" lines printed at exit. */
function perQueue(text: string): { queues: Map<string, [number, number]>; lcores: Map<number, [number, number, number]> } {
  const queues = new Map<string, [number, number]>();
  const lcores = new Map<number, [number, number, number]>();
  for (const m of text.matchAll(/^Port (\d+) queue (\d+): received (\d+), sent (\d+)$/gm)) queues.set(`${m[1]}/${m[2]}`, [Number(m[3]), Number(m[4])]);
  for (const m of text.matchAll(/^Lcore (\d+): received (\d+), forwarded (\d+), sent (\d+)$/gm)) lcores.set(Number(m[1]), [Number(m[2]), Number(m[3]), Number(m[4])]);
  return { queues, lcores };
}

for (const app of ['l2fwd', 'pipeline'] as const) {
  test(`${app} over 2-queue net_null ports: every queue received and sent, every lcore worked, books balance`, { skip: cpus.length < 2 ? 'needs 2 CPUs' : undefined }, () => {
    const lc = `${cpus[0]},${cpus[1]}`;
    const r = run([app, '-l', lc, ...NULLQ2, '--', '-p', '0x3', ...(app === 'l2fwd' ? ['-q', '2'] : ['-q', '4']),
      '-T', '0', '--duration', '1', '--stats-json']);
    assert.equal(r.status, 0, r.stderr);
    if (app === 'l2fwd') {
      assert.match(r.stderr, new RegExp(`Lcore ${cpus[0]}: RX port 0 queue 0 TX port 1 queue 0\nLcore ${cpus[0]}: RX port 1 queue 0 TX port 0 queue 0\n` +
        `Lcore ${cpus[1]}: RX port 0 queue 1 TX port 1 queue 1\nLcore ${cpus[1]}: RX port 1 queue 1 TX port 0 queue 1\n`));
    } else {
      assert.match(r.stderr, new RegExp(`Lcore ${cpus[0]}: RX port 0 queue 1 TX port 1\n`));
      assert.match(r.stderr, new RegExp(`Lcore ${cpus[1]}: TX port 1 queue 0 \\(ring of 1024\\)\n`));
    }
    const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as Fin;
    assert.equal(f.ok, true);
    assert.equal(f.mempool.inUse, 0);
    const { queues, lcores } = perQueue(r.stderr);
    for (const pq of ['0/0', '0/1', '1/0', '1/1']) assert.ok(queues.get(pq)![0] > 0, `port/queue ${pq} received`);
    // Queue q's tx line is written by the lcore owning it: l2fwd sends on both queues, pipeline's one tx lcore on queue 0.
    for (const pq of app === 'l2fwd' ? ['0/0', '0/1', '1/0', '1/1'] : ['0/0', '1/0']) assert.ok(queues.get(pq)![1] > 0, `port/queue ${pq} sent`);
    for (const p of f.ports) {
      const rx = queues.get(`${p.port}/0`)![0] + queues.get(`${p.port}/1`)![0];
      assert.equal(rx, p.ipackets, `port ${p.port}: per-queue rx sums to the port's`);
      assert.equal(queues.get(`${p.port}/0`)![1] + queues.get(`${p.port}/1`)![1], p.opackets, `port ${p.port}: per-queue tx sums to the port's`);
    }
    const [l0, l1] = [lcores.get(cpus[0])!, lcores.get(cpus[1])!];
    if (app === 'l2fwd') {
      assert.ok(l0[1] > 0 && l1[1] > 0, `both lcores forwarded: ${l0} ${l1}`);
    } else {
      assert.ok(l0[0] > 0 && l1[2] > 0, `rx lcore received ${l0[0]}, tx lcore sent ${l1[2]}`);
    }
    assert.equal(l0[0] + l1[0], f.ports.reduce((a, p) => a + p.ipackets, 0), 'lcores received what the ports did');
  });
}

test('pipeline: an rx lcore that throws stops the tx lcores too: one failure line, exit 1, no hang', { skip: cpus.length < 2 ? 'needs 2 CPUs' : undefined }, () => {
  const t0 = Date.now();
  const r = run(['pipeline', '-l', `${cpus[0]},${cpus[1]}`, ...NULLQ2, '--', '-p', '0x3', '-q', '4', '-T', '0', '--duration', '30'],
    { [FAIL_RX_ENV]: String(cpus[0]) });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, `tsfwd: lcore ${cpus[0]} failed: rx lcore failure injected by ${FAIL_RX_ENV}\n`);
  assert.ok(Date.now() - t0 < 20_000, 'ended long before --duration');
});

test('pipeline --config: the lcores it names receive, the others transmit, and every line names the right lcore', { skip: cpus.length < 2 ? 'needs 2 CPUs' : undefined }, () => {
  const [a, b] = [cpus[0], cpus[1]];
  const r = run(['pipeline', '-l', `${a},${b}`, ...NULLQ2, '--', '-p', '0x3', '--config', `(0,0,${b}),(0,1,${b}),(1,0,${b}),(1,1,${b})`,
    '-T', '0', '--duration', '1', '--stats-json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`^Lcore ${b}: RX port 0 queue 1 TX port 1$`, 'm'));
  assert.match(r.stderr, new RegExp(`^Lcore ${a}: TX port 1 queue 0 \\(ring of 1024\\)$`, 'm'));
  const f = JSON.parse(r.stdout.trim().split('\n').pop()!) as Fin;
  assert.equal(f.ok, true);
  const { lcores } = perQueue(r.stderr);
  const [rxL, txL] = [lcores.get(b)!, lcores.get(a)!];
  assert.equal(rxL[0], f.ports.reduce((s, p) => s + p.ipackets, 0), `lcore ${b} received everything`);
  assert.equal(txL[2], f.ports.reduce((s, p) => s + p.opackets, 0), `lcore ${a} sent everything`);
  assert.ok(rxL[0] > 0 && txL[0] === 0 && rxL[2] === 0);
});

test('sink sequence tracker: a stream whose first frames arrive out of order over two queues loses nothing', () => {
  const t = new SeqTracker();
  // Queue 1 delivers 2, 3 before queue 0 delivers 0, 1; then 4, 6, 5; 7 never comes; 8.
  for (const q of [2, 3, 0, 1, 4, 6, 5, 8]) t.add(0, q);
  assert.deepEqual(t.summary(), [{ stream: 0, received: 8, lost: 1, duplicates: 0, reordered: 3 }]);
  const u = new SeqTracker();
  for (const q of [5, 2, 3, 5]) u.add(1, q); // 4 missing between the late start 2 and 5; 5 twice
  assert.deepEqual(u.summary(), [{ stream: 1, received: 4, lost: 1, duplicates: 1, reordered: 2 }]);
});
