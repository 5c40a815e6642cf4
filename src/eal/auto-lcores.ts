// `-l auto`: the lcores are the CPUs this process may use, so one command line
// fits any node size (a Kubernetes pod whose CPUs the kubelet's static CPU
// manager picks, a `taskset` in a script). That is the main thread's
// sched_getaffinity(2) mask, intersected with the cgroup's effective cpuset
// when it can be read: the kernel keeps the two consistent, but a process
// started before its cgroup's cpuset shrank keeps a wider mask until the next
// sched_setaffinity, and pinning to a CPU outside the cpuset fails.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getAffinity } from '../native';
import { UsageError, formatCoreList, parseCoreList } from './corelist';

export interface AutoLcores {
  lcores: number[];
  /** One line saying where the lcores came from, for the run's log. */
  note: string;
}

const readOr = (file: string): string | undefined => {
  try { return fs.readFileSync(file, 'utf8').trim(); } catch { return undefined; }
};

/**
 * The effective cpuset of this process's cgroup, or undefined if unreadable.
 * `root` is the filesystem root (tests pass a fake tree). cgroup v2: the
 * "0::PATH" line of /proc/self/cgroup, file cpuset.cpus.effective; v1: the
 * "N:cpuset:PATH" line, file cpuset.effective_cpus. Inside a cgroup namespace
 * (a container) PATH is "/" and the container's cgroup is mounted at the top.
 */
export function cgroupCpuset(root = '/'): number[] | undefined {
  const self = readOr(path.join(root, 'proc/self/cgroup'));
  if (self === undefined) return undefined;
  const files: string[] = [];
  for (const line of self.split('\n')) {
    const [, controllers, cg] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (cg === undefined) continue;
    if (controllers === '') files.push(path.join(root, 'sys/fs/cgroup', cg, 'cpuset.cpus.effective'), path.join(root, 'sys/fs/cgroup/cpuset.cpus.effective'));
    else if (controllers.split(',').includes('cpuset')) {
      files.push(path.join(root, 'sys/fs/cgroup/cpuset', cg, 'cpuset.effective_cpus'), path.join(root, 'sys/fs/cgroup/cpuset/cpuset.effective_cpus'));
    }
  }
  for (const f of files) {
    const text = readOr(f);
    if (!text) continue; // absent, or empty (a v2 cgroup without the cpuset controller enabled)
    try { return parseCoreList(text); } catch { continue; }
  }
  return undefined;
}

/** The CPUs `-l auto` names for this process. */
export function autoLcores(cmd: string): AutoLcores {
  return intersectLcores(cmd, getAffinity(), cgroupCpuset());
}

/** Affinity ∩ cgroup cpuset (undefined: unreadable, the affinity alone), in ascending order. */
export function intersectLcores(cmd: string, affinity: readonly number[], cpuset: number[] | undefined): AutoLcores {
  const lcores = cpuset ? affinity.filter((c) => cpuset.includes(c)) : [...affinity];
  const from = `affinity ${formatCoreList(affinity)}${cpuset ? `, cgroup cpuset ${formatCoreList(cpuset)}` : ''}`;
  if (lcores.length === 0) throw new UsageError(`${cmd}: -l auto: no CPU is both in this process's affinity and its cgroup's cpuset (${from})`);
  return { lcores, note: `EAL: -l auto: lcores ${formatCoreList(lcores)} (${from})` };
}
