// DPDK's own ring benchmark as the reference, when Debian's dpdk-dev package
// (which ships dpdk-test) is installed. DPDK 22.11 prints, for its "two
// physical cores" section, producer + consumer cycles per element; both run
// at once, so one element takes about half that many cycles of wall time.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export const DPDK_INSTALL = 'apt-get install -y --no-install-recommends dpdk-dev';

export function dpdkTestPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = `${dir}/dpdk-test`;
    if (dir && fs.existsSync(p)) return p;
  }
  return undefined;
}

/** One ring_perf_autotest run: "SP/SC bulk 32" -> M objects/s across two cores. */
export function ringPerfOnce(bin: string, cpus: [number, number]): Map<string, number> {
  const r = spawnSync(bin, ['--no-huge', '-m', '512', '--no-pci', '--no-telemetry', `-l`, `${cpus[0]},${cpus[1]}`,
    '--file-prefix', `tsfwd-bench-${process.pid}`, '--log-level=lib.eal:debug'], {
    env: { ...process.env, DPDK_TEST: 'ring_perf_autotest' }, encoding: 'utf8', timeout: 120_000, input: '',
  });
  if (r.status !== 0) throw new Error(`dpdk-test ring_perf_autotest failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').pop()}`);
  const tsc = /TSC frequency is ~(\d+) KHz/.exec(r.stderr);
  const hz = tsc ? Number(tsc[1]) * 1e3 : cpuinfoHz();
  const out = new Map<string, number>();
  let section = '';
  for (const raw of r.stdout.split('\n')) {
    const line = raw.replace(/^RTE>>/, '').trim();
    const sec = /^### Testing (.*) ###$/.exec(line);
    if (sec) { section = sec[1]; continue; }
    const m = /^legacy APIs: (SP\/SC|MP\/MC): (bulk|burst) \(size: (\d+)\): ([0-9.]+)$/.exec(line);
    if (m && section === 'using two physical cores') out.set(`${m[1]} ${m[2]} ${m[3]}`, (2 * hz) / Number(m[4]) / 1e6);
  }
  return out;
}

function cpuinfoHz(): number {
  const m = /cpu MHz\s*:\s*([0-9.]+)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  if (!m) throw new Error('cannot tell the TSC frequency for dpdk-test results');
  return Number(m[1]) * 1e6;
}
