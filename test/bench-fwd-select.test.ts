// `npm run bench -- fwd --rows ... --sizes ...` runs a subset of fwd's cells, so
// more passes of the rows that decide a ratio fit in the same time.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fwdForwarders, selectRows, sizesFor } from '../bench/fwd.bench';
import { XDP_LIVE, trafgen } from '../bench/contenders';
import { RING_CEILING } from '../bench/cells';
import { UsageError } from '../src/eal/corelist';

test('selectRows: the named rows in the order every pass runs them; no names = every row; an unknown name is a usage error', () => {
  const all = fwdForwarders();
  assert.deepEqual(selectRows(all, ['testpmd net_af_packet mac', 'tsfwd l2fwd mmap']).map((f) => f.name),
    ['tsfwd l2fwd mmap', 'testpmd net_af_packet mac']);
  assert.deepEqual(selectRows(all, undefined).map((f) => f.name), all.map((f) => f.name));
  assert.equal(all.length, 11);
  assert.equal(all[0].name, RING_CEILING, 'the ceiling runs first in a pass, next to the rows it bounds');
  assert.throws(() => selectRows(all, ['tsfwd l2fwd']), (e: Error) => e instanceof UsageError && /no fwd row 'tsfwd l2fwd'/.test(e.message),
    'a prefix of a row name is not a row');
});

test('sizesFor: --sizes keeps a generator\'s own sizes that were named; trafgen (64 B only) sits out --sizes 512,1514', () => {
  assert.deepEqual(sizesFor(XDP_LIVE, undefined), [64, 512, 1514]);
  assert.deepEqual(sizesFor(XDP_LIVE, [1514, 64]), [64, 1514]);
  assert.deepEqual(sizesFor(trafgen(), undefined), [64]);
  assert.deepEqual(sizesFor(trafgen(), [512, 1514]), []);
  assert.deepEqual(sizesFor(trafgen(), [64]), [64]);
});
