// Fuzzing l2fwd's application options: portmask, portmap, --metrics
// host:port and the whole option reader (l2fwd and pipeline). Each input
// gives options within their limits or one UsageError line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHostPort, parseL2fwdOptions, parsePortmap, parsePortmask } from '../src/apps/l2fwd/options';
import { UsageError } from '../src/eal/corelist';
import { CONTROL_CHAR } from '../src/eal/quote';
import { argvInput, fuzzParams, numberText, oneLineOutcome, textInput } from './helpers/fuzz-arb';

// The parse functions get their text through Args, which refuses control
// characters (fuzz-eal checks that); the whole reader below gets them all.
const viaArgs = (a: fc.Arbitrary<string>): fc.Arbitrary<string> => a.filter((s) => !CONTROL_CHAR.test(s));

const portmaskShape = fc.oneof(fc.nat().map((n) => `0x${n.toString(16)}`), fc.nat(0xff).map((n) => n.toString(16)), fc.stringMatching(/^0x[0-9a-f]{8,12}$/));
const portmapShape = fc.array(fc.tuple(fc.nat(40), fc.nat(40)), { minLength: 1, maxLength: 4 })
  .map((ps) => ps.map(([a, b]) => `(${a},${b})`).join(','));
const hostPortShape = fc.oneof(fc.nat(70000).map(String), fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6().map((a) => `[${a}]`), fc.domain()), fc.nat(70000))
  .map(([h, p]) => `${h}:${p}`));

test('fuzz: portmasks give 1..2^32-1 or one UsageError line', () => {
  fc.assert(fc.property(viaArgs(textInput(portmaskShape)), (s) => {
    oneLineOutcome(() => parsePortmask(s), [UsageError], (m) => assert.ok(Number.isInteger(m) && m >= 1 && m <= 0xffffffff));
  }), fuzzParams());
});

test('fuzz: portmaps give non-empty lists of port pairs or one UsageError line', () => {
  fc.assert(fc.property(viaArgs(textInput(portmapShape)), (s) => {
    oneLineOutcome(() => parsePortmap(s), [UsageError], (pairs) => {
      assert.ok(pairs.length > 0);
      // A port id of 400 digits reads as Infinity; plan.ts then refuses it
      // (like any id outside the portmask) with one UsageError line.
      for (const p of pairs) assert.ok(p.length === 2 && p.every((x) => x >= 0 && (Number.isInteger(x) || x === Infinity)));
    });
  }), fuzzParams());
});

test('fuzz: --metrics gives a host and a port 1..65535 or one UsageError line', () => {
  fc.assert(fc.property(viaArgs(textInput(hostPortShape)), (s) => {
    oneLineOutcome(() => parseHostPort(s), [UsageError], (hp) => {
      assert.ok(hp.host.length > 0 && Number.isInteger(hp.port) && hp.port >= 1 && hp.port <= 65535);
    });
  }), fuzzParams());
});

test('fixed: an empty --metrics host ("[]:PORT", found at 10^6 cases) is refused, never a bind on every address', () => {
  for (const s of ['[]:10000', '[]:1']) assert.throws(() => parseHostPort(s), (e: Error) => e instanceof UsageError && /invalid --metrics/.test(e.message));
  assert.deepEqual(parseHostPort('9100'), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(parseHostPort('[::1]:9100'), { host: '::1', port: 9100 });
});

const appWords = fc.oneof(
  fc.constantFrom('-p', '-P', '-q', '-T', '--no-mac-updating', '--mac-updating', '--portmap', '--burst', '--duration', '--stats-json',
    '--metrics', '--tx-first', '--rx-lcores', '--ring-size', '--portmap=(0,1)', '--burst=0', '-p=0x3', '--', '-x'),
  portmaskShape, portmapShape, hostPortShape, numberText,
);

for (const pipeline of [false, true]) {
  const cmd = pipeline ? 'pipeline' : 'l2fwd';
  test(`fuzz: ${cmd} application options stay within their limits or give one UsageError line`, () => {
    fc.assert(fc.property(argvInput(appWords, 10), (argv) => {
      oneLineOutcome(() => parseL2fwdOptions(argv, cmd, pipeline), [UsageError], (o) => {
        assert.ok(o.portmask >= 1 && o.portmask <= 0xffffffff);
        assert.ok(o.rxPerLcore >= 1 && o.rxPerLcore <= 15 && o.period >= 0 && o.period <= 86400);
        assert.ok(Number.isInteger(o.burst) && o.burst >= 1 && o.burst <= 512);
        if (o.duration !== undefined) assert.ok(o.duration >= 0.01 && o.duration <= 31 * 86400);
        assert.ok(o.ringSize >= 2 && (o.ringSize & (o.ringSize - 1)) === 0);
        if (!pipeline) assert.ok(o.rxLcores === undefined && o.ringSize === 1024);
      });
    }), fuzzParams());
  });
}
