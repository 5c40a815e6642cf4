// pktgen --engine xdp-live: the frame it repeats, its option checks, and an
// exact count through a veth pair (BPF_PROG_RUN live frames, XDP_TX -> peer).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { PktgenControl } from '../src/apps/pktgen/control';
import { streamBuffers } from '../src/apps/pktgen/stream';
import { xdpLiveFrame } from '../src/apps/pktgen/xdp-live';
import { checksum, onesSum } from '../src/net/checksum';
import { xdpgenClose, xdpgenOpen } from '../src/native';
import { withNetns } from '../src/topo/netns';
import { setOffloads } from '../src/topo/offload';
import { quietNs } from './helpers/afp-net';
import { TestNet, netSkipReason } from './helpers/testnet';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const skip = netSkipReason();

/** Why the kernel cannot run live XDP frames (probe on lo, which sends nothing), or undefined. */
function liveFramesMissing(): string | undefined {
  const f = new Uint8Array(60);
  f[12] = 0x08;
  const h = xdpgenOpen(1, f);
  if (h >= 0) { xdpgenClose(h); return undefined; }
  const e = -h;
  if (e === os.constants.errno.EINVAL || e === os.constants.errno.EOPNOTSUPP || e === 524) return `errno ${e}`;
  throw new Error(`xdpgen probe on lo failed with errno ${e}`);
}

test('xdp-live frame: the configured addresses, valid IPv4 and UDP checksums', () => {
  const bufs = streamBuffers(1);
  const ctl = new PktgenControl(bufs, 1, [Uint8Array.of(2, 0, 0, 0, 0, 1)], 10e9);
  ctl.setSize(0, 128);
  ctl.setIp(0, 'src', '192.168.1.7');
  ctl.setMac(0, 'dst', '02:00:00:00:00:09');
  ctl.setPort(0, 'dst', 4789);
  const f = xdpLiveFrame(new Float64Array(bufs.config), 0);
  assert.equal(f.length, 124);
  assert.deepEqual([...f.subarray(0, 12)], [2, 0, 0, 0, 0, 9, 2, 0, 0, 0, 0, 1]);
  assert.deepEqual([...f.subarray(26, 30)], [192, 168, 1, 7]);
  assert.equal((f[36] << 8) | f[37], 4789);
  assert.equal(checksum(f, 14, 20), 0, 'IPv4 header checksum');
  const udpLen = f.length - 34;
  const pseudo = onesSum(f, 26, 8) + 17 + udpLen;
  assert.equal(checksum(f, 34, udpLen, pseudo), 0, 'UDP checksum');
});

test('xdp-live: options it cannot honour are usage errors', () => {
  const run = (...a: string[]) => spawnSync(process.execPath, [BIN, 'pktgen', '-l', '0', ...a], { encoding: 'utf8', timeout: 30_000 });
  const r1 = run('--vdev', 'net_af_packet0,iface=lo', '--', '--engine', 'xdp-live', '--rate', '1000', '--size', '64-128');
  assert.equal(r1.status, 2);
  assert.match(r1.stderr, /--engine xdp-live sends one fixed frame flat out; it does not take --rate, --size MIN-MAX/);
  const r2 = run('--vdev', 'net_af_packet0,iface=lo', '--vdev', 'net_null0', '--', '--engine', 'xdp-live');
  assert.equal(r2.status, 2);
  assert.match(r2.stderr, /exactly one --vdev/);
  const r3 = run('--vdev', 'net_null0', '--', '--engine', 'xdp-live');
  assert.equal(r3.status, 2);
  assert.match(r3.stderr, /needs a net_af_packet port with iface=IF/);
  const r4 = run('--vdev', 'net_null0', '--', '--engine', 'warp');
  assert.equal(r4.status, 2);
  assert.match(r4.stderr, /--engine must be lcore or xdp-live/);
});

// 1000 is less than the frames the calling thread leaves to the twin (XDPGEN_KEEP in xdp_gen.c):
// the twin alone sends them, and close must still wait for every one.
for (const [i, N] of [1_000_000, 1000].entries()) test(`xdp-live: --count ${N} over a veth pair arrives exactly at the peer`, { skip, timeout: 60_000 }, () => {
  const missing = liveFramesMissing();
  const tn = new TestNet(`xg${i}`);
  try {
    const nsG = quietNs(tn, 'G');
    const nsS = quietNs(tn, 'S');
    const g0 = `${tn.prefix}g0`;
    const s0 = `${tn.prefix}s0`;
    tn.veth(g0, nsG, s0, nsS);
    // XDP_TX on a veth goes into the peer's XDP ring, which only a NAPI instance drains.
    withNetns(nsG, () => setOffloads(g0, { gro: 'on' }));
    withNetns(nsS, () => setOffloads(s0, { gro: 'on' }));
    const rx0 = tn.counter(nsS, s0, 'rx_packets');
    const t0 = Date.now();
    const r = spawnSync('ip', ['netns', 'exec', nsG, process.execPath, BIN, 'pktgen', '-l', '0', '--vdev', `net_af_packet0,iface=${g0}`, '--',
      '--engine', 'xdp-live', '--size', '64', '--count', String(N), '--stats-json', '-T', '0'], { encoding: 'utf8', timeout: 45_000 });
    const secs = (Date.now() - t0) / 1000;
    if (missing) {
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, /needs kernel >= 5\.18 for BPF_F_TEST_XDP_LIVE_FRAMES|does not support live XDP frames/);
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    const f = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.equal(f.msg, 'final');
    assert.equal(f.ok, true);
    assert.equal(f.ports[0].opackets, N);
    assert.equal(f.ports[0].obytes, N * 60);
    // Exact: each batch is flushed into the peer's 256-slot ring and the peer's
    // NAPI drains it on the same CPU before the next batch (batch 64 < 256).
    // The quiet namespaces send nothing else (no IPv6, so no ND/MLD).
    const rx = tn.counter(nsS, s0, 'rx_packets') - rx0;
    assert.equal(rx, N, `peer received ${rx} of ${N}`);
    assert.equal(f.ifTxPackets, N);
    process.stdout.write(`# xdp-live: ${N} frames in ${f.seconds} s in pktgen (${(N / f.seconds / 1e6).toFixed(2)} Mpps incl. lcore start), ${secs.toFixed(2)} s wall\n`);
  } finally {
    tn.destroy();
  }
});
