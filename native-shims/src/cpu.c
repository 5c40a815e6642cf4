/* CPU affinity and current CPU. sched_setaffinity(0, ...) applies to the
 * calling thread only (sched_setaffinity(2)), so an lcore pins itself by
 * calling this from inside its own worker thread. */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
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
