// `npm start` (tsfwd demo): runs to completion, shows traffic forwarded with
// pps figures and the sink's summary, and removes every namespace it made;
// without root it says exactly what it needs.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathWithOnly } from './helpers/need';
import { netSkipReason } from './helpers/testnet';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tsfwd.js');
const skip = netSkipReason();

test('npm start is the namespace demo', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, 'node bin/tsfwd.js demo');
});

test('demo forwards traffic end to end with only `ip` on PATH and leaves no namespace behind', { skip, timeout: 90_000 }, (t) => {
  // A fresh machine has no ethtool: the demo must need nothing but iproute2.
  const bin = pathWithOnly(fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-demo-path-')), ['ip']);
  t.after(() => fs.rmSync(bin, { recursive: true, force: true }));
  const r = spawnSync(process.execPath, [BIN, 'demo', '--duration', '2', '--rate', '20000'], { encoding: 'utf8', timeout: 80_000, env: { ...process.env, PATH: bin } });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /\[fwd\] Lcore \d+: RX port 0 TX port 1/);
  assert.match(r.stdout, /\[gen\] tx [\d.]+k? pps/);
  assert.match(r.stdout, /\[fwd\] Rx pps: +[\d.]+k?/);
  const m = /stream 0: received (\d+), lost (\d+), duplicates (\d+), reordered (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const sent = Number(/\[gen\] port 0 \(net_af_packet0\): sent (\d+) frames/.exec(r.stdout)?.[1]);
  assert.ok(sent > 10_000, `pktgen sent ${sent}`);
  assert.equal(Number(m[1]) + Number(m[2]), sent, 'the sink accounts for every frame pktgen sent (received + lost)');
  // pktgen (adaptive) and the sink (interrupt) share a CPU: both must have slept, not spun.
  const sleeps = (who: string): number =>
    Number(new RegExp(`^${who}lcore \\d+: busy [\\d.]+%, asleep [\\d.]+%, \\d+ polls \\(\\d+ empty\\), (\\d+) sleeps`, 'm').exec(r.stdout)?.[1]);
  assert.ok(sleeps('\\[gen\\] ') > 0, `pktgen never slept:\n${r.stdout}`);
  assert.ok(sleeps('  ') > 0, `the sink never slept:\n${r.stdout}`);
  assert.match(r.stdout, /latency \(us\): min [\d.]+ +p50 [\d.]+ +p99 [\d.]+ +p99\.9 [\d.]+ +max [\d.]+/);
  // Root may make lcores real-time: the forwarder and pktgen keep CAP_SYS_NICE for it.
  assert.match(r.stdout, /\[fwd\] privileges: kept CAP_SYS_NICE \(--sched-policy fifo/);
  assert.match(r.stdout, /\[gen\] privileges: kept CAP_SYS_NICE \(--sched-policy fifo/);
  // The first second runs at a tenth of the rate (warm-up): 2 k of the 20 k pps.
  const first = Number(/\[gen\] tx ([\d.]+)k pps/.exec(r.stdout)?.[1]);
  assert.ok(first > 1 && first < 4, `first second ${first}k pps`);
  const removed = /removed (tsfwd-demo-\d+)-fwd, /.exec(r.stdout);
  assert.ok(removed, 'namespaces removed');
  assert.deepEqual(fs.readdirSync('/run/netns').filter((n) => n.startsWith(removed[1])), []);
});

test('demo without CAP_SYS_NICE runs its lcores as normal threads', { skip, timeout: 90_000 }, () => {
  const r = spawnSync('setpriv', ['--bounding-set', '-sys_nice', '--inh-caps', '-sys_nice', '--', process.execPath, BIN, 'demo', '--duration', '1', '--rate', '10000'],
    { encoding: 'utf8', timeout: 80_000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, /sched-policy|CAP_SYS_NICE/);
  const m = /stream 0: received (\d+), lost (\d+)/.exec(r.stdout);
  const sent = Number(/\[gen\] port 0 \(net_af_packet0\): sent (\d+) frames/.exec(r.stdout)?.[1]);
  assert.ok(m && sent > 5000 && Number(m[1]) + Number(m[2]) === sent, r.stdout);
});

test('demo without the capabilities it needs names exactly those', { skip }, () => {
  const r = spawnSync('setpriv', ['--bounding-set', '-net_admin,-net_raw', '--', process.execPath, BIN, 'demo'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'tsfwd: demo: missing CAP_NET_ADMIN (create namespaces and veth pairs), CAP_NET_RAW (open AF_PACKET sockets); ' +
    'run it as root (sudo npm start), or `npx tsfwd demo --core` for the in-memory demo\n');
});
