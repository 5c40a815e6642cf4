// Optional comparators of the traffic benchmarks: which are installed, the
// command that installs each, and (as root, before the scenarios run) the
// apt-get call for the missing ones. A comparator that is still missing is
// reported as a skipped row with its install command, never dropped.
import { spawnSync } from 'node:child_process';

export interface Tool { name: string; bin: string; pkg: string; install: string }

// Debian 12 ships dpdk-testpmd and dpdk-test in dpdk-dev (the `dpdk`
// package has only the libraries), trafgen in netsniff-ng.
export const TOOLS: Record<'testpmd' | 'dpdkTest' | 'trafgen' | 'bridge', Tool> = {
  testpmd: { name: 'dpdk-testpmd', bin: 'dpdk-testpmd', pkg: 'dpdk-dev', install: 'apt-get install -y dpdk-dev' },
  dpdkTest: { name: 'dpdk-test', bin: 'dpdk-test', pkg: 'dpdk-dev', install: 'apt-get install -y dpdk-dev' },
  trafgen: { name: 'trafgen', bin: 'trafgen', pkg: 'netsniff-ng', install: 'apt-get install -y netsniff-ng' },
  bridge: { name: 'Linux bridge', bin: 'ip', pkg: 'iproute2', install: 'apt-get install -y iproute2 (and a kernel with CONFIG_BRIDGE)' },
};

export function have(t: Tool): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${t.bin}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

/** The reason a tool cannot be used, as a table cell, or undefined if it is there. */
export function skipReason(t: Tool): string | undefined {
  return have(t) ? undefined : `skipped: ${t.name} not installed (install with \`${t.install}\`)`;
}

/** As root: apt-get installs the packages of missing tools (update first if a plain install fails). */
export function installMissing(tools: Tool[], log: (l: string) => void): void {
  if (process.getuid?.() !== 0) return;
  const pkgs = [...new Set(tools.filter((t) => !have(t)).map((t) => t.pkg))];
  if (pkgs.length === 0) return;
  log(`bench: installing missing comparators: apt-get install -y --no-install-recommends ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null => spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env, timeout: 600_000 }).status;
  if (install() !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300_000 });
    if (install() !== 0) log(`bench: apt-get could not install ${pkgs.join(' ')}; their rows are reported as skipped`);
  }
}
