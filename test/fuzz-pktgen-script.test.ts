// Fuzzing pktgen `.pkt` scripts: parseScript, then every parsed command run
// against a stream control as `tsfwd pktgen -f` runs it. Each script gives
// commands on existing ports with finite numbers, or one ScriptError line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { PktgenControl } from '../src/apps/pktgen/control';
import { ScriptError, parseScript } from '../src/apps/pktgen/script';
import { streamBuffers } from '../src/apps/pktgen/stream';
import { runCmd } from '../src/cli/pktgen';
import { fuzzParams, hostileText, nearValid, numberText, oneLineOutcome } from './helpers/fuzz-arb';

const portList = fc.oneof(fc.constantFrom('all', '0', '1', '0-1', '1-0', '0,1', '0,0', '2', '0-3', '0-99999999999'), fc.nat(5).map(String));
const mac = fc.oneof(fc.mixedCase(fc.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/)), fc.constantFrom('00:00:00:00:00:01', '02:00:00:00:00:ff', 'zz'));
const ip = fc.oneof(fc.ipV4(), fc.ipV4().map((a) => `${a}/24`), fc.constantFrom('256.1.1.1', '0.0.0.1', '1.2.3'));
const value = fc.oneof(numberText, mac, ip);
const line = fc.oneof(
  fc.tuple(portList, fc.constantFrom('size', 'rate', 'count', 'burst', 'sport', 'dport', 'ttl'), numberText).map(([p, k, v]) => `set ${p} ${k} ${v}`),
  fc.tuple(portList, fc.constantFrom('src', 'dst'), fc.constantFrom('mac', 'ip'), value).map(([p, a, b, v]) => `set ${p} ${a} ${b} ${v}`),
  fc.tuple(portList, fc.constantFrom('udp', 'tcp')).map(([p, v]) => `set ${p} proto ${v}`),
  fc.tuple(portList, fc.constantFrom('src', 'dst'), fc.constantFrom('ip', 'port', 'mac'), fc.constantFrom('start', 'min', 'max', 'inc', 'up'), value)
    .map(([p, a, b, c, v]) => `range ${p} ${a} ${b} ${c} ${v}`),
  fc.tuple(portList, fc.constantFrom('start', 'min', 'max', 'inc'), numberText).map(([p, c, v]) => `range ${p} size ${c} ${v}`),
  fc.tuple(fc.constantFrom('enable', 'disable', 'start', 'stop'), portList, fc.constantFrom('range', 'latency', '')).map((w) => w.join(' ')),
  fc.constantFrom('str', 'stp', 'clr', 'quit', '# comment', '', '   ', 'delay'),
  numberText.map((v) => `delay ${v}`),
);
const script = fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n', ' \n', '\n\n')), { maxLength: 8 })
  .map((ls) => ls.map(([l, sep]) => l + sep).join(''));
const scriptInput = fc.oneof({ arbitrary: script, weight: 3 }, { arbitrary: nearValid(script), weight: 3 }, { arbitrary: hostileText, weight: 1 });

test('fuzz: .pkt scripts run on existing ports with finite numbers, or fail with one ScriptError line', () => {
  fc.assert(fc.property(scriptInput, fc.integer({ min: 1, max: 3 }), (text, nPorts) => {
    const macs = Array.from({ length: nPorts }, (_, i) => Uint8Array.of(2, 0, 0, 0, 0, i));
    oneLineOutcome(() => {
      const lines = parseScript(text, nPorts);
      // Checks before running: the parse contract.
      const nLines = text.split('\n').length;
      let last = 0;
      for (const { n, cmd } of lines) {
        assert.ok(n > last && n <= nLines);
        last = n;
        if ('ports' in cmd) {
          assert.ok(cmd.ports.length > 0 && new Set(cmd.ports).size === cmd.ports.length);
          for (const p of cmd.ports) assert.ok(Number.isInteger(p) && p >= 0 && p < nPorts);
        }
        if (cmd.op === 'delay') assert.ok(Number.isFinite(cmd.ms) && cmd.ms >= 0);
      }
      // Then as `tsfwd pktgen -f` runs them (no lcores: the control only records).
      const ctl = new PktgenControl(streamBuffers(nPorts), nPorts, macs, 10e9);
      for (const { n, cmd } of lines) if (runCmd(ctl, cmd, n) < 0) break;
      return lines;
    }, [ScriptError], () => undefined);
  }), fuzzParams());
});

// Crashers the fuzzer found, kept as fixed cases.
test('fixed: a reversed port range is refused, not an empty port list', () => {
  assert.throws(() => parseScript('start 1-0', 2), { constructor: ScriptError, message: "line 1: bad port range '1-0' (high end first)" });
});

test('fixed: a number too large for a double is refused, not Infinity', () => {
  assert.throws(() => parseScript(`delay ${'9'.repeat(400)}`, 1), { constructor: ScriptError, message: /^line 1: '9{120}\.\.\.' is too large$/ });
  assert.throws(() => parseScript('set 0 count 9007199254740993', 1), { constructor: ScriptError, message: "line 1: '9007199254740993' is too large" });
});

test('fixed: a carriage return inside a line is escaped in the message', () => {
  assert.throws(() => parseScript('set\r0 colour red', 1), { constructor: ScriptError, message: "line 1: unknown set command 'set\\r0 colour red'" });
});
