// Topologies: every preset builds with the names, MACs, addresses and MTU its
// spec gives, refuses to build twice, and `down` removes everything, also
// after a crash that lost the state file.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { PRESETS, validateSpec } from '../src/topo/spec';
import { STATE_DIR, prefixedNamespaces, topoDown, topoUp } from '../src/topo/topo';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const prefix = (tag: string): string => `tt${process.pid.toString(36)}${tag}`;
const ipj = (ns: string, dev: string): { address: string; mtu: number; operstate: string; addr_info: { local: string; prefixlen: number; family: string }[] } => {
  const r = spawnSync('ip', ['netns', 'exec', ns, 'ip', '-j', 'addr', 'show', 'dev', dev], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout)[0];
};

test('specs are validated with a clear message', () => {
  assert.throws(() => validateSpec({ name: 'x', namespaces: ['a'], links: [{ a: { ns: 'a', name: 'averyveryverylongname' }, b: { ns: 'a', name: 'b' } }] }), /interface name 'averyveryverylongname' must be 1\.\.15/);
  assert.throws(() => validateSpec({ name: 'x', namespaces: ['a'], links: [{ a: { ns: 'z', name: 'e0' }, b: { ns: 'a', name: 'e1' } }] }), /namespace 'z' is not in namespaces/);
  assert.throws(() => validateSpec({ name: 'x', namespaces: ['a'], links: [{ a: { ns: 'a', name: 'e0', mac: 'zz' }, b: { ns: 'a', name: 'e1' } }] }), /bad MAC 'zz'/);
  assert.throws(() => validateSpec({ name: 'x', namespaces: ['a'], links: [{ a: { ns: 'a', name: 'e0' }, b: { ns: 'a', name: 'e0' } }] }), /appears twice/);
  for (const p of Object.values(PRESETS)) assert.equal(validateSpec(p), p);
});

test('each preset comes up as specified and goes away completely', { skip, timeout: 60_000 }, () => {
  for (const [name, spec] of Object.entries(PRESETS)) {
    const pfx = prefix(name.slice(0, 3));
    try {
      const st = topoUp(spec, pfx);
      assert.deepEqual(prefixedNamespaces(pfx), spec.namespaces.map((n) => `${pfx}-${n}`).sort());
      for (const l of spec.links) {
        for (const e of [l.a, l.b]) {
          const info = ipj(st.namespaces[e.ns], e.name);
          if (e.mac) assert.equal(info.address, e.mac);
          if (e.addr) assert.ok(info.addr_info.some((a) => `${a.local}/${a.prefixlen}` === e.addr), `${e.name} has ${e.addr}`);
          assert.notEqual(info.operstate, 'DOWN');
        }
      }
      assert.throws(() => topoUp(spec, pfx), /is already up/);
    } finally {
      topoDown(pfx);
    }
    assert.deepEqual(prefixedNamespaces(pfx), [], `${name}: nothing left`);
  }
});

test('down cleans up after a crash that lost the state file', { skip }, () => {
  const pfx = prefix('crash');
  try {
    topoUp(PRESETS.pair, pfx);
    fs.rmSync(`${STATE_DIR}/${pfx}.json`);
  } finally {
    assert.deepEqual(topoDown(pfx), [`${pfx}-a`, `${pfx}-b`]);
  }
  assert.deepEqual(prefixedNamespaces(pfx), []);
});

test('a failing build removes what it made', { skip }, () => {
  const pfx = prefix('fail');
  const bad = { name: 'bad', namespaces: ['a', 'b'], links: [{ a: { ns: 'a', name: 'x0' }, b: { ns: 'b', name: 'y0' }, offloads: { 'no-such-feature': 'on' as const } }] };
  assert.throws(() => topoUp(bad, pfx), /^Error: unknown offload 'no-such-feature' on x0: /);
  assert.deepEqual(prefixedNamespaces(pfx), []);
});

test('down removes everything after an `up` killed midway', { skip, timeout: 60_000 }, async () => {
  const { spawn } = await import('node:child_process');
  const path = await import('node:path');
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
  const pfx = prefix('kill');
  try {
    const p = spawn(process.execPath, [bin, 'topo', 'up', 'gen-fwd-sink', '--prefix', pfx], { stdio: 'ignore' });
    // Kill it as soon as its first namespace exists: the build is then half done.
    for (const end = Date.now() + 10_000; prefixedNamespaces(pfx).length === 0 && Date.now() < end;) await new Promise((r) => setTimeout(r, 2));
    p.kill('SIGKILL');
    await new Promise((r) => p.on('exit', r));
    assert.ok(prefixedNamespaces(pfx).length >= 1, 'the killed up left something behind');
  } finally {
    topoDown(pfx);
  }
  assert.deepEqual(prefixedNamespaces(pfx), []);
  assert.equal(fs.existsSync(`${STATE_DIR}/${pfx}.json`), false, 'state file gone');
});
