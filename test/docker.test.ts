// docker/: no Docker engine runs here, so the files are checked as data. The
// compose topology has exactly gen, fwd and sink on two fixed subnets, only
// NET_RAW + NET_ADMIN, and tsfwd command lines that tsfwd's own parsers and
// drivers accept; the Dockerfile installs what .ci/run and the README say.
// Then compose's commands run in namespaces joined by bridges.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseL2fwdOptions } from '../src/apps/l2fwd/options';
import { makePlan } from '../src/apps/l2fwd/plan';
import { parsePktgenOptions } from '../src/cli/pktgen';
import { parseSinkOptions } from '../src/cli/sink';
import { parseEal, splitAtDashDash } from '../src/eal/options';
import { driver as afPacket } from '../src/port/af-packet/af-packet';
import { parseDevargs } from '../src/port/devargs';
import { driver as nullDriver } from '../src/port/memory/null';
import { driver as pcap } from '../src/port/pcap/pcap';
import type { PortDriver } from '../src/port/types';
import { TestNet, netSkipReason } from './helpers/testnet';

const root = path.resolve(__dirname, '..', '..');
const read = (f: string): string => fs.readFileSync(path.join(root, f), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command: string[];
  cap_add?: string[];
  cap_drop?: string[];
  networks: string[] | Record<string, { priority?: number } | null>;
  [k: string]: unknown;
}
interface Compose { services: Record<string, Service>; networks: Record<string, { ipam?: { config?: { subnet?: string }[] } }> }

const compose = parseYaml(read('docker/compose.yaml')) as Compose;

/** A service's networks in the order Docker connects them (priority, highest first), = eth0, eth1, ... */
function ifaceOrder(s: Service): string[] {
  if (Array.isArray(s.networks)) return s.networks;
  return Object.entries(s.networks).map(([n, o], i) => ({ n, p: o?.priority ?? 0, i }))
    .sort((a, b) => b.p - a.p || a.i - b.i).map((e) => e.n);
}

test('compose: exactly gen, fwd and sink on two networks with fixed subnets', () => {
  assert.deepEqual(Object.keys(compose.services).sort(), ['fwd', 'gen', 'sink']);
  assert.deepEqual(Object.keys(compose.networks).sort(), ['fwd-sink', 'gen-fwd']);
  const subnets = Object.values(compose.networks).map((n) => n.ipam?.config?.[0]?.subnet);
  for (const s of subnets) assert.match(s ?? '', /^\d+\.\d+\.\d+\.\d+\/\d+$/);
  assert.equal(new Set(subnets).size, 2);
  assert.deepEqual(ifaceOrder(compose.services.gen), ['gen-fwd']);
  assert.deepEqual(ifaceOrder(compose.services.fwd), ['gen-fwd', 'fwd-sink']); // eth0 faces gen
  assert.deepEqual(ifaceOrder(compose.services.sink), ['fwd-sink']);
});

test('compose: every service is the tsfwd image with NET_RAW + NET_ADMIN and nothing more', () => {
  for (const [name, s] of Object.entries(compose.services)) {
    assert.deepEqual(s.build, { context: '..', dockerfile: 'docker/Dockerfile' }, name);
    assert.equal(s.image, 'tsfwd', name);
    assert.deepEqual([...(s.cap_add ?? [])].sort(), ['NET_ADMIN', 'NET_RAW'], name);
    assert.deepEqual(s.cap_drop, ['ALL'], name);
    for (const k of ['privileged', 'security_opt', 'devices', 'network_mode', 'pid', 'ipc', 'userns_mode', 'sysctls']) {
      assert.equal(s[k], undefined, `${name} sets ${k}`);
    }
  }
});

const DRIVERS: Record<string, PortDriver> = { net_af_packet: afPacket, net_null: nullDriver, net_pcap: pcap };
/** What each service runs: on 2 CPUs only fwd has a CPU of its own, and nothing spins when idle. */
const EXPECT: Record<string, { cmd: string; poll: string }> = {
  fwd: { cmd: 'l2fwd', poll: 'adaptive' }, sink: { cmd: 'sink', poll: 'interrupt' }, gen: { cmd: 'pktgen', poll: 'adaptive' },
};

test('compose: each command line parses with tsfwd\'s own option parsers and drivers', () => {
  // The image's ENTRYPOINT is tsfwd, so `command` is tsfwd's argv.
  assert.match(read('docker/Dockerfile'), /^ENTRYPOINT \["node", "\/opt\/tsfwd\/bin\/tsfwd\.js"\]$/m);
  for (const [name, s] of Object.entries(compose.services)) {
    assert.ok(Array.isArray(s.command) && s.command.every((a) => typeof a === 'string'), `${name}: command must be a list of strings`);
    const [cmd, ...rest] = s.command;
    assert.equal(cmd, EXPECT[name].cmd, name);
    const [ealArgs, appArgs] = splitAtDashDash(rest);
    // Each command's own default poll mode, as its run function passes it.
    const eal = parseEal(ealArgs, cmd, cmd === 'sink' ? 'interrupt' : cmd === 'pktgen' ? 'adaptive' : 'busy');
    assert.equal(eal.poll.mode, EXPECT[name].poll, `${name}: poll mode`);
    if (cmd === 'l2fwd') {
      const app = parseL2fwdOptions(appArgs, cmd, false);
      makePlan(eal.vdevs.map(() => 1), app.portmask, eal.lcores, app.rxPerLcore, app.portmap);
    } else if (cmd === 'sink') {
      assert.equal(parseSinkOptions(appArgs).json, true, 'sink: JSON stats');
    } else {
      const o = parsePktgenOptions(appArgs);
      assert.deepEqual([o.engine, o.rate, o.duration], ['lcore', '100000', 30], 'gen: paced lcore engine, 100 kpps for 30 s');
    }
    const ifaces = ifaceOrder(s).map((_, i) => `eth${i}`);
    for (const v of eal.vdevs) {
      const { name: dev, args } = parseDevargs(v);
      const drv = Object.entries(DRIVERS).find(([d]) => dev.startsWith(d))?.[1];
      assert.ok(drv, `${name}: unknown driver in '${v}'`);
      for (const k of args.keys()) assert.ok(drv.keys.includes(k), `${name}: ${drv.name} has no devarg '${k}'`);
      for (const k of drv.required) assert.ok(args.has(k), `${name}: ${dev} needs '${k}'`);
      if (args.has('iface')) assert.ok(ifaces.includes(args.get('iface')!), `${name}: ${v} names an interface it does not have (${ifaces.join(', ')})`);
    }
  }
  // And a typo is caught: the parsers are the ones tsfwd runs.
  assert.throws(() => parseL2fwdOptions(['-p', '0x3', '--stat-json'], 'l2fwd', false));
  assert.throws(() => parseSinkOptions(['-T', '5', '--stat-json']));
  assert.throws(() => parsePktgenOptions(['--rate', '100000', '--duraton', '30']));
  assert.throws(() => parseEal(['-l', '0', '--vdv', 'net_null0'], 'l2fwd'));
  assert.throws(() => parseEal(['-l', '0', '--poll-mode', 'adaptiv'], 'l2fwd'));
});

/** Packages named by `apt-get install` on the Dockerfile's RUN line. */
function dockerfileAptPackages(text: string): string[] {
  const run = text.replace(/\\\n/g, ' ').split('\n').find((l) => /^RUN .*apt-get install/.test(l));
  assert.ok(run, 'Dockerfile has no apt-get install');
  const words = run.split('apt-get install')[1].split('&&')[0].trim().split(/\s+/);
  return words.filter((w) => !w.startsWith('-')).sort();
}

test('Dockerfile installs .ci/run\'s build and runtime packages and runs npm ci as CI does', () => {
  const df = read('docker/Dockerfile');
  const ci = read('.ci/run');
  const ciPkgs = /^pkgs=\(([^)]*)\)/m.exec(ci)?.[1].trim().split(/\s+/) ?? [];
  // tcpdump reads and writes pcap files, trafgen (netsniff-ng) generates, dpdk-testpmd
  // (dpdk-dev, with the net_memif PMD librte-net-memif23) is a memif peer, in the tests only.
  const TEST_ONLY = ['tcpdump', 'netsniff-ng', 'dpdk-dev', 'librte-net-memif23'];
  assert.deepEqual(dockerfileAptPackages(df), ciPkgs.filter((p) => !TEST_ONLY.includes(p)).sort());
  assert.match(df, /^FROM node:20-bookworm/m);
  const npmCi = (t: string): string[] => [...t.matchAll(/^(?:RUN )?(npm ci.*)$/gm)].map((m) => m[1].trim());
  assert.deepEqual(npmCi(df), npmCi(ci));
  assert.equal(npmCi(df).length, 1);
  // raw-socket's node-gyp must find Node's headers without downloading them.
  assert.ok(df.indexOf('npm_config_nodedir') >= 0 && df.indexOf('npm_config_nodedir') < df.indexOf('RUN npm ci'));
  // Everything tsc compiles is copied in before npm ci builds it.
  const include = (JSON.parse(read('tsconfig.json')) as { include: string[] }).include.map((g) => g.split('/')[0]);
  const copied = [...df.matchAll(/^COPY (.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
  for (const f of [...new Set(include), 'package.json', 'package-lock.json', 'tsconfig.json', 'bin', 'scripts', 'native-shims']) {
    assert.ok(copied.includes(f), `Dockerfile does not COPY ${f}`);
  }
});

test('the README\'s install commands match the image', () => {
  const readme = read('README.md');
  const quick = readme.split(/^## /m).find((s) => s.startsWith('Quick start')) ?? '';
  assert.match(quick, /^npm (install|ci)\b/m);
  const apt = /apt-get install ([a-z0-9+. -]+)/.exec(quick);
  assert.ok(apt, 'README quick start names its apt-get install');
  const pkgs = dockerfileAptPackages(read('docker/Dockerfile'));
  for (const p of apt[1].trim().split(/\s+/)) assert.ok(pkgs.includes(p), `README installs ${p}, the Dockerfile does not`);
  const dockerReadme = read('docker/README.md');
  assert.ok(dockerReadme.includes('docker build -f docker/Dockerfile -t tsfwd .'));
  assert.ok(dockerReadme.includes('docker compose -f docker/compose.yaml up'));
});

// The engine is missing, but what compose runs is not: the same command lines,
// in namespaces named like the containers' interfaces, joined by Linux bridges
// as Docker's networks are, with only CAP_NET_RAW and CAP_NET_ADMIN (setpriv).
test('compose\'s commands forward gen -> fwd -> sink over bridges with only NET_RAW + NET_ADMIN', { skip: netSkipReason(), timeout: 60_000 }, async () => {
  const net = new TestNet('dk');
  try {
    const br = net.ns('br');
    const ns: Record<string, string> = { gen: net.ns('gen'), fwd: net.ns('fwd'), sink: net.ns('sink') };
    for (const b of ['gen-fwd', 'fwd-sink']) {
      net.exec(br, ['ip', 'link', 'add', b, 'type', 'bridge']);
      net.exec(br, ['ip', 'link', 'set', b, 'up']);
    }
    let port = 0;
    for (const [svc, s] of Object.entries(compose.services)) {
      ifaceOrder(s).forEach((network, i) => {
        const peer = `p${port++}`;
        net.veth(`eth${i}`, ns[svc], peer, br);
        net.exec(br, ['ip', 'link', 'set', peer, 'master', network]);
      });
    }
    const caps = '-all,+net_raw,+net_admin';
    const run = (svc: string, extra: string[]): Promise<{ code: number | null; out: string }> => new Promise((resolve) => {
      const p = spawn('ip', ['netns', 'exec', ns[svc], 'setpriv', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, `--bounding-set=${caps}`,
        process.execPath, path.join(root, 'bin', 'tsfwd.js'), ...compose.services[svc].command, ...extra]);
      let out = '';
      p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
      p.stderr.on('data', (d: Buffer) => { out += d.toString(); });
      p.on('close', (code) => resolve({ code, out }));
    });
    // The last --duration wins: fwd and sink outlive the generator.
    const fwd = run('fwd', ['--duration', '6']);
    const sink = run('sink', ['--duration', '6']);
    await new Promise((r) => setTimeout(r, 1500));
    const gen = await run('gen', ['--duration', '2']);
    const [f, s] = await Promise.all([fwd, sink]);
    for (const [n, r] of [['gen', gen], ['fwd', f], ['sink', s]] as const) assert.equal(r.code, 0, `${n}: ${r.out}`);
    const final = JSON.parse(s.out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!) as
      { msg: string; ok: boolean; ports: { ipackets: number }[]; streams: { received: number; lost: number; duplicates: number }[] };
    const sent = Number(/Total packets sent:\s+(\d+)/.exec(f.out)?.[1]);
    const generated = Number(/port 0 \(net_af_packet0\): sent (\d+) frames/.exec(gen.out)?.[1]);
    assert.equal(final.msg, 'final');
    assert.ok(final.ok);
    assert.ok(generated > 1000, `gen sent ${generated}`);
    assert.ok(sent > 1000, `fwd sent ${sent}`);
    assert.ok(final.ports[0].ipackets > 1000, `sink received ${final.ports[0].ipackets}`);
    // One stream, pktgen's: what arrived is stamped, in sequence, no more than was sent.
    assert.equal(final.streams.length, 1, JSON.stringify(final.streams));
    const st = final.streams[0];
    assert.ok(st.received > 1000 && st.received <= generated, `sink: stream received ${st.received} of ${generated}`);
    assert.equal(st.duplicates, 0);
  } finally {
    net.destroy();
  }
  assert.deepEqual(net.leftovers(), []);
});
