#!/usr/bin/env node
// `npm test`: compile, then run every dist/test/**/*.test.js with Node's test
// runner, one file at a time (stress and namespace tests want the CPUs to
// themselves). The runner's summary is the last thing printed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc', { paths: [root] }), '-p', root], { stdio: 'inherit' });
if (tsc.status !== 0) process.exit(tsc.status || 1);

function find(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? find(p) : e.name.endsWith('.test.js') ? [p] : [];
  });
}
const only = process.argv.slice(2);
const files = find(path.join(root, 'dist', 'test')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
