// Offloads without the `ethtool` program: the shim's SIOCETHTOOL sets and
// clears each feature a topology can name, and the `ethtool -k` program (the
// independent reader) sees the same state for every feature of the device.
// A topology with offloads comes up with ethtool absent from PATH.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { withNetns } from '../src/topo/netns';
import { getOffloads, setOffloads } from '../src/topo/offload';
import { prefixedNamespaces, topoDown } from '../src/topo/topo';
import { needTool, pathWithOnly } from './helpers/need';
import { TestNet, netSkipReason } from './helpers/testnet';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const net = netSkipReason();
const skip = net ?? needTool('ethtool');

// ethtool -k prints these features under its long alias names, the others
// under their kernel names.
const LONG: [RegExp, string][] = [
  [/^rx-checksum$/, 'rx-checksumming'], [/^rx-gro$/, 'generic-receive-offload'], [/^rx-lro$/, 'large-receive-offload'],
  [/^tx-generic-segmentation$/, 'generic-segmentation-offload'], [/^rx-vlan-hw-parse$/, 'rx-vlan-offload'],
  [/^tx-vlan-hw-insert$/, 'tx-vlan-offload'], [/^rx-ntuple-filter$/, 'ntuple-filters'], [/^rx-hashing$/, 'receive-hashing'],
  [/^tx-udp-fragmentation$/, 'udp-fragmentation-offload'],
];

/** `ethtool -k DEV` in `ns`, as name -> on. */
function ethtoolK(ns: string, dev: string): Record<string, boolean> {
  const out = TestNet.run('ip', ['netns', 'exec', ns, 'ethtool', '-k', dev]);
  const m: Record<string, boolean> = {};
  for (const l of out.split('\n')) {
    const r = /^\s*([\w-]+): (on|off)/.exec(l);
    if (r) m[r[1]] = r[2] === 'on';
  }
  return m;
}

/** Every feature the shim reports has the state ethtool -k prints for it. */
function assertAgree(ns: string, dev: string): Record<string, boolean> {
  const ours = withNetns(ns, () => getOffloads(dev));
  const theirs = ethtoolK(ns, dev);
  assert.ok(Object.keys(ours).length >= 30, `only ${Object.keys(ours).length} features`);
  for (const [name, on] of Object.entries(ours)) {
    const shown = name in theirs ? name : LONG.find(([re]) => re.test(name))?.[1];
    if (shown === undefined || !(shown in theirs)) continue; // a feature this ethtool is too old to print
    assert.equal(on, theirs[shown], `${dev} ${name}: tsfwd reads ${on ? 'on' : 'off'}, ethtool -k ${shown} ${theirs[shown] ? 'on' : 'off'}`);
  }
  return theirs;
}

test('each offload is set and cleared through SIOCETHTOOL, as ethtool -k reads it', { skip, timeout: 60_000 }, (t) => {
  const tn = new TestNet('off');
  t.after(() => tn.destroy());
  const ns = tn.ns('a');
  tn.veth('o0', ns, 'o1', ns);
  // [name given to tsfwd, what ethtool -k prints for it]
  const cases: [string, string][] = [
    ['gro', 'generic-receive-offload'], ['gso', 'generic-segmentation-offload'], ['tso', 'tcp-segmentation-offload'],
    ['sg', 'scatter-gather'], ['tx', 'tx-checksumming'], ['rx', 'rx-checksumming'], ['rxvlan', 'rx-vlan-offload'],
    ['txvlan', 'tx-vlan-offload'], ['generic-receive-offload', 'generic-receive-offload'],
    ['tx-checksum-ip-generic', 'tx-checksum-ip-generic'], ['rx-udp-gro-forwarding', 'rx-udp-gro-forwarding'],
  ];
  for (const [name, shown] of cases) {
    for (const v of ['off', 'on', 'off', 'on'] as const) {
      withNetns(ns, () => setOffloads('o0', { [name]: v }));
      assert.equal(assertAgree(ns, 'o0')[shown], v === 'on', `${name} ${v}: ethtool -k ${shown}`);
    }
  }
  // Several at once, in one request, as a topology spec gives them.
  withNetns(ns, () => setOffloads('o1', { tso: 'off', gso: 'off', gro: 'on', tx: 'off' }));
  const k = assertAgree(ns, 'o1');
  assert.deepEqual([k['tcp-segmentation-offload'], k['generic-segmentation-offload'], k['generic-receive-offload'], k['tx-checksumming']],
    [false, false, true, false]);
});

test('offload errors are one line: unknown name, fixed feature, a dependency the kernel enforces, no device', { skip: net, timeout: 30_000 }, (t) => {
  const tn = new TestNet('ofe');
  t.after(() => tn.destroy());
  const ns = tn.ns('a');
  tn.veth('e0', ns, 'e1', ns);
  const err = (want: Record<string, 'on' | 'off'>, dev = 'e0'): string => {
    try {
      withNetns(ns, () => setOffloads(dev, want));
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.match(err({ 'no-such-feature': 'on' }), /^unknown offload 'no-such-feature' on e0: use rx, tx, sg, tso, .* or a kernel feature name/);
  // A veth cannot do LRO: asking for it fails; asking for its absence is a no-op.
  assert.equal(err({ lro: 'on' }), 'offload lro on e0: rx-lro is fixed off by the driver');
  assert.equal(err({ lro: 'off' }), 'no error');
  // TSO needs scatter-gather (netdev_fix_features): the kernel keeps it off.
  assert.match(err({ sg: 'off', tso: 'on' }), /^offload tso on on e0: the kernel kept tx-tcp\S*-segmentation off \(it depends on other features\)$/);
  assert.equal(withNetns(ns, () => getOffloads('e0'))['tx-tcp-segmentation'], false);
  assert.equal(err({ gro: 'on' }, 'nothere0'), 'offloads on nothere0: reading feature names failed: ENODEV (no such interface in this namespace)');
  assert.throws(() => withNetns(ns, () => setOffloads('a-name-too-long-x', { gro: 'on' })), /^RangeError: bad interface name/);
  for (const m of [err({ 'no-such-feature': 'on' }), err({ lro: 'on' })]) assert.ok(!m.includes('\n'));
});

test('topo up with offloads and topo down work with no ethtool on PATH', { skip, timeout: 60_000 }, () => {
  const bin = pathWithOnly(fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-noethtool-')), ['ip']);
  const env = { ...process.env, PATH: bin };
  assert.equal((spawnSync('ethtool', ['--version'], { env }).error as NodeJS.ErrnoException).code, 'ENOENT');
  const pfx = `to${process.pid.toString(36)}`;
  try {
    const up = spawnSync(process.execPath, [BIN, 'topo', 'up', 'gen-fwd-sink', '--prefix', pfx], { encoding: 'utf8', env, timeout: 30_000 });
    assert.equal(up.status, 0, up.stderr);
    // The preset turns GRO on at all four ends (NAPI for XDP-sent frames).
    for (const [ns, dev] of [['gen', 'g0'], ['fwd', 'f0'], ['fwd', 'f1'], ['sink', 's0']]) {
      assert.equal(assertAgree(`${pfx}-${ns}`, dev)['generic-receive-offload'], true, `${dev} gro on`);
    }
    const down = spawnSync(process.execPath, [BIN, 'topo', 'down', 'gen-fwd-sink', '--prefix', pfx], { encoding: 'utf8', env, timeout: 30_000 });
    assert.equal(down.status, 0, down.stderr);
  } finally {
    topoDown(pfx);
    fs.rmSync(bin, { recursive: true, force: true });
  }
  assert.deepEqual(prefixedNamespaces(pfx), []);
});
