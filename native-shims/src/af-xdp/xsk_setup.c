/* net_af_xdp setup: opening and closing a queue (UMEM registration, AF_XDP
 * socket from libxdp, its XSKMAP entry) and binding a thread's arrays to a
 * queue. Tables are guarded by one mutex that only these calls take; every
 * failure path releases what it took. Without libxdp/libbpf at build time
 * every call answers -ENOSYS and JS names the packages to install. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../shim.h"
#include "../af-packet/afp.h"
#include "xsk.h"

#ifdef TSFWD_HAVE_XSK
#include <bpf/bpf.h>
#include <linux/if_xdp.h>

#ifndef SO_PREFER_BUSY_POLL
#define SO_PREFER_BUSY_POLL 69
#endif
#ifndef SO_BUSY_POLL_BUDGET
#define SO_BUSY_POLL_BUDGET 70
#endif

int xsk_prog_map_fd(int32_t id);
int xsk_prog_count(void);

static struct xsk_q *xsk_queues[XSK_QUEUE_SLOTS];
static struct xsk_bind xsk_binds[XSK_BIND_SLOTS];
static pthread_mutex_t xsk_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t xsk_gen;

struct xsk_bind *xsk_bind_get(int32_t id) {
  struct xsk_bind *b = &xsk_binds[(uint32_t)id & (XSK_BIND_SLOTS - 1)];
  return (id > 0 && b->id == (uint32_t)id) ? b : NULL;
}

static int setopt(int fd, int level, int name, int val) {
  return setsockopt(fd, level, name, &val, sizeof(val));
}

enum { CFG_PROG, CFG_QUEUE, CFG_BIND_MODE, CFG_BUSY, CFG_NB, CFG_ELT, CFG_PORT, CFG_TX_MAX, CFG_WORDS };

/* xsk_queue_open(cfg Int32Array, ifname, data Uint8Array, meta Uint32Array, rxStats, txStats Float64Array,
 *                out Int32Array(3)) -> queue id | -errno
 * cfg: prog id, device queue, bind mode (0 auto | 1 copy | 2 zc), busy_budget, nb mbufs, elt size, port, tx max
 * out: step reached (enum xsk_step), fd, 1 if zero-copy */
napi_value tsfwd_xsk_queue_open(napi_env env, napi_callback_info info) {
  size_t argc = 7, lc = 0, ld = 0, lm = 0, lr = 0, lt = 0, lo = 0, nl = 0;
  napi_value argv[7];
  char ifname[32];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7) return tsfwd_int(env, -EINVAL);
  int32_t *c = afp_ta(env, argv[0], napi_int32_array, &lc);
  uint8_t *data = afp_ta(env, argv[2], napi_uint8_array, &ld);
  uint32_t *meta = afp_ta(env, argv[3], napi_uint32_array, &lm);
  double *rxs = afp_ta(env, argv[4], napi_float64_array, &lr);
  double *txs = afp_ta(env, argv[5], napi_float64_array, &lt);
  int32_t *o = afp_ta(env, argv[6], napi_int32_array, &lo);
  if (!c || !data || !meta || !rxs || !txs || !o || lc < CFG_WORDS || lo < 3 || lr < XSK_QSTAT_WORDS || lt < XSK_QSTAT_WORDS ||
      napi_get_value_string_utf8(env, argv[1], ifname, sizeof(ifname), &nl) != napi_ok || nl == 0 || nl >= 16)
    return tsfwd_int(env, -EINVAL);
  uint32_t nb = (uint32_t)c[CFG_NB], elt = (uint32_t)c[CFG_ELT], qid = (uint32_t)c[CFG_QUEUE];
  if (nb == 0 || elt < 2048 || elt > 4096 || (uint64_t)nb * elt > ld || (uint64_t)nb * XSK_META_WORDS > lm || ((uintptr_t)data & 4095))
    return tsfwd_int(env, -EINVAL);
  int map_fd = xsk_prog_map_fd(c[CFG_PROG]);
  if (map_fd < 0) return tsfwd_int(env, map_fd);

  /* On the heap, not the stack: libxdp keeps pointers to the ring structs
   * and reads them again in xsk_socket__delete to unmap the rings. */
  struct xsk_q *q = calloc(1, sizeof(*q));
  if (!q) return tsfwd_int(env, -ENOMEM);
  *q = (struct xsk_q){ .area = data, .meta = meta, .nb_mbufs = nb, .elt_size = elt, .port = (uint32_t)c[CFG_PORT],
                       .tx_max = (uint32_t)c[CFG_TX_MAX], .rx_st = rxs, .tx_st = txs, .fd = -1 };
  int rc;
  q->owned = calloc(nb, 1);
  if (!q->owned) { free(q); return tsfwd_int(env, -ENOMEM); }
  /* Chunks of elt bytes at any offset: mbuf buffers are 2176 bytes, not a power of two. */
  o[0] = XSK_STEP_UMEM;
  struct xsk_umem_config uc = { .fill_size = XSK_RING_SIZE, .comp_size = XSK_RING_SIZE, .frame_size = elt,
                                .frame_headroom = 0, .flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG };
  rc = xsk_umem__create(&q->umem, data, (uint64_t)nb * elt, &q->fq, &q->cq, &uc);
  if (rc) { q->umem = NULL; goto fail; }
  o[0] = XSK_STEP_SOCKET;
  uint16_t bflags = XDP_USE_NEED_WAKEUP | (c[CFG_BIND_MODE] == 1 ? XDP_COPY : c[CFG_BIND_MODE] == 2 ? XDP_ZEROCOPY : 0);
  struct xsk_socket_config sc = { .rx_size = XSK_RING_SIZE, .tx_size = XSK_RING_SIZE,
                                  .libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD, .bind_flags = bflags };
  /* A socket just closed on this queue releases it from a kernel work item
   * (xp_release_deferred): until then bind() says EBUSY. Wait up to 1 s. */
  for (int tries = 0;; tries++) {
    rc = xsk_socket__create(&q->xsk, ifname, qid, q->umem, &q->rx, &q->tx, &sc);
    if (rc != -EBUSY || tries == 200) break;
    usleep(5000);
  }
  if (rc) { q->xsk = NULL; goto fail; }
  q->fd = xsk_socket__fd(q->xsk);
  if (c[CFG_BUSY] > 0) {
    /* Busy polling: recvfrom()/sendto() run the driver's NAPI in this thread. */
    o[0] = XSK_STEP_BUSY_POLL;
    if (setopt(q->fd, SOL_SOCKET, SO_PREFER_BUSY_POLL, 1) < 0 || setopt(q->fd, SOL_SOCKET, SO_BUSY_POLL, 20) < 0 ||
        setopt(q->fd, SOL_SOCKET, SO_BUSY_POLL_BUDGET, c[CFG_BUSY]) < 0) { rc = -errno; goto fail; }
    q->kick_rx = 1;
  }
  o[0] = XSK_STEP_MAP;
  rc = bpf_map_update_elem(map_fd, &qid, &q->fd, 0);
  if (rc) goto fail;
  o[0] = XSK_STEP_OPTIONS;
  struct xdp_options xo = { 0 };
  socklen_t xl = sizeof(xo);
  if (getsockopt(q->fd, SOL_XDP, XDP_OPTIONS, &xo, &xl) < 0) { rc = -errno; goto unmap; }
  o[0] = XSK_STEP_TABLE;
  pthread_mutex_lock(&xsk_lock);
  uint32_t slot = 0;
  while (slot < XSK_QUEUE_SLOTS && xsk_queues[slot]) slot++;
  if (slot == XSK_QUEUE_SLOTS) {
    pthread_mutex_unlock(&xsk_lock);
    rc = -EMFILE;
    goto unmap;
  }
  q->id = tsfwd_slot_id(&xsk_gen, slot, XSK_SLOT_BITS_Q);
  xsk_queues[slot] = q;
  rc = (int)q->id;
  pthread_mutex_unlock(&xsk_lock);
  o[1] = q->fd;
  o[2] = (xo.flags & XDP_OPTIONS_ZEROCOPY) ? 1 : 0;
  return tsfwd_int(env, rc);
unmap:
  bpf_map_delete_elem(map_fd, &qid);
fail:
  if (q->xsk) xsk_socket__delete(q->xsk);
  if (q->umem) xsk_umem__delete(q->umem);
  free(q->owned);
  free(q);
  return tsfwd_int(env, rc < 0 ? rc : -EIO);
}

/* The queue named by id, or NULL; caller holds xsk_lock. */
static struct xsk_q *queue_get(int32_t id) {
  struct xsk_q *q = xsk_queues[(uint32_t)id & (XSK_QUEUE_SLOTS - 1)];
  return id > 0 && q && q->id == (uint32_t)id ? q : NULL;
}

/* xsk_queue_close(id, progId, deviceQueue, out Uint32Array(nb mbufs)) -> mbufs the kernel held (written to out) | -errno
 * Every binding goes, the socket and UMEM are released; only then may the
 * listed mbufs return to the pool (the kernel no longer writes them). */
napi_value tsfwd_xsk_queue_close(napi_env env, napi_callback_info info) {
  size_t argc = 4, lo = 0;
  napi_value argv[4];
  int32_t id, prog, qid;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t *out = argc == 4 ? afp_ta(env, argv[3], napi_uint32_array, &lo) : NULL;
  if (!out || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &prog) || !tsfwd_arg_i32(env, argv[2], &qid) || id <= 0)
    return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&xsk_lock);
  struct xsk_q *q = queue_get(id);
  if (!q || lo < q->nb_mbufs) {
    pthread_mutex_unlock(&xsk_lock);
    return tsfwd_int(env, !q ? -EBADF : -EINVAL);
  }
  for (uint32_t i = 0; i < XSK_BIND_SLOTS; i++)
    if (xsk_binds[i].id && xsk_binds[i].q == q) memset(&xsk_binds[i], 0, sizeof(xsk_binds[i]));
  xsk_queues[(uint32_t)id & (XSK_QUEUE_SLOTS - 1)] = NULL;
  pthread_mutex_unlock(&xsk_lock);
  int map_fd = xsk_prog_map_fd(prog);
  if (map_fd >= 0) bpf_map_delete_elem(map_fd, &qid);
  xsk_socket__delete(q->xsk);
  int rc = xsk_umem__delete(q->umem);
  uint32_t n = 0;
  for (uint32_t m = 0; m < q->nb_mbufs; m++)
    if (q->owned[m]) out[n++] = m;
  free(q->owned);
  free(q);
  return tsfwd_int(env, rc < 0 ? rc : (int64_t)n);
}

/* xsk_fill(queueId, mbufs Uint32Array, n) -> mbufs put on the fill ring (a prefix) | -errno.
 * Setup only (open, before any lcore polls): the kernel has buffers for the
 * first frames even if nothing polls rx yet. */
napi_value tsfwd_xsk_fill(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0;
  napi_value argv[3];
  int32_t qid, n;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t *arr = argc == 3 ? afp_ta(env, argv[1], napi_uint32_array, &len) : NULL;
  if (!arr || !tsfwd_arg_i32(env, argv[0], &qid) || !tsfwd_arg_i32(env, argv[2], &n) || n < 0 || (size_t)n > len) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&xsk_lock);
  struct xsk_q *q = queue_get(qid);
  int rc = -EBADF;
  if (q) {
    uint32_t k = xsk_prod_nb_free(&q->fq, (uint32_t)n), idx;
    if (k > (uint32_t)n) k = (uint32_t)n;
    rc = 0;
    if (k > 0 && xsk_ring_prod__reserve(&q->fq, k, &idx) == k) {
      for (uint32_t i = 0; i < k; i++) {
        if (arr[i] >= q->nb_mbufs) { k = i; break; }
        q->owned[arr[i]] = 1;
        *xsk_ring_prod__fill_addr(&q->fq, idx + i) = (uint64_t)arr[i] * q->elt_size;
      }
      q->fq.cached_prod = idx + k;
      xsk_ring_prod__submit(&q->fq, k);
      q->fill_held += k;
      rc = (int)k;
    }
  }
  pthread_mutex_unlock(&xsk_lock);
  return tsfwd_int(env, rc);
}

/* xsk_bind(queueId, stash Uint32Array, io Int32Array(XSK_IO_WORDS)) -> binding id | -errno */
napi_value tsfwd_xsk_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3, ls = 0, li = 0;
  napi_value argv[3];
  int32_t qid;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !tsfwd_arg_i32(env, argv[0], &qid) || qid <= 0) return tsfwd_int(env, -EINVAL);
  uint32_t *stash = afp_ta(env, argv[1], napi_uint32_array, &ls);
  int32_t *io = afp_ta(env, argv[2], napi_int32_array, &li);
  if (!stash || !io || ls == 0 || li < XSK_IO_WORDS) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&xsk_lock);
  struct xsk_q *q = queue_get(qid);
  int rc = -EBADF;
  if (q) {
    uint32_t slot = 0;
    while (slot < XSK_BIND_SLOTS && xsk_binds[slot].id) slot++;
    if (slot == XSK_BIND_SLOTS) rc = -EMFILE;
    else {
      xsk_binds[slot] = (struct xsk_bind){ .q = q, .stash = stash, .stash_len = (uint32_t)ls, .io = io };
      xsk_binds[slot].id = tsfwd_slot_id(&xsk_gen, slot, XSK_SLOT_BITS_B);
      rc = (int)xsk_binds[slot].id;
    }
  }
  pthread_mutex_unlock(&xsk_lock);
  return tsfwd_int(env, rc);
}

/* xsk_unbind(bindId) -> 0 | -EBADF */
napi_value tsfwd_xsk_unbind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&xsk_lock);
  struct xsk_bind *b = xsk_bind_get(id);
  if (b) {
    /* Final XDP_STATISTICS for this thread's side, so stats read after the lcores stop are current. */
    if (b->rx_mbufs) xsk_read_stats(b->q, 0);
    if (b->tx_mbufs) xsk_read_stats(b->q, 1);
    memset(b, 0, sizeof(*b));
  }
  pthread_mutex_unlock(&xsk_lock);
  return tsfwd_int(env, b ? 0 : -EBADF);
}

/* xsk_set_mbufs(bindId, which 0 rx | 1 tx | 2 done, mbufs Uint32Array) -> 0 | -errno:
 * the caller's arrays, registered once per array object (JS checks identity). */
napi_value tsfwd_xsk_set_mbufs(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0;
  napi_value argv[3];
  int32_t id, which;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &which)) return tsfwd_int(env, -EINVAL);
  uint32_t *arr = afp_ta(env, argv[2], napi_uint32_array, &len);
  struct xsk_bind *b = xsk_bind_get(id);
  if (!b) return tsfwd_int(env, -EBADF);
  if (!arr || which < 0 || which > 2 || (which == 2 && len < XSK_DONE_CAP)) return tsfwd_int(env, -EINVAL);
  if (which == 0) b->rx_mbufs = arr, b->rx_mbufs_len = (uint32_t)len;
  else if (which == 1) b->tx_mbufs = arr, b->tx_mbufs_len = (uint32_t)len;
  else b->done = arr, b->done_len = (uint32_t)len;
  return tsfwd_int(env, 0);
}

/* xsk_live(out Int32Array(3)) -> 0: open queues, bindings and attached programs, for leak checks. */
napi_value tsfwd_xsk_live(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *out = argc == 1 ? afp_ta(env, argv[0], napi_int32_array, &len) : NULL;
  if (!out || len < 3) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&xsk_lock);
  out[0] = out[1] = 0;
  for (uint32_t i = 0; i < XSK_QUEUE_SLOTS; i++) out[0] += xsk_queues[i] != NULL;
  for (uint32_t i = 0; i < XSK_BIND_SLOTS; i++) out[1] += xsk_binds[i].id != 0;
  pthread_mutex_unlock(&xsk_lock);
  out[2] = xsk_prog_count();
  return tsfwd_int(env, 0);
}

/* xsk_available() -> 1: built with libxdp and libbpf. */
napi_value tsfwd_xsk_available(napi_env env, napi_callback_info info) { return tsfwd_int(env, 1); }
#else
#define XSK_NOSYS(fn) napi_value fn(napi_env env, napi_callback_info info) { return tsfwd_int(env, -ENOSYS); }
XSK_NOSYS(tsfwd_xsk_queue_open)
XSK_NOSYS(tsfwd_xsk_queue_close)
XSK_NOSYS(tsfwd_xsk_bind)
XSK_NOSYS(tsfwd_xsk_fill)
XSK_NOSYS(tsfwd_xsk_unbind)
XSK_NOSYS(tsfwd_xsk_set_mbufs)
XSK_NOSYS(tsfwd_xsk_live)
napi_value tsfwd_xsk_available(napi_env env, napi_callback_info info) { return tsfwd_int(env, 0); }
#endif
