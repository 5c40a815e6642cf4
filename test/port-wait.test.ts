// EAL --port-wait (issue 16): ports named by interface wait for it to appear,
// as a pod's Multus interfaces may come up after the container started.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { parseEal } from '../src/eal/options';
import { getAffinity } from '../src/native';
import { quietNs } from './helpers/afp-net';
import { BIN, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { TestNet, netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const CPU = String(getAffinity()[0]);

test('--port-wait takes 0..3600 seconds, default 0; anything else is one usage line', () => {
  assert.equal(parseEal([], 'l2fwd').portWait, 0);
  assert.equal(parseEal(['--port-wait', '30'], 'l2fwd').portWait, 30);
  for (const bad of ['-1', '3601', 'x', '1.5']) assert.throws(() => parseEal(['--port-wait', bad], 'l2fwd'), /--port-wait/);
});

/** Runs tsfwd in `ns` to its exit: code, stderr, milliseconds. */
function runIn(ns: string, args: string[]): Promise<{ code: number | null; err: string; ms: number }> {
  const t0 = Date.now();
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const kill = setTimeout(() => p.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => p.on('exit', (code) => { clearTimeout(kill); resolve({ code, err, ms: Date.now() - t0 }); }));
}

test('an interface that never comes: --port-wait 0 fails at once, --port-wait 2 after ~2 s, each one line naming it, exit 2', { skip, timeout: 60_000 }, async () => {
  const tn = new TestNet('pw');
  try {
    const ns = quietNs(tn, 'f');
    for (const [wait, min, max] of [['0', 0, 1500], ['2', 2000, 8000]] as const) {
      const r = await runIn(ns, ['l2fwd', '-l', CPU, '--port-wait', wait, '--vdev', 'net_af_packet0,iface=net1', '--', '-p', '0x1', '-T', '0']);
      assert.equal(r.code, 2, r.err);
      const lines = r.err.trim().split('\n');
      assert.equal(lines[lines.length - 1], wait === '0' ? "tsfwd: net_af_packet0: interface 'net1' does not exist"
        : "tsfwd: net_af_packet0: interface 'net1' does not exist (waited 2 s, --port-wait)");
      if (wait !== '0') assert.deepEqual(lines.slice(0, -1), ['waiting up to 2 s for interface net1 (--port-wait)']);
      else assert.equal(lines.length, 1);
      assert.ok(r.ms >= min && r.ms < max, `--port-wait ${wait} ended after ${r.ms} ms`);
    }
  } finally {
    tn.destroy();
  }
});

test('interfaces that appear during --port-wait: l2fwd opens them once both exist and forwards; SIGINT exits 0', { skip, timeout: 60_000 }, async () => {
  const tn = new TestNet('pa');
  try {
    const f = quietNs(tn, 'f');
    const w = quietNs(tn, 'w');
    tn.veth('net2', f, 'w2', w);
    const run = await startCli(f, ['l2fwd', '-l', CPU, '--port-wait', '20', '--vdev', 'net_af_packet0,iface=net1', '--vdev', 'net_af_packet1,iface=net2',
      '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json'], /waiting up to 20 s for interface net1 \(--port-wait\)\n/);
    try {
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(run.proc.exitCode, null, 'still waiting');
      assert.doesNotMatch(run.err(), /Lcore/);
      tn.veth('net1', f, 'w1', w);
      const end = Date.now() + 10_000;
      while (!/RX port 1 TX port 0/.test(run.err())) {
        assert.ok(Date.now() < end && run.proc.exitCode === null, `l2fwd did not start after net1 appeared: ${run.err()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // The plan is printed before the lcores launch and SIGINT's handler is set: let the run start, as the other CLI tests do.
      await new Promise((r) => setTimeout(r, 500));
      const r = await stopCli(run.proc);
      assert.equal(r.code, 0, run.err());
      assert.equal(finalJson<{ ok: boolean }>(run.out()).ok, true);
    } finally {
      if (run.proc.exitCode === null) run.proc.kill('SIGKILL');
    }
  } finally {
    tn.destroy();
  }
});
