// Skipping tests that need an optional outside program or library: one line
// naming the `apt-get install` that enables them; under CI=true (.ci/run
// installs every one of them) a missing one fails the run instead.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `reason` as a skip reason, or thrown under CI=true, where every optional peer must be present. */
export function optionalSkip(reason: string): string {
  if (process.env.CI === 'true') throw new Error(`tests must run under CI=true but this one ${reason}`);
  return reason;
}

/** Skip reason if `tool` is not on PATH: "needs tcpdump (apt-get install -y tcpdump)". */
export function needTool(tool: string, pkg: string = tool): string | undefined {
  // ENOENT is the only answer that means "not installed": some tools exit
  // non-zero for a version flag.
  const r = spawnSync(tool, ['--version'], { stdio: 'ignore', timeout: 10_000 });
  if ((r.error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') return undefined;
  return optionalSkip(`needs ${tool} (apt-get install -y ${pkg})`);
}

/**
 * A directory holding links to just `tools` (found on the current PATH), to
 * use as PATH: proves a command needs nothing else, e.g. no `ethtool`.
 */
export function pathWithOnly(dir: string, tools: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const t of tools) {
    const at = (process.env.PATH ?? '').split(':').map((d) => path.join(d, t)).find((f) => fs.existsSync(f));
    if (!at) throw new Error(`${t} is not on PATH`);
    fs.rmSync(path.join(dir, t), { force: true });
    fs.symlinkSync(at, path.join(dir, t));
  }
  return dir;
}
