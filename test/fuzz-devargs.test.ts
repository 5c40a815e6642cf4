// Fuzzing --vdev devargs: the generic parser, the registry's key checks
// (checkDevargs, no device touched) and each driver's value validation that
// runs before any syscall. Each input gives a value within the driver's
// limits or one PortError line.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import fc from 'fast-check';
import { Mempool } from '../src/mempool/mempool';
import { boolArg, enumArg, intArg, parseDevargs } from '../src/port/devargs';
import { checkDevargs, openPort } from '../src/port/registry';
import { parse as parseAfPacket } from '../src/port/af-packet/af-packet';
import { parse as parseAfXdp } from '../src/port/af-xdp/af-xdp';
import { driver as nullDriver } from '../src/port/memory/null';
import { parseHostPort } from '../src/port/udp/udp';
import { PortError, PortHandle } from '../src/port/types';
import { fuzzParams, fuzzParamsAsync, hostileText, numberText, oneLineOutcome, oneLineOutcomeAsync, textInput } from './helpers/fuzz-arb';

const KEYS = ['iface', 'qpairs', 'mode', 'fanout_mode', 'framesz', 'blocksz', 'framecnt', 'txframecnt', 'qdisc_bypass', 'tpacket_version', 'start_queue', 'queue_count',
  'busy_budget', 'xdp_mode', 'size', 'copy', 'peer', 'local', 'remote', 'vni', 'rx_pcap', 'tx_pcap', 'infinite_rx'];
const devName = fc.tuple(fc.constantFrom('net_null', 'net_ring', 'net_af_packet', 'net_af_xdp', 'net_udp', 'net_pcap', 'net_', 'eth_null', 'net_nul'),
  fc.constantFrom('', '0', '1', '_rx0', '99')).map(([d, n]) => d + n);
const hostPort = fc.oneof(
  fc.tuple(fc.ipV4(), fc.nat(70000)).map(([a, p]) => `${a}:${p}`),
  fc.tuple(fc.ipV6(), fc.nat(70000)).map(([a, p]) => `[${a}]:${p}`),
  fc.constantFrom('10.0.0.1:4789', '[::1]:4789', '256.0.0.1:1', '1.2.3.4:', ':80', '[1.2.3.4]:80', '[::ffff:1.2.3.4]:1', '1.2.3:4'),
);
const value = fc.oneof(numberText, hostPort, fc.constantFrom('veth0', 'lo', '.', '..', 'a/b', 'a:b', 'x'.repeat(16), 'mmap', 'rxtx', 'hash',
  'lb', 'cpu', 'auto', 'copy', 'zc', 'native', 'generic', '0', '1', '2', '3', '4096', '8192', '65536', '', 'net_ring0', 'net_ring1', '/tmp/x.pcap'));
const devargsShape = fc.tuple(devName, fc.array(fc.tuple(fc.constantFrom(...KEYS), value), { maxLength: 5 }))
  .map(([n, kv]) => [n, ...kv.map(([k, v]) => `${k}=${v}`)].join(','));
const devargsInput = textInput(devargsShape);

/** A stand-in for the mempool: net_null's open reads only its data room. */
const POOL = { dataRoom: 2048 } as Mempool;

test('fuzz: devargs parse to a named device with unique non-empty keys, or one PortError line', () => {
  fc.assert(fc.property(devargsInput, (s) => {
    oneLineOutcome(() => parseDevargs(s), [PortError], (d) => {
      assert.match(d.name, /^[A-Za-z][A-Za-z0-9_]*$/);
      for (const [k, v] of d.args) {
        assert.ok(k.length > 0 && k === k.trim() && !k.includes(','), `key ${JSON.stringify(k)}`);
        assert.ok(v === v.trim() && !v.includes(','));
      }
    });
  }), fuzzParams());
});

test('fuzz: the registry accepts only its drivers\' keys, with the required ones present', () => {
  fc.assert(fc.property(devargsInput, (s) => {
    oneLineOutcome(() => checkDevargs(s), [PortError], (d) => {
      assert.ok(d.name.startsWith(d.drv.name));
      for (const k of d.args.keys()) assert.ok(d.drv.keys.includes(k));
      for (const k of d.drv.required) assert.ok(d.args.has(k));
    });
  }), fuzzParams());
});

/** Devargs of driver `drv` (valid-shaped, mutated, hostile) that passed the registry, or undefined. */
function checked(s: string, drv: string): ReturnType<typeof checkDevargs> | undefined {
  try {
    const d = checkDevargs(s);
    return d.drv.name === drv ? d : undefined;
  } catch (e) {
    assert.ok(e instanceof PortError);
    return undefined;
  }
}
/** Devargs for `drv`: the required keys first, then others, each key once (before mutation). */
const forDriver = (drv: string, required: string[], keys: string[]): fc.Arbitrary<string> => textInput(
  fc.tuple(fc.array(fc.oneof(fc.constantFrom('veth0', 'lo', 'a/b', 'x'.repeat(16)), hostPort), { minLength: required.length, maxLength: required.length }),
    fc.uniqueArray(fc.tuple(fc.constantFrom(...keys), value), { maxLength: 5, selector: ([k]) => k }))
    .map(([req, kv]) => [`${drv}0`, ...required.map((k, i) => `${k}=${req[i]}`), ...kv.map(([k, v]) => `${k}=${v}`)].join(',')));
const ctxOf = (d: NonNullable<ReturnType<typeof checked>>): { id: number; name: string; args: Map<string, string>; pool: Mempool } =>
  ({ id: 0, name: d.name, args: d.args, pool: POOL });

test('fuzz: net_af_packet devargs give a ring geometry the kernel accepts, or one PortError line', () => {
  fc.assert(fc.property(forDriver('net_af_packet', ['iface'], ['qpairs', 'mode', 'fanout_mode', 'framesz', 'blocksz', 'framecnt', 'txframecnt', 'qdisc_bypass', 'tpacket_version']), (s) => {
    const d = checked(s, 'net_af_packet');
    if (!d) return;
    oneLineOutcome(() => parseAfPacket(ctxOf(d)), [PortError], (c) => {
      assert.match(c.iface, /^[^/:\s]{1,15}$/);
      assert.ok(c.qpairs >= 1 && c.qpairs <= 16);
      assert.ok(c.framesz >= 128 && c.framesz % 16 === 0 && c.blocksz % 4096 === 0 && c.blocksz % c.framesz === 0);
      assert.ok(c.framecnt >= 8 && c.framecnt % (c.blocksz / c.framesz) === 0);
      // The tx ring: whole blocks too, and set only where there is a ring.
      assert.ok(c.txFramecnt >= 8 && c.txFramecnt % (c.blocksz / c.framesz) === 0);
      if (d.args.has('txframecnt')) assert.equal(c.mode, 'mmap');
      // A V3 block must hold a frame and the block and frame headers (BLK_HDR_LEN 48, macoff 92); only mode mmap has rings.
      if (c.tpacketVersion === 3) assert.ok(c.mode === 'mmap' && c.blocksz - 140 >= c.framesz);
    });
  }), fuzzParams());
});

test('net_af_packet tpacket_version=3 defaults fit any framesz: blocks are multiples of the frame and the page, whole blocks of frames', () => {
  for (const framesz of [2048, 3072, 9216, 16384, 65536]) {
    const c = parseAfPacket({ id: 0, name: 'net_af_packet0', args: new Map([['iface', 'veth0'], ['tpacket_version', '3'], ['framesz', String(framesz)]]), pool: POOL });
    assert.equal(c.blocksz % framesz, 0, `framesz ${framesz}: blocksz ${c.blocksz}`);
    assert.equal(c.blocksz % 4096, 0);
    assert.ok(c.blocksz >= Math.max(65536, 2 * framesz) || c.blocksz === 1 << 22);
    assert.equal(c.framecnt % (c.blocksz / framesz), 0);
    assert.ok(c.framecnt >= 1024 && c.framecnt / (c.blocksz / framesz) >= 2);
    assert.equal(c.txFramecnt % (c.blocksz / framesz), 0);
    assert.ok(c.txFramecnt >= 128 && c.txFramecnt <= c.framecnt);
  }
});

test('fuzz: net_af_xdp devargs give queues and modes within limits, or one PortError line', () => {
  fc.assert(fc.property(forDriver('net_af_xdp', ['iface'], ['start_queue', 'queue_count', 'mode', 'busy_budget', 'xdp_mode']), (s) => {
    const d = checked(s, 'net_af_xdp');
    if (!d) return;
    oneLineOutcome(() => parseAfXdp(ctxOf(d)), [PortError], (c) => {
      assert.match(c.iface, /^[^/:\s]{1,15}$/);
      assert.ok(c.startQueue >= 0 && c.startQueue <= 255 && c.queueCount >= 1 && c.queueCount <= 16 && c.busyBudget <= 1024);
      assert.ok(['auto', 'copy', 'zc'].includes(c.bindMode) && ['auto', 'native', 'generic'].includes(c.xdpMode));
    });
  }), fuzzParams());
});

test('fuzz: net_null devargs give a frame size within the data room, or one PortError line', () => {
  fc.assert(fc.property(forDriver('net_null', [], ['size', 'copy', 'qpairs']), (s) => {
    const d = checked(s, 'net_null');
    if (!d) return;
    oneLineOutcome(() => nullDriver.open(ctxOf(d)) as PortHandle, [PortError], (h) => {
      const st = h.state as { size: number; copy: boolean };
      assert.ok(st.size >= 14 && st.size <= POOL.dataRoom && h.nbQueues >= 1 && h.nbQueues <= 64);
    });
  }), fuzzParams());
});

/** The value of `key` as parseDevargs hands it to a driver (trimmed, no comma or control character), or undefined. */
function devargValue(key: string, v: string): string | undefined {
  try {
    return parseDevargs(`dev0,${key}=${v}`).args.get(key);
  } catch {
    return undefined;
  }
}

test('fuzz: net_udp local/remote give a numeric address and port 1..65535, or one PortError line', () => {
  fc.assert(fc.property(textInput(hostPort), (raw) => {
    const s = devargValue('local', raw);
    if (s === undefined) return;
    oneLineOutcome(() => parseHostPort('net_udp0', 'local', s), [PortError], (hp) => {
      assert.ok(hp.port >= 1 && hp.port <= 65535 && Number.isInteger(hp.port));
      assert.equal(net.isIP(hp.addr), hp.family);
    });
  }), fuzzParams());
});

test('fuzz: integer, choice and flag devargs keep their ranges, or one PortError line', () => {
  const args = fc.tuple(fc.oneof(numberText, hostileText, value), fc.integer({ min: -5, max: 1 << 24 }), fc.nat(1 << 24));
  fc.assert(fc.property(args, ([raw, min, span]) => {
    const v = devargValue('k', raw);
    if (v === undefined) return;
    const m = new Map([['k', v]]);
    oneLineOutcome(() => intArg('dev0', m, 'k', min, min, min + span), [PortError], (n) => {
      assert.ok(Number.isInteger(n) && n >= min && n <= min + span);
    });
    oneLineOutcome(() => enumArg('dev0', m, 'k', 'a', ['a', 'b'] as const), [PortError], (c) => assert.ok(c === 'a' || c === 'b'));
    oneLineOutcome(() => boolArg('dev0', m, 'k', false), [PortError], (b) => assert.equal(b, v === '1'));
  }), fuzzParams());
});

test('fuzz: net_null and net_ring devargs open through the registry and close leaving nothing, or one PortError line', async () => {
  // Memory-only drivers: the whole open path runs, with a real pool.
  const pool = Mempool.create({ n: 64, cacheSize: 0 });
  const arb = fc.oneof(forDriver('net_null', [], ['size', 'copy', 'qpairs']), forDriver('net_ring', [], ['size', 'peer']));
  await fc.assert(fc.asyncProperty(arb, async (s) => {
    await oneLineOutcomeAsync(() => openPort(s, { id: 0, pool }), [PortError], (port) => {
      assert.ok(port.nbQueues >= 1 && port.mac.length === 6);
      port.close();
    });
    // Closed or never opened: the device name is free again and no mbuf is held.
    assert.equal(pool.availCount(), pool.n);
  }), fuzzParamsAsync());
});

// Crashers the fuzzer found, kept as fixed cases.
test('fixed: a devarg with a blank key is refused', () => {
  assert.throws(() => parseDevargs('net_null0, =1'), { constructor: PortError, message: "net_null0: bad devarg ' =1' (expected key=value)" });
});

test('fixed: a line break in devargs gives one line, escaped', () => {
  assert.throws(() => parseDevargs('net_af_packet0,iface=a\nb'), { constructor: PortError, message: "devargs 'net_af_packet0,iface=a\\nb' contain a control character" });
});
