// The soak proof at CI size: 10 s of xdp-live overload through l2fwd and
// through pipeline on net_af_xdp (gen-fwd-sink). `npm run soak` runs the same
// harness for SOAK_SECONDS (default 60); see test/helpers/soak-run.ts.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { runSoak } from './helpers/soak-run';
import { xskSkipReason } from './helpers/testnet';

const skip = xskSkipReason();
const SECONDS = 10;

for (const app of ['l2fwd', 'pipeline'] as const) {
  test(`soak ${app}: ${SECONDS} s of xdp-live overload, every port balances, sink = sent, mempool full, RSS flat, 0 GCs`, { skip, timeout: 120_000 }, async () => {
    const r = await runSoak({ app, seconds: SECONDS });
    console.log(r.summary);
    assert.deepEqual(r.problems, [], r.summary);
    // The same facts, spelled out (problems already covers them; these fail with the figures).
    const f = r.final!;
    assert.equal(f.mempool.inUse, 0, 'every mbuf back in the pool');
    assert.equal(r.sinkRx, f.ports[1].opackets, 'the sink\'s kernel counter equals tsfwd\'s "sent"');
    assert.ok(r.offered > f.ports[0].ipackets, 'overloaded: xdp-live offered more than tsfwd took');
    assert.ok(r.rssEndKb - r.rssWarmKb < 5 * 1024, `RSS ${r.rssWarmKb} -> ${r.rssEndKb} kB`);
  });
}
