// `topo check`: ICMP echo over raw-socket proves a link carries traffic (3/3
// on the pair preset), a far end that is down fails with a non-zero exit,
// links without two addresses are reported unchecked, and raw-socket refuses
// to run off the main thread.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { formatLink, linkOk, topoCheck } from '../src/topo/check';
import { PRESETS } from '../src/topo/spec';
import { prefixedNamespaces, topoDown, topoUp } from '../src/topo/topo';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const root = path.resolve(__dirname, '..', '..');
const prefix = (tag: string): string => `tc${process.pid.toString(36)}${tag}`;
const cli = (args: string[]): { status: number | null; stdout: string; stderr: string } =>
  spawnSync(process.execPath, [path.join(root, 'bin', 'tsfwd.js'), ...args], { encoding: 'utf8', timeout: 30_000 });

test('pair: 3 echo requests get 3 replies', { skip, timeout: 30_000 }, async () => {
  const pfx = prefix('ok');
  try {
    topoUp(PRESETS.pair, pfx);
    const [r, ...more] = await topoCheck(pfx, { count: 3 });
    assert.equal(more.length, 0);
    assert.deepEqual([r.checked, r.count, r.received, r.rtts.length, r.error], [true, 3, 3, 3, undefined]);
    assert.ok(linkOk(r));
    assert.match(formatLink(r), /^a:veth0 10\.201\.0\.1 -> b:veth1 10\.201\.0\.2: 3\/3 replies, rtt min\/avg\/max [\d.]+\/[\d.]+\/[\d.]+ ms$/);
    const c = cli(['topo', 'check', 'pair', '--prefix', pfx]);
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /: 3\/3 replies, rtt/);
    assert.match(c.stdout, /^1 of 1 links checked, 0 failed$/m);
  } finally {
    topoDown(pfx);
  }
  assert.deepEqual(prefixedNamespaces(pfx), []);
});

test('a far end that is down fails the check with exit 1', { skip, timeout: 30_000 }, async () => {
  const pfx = prefix('dn');
  try {
    const st = topoUp(PRESETS.pair, pfx);
    const r = spawnSync('ip', ['netns', 'exec', st.namespaces.b, 'ip', 'link', 'set', 'veth1', 'down'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const [res] = await topoCheck(pfx, { count: 3, timeoutMs: 300 });
    assert.equal(res.received, 0);
    assert.equal(linkOk(res), false);
    assert.match(formatLink(res), /: 0\/3 replies.* FAILED$/);
    const c = cli(['topo', 'check', 'pair', '--prefix', pfx, '--count', '2', '--timeout', '300']);
    assert.equal(c.status, 1, c.stderr);
    assert.match(c.stdout, /0\/2 replies.* FAILED/);
    assert.match(c.stdout, /^1 of 1 links checked, 1 failed$/m);
  } finally {
    topoDown(pfx);
  }
  assert.deepEqual(prefixedNamespaces(pfx), []);
});

test('gen-fwd-sink: links without an address on both ends are not checked', { skip, timeout: 30_000 }, async () => {
  const pfx = prefix('gfs');
  try {
    topoUp(PRESETS['gen-fwd-sink'], pfx);
    const rs = await topoCheck(pfx);
    assert.deepEqual(rs.map((r) => [r.checked, linkOk(r)]), [[false, true], [false, true]]);
    assert.deepEqual(rs.map(formatLink), [
      'gen:g0 10.202.0.1 -- fwd:f0: not checked (no address on both ends)',
      'fwd:f1 -- sink:s0 10.202.0.2: not checked (no address on both ends)',
    ]);
  } finally {
    topoDown(pfx);
  }
  assert.deepEqual(prefixedNamespaces(pfx), []);
});

test('checking a topology that is not up is a one-line error', () => {
  const c = cli(['topo', 'check', 'pair', '--prefix', prefix('none')]);
  assert.equal(c.status, 1);
  assert.equal(c.stderr, `tsfwd: topology '${prefix('none')}' is not up\n`);
});

test('raw-socket is refused in a worker thread', async () => {
  // The check module is safe to import anywhere; only using it off the main thread fails.
  const mod = JSON.stringify(path.join(root, 'dist', 'src', 'topo', 'check.js'));
  const w = new Worker(`const { parentPort } = require('node:worker_threads');
    Promise.resolve().then(() => require(${mod}).echo('none', '127.0.0.1')).then(() => parentPort.postMessage('sent'), (e) => parentPort.postMessage(e.message));
    parentPort.postMessage(Object.keys(require.cache).some((k) => k.includes('raw-socket')) ? 'loaded' : 'not loaded');`, { eval: true });
  const msgs: string[] = [];
  await new Promise<void>((resolve, reject) => {
    w.on('message', (m: string) => { msgs.push(m); if (msgs.length === 2) resolve(); });
    w.on('error', reject);
  });
  await w.terminate();
  assert.deepEqual(msgs.sort(), ['not loaded', 'topo check: raw-socket works only in the main thread']);
});
