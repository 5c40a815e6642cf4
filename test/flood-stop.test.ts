// Every run ends under a flood (issue 11, defect 3): with xdp-live pushing
// frames far faster than tsfwd takes them, SIGINT stops l2fwd and pipeline
// within a second with balanced books, and the sink ends on --duration,
// --count and SIGINT alike (its final drain is bounded).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { getAffinity } from '../src/native';
import { setOffloads } from '../src/topo/offload';
import { withNetns } from '../src/topo/netns';
import { genFwdSink } from './helpers/afp-net';
import { CliRun, finalJson, startCli, stopCli } from './helpers/cli-proc';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const cpus = getAffinity();
const GEN = String(cpus[0]);
const FWD = String(cpus[cpus.length - 1]);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** gen-fwd-sink with NAPI (GRO) on the receiving ends, so XDP_TX'd frames are delivered; xdp-live out of g0 into `at`. */
async function flood(tag: string, body: (t: ReturnType<typeof genFwdSink>) => Promise<void>): Promise<void> {
  const t = genFwdSink(tag);
  let gen: CliRun | undefined;
  try {
    withNetns(t.f, () => setOffloads('f0', { gro: 'on' }));
    withNetns(t.g, () => setOffloads('g0', { gro: 'on' }));
    gen = await startCli(t.g, ['pktgen', '-l', GEN, '--vdev', 'net_af_packet0,iface=g0', '--', '--engine', 'xdp-live', '--size', '64',
      '--duration', '30', '-T', '0', '--stats-json'], /Lcore \d+: TX port 0/);
    await sleep(300);
    await body(t);
  } finally {
    if (gen && gen.proc.exitCode === null) await stopCli(gen.proc);
    t.tn.destroy();
  }
}

for (const app of ['l2fwd', 'pipeline'] as const) {
  test(`${app} under an xdp-live flood: SIGINT ends it within 1 s, books balanced, every mbuf back`, { skip, timeout: 90_000 }, async () => {
    await flood(app === 'l2fwd' ? 'fl' : 'fp', async (t) => {
      const lcores = app === 'l2fwd' ? FWD : `${GEN},${FWD}`;
      const fwd = await startCli(t.f, [app, '-l', lcores, '--vdev', 'net_af_packet0,iface=f0', '--vdev', 'net_af_packet1,iface=f1', '--',
        '-p', '0x3', '-q', '2', '-T', '0', '--stats-json'], /TX port 0/);
      try {
        await sleep(1500);
        const r = await stopCli(fwd.proc);
        assert.equal(r.code, 0, fwd.err());
        assert.ok(r.ms < 1000, `${app} took ${r.ms} ms to stop under the flood`);
        const f = finalJson<{ ok: boolean; ports: { ipackets: number; dropped: { imissed: number } }[]; mempool: { inUse: number } }>(fwd.out());
        assert.equal(f.ok, true);
        assert.equal(f.mempool.inUse, 0);
        assert.ok(f.ports[0].ipackets > 10_000 && f.ports[0].dropped.imissed > 0, 'it was flooded: frames taken and frames the kernel dropped');
      } finally {
        if (fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
      }
    });
  });
}

test('sink under an xdp-live flood ends on --duration, on --count and on SIGINT, each within a second', { skip, timeout: 90_000 }, async () => {
  await flood('fs', async (t) => {
    // The flood reaches f0: the sink listens there (busy mode too, which never blocks).
    for (const [extra, how] of [[['--duration', '1.5'], 'duration'], [['--count', '100000'], 'count'], [[], 'sigint']] as const) {
      for (const mode of ['interrupt', 'busy']) {
        const t0 = Date.now();
        const sink = await startCli(t.f, ['sink', '-l', FWD, '--poll-mode', mode, '--vdev', 'net_af_packet0,iface=f0', '--', '-T', '0', '--stats-json', ...extra], /sink: /);
        const exited = new Promise<number | null>((resolve) => { if (sink.proc.exitCode !== null) resolve(sink.proc.exitCode); else sink.proc.on('exit', resolve); });
        try {
          let code: number | null;
          if (how === 'sigint') {
            await sleep(1000);
            const r = await stopCli(sink.proc);
            assert.ok(r.ms < 1000, `sink (${mode}) took ${r.ms} ms to stop on SIGINT under the flood`);
            code = r.code;
          } else {
            // xdp-live repeats one pktgen-stamped frame: --count counts those (as duplicates of one sequence number).
            code = await Promise.race([exited, sleep(8000).then(() => -1)]);
            const ms = Date.now() - t0;
            assert.notEqual(code, -1, `sink (${mode}) did not end on --${how} under the flood: ${sink.err()} ${sink.out().slice(-600)}`);
            if (how === 'duration') assert.ok(ms < 4000, `sink (${mode}) --duration 1.5 took ${ms} ms under the flood`);
          }
          assert.equal(code, 0, sink.err());
          const f = finalJson<{ ok: boolean; frames: number }>(sink.out());
          assert.equal(f.ok, true);
          assert.ok(f.frames >= (how === 'count' ? 100_000 : 10_000), `flooded: ${f.frames} frames`);
        } finally {
          if (sink.proc.exitCode === null) sink.proc.kill('SIGKILL');
        }
      }
    }
  });
});
