// /healthz and /readyz beside /metrics (issue 16): the probe answers follow the
// run's state. Unit part: RunHealth over a stand-in lcore group. Netns part:
// l2fwd on a gen-fwd-sink veth topology turns ready only once its lcores run,
// not ready while a port's link has no carrier or is down, ready again when
// it comes back, and SIGTERM still ends the run with its final stats, exit 0.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { RunHealth } from '../src/cli/health';
import { LinkWatch } from '../src/cli/link-watch';
import { CTL_STATE, LcoreState, controlBytesFor, lcoreWord } from '../src/eal/control';
import type { LcoreGroup } from '../src/eal/launch';
import { getAffinity } from '../src/native';
import { serveMetrics } from '../src/stats/metrics';
import type { Snapshot } from '../src/stats/snapshot';
import { genFwdSink } from './helpers/afp-net';
import { finalJson, startCli } from './helpers/cli-proc';
import { netSkipReason } from './helpers/testnet';

const skip = netSkipReason();
const cpus = getAffinity();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('RunHealth: not ready before launch, while lcores start, or once one failed or left; ready when all run; neither once stopping', () => {
  const h = new RunHealth(new LinkWatch([], [], () => {}));
  assert.equal(h.live(), undefined);
  assert.equal(h.ready(), 'lcores not launched yet');
  const control = new Int32Array(new SharedArrayBuffer(controlBytesFor(2)));
  let running = 1;
  h.launched({ lcores: [0, 1], control, running: () => running } as unknown as LcoreGroup);
  assert.equal(h.ready(), 'lcores starting: 1 of 2 running');
  running = 2;
  control[lcoreWord(0, CTL_STATE)] = LcoreState.Running;
  control[lcoreWord(1, CTL_STATE)] = LcoreState.Running;
  assert.equal(h.ready(), undefined);
  control[lcoreWord(1, CTL_STATE)] = LcoreState.Failed;
  assert.equal(h.ready(), 'lcore 1 failed');
  control[lcoreWord(1, CTL_STATE)] = LcoreState.Done;
  assert.equal(h.ready(), 'lcore 1 left its loop');
  h.stop();
  assert.equal(h.ready(), 'stopping');
  assert.equal(h.live(), 'stopping');
});

test('serveMetrics with a Health: /healthz and /readyz answer 200 ok or 503 and one line; unknown paths 404', async () => {
  let why: string | undefined = 'lcores not launched yet';
  const srv = await serveMetrics('127.0.0.1', 0, () => ({}) as Snapshot, { live: () => undefined, ready: () => why });
  try {
    const base = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const get = async (p: string): Promise<[number, string]> => { const r = await fetch(base + p); return [r.status, await r.text()]; };
    assert.deepEqual(await get('/healthz'), [200, 'ok\n']);
    assert.deepEqual(await get('/readyz'), [503, 'lcores not launched yet\n']);
    why = undefined;
    assert.deepEqual(await get('/readyz'), [200, 'ok\n']);
    assert.deepEqual(await get('/nope'), [404, 'only /metrics, /healthz and /readyz are served\n']);
  } finally {
    srv.close();
  }
});

/** GET http://127.0.0.1:PORT/PATH from inside `ns` (the server listens on the namespace's loopback). */
function probe(ns: string, port: number, p: string): [number, string] {
  const js = `fetch('http://127.0.0.1:${port}${p}').then(async (r) => process.stdout.write(r.status + ' ' + await r.text()), (e) => process.stdout.write('0 ' + e.message + '\\n'))`;
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', js], { encoding: 'utf8', timeout: 30_000 });
  const m = /^(\d+) ([^]*)$/.exec(r.stdout);
  return m ? [Number(m[1]), m[2]] : [0, r.stderr];
}

async function until(ns: string, port: number, p: string, want: number, ms: number): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    const [status, body] = probe(ns, port, p);
    if (status === want) return body;
    assert.ok(Date.now() < end, `${p} stayed ${status} '${body.trim()}', wanted ${want}`);
    await sleep(100);
  }
}

test('l2fwd in a netns: /readyz 200 once the lcores run, 503 naming the port while its link has no carrier or is down, 200 again after; SIGTERM exits 0 with final stats',
  { skip, timeout: 120_000 }, async () => {
    const t = genFwdSink('hz');
    const port = 9100 + (process.pid % 500);
    let fwd: Awaited<ReturnType<typeof startCli>> | undefined;
    try {
      fwd = await startCli(t.f, ['l2fwd', '-l', String(cpus[cpus.length - 1]), '--poll-mode', 'adaptive', '--vdev', 'net_af_packet0,iface=f0',
        '--vdev', 'net_af_packet1,iface=f1', '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json', '--metrics', `127.0.0.1:${port}`], /RX port 1 TX port 0/);
      assert.equal(await until(t.f, port, '/readyz', 200, 15_000), 'ok\n');
      assert.deepEqual(probe(t.f, port, '/healthz'), [200, 'ok\n']);
      t.tn.exec(t.s, ['ip', 'link', 'set', 's0', 'down']); // f1 stays up but loses its carrier
      assert.match(await until(t.f, port, '/readyz', 503, 10_000), /^port 1 \(\S+\): interface f1 has no carrier\n$/);
      t.tn.exec(t.s, ['ip', 'link', 'set', 's0', 'up']);
      await until(t.f, port, '/readyz', 200, 10_000);
      t.tn.exec(t.f, ['ip', 'link', 'set', 'f0', 'down']);
      assert.match(await until(t.f, port, '/readyz', 503, 10_000), /^port 0 \(\S+\): interface f0 is down\n$/);
      assert.deepEqual(probe(t.f, port, '/healthz'), [200, 'ok\n'], 'a link down is not a reason to restart the pod');
      t.tn.exec(t.f, ['ip', 'link', 'set', 'f0', 'up']);
      await until(t.f, port, '/readyz', 200, 10_000);
      const proc = fwd.proc;
      const code = await new Promise<number | null>((resolve) => { proc.removeAllListeners('exit'); proc.on('exit', resolve); proc.kill('SIGTERM'); });
      assert.equal(code, 0, fwd.err());
      const f = finalJson<{ ok: boolean; mempool: { inUse: number } }>(fwd.out());
      assert.equal(f.ok, true);
      assert.equal(f.mempool.inUse, 0);
    } finally {
      if (fwd && fwd.proc.exitCode === null) fwd.proc.kill('SIGKILL');
      t.tn.destroy();
    }
  });
