// Spec files: JSON and YAML give the same spec, the YAML example equals the
// gen-fwd-sink preset, and bad files fail with one line naming the file.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PRESETS } from '../src/topo/spec';
import { loadSpecFile } from '../src/topo/spec-file';

const root = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-spec-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const write = (name: string, text: string): string => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};

test('the YAML example validates and equals the gen-fwd-sink preset', () => {
  assert.deepEqual(loadSpecFile(path.join(root, 'examples', 'topo-gen-fwd-sink.yaml')), PRESETS['gen-fwd-sink']);
});

test('JSON, YAML and extension-less files give the same spec', () => {
  const pair = PRESETS.pair;
  assert.deepEqual(loadSpecFile(write('p.json', JSON.stringify(pair))), pair);
  assert.deepEqual(loadSpecFile(write('p.yml', JSON.stringify(pair))), pair); // JSON is YAML too
  assert.deepEqual(loadSpecFile(write('p-json', JSON.stringify(pair))), pair);
  const yaml = 'name: pair\nnamespaces: [a, b]\nlinks:\n  - a: { ns: a, name: veth0, mac: "02:00:00:00:01:00", addr: 10.201.0.1/24 }\n'
    + '    b: { ns: b, name: veth1, mac: "02:00:00:00:01:01", addr: 10.201.0.2/24 }\n';
  assert.deepEqual(loadSpecFile(write('p-yaml', yaml)), pair);
  assert.deepEqual(loadSpecFile(write('p.yaml', yaml)), pair);
});

test('bad spec files fail with one line naming the file', () => {
  const miss = path.join(tmp, 'missing.yaml');
  assert.throws(() => loadSpecFile(miss), { message: `cannot read spec file '${miss}'` });
  const badYaml = write('bad.yaml', 'name: [unclosed\n');
  assert.throws(() => loadSpecFile(badYaml), (e: Error) => e.message.startsWith(`${badYaml}: YAML: `) && !e.message.includes('\n'));
  const badJson = write('bad.json', '{"name": ');
  assert.throws(() => loadSpecFile(badJson), (e: Error) => e.message.startsWith(`${badJson}: `) && !e.message.includes('\n'));
  const invalid = write('inv.yaml', 'name: x\nnamespaces: [a]\nlinks:\n  - a: { ns: z, name: e0 }\n    b: { ns: a, name: e1 }\n');
  assert.throws(() => loadSpecFile(invalid), { message: `${invalid}: topology 'x': link 0: namespace 'z' is not in namespaces` });
});
