// `npm run bench -- fwd --rows ... --sizes ...` runs a subset of fwd's cells, so
// more passes of the rows that decide a ratio fit in the same time.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { fwdForwarders, selectRows } from '../bench/fwd.bench';
import { UsageError } from '../src/eal/corelist';

test('selectRows: the named rows in the order every pass runs them; no names = every row; an unknown name is a usage error', () => {
  const all = fwdForwarders();
  assert.deepEqual(selectRows(all, ['testpmd net_af_packet mac', 'tsfwd l2fwd mmap']).map((f) => f.name),
    ['tsfwd l2fwd mmap', 'testpmd net_af_packet mac']);
  assert.deepEqual(selectRows(all, undefined).map((f) => f.name), all.map((f) => f.name));
  assert.equal(all.length, 9);
  assert.throws(() => selectRows(all, ['tsfwd l2fwd']), (e: Error) => e instanceof UsageError && /no fwd row 'tsfwd l2fwd'/.test(e.message),
    'a prefix of a row name is not a row');
});
