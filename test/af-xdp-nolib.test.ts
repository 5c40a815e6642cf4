// A shim built without libxdp/libbpf (as on a machine without libxdp-dev and
// libbpf-dev): net_af_xdp fails with one line naming the packages, and the
// rest of tsfwd still runs. The stub build goes to a temporary directory.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const BIN = path.join(root, 'bin', 'tsfwd.js');

test('without libxdp/libbpf: net_af_xdp names the packages, everything else runs', { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsfwd-nolib-'));
  try {
    fs.cpSync(path.join(root, 'native-shims'), dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}build`) });
    const gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
    const prefix = path.dirname(path.dirname(process.execPath));
    const nodedir = process.env.npm_config_nodedir || (fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : '');
    const b = spawnSync(process.execPath, [gyp, 'rebuild', '--directory', dir, '--have_xsk=0', ...(nodedir ? [`--nodedir=${nodedir}`] : []), '--silent'],
      { encoding: 'utf8', timeout: 170_000 });
    assert.equal(b.status, 0, b.stderr);
    const env = { ...process.env, TSFWD_NATIVE_SHIM: path.join(dir, 'build', 'Release', 'tsfwd_shim.node') };
    const r = spawnSync(process.execPath, [BIN, 'l2fwd', '-l', '0', '--vdev', 'net_af_xdp0,iface=lo', '--vdev', 'net_null1', '--', '-p', '0x3', '-q', '2'],
      { encoding: 'utf8', env, timeout: 30_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim(), 'tsfwd: net_af_xdp0: tsfwd was built without AF_XDP support; install libxdp and libbpf ' +
      '(apt-get install -y libxdp-dev libbpf-dev) and rebuild (npm run build:native)');
    const ok = spawnSync(process.execPath, [BIN, 'l2fwd', '-l', '0', '--vdev', 'net_null0', '--vdev', 'net_null1', '--', '-p', '0x3', '-q', '2', '--duration', '1', '-T', '0'],
      { encoding: 'utf8', env, timeout: 30_000 });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /Total packets received/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
