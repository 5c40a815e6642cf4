/* net_af_packet hot calls: integer arguments only (the views they use were
 * registered once by afp_bind / afp_set_mbufs), count | -errno back. */
#include <errno.h>
#include "afp.h"
#include "../shim.h"

static int args3(napi_env env, napi_callback_info info, int32_t *a, int32_t *b, int32_t *c) {
  size_t argc = 3;
  napi_value argv[3];
  return napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 3 &&
         tsfwd_arg_i32(env, argv[0], a) && tsfwd_arg_i32(env, argv[1], b) && tsfwd_arg_i32(env, argv[2], c);
}

/* afp_rx(bindId, avail, max) -> frames delivered into the rx mbufs array | -errno.
 * `avail`: free mbufs at the bottom of the binding's stash (JS keeps the count). */
napi_value tsfwd_afp_rx(napi_env env, napi_callback_info info) {
  int32_t id, avail, max;
  if (!args3(env, info, &id, &avail, &max)) return tsfwd_int(env, -EINVAL);
  struct afp_bind *b = afp_bind_get(id);
  if (!b || !b->rx_mbufs) return tsfwd_int(env, -EBADF);
  if (avail < 0 || (uint32_t)avail > b->stash_len || max < 0) return tsfwd_int(env, -EINVAL);
  uint32_t m = (uint32_t)(max < avail ? max : avail);
  if (m > AFP_MAX_BURST) m = AFP_MAX_BURST;
  if (m > b->rx_mbufs_len) m = b->rx_mbufs_len;
  if (m == 0) return tsfwd_int(env, 0);
  if (b->q->mode == AFP_MODE_MMSG) return tsfwd_int(env, afp_rx_mmsg(b, (uint32_t)avail, m));
  return tsfwd_int(env, b->q->version == TPACKET_V3 ? afp_rx_blocks(b, (uint32_t)avail, m) : afp_rx_ring(b, (uint32_t)avail, m));
}

/* afp_tx(bindId, start, n) -> consumed | non_mbufs << AFP_TX_NONMBUF_SHIFT, or -errno:
 * mbufs consumed from tx mbufs[start ..] (a prefix), the last non_mbufs of
 * which are not mbuf indices (the caller must not free them). */
napi_value tsfwd_afp_tx(napi_env env, napi_callback_info info) {
  int32_t id, start, n;
  if (!args3(env, info, &id, &start, &n)) return tsfwd_int(env, -EINVAL);
  struct afp_bind *b = afp_bind_get(id);
  if (!b || !b->tx_mbufs) return tsfwd_int(env, -EBADF);
  if (start < 0 || n < 0 || (uint64_t)start + (uint32_t)n > b->tx_mbufs_len) return tsfwd_int(env, -EINVAL);
  uint32_t k = (uint32_t)n > AFP_MAX_BURST ? AFP_MAX_BURST : (uint32_t)n;
  if (k == 0) return tsfwd_int(env, 0);
  uint32_t nonm = 0;
  int c = b->q->mode == AFP_MODE_MMAP ? afp_tx_ring(b, (uint32_t)start, k, &nonm) : afp_tx_mmsg(b, (uint32_t)start, k, &nonm);
  return tsfwd_int(env, (int64_t)c | ((int64_t)nonm << AFP_TX_NONMBUF_SHIFT));
}
