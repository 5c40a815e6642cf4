#!/usr/bin/env node
'use strict';
let cli;
try {
  cli = require('../dist/src/cli/main.js');
} catch (e) {
  console.error('tsfwd: not built yet; run `npm install` (builds the native shim and the TypeScript)');
  process.exit(1);
}
cli.main(process.argv.slice(2));
