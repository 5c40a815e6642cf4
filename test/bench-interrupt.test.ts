// `npm run bench` interrupted with Ctrl-C: every child it started (generator,
// forwarder) stops and its namespaces are removed at once, not when the
// children's own timeouts run out (issue 11, defect 3).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { xskSkipReason } from './helpers/testnet';

const RUN = path.resolve(__dirname, '..', 'bench', 'run.js');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Live descendants of `root`, from /proc's parent links. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z') parent.set(Number(d), Number(f[1]));
    } catch { /* exited meanwhile */ }
  }
  const out: number[] = [];
  const walk = (p: number): void => { for (const [c, pp] of parent) if (pp === p) { out.push(c); walk(c); } };
  walk(root);
  return out;
}

const alive = (pid: number): boolean => {
  try {
    return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

test('bench interrupted with SIGINT: its generator and forwarder stop and its namespaces go, exit 130', { skip: xskSkipReason() }, async () => {
  const proc = spawn(process.execPath, [RUN, 'gc', '--runs', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
  const prefix = `tsfwdb${proc.pid}`;
  let kids: number[] = [];
  try {
    // Wait for the generator and the forwarder: two tsfwd node processes under the bench.
    const end = Date.now() + 30_000;
    for (;;) {
      kids = descendants(proc.pid!);
      const tsfwds = kids.filter((k) => { try { return fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('tsfwd.js'); } catch { return false; } });
      if (tsfwds.length >= 2) break;
      assert.ok(Date.now() < end, `the bench did not start its generator and forwarder: ${err}`);
      assert.ok(proc.exitCode === null, `the bench exited early: ${err}`);
      await sleep(100);
    }
    assert.match(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(`${prefix}-g-fwd`));
    const t0 = Date.now();
    proc.kill('SIGINT');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout' as const)]);
    assert.equal(code, 130, err);
    assert.ok(Date.now() - t0 < 5000, `bench exited ${Date.now() - t0} ms after SIGINT`);
    assert.match(err, /bench: interrupted by SIGINT: stopped its processes and removed its namespaces/);
    await sleep(200);
    assert.deepEqual(kids.filter(alive), [], 'no child of the bench is left running');
    assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(prefix), 'no namespace left');
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    for (const k of kids) if (alive(k)) try { process.kill(k, 'SIGKILL'); } catch { /* gone */ }
    for (const ns of spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n')) {
      const name = ns.split(' ')[0];
      if (name.startsWith(prefix)) spawnSync('ip', ['netns', 'del', name]);
    }
  }
});
