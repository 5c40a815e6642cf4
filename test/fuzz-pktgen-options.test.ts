// Fuzzing pktgen's application options (after `--`): each argv gives options
// within their limits or one UsageError line. The sink's few options are read
// inline in runSink and covered by fuzz-cli.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { MIN_FRAME } from '../src/apps/pktgen/payload';
import { parsePktgenOptions } from '../src/cli/pktgen';
import { UsageError } from '../src/eal/corelist';
import { argvInput, fuzzParams, numberText, oneLineOutcome } from './helpers/fuzz-arb';

const options = fc.constantFrom('--size', '--imix', '--rate', '--line-rate', '--count', '--duration', '--src-mac', '--dst-mac', '--src-ip', '--dst-ip',
    '--sport', '--dport', '--ttl', '--burst', '-T', '--stats-json', '-f', '--pcap', '--engine', '--size=64', '--rate=50%');
const words = fc.oneof(options,
  fc.constantFrom('lcore', 'xdp-live', '64', '1518', '64-1518', '1518-64', '63', '10G', '0G', '0', '1.5M', '100%', '02:00:00:00:00:01', '02:00:00:00:00:01-02:00:00:00:01:00',
    '10.0.0.1-10.0.0.9', '1-65535', '65536', '255', '256', '-'),
  numberText, numberText.map((n) => `${n}G`), fc.tuple(numberText, numberText).map(([a, b]) => `${a}-${b}`),
);

test('fuzz: pktgen options stay within their limits or give one UsageError line', () => {
  fc.assert(fc.property(argvInput(words, 8, options), (argv) => {
    oneLineOutcome(() => parsePktgenOptions(argv), [UsageError], (o) => {
      if (o.size) assert.ok(o.size[0] >= MIN_FRAME + 4 && o.size[0] <= o.size[1] && o.size[1] <= 65539 && o.size.every(Number.isInteger));
      assert.ok(Number.isFinite(o.lineRate) && o.lineRate > 0, `line rate ${o.lineRate}`);
      assert.ok(Number.isInteger(o.count) && o.count >= 0 && o.count <= 2 ** 50);
      if (o.duration !== undefined) assert.ok(o.duration >= 0.01 && o.duration <= 86400 * 31);
      for (const r of [o.sport, o.dport]) if (r) assert.ok(r[0] >= 0 && r[0] <= r[1] && r[1] <= 65535);
      for (const m of [o.srcMac, o.dstMac]) if (m) assert.ok(Number.isInteger(m[1]) && m[1] >= 1 && m[1] <= 65536);
      if (o.ttl !== undefined) assert.ok(o.ttl >= 1 && o.ttl <= 255);
      assert.ok(o.burst >= 1 && o.burst <= 256 && o.period >= 0 && o.period <= 3600);
      assert.ok(o.engine === 'lcore' || o.engine === 'xdp-live');
    });
  }), fuzzParams());
});

// Crashers the fuzzer found, kept as fixed cases.
test('fixed: a line rate of 0 or too many digits is refused', () => {
  for (const r of ['0', '0G', '0.0k', '9'.repeat(400)]) {
    assert.throws(() => parsePktgenOptions(['--line-rate', r]), { constructor: UsageError, message: `pktgen: bad line rate '${r}' (e.g. 10G)` });
  }
  assert.equal(parsePktgenOptions(['--line-rate', '2.5G']).lineRate, 2.5e9);
});
