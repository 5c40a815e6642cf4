/* CPU affinity and current CPU. sched_setaffinity(0, ...) applies to the
 * calling thread only (sched_setaffinity(2)), so an lcore pins itself by
 * calling this from inside its own worker thread. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

/* cpu_set_affinity(cpu) -> 0 | -errno */
napi_value tsfwd_cpu_set_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t cpu;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &cpu) || cpu < 0 || cpu >= CPU_SETSIZE)
    return tsfwd_int(env, -EINVAL);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return tsfwd_int(env, -errno);
  return tsfwd_int(env, 0);
}

/* cpu_get_affinity() -> bitmask of the first 53 CPUs the thread may run on | -errno */
napi_value tsfwd_cpu_get_affinity(napi_env env, napi_callback_info info) {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return tsfwd_int(env, -errno);
  int64_t mask = 0;
  for (int i = 0; i < 53; i++)
    if (CPU_ISSET(i, &set)) mask |= (int64_t)1 << i;
  return tsfwd_int(env, mask);
}

/* cpu_get_current() -> cpu | -errno (sched_getcpu(3)) */
napi_value tsfwd_cpu_get_current(napi_env env, napi_callback_info info) {
  int cpu = sched_getcpu();
  return tsfwd_int(env, cpu < 0 ? -errno : cpu);
}

/* cpu_yield() -> 0 | -errno (sched_yield(2)): lets a runnable thread on this
 * CPU run now, e.g. a ring producer preempted in the middle of its enqueue. */
napi_value tsfwd_cpu_yield(napi_env env, napi_callback_info info) {
  return tsfwd_int(env, sched_yield() == 0 ? 0 : -errno);
}

/* cpu_set_slice(us) -> 0 | -errno: asks the fair scheduler (EEVDF, Linux
 * >= 6.12) for a time slice of `us` µs for the calling thread, keeping its
 * policy and nice. A shorter slice gives the thread an earlier deadline, so
 * when it wakes it preempts a thread that has been running longer (an lcore
 * that slept through an empty poll run gets its CPU back within a short slice
 * of another thread's, not a default one). Older kernels ignore the field:
 * success there changes nothing. No capability needed. */
struct tsfwd_sched_attr {
  uint32_t size, policy;
  uint64_t flags;
  int32_t nice;
  uint32_t priority;
  uint64_t runtime, deadline, period;
};
napi_value tsfwd_cpu_set_slice(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t us;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &us) || us < 0) return tsfwd_int(env, -EINVAL);
  struct tsfwd_sched_attr a;
  memset(&a, 0, sizeof(a));
  if (syscall(SYS_sched_getattr, 0, &a, sizeof(a), 0) != 0) return tsfwd_int(env, -errno);
  if (a.policy != SCHED_OTHER && a.policy != SCHED_BATCH) return tsfwd_int(env, -EPERM);
  a.size = sizeof(a);
  a.flags = 0;
  a.runtime = (uint64_t)us * 1000;
  if (syscall(SYS_sched_setattr, 0, &a, 0) != 0) return tsfwd_int(env, -errno);
  return tsfwd_int(env, 0);
}

/* cpu_set_policy(policy, priority) -> 0 | -errno: the calling thread's
 * scheduling policy (0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR) with
 * SCHED_RESET_ON_FORK, so nothing the lcore might spawn inherits a real-time
 * policy. FIFO/RR need CAP_SYS_NICE or an RLIMIT_RTPRIO allowance (EPERM). */
napi_value tsfwd_cpu_set_policy(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t pol, prio;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !tsfwd_arg_i32(env, argv[0], &pol) || !tsfwd_arg_i32(env, argv[1], &prio) || pol < 0 || pol > 2) return tsfwd_int(env, -EINVAL);
  struct sched_param sp = { .sched_priority = pol == 0 ? 0 : prio };
  int p = pol == 0 ? SCHED_OTHER : pol == 1 ? SCHED_FIFO : SCHED_RR;
  if (sched_setscheduler(0, p | SCHED_RESET_ON_FORK, &sp) != 0) return tsfwd_int(env, -errno);
  return tsfwd_int(env, 0);
}
