/* Wall-clock time without a JS allocation: Date.now() and performance.now()
 * return heap numbers, so a loop reading the clock once per burst (net_pcap
 * tx stamping unstamped mbufs) would trigger a GC every ~30k reads. */
#include <errno.h>
#include <time.h>
#include "shim.h"

/* The caller's Float64Array (argument 0) with at least `min` elements, or NULL. */
static double *f64_out(napi_env env, napi_callback_info info, size_t min) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_ta = false;
  napi_typedarray_type type;
  size_t n;
  void *data;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[0], &type, &n, &data, NULL, NULL) != napi_ok ||
      type != napi_float64_array || n < min)
    return NULL;
  return data;
}

/* clock_realtime(out: Float64Array(2)) -> 0 | -errno: out = [seconds, nanoseconds]
 * since the epoch (clock_gettime(CLOCK_REALTIME)). */
napi_value tsfwd_clock_realtime(napi_env env, napi_callback_info info) {
  double *out = f64_out(env, info, 2);
  if (out == NULL) return tsfwd_int(env, -EINVAL);
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) return tsfwd_int(env, -errno);
  out[0] = (double)ts.tv_sec;
  out[1] = (double)ts.tv_nsec;
  return tsfwd_int(env, 0);
}

/* clock_mono_us() -> CLOCK_MONOTONIC in microseconds modulo 2^30. Small enough
 * to be a V8 Smi, so reading it allocates nothing; callers compare readings
 * with ((b - a) & 0x3fffffff), good for intervals under ~17 minutes. */
napi_value tsfwd_clock_mono_us(napi_env env, napi_callback_info info) {
  struct timespec ts;
  napi_value out;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return tsfwd_int(env, -errno);
  uint64_t us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
  if (napi_create_int32(env, (int32_t)(us & 0x3fffffff), &out) != napi_ok) return NULL;
  return out;
}

/* clock_mono_ns(out: Float64Array(1+)) -> 0 | -errno: out[0] = CLOCK_MONOTONIC
 * in ns (exact in a double for ~104 days of uptime). Monotonic time is the
 * same clock in every process on the host, so a generator's send stamp and a
 * sink's receive time subtract to a latency. Writes into the caller's array,
 * so nothing is allocated. */
napi_value tsfwd_clock_mono_ns(napi_env env, napi_callback_info info) {
  double *out = f64_out(env, info, 1);
  if (out == NULL) return tsfwd_int(env, -EINVAL);
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) return tsfwd_int(env, -errno);
  out[0] = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
  return tsfwd_int(env, 0);
}
