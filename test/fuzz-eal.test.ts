// Fuzzing the EAL parsers: core lists (-l), core masks (-c) and the EAL
// option reader. Each input gives a sorted unique list of CPUs 0..1023 or one
// UsageError line; the fixed cases below are crashers the fuzzer found.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { UsageError, parseCoreList, parseCoreMask } from '../src/eal/corelist';
import { parseEal } from '../src/eal/options';
import { argvInput, assertSortedUnique, fuzzParams, oneLineOutcome, textInput } from './helpers/fuzz-arb';

const MAX_CORE = 1023;
const coreListShape = fc.array(
  fc.oneof(fc.nat(1100).map(String), fc.tuple(fc.nat(1100), fc.nat(40)).map(([a, n]) => `${a}-${a + n}`)),
  { minLength: 1, maxLength: 6 },
).map((parts) => parts.join(','));
const coreMaskShape = fc.oneof(
  fc.stringMatching(/^(0x)?[0-9a-fA-F]{1,8}$/),
  fc.stringMatching(/^0x[0-9a-f]{200,300}$/),
);

test('fuzz: core lists give sorted unique cores 0..1023 or one UsageError line', () => {
  fc.assert(fc.property(textInput(coreListShape), (s) => {
    oneLineOutcome(() => parseCoreList(s), [UsageError], (cores) => {
      assert.ok(cores.length > 0);
      assertSortedUnique(cores, 0, MAX_CORE);
    });
  }), fuzzParams());
});

test('fuzz: core masks give sorted unique cores 0..1023 or one UsageError line', () => {
  fc.assert(fc.property(textInput(coreMaskShape), (s) => {
    oneLineOutcome(() => parseCoreMask(s), [UsageError], (cores) => {
      assert.ok(cores.length > 0);
      assertSortedUnique(cores, 0, MAX_CORE);
      // Exactly the mask's bits: rebuild the hex digits from the cores.
      const nibbles = new Array<number>(Math.floor(cores[cores.length - 1] / 4) + 1).fill(0);
      for (const c of cores) nibbles[c >> 2] |= 1 << (c & 3);
      const want = s.trim().replace(/^0x/i, '').replace(/^0+/, '').toLowerCase();
      assert.equal(nibbles.reverse().map((n) => n.toString(16)).join(''), want);
    });
  }), fuzzParams());
});

const ealWords = fc.oneof(
  fc.constantFrom('-l', '--lcores', '-c', '--vdev', '--mbufs', '-m', '-n', '--file-prefix', '--no-pci', '--no-huge', '--in-memory',
    '--log-level', '--vdev=net_null0', '--mbufs=64', '-l=1', '--', '-x'),
  coreListShape, coreMaskShape, fc.constantFrom('net_null0', 'net_ring0,size=64', '64', '16777216', '16777217'),
);

test('fuzz: EAL options give cores, vdevs and mbufs within limits or one UsageError line', () => {
  fc.assert(fc.property(argvInput(ealWords), (argv) => {
    oneLineOutcome(() => parseEal(argv, 'l2fwd'), [UsageError], (o) => {
      assert.ok(o.lcores.length > 0);
      assertSortedUnique(o.lcores, 0, MAX_CORE);
      for (const v of o.vdevs) assert.equal(typeof v, 'string');
      if (o.mbufs !== undefined) assert.ok(Number.isInteger(o.mbufs) && o.mbufs >= 64 && o.mbufs <= 1 << 24);
    });
  }), fuzzParams());
});

// Crashers the fuzzer found, kept as fixed cases.
test('fixed: a core mask naming cores above 1023 is refused, quickly', () => {
  assert.throws(() => parseCoreMask('0x1' + '0'.repeat(256)), { constructor: UsageError, message: /names cores above 1023/ });
  const t0 = Date.now();
  assert.throws(() => parseCoreMask('f'.repeat(100_000)), { constructor: UsageError, message: /names cores above 1023/ });
  assert.ok(Date.now() - t0 < 1000);
  assert.deepEqual(parseCoreMask('0x' + '0'.repeat(500) + '8' + '0'.repeat(255)), [1023]);
});

test('fixed: a line break in argv or a core list gives a one-line, escaped message', () => {
  assert.throws(() => parseEal(['\n'], 'l2fwd'), { constructor: UsageError, message: "argument '\\n' contains a control character" });
  assert.throws(() => parseEal(['-l', '1\n2'], 'l2fwd'), { constructor: UsageError, message: "argument '1\\n2' contains a control character" });
  assert.throws(() => parseCoreList('1\n2'), { constructor: UsageError, message: /^invalid core list '1\\n2' / });
});
