/* Module registration. NAPI_MODULE_INIT makes the addon context-aware, so
 * every worker thread (lcore) can load it into its own isolate. */
#include <stdint.h>
#include "shim.h"

napi_value tsfwd_int(napi_env env, int64_t v) {
  napi_value out;
  /* Counts and errnos fit int32 and become Smis directly (the hot-path case:
   * napi_create_double costs a Smi range check per call); double holds every
   * user-space address exactly (< 2^53). */
  if (v >= INT32_MIN && v <= INT32_MAX) {
    if (napi_create_int32(env, (int32_t)v, &out) != napi_ok) return NULL;
  } else if (napi_create_double(env, (double)v, &out) != napi_ok) {
    return NULL;
  }
  return out;
}

uint32_t tsfwd_slot_id(uint32_t *gen, uint32_t slot, int slot_bits) {
  *gen = (*gen + 1) & ((1u << (31 - slot_bits)) - 1);
  if (*gen == 0) *gen = 1;
  return (*gen << slot_bits) | slot;
}

int tsfwd_arg_i32(napi_env env, napi_value v, int32_t *out) {
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static napi_status export_fn(napi_env env, napi_value exports, const char *name,
                             napi_callback cb) {
  napi_value fn;
  napi_status s = napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  if (s != napi_ok) return s;
  return napi_set_named_property(env, exports, name, fn);
}

NAPI_MODULE_INIT() {
  if (export_fn(env, exports, "cpu_set_affinity", tsfwd_cpu_set_affinity) != napi_ok ||
      export_fn(env, exports, "cpu_get_affinity", tsfwd_cpu_get_affinity) != napi_ok ||
      export_fn(env, exports, "cpu_get_current", tsfwd_cpu_get_current) != napi_ok ||
      export_fn(env, exports, "cpu_yield", tsfwd_cpu_yield) != napi_ok ||
      export_fn(env, exports, "cpu_set_slice", tsfwd_cpu_set_slice) != napi_ok ||
      export_fn(env, exports, "cpu_set_policy", tsfwd_cpu_set_policy) != napi_ok ||
      export_fn(env, exports, "mem_address", tsfwd_mem_address) != napi_ok ||
      export_fn(env, exports, "netns_set", tsfwd_netns_set) != napi_ok ||
      export_fn(env, exports, "ethtool_feature_names", tsfwd_ethtool_feature_names) != napi_ok ||
      export_fn(env, exports, "ethtool_features_get", tsfwd_ethtool_features_get) != napi_ok ||
      export_fn(env, exports, "ethtool_features_set", tsfwd_ethtool_features_set) != napi_ok ||
      export_fn(env, exports, "link_flags", tsfwd_link_flags) != napi_ok ||
      export_fn(env, exports, "udp_socket", tsfwd_udp_socket) != napi_ok ||
      export_fn(env, exports, "udp_bind", tsfwd_udp_bind) != napi_ok ||
      export_fn(env, exports, "udp_connect", tsfwd_udp_connect) != napi_ok ||
      export_fn(env, exports, "udp_ctx_create", tsfwd_udp_ctx_create) != napi_ok ||
      export_fn(env, exports, "udp_ctx_free", tsfwd_udp_ctx_free) != napi_ok ||
      export_fn(env, exports, "udp_ctx_set_mbufs", tsfwd_udp_ctx_set_mbufs) != napi_ok ||
      export_fn(env, exports, "udp_rx", tsfwd_udp_rx) != napi_ok ||
      export_fn(env, exports, "udp_tx", tsfwd_udp_tx) != napi_ok ||
      export_fn(env, exports, "udp_layout", tsfwd_udp_layout) != napi_ok ||
      tsfwd_udp_init(env) != napi_ok ||
      export_fn(env, exports, "mem_copy_register", tsfwd_mem_copy_register) != napi_ok ||
      export_fn(env, exports, "mem_copy_unregister", tsfwd_mem_copy_unregister) != napi_ok ||
      export_fn(env, exports, "mem_copy_burst", tsfwd_mem_copy_burst) != napi_ok ||
      export_fn(env, exports, "fd_write", tsfwd_fd_write) != napi_ok ||
      export_fn(env, exports, "evfd_create", tsfwd_evfd_create) != napi_ok ||
      export_fn(env, exports, "evfd_signal", tsfwd_evfd_signal) != napi_ok ||
      export_fn(env, exports, "wait_set_create", tsfwd_wait_set_create) != napi_ok ||
      export_fn(env, exports, "wait_set_free", tsfwd_wait_set_free) != napi_ok ||
      export_fn(env, exports, "wait_nap", tsfwd_wait_nap) != napi_ok ||
      export_fn(env, exports, "clock_realtime", tsfwd_clock_realtime) != napi_ok ||
      export_fn(env, exports, "clock_mono_us", tsfwd_clock_mono_us) != napi_ok ||
      export_fn(env, exports, "clock_mono_ns", tsfwd_clock_mono_ns) != napi_ok ||
      tsfwd_copy_init(env) != napi_ok ||
      export_fn(env, exports, "afp_ifinfo", tsfwd_afp_ifinfo) != napi_ok ||
      export_fn(env, exports, "afp_queue_open", tsfwd_afp_queue_open) != napi_ok ||
      export_fn(env, exports, "afp_queue_close", tsfwd_afp_queue_close) != napi_ok ||
      export_fn(env, exports, "afp_bind", tsfwd_afp_bind) != napi_ok ||
      export_fn(env, exports, "afp_unbind", tsfwd_afp_unbind) != napi_ok ||
      export_fn(env, exports, "afp_set_mbufs", tsfwd_afp_set_mbufs) != napi_ok ||
      export_fn(env, exports, "afp_rx", tsfwd_afp_rx) != napi_ok ||
      export_fn(env, exports, "afp_tx", tsfwd_afp_tx) != napi_ok ||
      export_fn(env, exports, "afp_live", tsfwd_afp_live) != napi_ok ||
      export_fn(env, exports, "afp_layout", tsfwd_afp_layout) != napi_ok ||
      export_fn(env, exports, "afp_sock_version", tsfwd_afp_sock_version) != napi_ok ||
      export_fn(env, exports, "xsk_available", tsfwd_xsk_available) != napi_ok ||
      export_fn(env, exports, "xsk_prog_attach", tsfwd_xsk_prog_attach) != napi_ok ||
      export_fn(env, exports, "xsk_prog_detach", tsfwd_xsk_prog_detach) != napi_ok ||
      export_fn(env, exports, "xsk_queue_open", tsfwd_xsk_queue_open) != napi_ok ||
      export_fn(env, exports, "xsk_queue_close", tsfwd_xsk_queue_close) != napi_ok ||
      export_fn(env, exports, "xsk_fill", tsfwd_xsk_fill) != napi_ok ||
      export_fn(env, exports, "xsk_bind", tsfwd_xsk_bind) != napi_ok ||
      export_fn(env, exports, "xsk_unbind", tsfwd_xsk_unbind) != napi_ok ||
      export_fn(env, exports, "xsk_set_mbufs", tsfwd_xsk_set_mbufs) != napi_ok ||
      export_fn(env, exports, "xsk_rx_io", tsfwd_xsk_rx_io) != napi_ok ||
      export_fn(env, exports, "xsk_tx_io", tsfwd_xsk_tx_io) != napi_ok ||
      export_fn(env, exports, "xsk_live", tsfwd_xsk_live) != napi_ok ||
      export_fn(env, exports, "xdpgen_open", tsfwd_xdpgen_open) != napi_ok ||
      export_fn(env, exports, "xdpgen_run", tsfwd_xdpgen_run) != napi_ok ||
      export_fn(env, exports, "xdpgen_close", tsfwd_xdpgen_close) != napi_ok ||
      export_fn(env, exports, "caps_drop", tsfwd_caps_drop) != napi_ok ||
      export_fn(env, exports, "memif_open", tsfwd_memif_open) != napi_ok ||
      export_fn(env, exports, "memif_close", tsfwd_memif_close) != napi_ok ||
      export_fn(env, exports, "memif_service", tsfwd_memif_service) != napi_ok ||
      export_fn(env, exports, "memif_rx_wake", tsfwd_memif_rx_wake) != napi_ok ||
      export_fn(env, exports, "memif_bind", tsfwd_memif_bind) != napi_ok ||
      export_fn(env, exports, "memif_unbind", tsfwd_memif_unbind) != napi_ok ||
      export_fn(env, exports, "memif_set_mbufs", tsfwd_memif_set_mbufs) != napi_ok ||
      export_fn(env, exports, "memif_rx", tsfwd_memif_rx) != napi_ok ||
      export_fn(env, exports, "memif_tx", tsfwd_memif_tx) != napi_ok)
    return NULL;
  return exports;
}
