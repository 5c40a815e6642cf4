// A fresh `npm install`: every dependency whose install script must run (the
// raw-socket addon behind `topo check`) is approved in package.json's
// allowScripts, the field npm 11 reads (`npm install-scripts approve`) and
// npm 12 enforces, so no addon is silently left unbuilt.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const json = <T>(f: string): T => JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')) as T;

test('every locked package with an install script is approved in allowScripts', () => {
  const pkg = json<{ allowScripts?: Record<string, boolean>; engines: { node: string } }>('package.json');
  const lock = json<{ packages: Record<string, { hasInstallScript?: boolean; version?: string }> }>('package-lock.json');
  const withScripts = Object.entries(lock.packages)
    .filter(([k, p]) => k.startsWith('node_modules/') && p.hasInstallScript)
    .map(([k, p]) => ({ name: k.slice(k.lastIndexOf('node_modules/') + 'node_modules/'.length), version: p.version }));
  assert.ok(withScripts.some((p) => p.name === 'raw-socket'), 'raw-socket builds an addon at install');
  const allow = pkg.allowScripts ?? {};
  for (const p of withScripts) {
    assert.ok(allow[p.name] === true || allow[`${p.name}@${p.version}`] === true, `${p.name}'s install script is not approved (npm install-scripts approve ${p.name})`);
  }
  assert.equal(pkg.engines.node, '>=20');
});
