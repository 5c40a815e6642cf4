// lcores: pinned to the requested CPU (checked with sched_getcpu from inside),
// one failing lcore stops the others and is reported with its id.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { LcoreError, LcoreGroup, getAffinity, parseCoreList, parseCoreMask, formatCoreList } from '../src/index';
import { CTL_STATE, LcoreState, lcoreWord } from '../src/eal/control';

const APP = path.join(__dirname, 'helpers', 'lcore-app.js');

test('every lcore runs on exactly the CPU it asked for', async () => {
  const cpus = getAffinity();
  assert.ok(cpus.length >= 1);
  const group = LcoreGroup.launch({ lcores: cpus, app: { module: APP, export: 'whereAmI' } });
  const results = await group.wait();
  assert.equal(results.length, cpus.length);
  for (let i = 0; i < cpus.length; i++) {
    assert.equal(results[i].lcoreId, cpus[i]);
    assert.deepEqual(results[i].result, [cpus[i]], `lcore ${cpus[i]} only ever ran on CPU ${cpus[i]}`);
    assert.equal(group.cpuOf(i), cpus[i]);
  }
  assert.deepEqual(getAffinity(), cpus, 'pinning a worker leaves the main thread unpinned');
});

test('an exception in one lcore stops the others and names the lcore', async () => {
  const cpus = getAffinity();
  const lcores = cpus.length >= 2 ? [cpus[0], cpus[1]] : [0, 1];
  const group = LcoreGroup.launch({
    lcores, pin: cpus.length >= 2, config: { afterMs: 50 },
    app: [{ module: APP, export: 'spinner' }, { module: APP, export: 'thrower' }],
  });
  await assert.rejects(group.wait(), (e: unknown) => {
    assert.ok(e instanceof LcoreError);
    assert.equal(e.lcoreId, lcores[1]);
    assert.match(e.message, new RegExp(`^lcore ${lcores[1]} failed: boom on lcore ${lcores[1]}$`));
    return true;
  });
  assert.equal(Atomics.load(group.control, lcoreWord(0, CTL_STATE)), LcoreState.Done, 'the spinner left its loop');
  assert.equal(Atomics.load(group.control, lcoreWord(1, CTL_STATE)), LcoreState.Failed);
});

test('launch rejects CPUs the process cannot use, repeated cores and unknown apps', () => {
  assert.throws(() => LcoreGroup.launch({ lcores: [1000], app: { module: APP, export: 'spinner' } }), /lcore 1000: CPU 1000 is not available/);
  assert.throws(() => LcoreGroup.launch({ lcores: [0, 0], app: 'ring-demo-producer' }), /repeats/);
  assert.throws(() => LcoreGroup.launch({ lcores: [0], app: 'no-such-app' }), /unknown lcore app 'no-such-app'/);
});

test('a missing export is reported as that lcore failing', async () => {
  const group = LcoreGroup.launch({ lcores: [getAffinity()[0]], app: { module: APP, export: 'nope' } });
  await assert.rejects(group.wait(), /lcore \d+ failed: .*exports no function 'nope'/);
});

test('core lists and masks parse as DPDK EAL does', () => {
  assert.deepEqual(parseCoreList('1'), [1]);
  assert.deepEqual(parseCoreList('0-3'), [0, 1, 2, 3]);
  assert.deepEqual(parseCoreList('4,0-1, 2'), [0, 1, 2, 4]);
  assert.deepEqual(parseCoreMask('0x5'), [0, 2]);
  assert.deepEqual(parseCoreMask('3'), [0, 1]);
  assert.equal(formatCoreList([0, 1, 2, 5, 7, 8]), '0-2,5,7-8');
  for (const bad of ['', 'a', '3-1', '1,,2', '-1']) assert.throws(() => parseCoreList(bad), /core/);
  assert.throws(() => parseCoreMask('0x0'), /selects no core/);
  assert.throws(() => parseCoreMask('zz'), /invalid core mask/);
});
