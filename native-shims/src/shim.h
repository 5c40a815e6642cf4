/* tsfwd native shim: Node-API functions that make syscalls and return
 * count | -errno. JS validates every argument before calling in here. */
#ifndef TSFWD_SHIM_H
#define TSFWD_SHIM_H

#include <node_api.h>

/* Throws a JS TypeError and returns NULL when a Node-API call fails; only used
 * on argument paths that JS has already validated, so it signals a bug. */
#define TSFWD_CHECK(env, call)                                              \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error((env), "TSFWD_SHIM", "Node-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

napi_value tsfwd_int(napi_env env, int64_t v);
int tsfwd_arg_i32(napi_env env, napi_value v, int32_t *out);

napi_value tsfwd_cpu_set_affinity(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_get_current(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_get_affinity(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_yield(napi_env env, napi_callback_info info);
napi_value tsfwd_mem_address(napi_env env, napi_callback_info info);
napi_value tsfwd_netns_set(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_ifinfo(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_queue_open(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_queue_close(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_bind(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_unbind(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_set_mbufs(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_rx(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_tx(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_live(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_layout(napi_env env, napi_callback_info info);

#endif
