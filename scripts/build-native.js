#!/usr/bin/env node
// Builds native-shims/ with node-gyp against the headers that ship with this
// Node (Debian/NodeSource put them in <prefix>/include/node), so the build
// never downloads headers: only the npm and Debian registries are reachable.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = ['rebuild', '--directory', path.join(root, 'native-shims')];
const prefix = path.dirname(path.dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir ||
  (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : '');
if (nodedir) args.push(`--nodedir=${nodedir}`);
let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
} catch {
  console.error('tsfwd: node-gyp is missing; run `npm install` first');
  process.exit(1);
}
const r = spawnSync(process.execPath, [gyp, ...args, '--silent'], { stdio: 'inherit' });
if (r.status !== 0) {
  console.error('tsfwd: native shim build failed (needs python3, make and g++)');
  process.exit(r.status || 1);
}
