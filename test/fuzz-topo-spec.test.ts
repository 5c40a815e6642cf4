// Fuzzing topology specs: validateSpec on arbitrary data (valid-shaped specs
// with fields replaced by any JSON value) and loadSpecFile on JSON/YAML text,
// valid or mutated. Each input gives a spec whose every field `topo up` uses
// is well-formed, or one plain Error line (the topo command prints it).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import { PRESETS, TopoSpec, validateSpec } from '../src/topo/spec';
import { loadSpecFile } from '../src/topo/spec-file';
import { fuzzParams, fuzzTmpDir, hostileText, nearValid, oneLineOutcome } from './helpers/fuzz-arb';

// Strings from an alphabet (fc.stringMatching is slow to shrink inside chain and oneof).
const chars = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength, maxLength });
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const HEX = '0123456789abcdef';
const word = fc.oneof(chars(LOWER + '0123456789_-', 1, 7), fc.constantFrom('', 'a'.repeat(33), 'a b', '__proto__', 'x\ny'));
const end = (nss: string[]): fc.Arbitrary<Record<string, unknown>> => fc.record({
  ns: fc.oneof(fc.constantFrom(...nss), word),
  name: fc.oneof(chars(LOWER + '0123456789', 1, 15), word, fc.constantFrom('a'.repeat(16), 'a/b')),
  mac: fc.oneof(fc.array(chars(HEX, 2, 2), { minLength: 6, maxLength: 6 }).map((b) => b.join(':')), fc.constantFrom('02:00:00:00:00', 'zz:00:00:00:00:00')),
  addr: fc.oneof(fc.tuple(fc.ipV4(), fc.nat(40)).map(([a, p]) => `${a}/${p}`), fc.constantFrom('999.1.1.1/24', '10.0.0.1', '10.0.0.1/33')),
}, { requiredKeys: ['ns', 'name'] });
const specShape: fc.Arbitrary<Record<string, unknown>> = fc.uniqueArray(chars(LOWER, 1, 4), { minLength: 1, maxLength: 3 }).chain((nss) => fc.record({
  name: fc.oneof(chars(LOWER + '0123456789-', 1, 11), word),
  namespaces: fc.constant(nss),
  links: fc.array(fc.record({
    a: end(nss), b: end(nss),
    mtu: fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.constantFrom(1500.5, -1)),
    offloads: fc.dictionary(fc.constantFrom('gro', 'tso', 'tx-checksumming'), fc.constantFrom('on', 'off', 'maybe')),
  }, { requiredKeys: ['a', 'b'] }), { maxLength: 3 }),
  setup: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...nss), word), fc.array(fc.constantFrom('ip', 'link', 'set', 'up'), { maxLength: 3 }))),
}, { requiredKeys: ['name', 'namespaces', 'links'] }));

/** A valid-shaped spec with one field, at any depth, replaced by an arbitrary JSON value. */
function replaceOne(spec: unknown, pick: number, v: unknown): unknown {
  let k = 0;
  const walk = (x: unknown): unknown => {
    if (k++ === pick) return v;
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([key, y]) => [key, walk(y)]));
    return x;
  };
  return walk(spec);
}
const anyJson = fc.jsonValue({ maxDepth: 2 });
const specData = fc.oneof(
  specShape,
  fc.tuple(specShape, fc.nat(40), anyJson).map(([s, i, v]) => replaceOne(s, i, v)),
  fc.constantFrom(...Object.values(PRESETS)).map((p) => structuredClone(p) as unknown),
  anyJson,
);

const CIDR_PARTS = /^(.+)\/(\d+)$/;

/** What `topo up` relies on in a spec that validated. */
function checkSpec(s: TopoSpec): void {
  assert.match(s.name, /^[A-Za-z0-9_-]{1,32}$/);
  assert.ok(s.namespaces.length > 0 && new Set(s.namespaces).size === s.namespaces.length);
  for (const n of s.namespaces) assert.match(n, /^[A-Za-z0-9_-]{1,32}$/);
  for (const l of s.links) {
    for (const e of [l.a, l.b]) {
      assert.ok(s.namespaces.includes(e.ns));
      assert.match(e.name, /^[A-Za-z0-9_.-]{1,15}$/);
      if (e.mac !== undefined) assert.match(e.mac, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i);
      if (e.addr !== undefined) {
        const m = CIDR_PARTS.exec(e.addr);
        assert.ok(typeof e.addr === 'string' && m && net.isIPv4(m[1]) && Number(m[2]) <= 32, `addr ${String(e.addr)}`);
      }
    }
    if (l.mtu !== undefined) assert.ok(Number.isInteger(l.mtu) && l.mtu >= 68 && l.mtu <= 65535);
    if (l.offloads !== undefined) {
      assert.ok(l.offloads !== null && typeof l.offloads === 'object' && !Array.isArray(l.offloads), 'offloads must be a map');
      for (const v of Object.values(l.offloads)) assert.ok(v === 'on' || v === 'off');
    }
  }
  if (s.setup !== undefined) {
    assert.ok(Array.isArray(s.setup));
    for (const [ns, argv] of s.setup) {
      assert.ok(s.namespaces.includes(ns) && Array.isArray(argv) && argv.length > 0);
      for (const a of argv) assert.equal(typeof a, 'string');
    }
  }
}

test('fuzz: validateSpec gives a well-formed spec or one Error line', () => {
  fc.assert(fc.property(specData, (x) => {
    oneLineOutcome(() => validateSpec(x), [Error], checkSpec);
  }), fuzzParams());
});

const tmp = fuzzTmpDir('tsfwd-fuzz-spec-');

test('fuzz: spec files (JSON, YAML, mutated, any text) give a well-formed spec or one Error line', () => {
  const text = fc.oneof(
    specData.map((d) => JSON.stringify(d) ?? ''),
    specData.map((d) => toYaml(d)),
    nearValid(specData.map((d) => toYaml(d))),
    nearValid(specData.map((d) => JSON.stringify(d) ?? '')),
    hostileText,
  );
  fc.assert(fc.property(text, fc.constantFrom('s.json', 's.yaml', 's.yml', 's'), (t, name) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, t);
    oneLineOutcome(() => loadSpecFile(f), [Error], checkSpec);
  }), fuzzParams());
});

// Crashers the fuzzer found, kept as fixed cases.
const pairWith = (patch: (s: TopoSpec) => void): TopoSpec => { const s = structuredClone(PRESETS.pair); patch(s); return s; };
const refused = (x: unknown, message: string): void => { assert.throws(() => validateSpec(x), { constructor: Error, message }); };

test('fixed: a non-list setup, or a setup entry that is not a pair, is refused, not a TypeError', () => {
  refused({ ...PRESETS.pair, setup: 5 }, "topology 'pair': setup must be a list of [namespace, [command...]]");
  refused({ ...PRESETS.pair, setup: [5] }, "topology 'pair': setup entry for undefined needs a known namespace and a command (a list of strings)");
  refused({ ...PRESETS.pair, setup: [['a', [1]]] }, "topology 'pair': setup entry for 'a' needs a known namespace and a command (a list of strings)");
});

test('fixed: addresses out of range, MACs that are not strings and offloads that are not a map are refused', () => {
  refused(pairWith((s) => { s.links[0].a.addr = '999.1.1.1/24'; }), "topology 'pair': link 0: bad address '999.1.1.1/24' (expected CIDR, e.g. 10.0.0.1/24)");
  refused(pairWith((s) => { s.links[0].a.addr = '10.0.0.1/33'; }), "topology 'pair': link 0: bad address '10.0.0.1/33' (expected CIDR, e.g. 10.0.0.1/24)");
  refused(pairWith((s) => { s.links[0].a.addr = '10.02.0.2/24'; }), "topology 'pair': link 0: bad address '10.02.0.2/24' (expected CIDR, e.g. 10.0.0.1/24)");
  refused(pairWith((s) => { (s.links[0].a as { mac: unknown }).mac = ['02:00:00:00:01:00']; }), "topology 'pair': link 0: bad MAC a list");
  refused(pairWith((s) => { (s.links[0] as { offloads: unknown }).offloads = 5; }), "topology 'pair': link 0: offloads must be a map of feature: on|off");
});

test('fixed: line breaks in names and in JSON syntax errors are escaped', () => {
  refused({ name: 'a\nb', namespaces: [] }, "topology 'a\\nb': name must be 1..32 letters, digits, - or _");
  refused({ ...PRESETS.pair, setup: [['x\ny', ['ip']]] }, "topology 'pair': setup entry for 'x\\ny' needs a known namespace and a command (a list of strings)");
  const f = path.join(tmp, 'nl.json');
  fs.writeFileSync(f, 'name: x\nnamespaces: []\n');
  assert.throws(() => loadSpecFile(f), (e: Error) => e.constructor === Error && e.message.startsWith(`${f}: Unexpected token`) && !/[\r\n]/.test(e.message));
  // Found at 10^5 cases: the yaml package quotes the bad token, here a carriage return.
  const y = path.join(tmp, 's.yml');
  fs.writeFileSync(y, '>\r');
  assert.throws(() => loadSpecFile(y), (e: Error) => e.constructor === Error && e.message.startsWith(`${y}: YAML: `) && !/[\r\n]/.test(e.message));
});
