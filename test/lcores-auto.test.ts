// `-l auto`: the lcores are exactly the CPUs the process may run on. The CLI
// runs under taskset, so the affinity set is known; the cgroup cpuset part is
// checked on fake /proc and /sys trees (v1 and v2 layouts).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupCpuset, intersectLcores } from '../src/eal/auto-lcores';
import { getAffinity } from '../src/native';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const cpus = getAffinity();
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;

/** l2fwd on two net_null ports that each deliver 1000 frames, under `taskset -c SET`, -q perLcore; its "Lcore N:" lines. */
function runUnder(set: string, perLcore: number): { status: number | null; lcores: number[]; out: string; err: string } {
  const r = spawnSync('taskset', ['-c', set, process.execPath, BIN, 'l2fwd', '-l', 'auto', '--vdev', 'net_null0,count=1000', '--vdev', 'net_null1,count=1000',
    '--', '-p', '0x3', '-q', String(perLcore), '-T', '0', '--duration', '1'], { encoding: 'utf8', timeout: 60_000 });
  const lcores = [...r.stdout.matchAll(/^Lcore (\d+): RX port/gm)].map((m) => Number(m[1]));
  return { status: r.status, lcores, out: r.stdout, err: r.stderr };
}

for (const set of cpus.length > 1 ? [[cpus[cpus.length - 1]], cpus.slice(0, 2)] : [cpus]) {
  test(`l2fwd -l auto under taskset -c ${set.join(',')} runs exactly lcores ${set.join(',')}`, { skip: hasTaskset ? false : 'needs taskset (util-linux)', timeout: 90_000 }, () => {
    const r = runUnder(set.join(','), set.length === 1 ? 2 : 1);
    assert.equal(r.status, 0, r.err);
    assert.deepEqual(r.lcores, set.length === 1 ? [set[0], set[0]] : set, r.out);
    assert.match(r.out, new RegExp(`^EAL: -l auto: lcores ${set.length === 1 ? set[0] : `${set[0]}-${set[1]}`} \\(affinity `, 'm'));
    assert.match(r.out, /^Bye\.\.\./m);
  });
}

function fakeTree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-cg-'));
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
  return root;
}

test('cgroupCpuset reads cgroup v2 (own cgroup, then the namespace root) and v1, and says undefined when it cannot', () => {
  const v2 = fakeTree({ 'proc/self/cgroup': '0::/kubepods/pod1/c1\n', 'sys/fs/cgroup/kubepods/pod1/c1/cpuset.cpus.effective': '2-3,6\n' });
  const v2ns = fakeTree({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpuset.cpus.effective': '4\n' });
  const v2empty = fakeTree({ 'proc/self/cgroup': '0::/a\n', 'sys/fs/cgroup/a/cpuset.cpus.effective': '\n' });
  const v1 = fakeTree({ 'proc/self/cgroup': '5:cpu,cpuacct:/x\n3:cpuset:/docker/abc\n', 'sys/fs/cgroup/cpuset/docker/abc/cpuset.effective_cpus': '0-1\n' });
  try {
    assert.deepEqual(cgroupCpuset(v2), [2, 3, 6]);
    assert.deepEqual(cgroupCpuset(v2ns), [4]);
    assert.equal(cgroupCpuset(v2empty), undefined);
    assert.deepEqual(cgroupCpuset(v1), [0, 1]);
    assert.equal(cgroupCpuset(path.join(v1, 'nothing')), undefined);
  } finally {
    for (const d of [v2, v2ns, v2empty, v1]) fs.rmSync(d, { recursive: true, force: true });
  }
});

test('intersectLcores intersects the affinity with the cpuset, and an empty intersection is one usage line', () => {
  assert.deepEqual(intersectLcores('l2fwd', [0, 1, 2, 3], [1, 3, 5]).lcores, [1, 3]);
  assert.deepEqual(intersectLcores('l2fwd', [2, 3], undefined).lcores, [2, 3]);
  assert.equal(intersectLcores('l2fwd', [0, 1, 2, 3], [1, 3, 5]).note, 'EAL: -l auto: lcores 1,3 (affinity 0-3, cgroup cpuset 1,3,5)');
  assert.throws(() => intersectLcores('sink', [0, 1], [2, 3]), /^Error: sink: -l auto: no CPU is both in this process's affinity and its cgroup's cpuset \(affinity 0-1, cgroup cpuset 2-3\)$/);
});

test('pktgen and sink -l auto under taskset log the same line and run on that CPU', { skip: hasTaskset ? false : 'needs taskset (util-linux)', timeout: 60_000 }, () => {
  const cpu = String(cpus[cpus.length - 1]);
  for (const argv of [['pktgen', '-l', 'auto', '--vdev', 'net_null0', '--', '--count', '1000', '-T', '0'],
    ['sink', '-l', 'auto', '--vdev', 'net_null0,count=1000', '--', '--duration', '1', '-T', '0']]) {
    const r = spawnSync('taskset', ['-c', cpu, process.execPath, BIN, ...argv], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^EAL: -l auto: lcores ${cpu} \\(affinity ${cpu}`, 'm'), `${argv[0]}: ${r.stdout}`);
  }
  assert.match(spawnSync('taskset', ['-c', cpu, process.execPath, BIN, 'sink', '-l', 'auto', '--vdev', 'net_null0,count=10', '--', '--duration', '1', '-T', '0'],
    { encoding: 'utf8' }).stdout, new RegExp(`^sink: net_null0 on lcore ${cpu}$`, 'm'));
});
