// Per-command help: `tsfwd CMD --help` (or -h, in the EAL or the application
// part) prints that command's usage on stdout and exits 0, and the usage names
// every option the command's parser accepts. The options are read from the
// parsers' source, so an option added without a help line fails here.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'tsfwd.js');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });

/** Option literals a parser compares against: `case '--x'`, `k === '-x'`, and entries of `new Set([...])`. */
function parserOptions(file: string): string[] {
  const src = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const opts = new Set<string>();
  for (const m of src.matchAll(/(?:case |[\w.]+ === )'(-{1,2}[A-Za-z][\w-]*)'/g)) opts.add(m[1]);
  for (const set of src.matchAll(/new Set\(\[([^\]]*)\]\)/g)) for (const m of set[1].matchAll(/'(-{1,2}[A-Za-z][\w-]*)'/g)) opts.add(m[1]);
  assert.ok(opts.size > 0, `no options found in ${file}`);
  return [...opts];
}

/** parseL2fwdOptions' options that l2fwd refuses (`if (!pipeline) throw`): in pipeline's usage only. */
function pipelineOnly(): string[] {
  const src = fs.readFileSync(path.join(ROOT, 'src/apps/l2fwd/options.ts'), 'utf8');
  return [...src.matchAll(/case '(-{1,2}[\w-]+)':\s*\{?\s*if \(!pipeline\)/g)].map((m) => m[1]);
}

const EAL = 'src/eal/options.ts';
const COMMANDS: [cmd: string, parsers: string[]][] = [
  ['l2fwd', [EAL, 'src/apps/l2fwd/options.ts']],
  ['pipeline', [EAL, 'src/apps/l2fwd/options.ts']],
  ['pktgen', [EAL, 'src/cli/pktgen.ts']],
  ['sink', [EAL, 'src/cli/sink.ts']],
  ['rfc2544', [EAL, 'src/apps/rfc2544/options.ts']],
  ['topo', ['src/cli/topo.ts']],
  ['demo', ['src/cli/demo.ts']],
  ['bench', ['bench/run.ts']],
];

const mentions = (text: string, opt: string): boolean =>
  new RegExp(`(^|[\\s,[])${opt.replace(/[-]/g, '\\-')}(?=[\\s=,\\]|]|$)`, 'm').test(text);

for (const [cmd, parsers] of COMMANDS) {
  test(`tsfwd ${cmd} --help prints its usage, exit 0, naming every option its parser accepts`, () => {
    const r = run(cmd, '--help');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^Usage: tsfwd ${cmd} `));
    assert.match(r.stdout, /\nExamples:\n {2}\S/);
    const opts = parsers.flatMap(parserOptions).filter((o) => cmd !== 'l2fwd' || !pipelineOnly().includes(o));
    for (const o of opts) assert.ok(mentions(r.stdout, o), `tsfwd ${cmd} --help does not mention ${o}`);
    // Every option line has a description, and -h prints the same.
    for (const l of r.stdout.split('\n').filter((x) => /^ {2}-/.test(x) && x.length < 32)) assert.fail(`option line without text: '${l}'`);
    assert.equal(run(cmd, '-h').stdout, r.stdout);
    assert.equal(run('help', cmd).stdout, r.stdout);
  });
}

test('-h or --help anywhere in the EAL or application part prints the usage, runs nothing', () => {
  const usage = run('l2fwd', '--help').stdout;
  for (const args of [['-l', '0', '-h', '--vdev', 'net_null0'], ['-l', '0', '--vdev', 'net_null0', '--', '-p', '0x1', '--help'], ['--bogus', '-h']]) {
    const r = run('l2fwd', ...args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, usage, args.join(' '));
  }
  const p = run('pipeline', '-l', '0-1', '--', '-p', '0x3', '-h');
  assert.equal(p.status, 0);
  assert.match(p.stdout, /^Usage: tsfwd pipeline /);
  assert.match(p.stdout, /--ring-size N/);
  assert.deepEqual(pipelineOnly().sort(), ['--ring-size', '--rx-lcores']);
  for (const o of pipelineOnly()) assert.ok(!usage.includes(o), `${o} is a pipeline option, not in l2fwd's usage`);
});

test('tsfwd --help lists every command with its synopsis; help NAME for an unknown command is one line, exit 2', () => {
  const r = run('--help');
  assert.equal(r.status, 0);
  for (const [cmd] of COMMANDS) assert.match(r.stdout, new RegExp(`^ {2}${cmd} `, 'm'));
  assert.match(r.stdout, /tsfwd <command> --help/);
  const bad = run('help', 'nope');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "tsfwd: help: unknown command 'nope' (commands: l2fwd, pipeline, pktgen, sink, rfc2544, topo, demo, bench)\n");
});
