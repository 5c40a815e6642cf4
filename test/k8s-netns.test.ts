// The DaemonSet's exact command line (args expanded from the ConfigMap, as the
// kubelet does) runs in namespaces shaped like the pods: the forwarder's
// interfaces are named net1 and net2, every process holds only NET_RAW and
// NET_ADMIN (setpriv, as the container runtime leaves a root process with
// `drop: [ALL]`, `add: [NET_RAW, NET_ADMIN]`). With the smoke Jobs' command
// lines on either side, every frame is counted through; under a flood,
// SIGTERM ends the forwarder with its final stats well inside the pod's
// termination grace period.
//
//   gen [net1]--[net1] fwd [net2]--[net1] sink
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getAffinity } from '../src/native';
import { withNetns } from '../src/topo/netns';
import { setOffloads } from '../src/topo/offload';
import { quietNs } from './helpers/afp-net';
import { BIN } from './helpers/cli-proc';
import { Container, K8sObject, allObjects, expandedArgs, find, loadManifests, podTemplate } from './helpers/k8s-manifests';
import { TestNet, netSkipReason } from './helpers/testnet';

const skip = netSkipReason() ?? (spawnSync('setpriv', ['--version']).status === 0 ? undefined : 'needs setpriv (util-linux)');
const cpus = getAffinity();
const POD_CPU = String(cpus[0]); // the 1-CPU Jobs' pods
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const manifests = loadManifests();
const configMaps = allObjects(manifests).filter((o) => o.kind === 'ConfigMap');
const container = (kind: string, name: string): Container => podTemplate(find(manifests, kind, name)).spec.containers[0];
const FWD = container('DaemonSet', 'tsfwd-l2fwd');
const fwdArgv = expandedArgs(FWD, configMaps);
const cm = find(manifests, 'ConfigMap', 'tsfwd-config') as K8sObject & { data: Record<string, string> };
const SMOKE_COUNT = Number(/^set 0 count (\d+)$/m.exec(cm.data['smoke.pkt'])?.[1]);

interface Pods { tn: TestNet; g: string; f: string; s: string }

/** gen, fwd and sink namespaces; in each, the interfaces carry the pods' Multus names. */
function pods(tag: string): Pods {
  const tn = new TestNet(tag);
  try {
    const g = quietNs(tn, 'g');
    const f = quietNs(tn, 'f');
    const s = quietNs(tn, 's');
    const wire = (a: string, nsA: string, nameA: string, b: string, nsB: string, nameB: string): void => {
      TestNet.run('ip', ['link', 'add', a, 'netns', nsA, 'type', 'veth', 'peer', 'name', b, 'netns', nsB]);
      tn.exec(nsA, ['ip', 'link', 'set', a, 'name', nameA]);
      tn.exec(nsB, ['ip', 'link', 'set', b, 'name', nameB]);
      tn.exec(nsA, ['ip', 'link', 'set', nameA, 'up']);
      tn.exec(nsB, ['ip', 'link', 'set', nameB, 'up']);
    };
    wire(`${tn.prefix}a`, g, 'net1', `${tn.prefix}b`, f, 'net1');
    wire(`${tn.prefix}c`, f, 'net2', `${tn.prefix}d`, s, 'net1');
    return { tn, g, f, s };
  } catch (e) {
    tn.destroy();
    throw e;
  }
}

interface Pod { proc: ChildProcess; out: () => string; exit: Promise<number | null> }

const CAPS = '-all,+net_raw,+net_admin';

/** tsfwd ARGV in `ns` with only NET_RAW + NET_ADMIN, optionally on one CPU (a 1-CPU pod's cpuset); stdout and stderr together. */
function runPod(ns: string, argv: string[], cpu?: string): Pod {
  const pre = cpu === undefined ? [] : ['taskset', '-c', cpu];
  const proc = spawn('ip', ['netns', 'exec', ns, ...pre, 'setpriv', `--inh-caps=${CAPS}`, `--ambient-caps=${CAPS}`, `--bounding-set=${CAPS}`,
    process.execPath, BIN, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
  const exit = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  return { proc, out: () => out, exit };
}

async function waitOut(pod: Pod, re: RegExp, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!re.test(pod.out())) {
    assert.ok(Date.now() < end && pod.proc.exitCode === null, `${what}: ${pod.out()}`);
    await sleep(50);
  }
}

/** SIGTERM (what the kubelet sends first), then the exit code and how long the exit took. */
async function term(pod: Pod): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  const kill = setTimeout(() => pod.proc.kill('SIGKILL'), 30_000);
  pod.proc.kill('SIGTERM');
  const code = await pod.exit;
  clearTimeout(kill);
  return { code, ms: Date.now() - t0 };
}

function probe(ns: string, p: string): number {
  const js = `fetch('http://127.0.0.1:9100${p}').then((r) => process.stdout.write(String(r.status)), () => process.stdout.write('0'))`;
  return Number(spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { encoding: 'utf8', timeout: 30_000 }).stdout);
}

test('the DaemonSet\'s command line forwards the smoke Jobs\' frames net1 -> net2 exactly, with only NET_RAW + NET_ADMIN; ready while running; SIGTERM exits 0 with final stats',
  { skip, timeout: 150_000 }, async () => {
    const t = pods('ks');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-k8s-'));
    const all: Pod[] = [];
    try {
      // The one change to the Jobs' command lines: the script's path, from the ConfigMap volume to a file here.
      fs.writeFileSync(path.join(dir, 'smoke.pkt'), cm.data['smoke.pkt']);
      const genArgv = expandedArgs(container('Job', 'tsfwd-smoke-pktgen'), configMaps).map((a) => (a === '/etc/tsfwd/smoke.pkt' ? path.join(dir, 'smoke.pkt') : a));
      assert.ok(genArgv.includes(path.join(dir, 'smoke.pkt')));
      const sinkArgv = expandedArgs(container('Job', 'tsfwd-smoke-sink'), configMaps);
      const fwd = runPod(t.f, fwdArgv);
      all.push(fwd);
      // The drop is the last line before the lcores start (after the plan's lines).
      await waitOut(fwd, /^privileges: .*\n/m, 15_000, 'forwarder start');
      assert.match(fwd.out(), new RegExp(`^EAL: -l auto: lcores ${cpus.length > 1 ? `${cpus[0]}-${cpus[cpus.length - 1]}` : cpus[0]} `, 'm'));
      assert.match(fwd.out(), /^privileges: dropped all 2 capabilities/m, 'it held exactly two capabilities, and drops them after open');
      const sink = runPod(t.s, sinkArgv, POD_CPU);
      all.push(sink);
      await waitOut(sink, /sink: net_af_packet0 on lcore/, 15_000, 'sink start');
      const end = Date.now() + 15_000;
      while (probe(t.f, '/readyz') !== 200) { assert.ok(Date.now() < end, 'forwarder never ready'); await sleep(200); }
      assert.equal(probe(t.f, '/healthz'), 200);
      const gen = runPod(t.g, genArgv, POD_CPU);
      all.push(gen);
      assert.equal(await gen.exit, 0, gen.out());
      assert.equal(await Promise.race([sink.exit, sleep(20_000).then(() => 'timeout')]), 0, sink.out());
      const r = await term(fwd);
      assert.equal(r.code, 0, fwd.out());
      assert.ok(r.ms < 5000, `SIGTERM took ${r.ms} ms`);
      assert.match(gen.out(), new RegExp(`^port 0 \\(net_af_packet0\\): sent ${SMOKE_COUNT} frames`, 'm'));
      assert.match(fwd.out(), new RegExp(`^Port 0 queue 0: received ${SMOKE_COUNT}, sent 0$`, 'm'));
      assert.match(fwd.out(), new RegExp(`^Port 1 queue 0: received 0, sent ${SMOKE_COUNT}$`, 'm'));
      assert.match(fwd.out(), /Port statistics =+[^]*Bye\.\.\.\n/, 'final stats, books balanced');
      const final = JSON.parse(sink.out().trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as
        { msg: string; ok: boolean; streams: { received: number; lost: number; duplicates: number }[] };
      assert.equal(final.msg, 'final');
      assert.ok(final.ok);
      assert.deepEqual(final.streams.map((s) => [s.received, s.lost, s.duplicates]), [[SMOKE_COUNT, 0, 0]]);
      // The pod's memory limit holds the whole run.
      const rssMb = Number(/peak RSS (\d+) MB/.exec(fwd.out())?.[1]);
      const limitMb = Number(/^(\d+)Mi$/.exec(FWD.resources.limits.memory)?.[1]);
      assert.ok(rssMb > 0 && rssMb * 1e6 < limitMb * 1024 * 1024, `peak RSS ${rssMb} MB within the ${FWD.resources.limits.memory} limit`);
      process.stderr.write(`# forwarder peak RSS ${rssMb} MB (limit ${FWD.resources.limits.memory})\n`);
    } finally {
      for (const p of all) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
      t.tn.destroy();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

test('under an xdp-live flood, SIGTERM ends the DaemonSet\'s forwarder within 5 s (grace period 30 s) with final stats, exit 0',
  { skip, timeout: 120_000 }, async () => {
    const t = pods('kf');
    const all: Pod[] = [];
    try {
      withNetns(t.f, () => setOffloads('net1', { gro: 'on' }));
      withNetns(t.g, () => setOffloads('net1', { gro: 'on' }));
      const grace = (podTemplate(find(manifests, 'DaemonSet', 'tsfwd-l2fwd')).spec as unknown as { terminationGracePeriodSeconds: number }).terminationGracePeriodSeconds;
      assert.ok(grace >= 5);
      const fwd = runPod(t.f, fwdArgv);
      all.push(fwd);
      await waitOut(fwd, /Lcore \d+: RX port 1 TX port 0/, 15_000, 'forwarder start');
      // Full capabilities for the generator: xdp-live loads a BPF program.
      const gen = spawn('ip', ['netns', 'exec', t.g, process.execPath, BIN, 'pktgen', '-l', POD_CPU, '--vdev', 'net_af_packet0,iface=net1', '--',
        '--engine', 'xdp-live', '--size', '64', '--duration', '30', '-T', '0'], { stdio: 'ignore' });
      const genExit = new Promise((r) => gen.on('exit', r));
      try {
        await sleep(2000);
        assert.equal(fwd.proc.exitCode, null);
        const r = await term(fwd);
        assert.equal(r.code, 0, fwd.out());
        assert.ok(r.ms < 5000, `SIGTERM under a flood took ${r.ms} ms`);
        process.stderr.write(`# SIGTERM to exit under the flood: ${r.ms} ms\n`);
        const recv = Number(/^Total packets received:\s+(\d+)$/m.exec(fwd.out().split('Port statistics').pop()!)?.[1]);
        assert.ok(recv > 10_000, `it was flooded: ${recv} frames received`);
        assert.match(fwd.out(), /Bye\.\.\.\n/);
      } finally {
        if (gen.exitCode === null) gen.kill('SIGINT');
        await Promise.race([genExit, sleep(10_000)]);
        if (gen.exitCode === null) gen.kill('SIGKILL');
      }
    } finally {
      for (const p of all) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
      t.tn.destroy();
    }
  });

test('NET_ADMIN is optional for the forwarder: the DaemonSet\'s command line with NET_RAW alone opens its ports, runs, drops its 1 capability, exit 0 with balanced books',
  { skip, timeout: 60_000 }, async () => {
    const t = pods('kr');
    try {
      const only = '-all,+net_raw';
      const r = spawnSync('ip', ['netns', 'exec', t.f, 'setpriv', `--inh-caps=${only}`, `--ambient-caps=${only}`, `--bounding-set=${only}`,
        process.execPath, BIN, ...fwdArgv, '--duration', '2'], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /^privileges: dropped all 1 capabilities/m);
      assert.match(r.stdout, /Bye\.\.\.\n/);
    } finally {
      t.tn.destroy();
    }
  });
