// The skip helper for optional outside programs: one line naming the
// apt-get install without CI; a failure under CI=true, where .ci/run
// installs every optional peer.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { needTool } from './helpers/need';

test('a missing tool is a one-line skip naming its apt-get install; under CI=true it fails', (t) => {
  const ci = process.env.CI;
  t.after(() => { if (ci === undefined) delete process.env.CI; else process.env.CI = ci; });
  delete process.env.CI;
  assert.equal(needTool('tsfwd-no-such-tool', 'netsniff-ng'), 'needs tsfwd-no-such-tool (apt-get install -y netsniff-ng)');
  assert.equal(needTool('tsfwd-no-such-tool'), 'needs tsfwd-no-such-tool (apt-get install -y tsfwd-no-such-tool)');
  assert.equal(needTool('node'), undefined);
  process.env.CI = 'true';
  assert.throws(() => needTool('tsfwd-no-such-tool', 'netsniff-ng'),
    /^Error: tests must run under CI=true but this one needs tsfwd-no-such-tool \(apt-get install -y netsniff-ng\)$/);
  assert.equal(needTool('node'), undefined);
});
