/* Addresses of shared memory. The mempool places its data region on an
 * absolute cache-line (and page) boundary, which only native code can see. */
#include <errno.h>
#include <stdint.h>
#include "shim.h"

/* mem_address(typedArray) -> address of its first byte | -EINVAL */
napi_value tsfwd_mem_address(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_ta = false;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta)
    return tsfwd_int(env, -EINVAL);
  void *data = NULL;
  TSFWD_CHECK(env, napi_get_typedarray_info(env, argv[0], NULL, NULL, &data, NULL, NULL));
  return tsfwd_int(env, (int64_t)(uintptr_t)data);
}
