#!/usr/bin/env node
// `npm run soak` (root): the long reliability runs. Compiles, then
//   soak:   SOAK_SECONDS (default 60) of xdp-live overload through l2fwd and
//           through pipeline on net_af_xdp (test/helpers/soak-run.ts);
//   volume: VOLUME_FRAMES (default 10^8) frames through l2fwd on net_null and
//           net_ring with exact counts (test/helpers/soak-volume.ts).
// Prints one summary line per run; exits 1 if any check failed.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
function count(name, def, min) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min) {
    process.stderr.write(`soak: ${name}=${v} must be an integer >= ${min}\n`);
    process.exit(2);
  }
  return n;
}
const seconds = count('SOAK_SECONDS', 60, 1);
const frames = count('VOLUME_FRAMES', 100_000_000, 1);
if (process.getuid() !== 0) {
  process.stderr.write('soak: needs root (network namespaces, AF_XDP, BPF_PROG_RUN); run it with sudo\n');
  process.exit(2);
}
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', root], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status || 1);

const { xskAvailable } = require(path.join(root, 'dist/src/native'));
const { runSoak } = require(path.join(root, 'dist/test/helpers/soak-run'));
const { runVolume } = require(path.join(root, 'dist/test/helpers/soak-volume'));
if (!xskAvailable()) {
  process.stderr.write('soak: tsfwd was built without AF_XDP (apt-get install -y libxdp-dev libbpf-dev, then npm run build:native)\n');
  process.exit(2);
}

(async () => {
  const log = (l) => process.stderr.write(`${l}\n`);
  let failed = 0;
  for (const app of ['l2fwd', 'pipeline']) {
    const r = await runSoak({ app, seconds, log });
    console.log(r.summary);
    if (r.problems.length) failed++;
  }
  const v = await runVolume(frames);
  console.log(v.summary);
  if (v.problems.length) failed++;
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  process.stderr.write(`soak: ${e.message}\n`);
  process.exit(1);
});
