// A command-shaped run whose lcore never stops, watched by RunWatch exactly as
// the tsfwd commands watch theirs: for the forced-exit test (a second signal).
import * as path from 'node:path';
import { LcoreGroup } from '../../src/eal/launch';
import { RunWatch } from '../../src/cli/watch';

const counters = new SharedArrayBuffer(8);
const c = new Float64Array(counters);
const group = LcoreGroup.launch({
  lcores: [0], pin: false, config: { counters },
  app: { module: path.join(__dirname, 'lcore-app.js'), export: 'stubborn' },
});
const watch = new RunWatch(group, { report: () => [`iterations so far: ${c[0] > 0 ? 'some' : 'none'}`] }, () => {
  process.stderr.write('stopping\n');
  watch.release();
  group.stop();
});
process.stderr.write('ready\n');
void watch.finished.then(() => { process.stderr.write('lcores finished (unexpected)\n'); process.exitCode = 3; });
