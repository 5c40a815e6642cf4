// Every run ends: a second signal forces the exit, a metrics port in use or a
// worker that cannot start leaves nothing running (issue 11, defect 3); the
// double SIGINT of coreutils `timeout` is one stop request.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { getAffinity } from '../src/native';

const BIN = path.resolve(__dirname, '..', '..', 'bin', 'tsfwd.js');
const cpus = getAffinity();
const NULL2 = ['--vdev', 'net_null0', '--vdev', 'net_null1'];

function startStubborn(signal: NodeJS.Signals): Promise<{ code: number | null; err: string; msAfterSecond: number }> {
  const proc = spawn(process.execPath, [path.join(__dirname, 'helpers', 'stubborn-run.js')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  let second = 0;
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  return new Promise((resolve, reject) => {
    const kill = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`no exit: ${err}`)); }, 15_000);
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (err === 'ready\n') proc.kill(signal);
      else if (err.endsWith('stopping\n') && second === 0) {
        // The stop hangs (the lcore never looks at the flag): a second signal forces it.
        setTimeout(() => { second = Date.now(); proc.kill(signal); }, 300);
      }
    });
    proc.on('exit', (code) => { clearTimeout(kill); resolve({ code, err: out + err, msAfterSecond: second ? Date.now() - second : -1 }); });
  });
}

for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`a second ${sig} forces the exit within 1 s: what is known, "accounting check skipped", exit ${code}`, async () => {
    const r = await startStubborn(sig);
    assert.equal(r.code, code, r.err);
    assert.ok(r.msAfterSecond >= 0 && r.msAfterSecond < 1000, `exited ${r.msAfterSecond} ms after the second signal`);
    assert.match(r.err, /iterations so far: some/);
    assert.match(r.err, new RegExp(`tsfwd: second ${sig}: exiting without waiting for the lcores; accounting check skipped`));
    assert.doesNotMatch(r.err, /unexpected/);
  });
}

test('l2fwd: a worker that cannot start stops the ones already running before the ports close; one line, exit 1',
  { skip: cpus.length < 2 ? 'needs 2 CPUs' : false }, () => {
  const r = spawnSync(process.execPath, [BIN, 'l2fwd', '-l', `${cpus[0]},${cpus[1]}`, ...NULL2, '--', '-p', '0x3', '-T', '0', '--duration', '5', '--stats-json'],
    { encoding: 'utf8', timeout: 30_000, env: { ...process.env, TSFWD_FAULT_WORKER: '1' } });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`^tsfwd: lcore ${cpus[1]} failed: cannot start its thread: injected fault \\(TSFWD_FAULT_WORKER\\)$`, 'm'));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  // The lcore that did start ran, stopped, and every mbuf came back before the ports closed.
  const final = JSON.parse(r.stdout.trim().split('\n').pop()!) as { msg: string; ok: boolean; mempool: { inUse: number } };
  assert.equal(final.msg, 'final');
  assert.equal(final.ok, false);
  assert.equal(final.mempool.inUse, 0);
});

test('two SIGINTs 20 ms apart (coreutils `timeout -s INT` signals the command, then its process group) are one stop: final stats, exit 0', async () => {
  const proc = spawn(process.execPath, [BIN, 'l2fwd', '-l', String(cpus[0]), ...NULL2, '--', '-p', '0x3', '-q', '2', '-T', '0', '--stats-json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.stderr.on('data', (d: Buffer) => {
      const first = !/Lcore \d+: RX port/.test(err);
      err += d.toString();
      if (first && /Lcore \d+: RX port/.test(err)) {
        setTimeout(() => { proc.kill('SIGINT'); setTimeout(() => proc.kill('SIGINT'), 20); }, 300);
      }
    });
    proc.on('exit', (c) => { clearTimeout(kill); resolve(c); });
  });
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /second SIGINT/);
  const final = JSON.parse(out.trim().split('\n').pop()!) as { msg: string; ok: boolean; mempool: { inUse: number } };
  assert.equal(final.msg, 'final');
  assert.equal(final.ok, true);
  assert.equal(final.mempool.inUse, 0);
});
