/* net_af_packet setup: opening and closing a queue's
 * socket (and rings), and binding a thread's typed-array views to a queue.
 * The process-wide tables are guarded by one mutex; only these setup calls
 * take it. Every failure path closes what it opened (no fd, no mapping left). */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include "afp.h"
#include "../shim.h"

static struct afp_queue afp_queues[AFP_QUEUE_SLOTS];
struct afp_bind afp_binds[AFP_BIND_SLOTS];
static pthread_mutex_t afp_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t afp_gen; /* id generation, so a stale id never names a reused slot */

/* Typed array data of the wanted type, or NULL. */
void *afp_ta(napi_env env, napi_value v, napi_typedarray_type want, size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return data;
}

static int setopt(int fd, int level, int name, int val) {
  return setsockopt(fd, level, name, &val, sizeof(val));
}

/* Opens one queue; see tsfwd_afp_queue_open for cfg/out. */
static int queue_open(const int32_t *c, int32_t *o) {
  int ifindex = c[0], mode = c[1], bypass = c[5], fanout = c[6], fanout_id = c[7], sockbuf = c[9];
  int version = mode == AFP_MODE_MMAP && c[10] == 3 ? TPACKET_V3 : TPACKET_V2;
  uint32_t fsz = (uint32_t)c[2], fcnt = (uint32_t)c[3], bsz = (uint32_t)c[4], tx_fcnt = (uint32_t)c[11];
  uint8_t *map = MAP_FAILED;
  size_t map_len = 0;
  int err, fd;
  /* Protocol 0: the socket hears nothing until bind() names the interface,
   * so no frame from another interface can slip into the ring meanwhile. */
  o[0] = AFP_STEP_SOCKET;
  fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  if (mode == AFP_MODE_MMAP) {
    o[0] = AFP_STEP_VERSION;
    if (setopt(fd, SOL_PACKET, PACKET_VERSION, version) < 0) goto fail;
  }
  /* Rx frames carry csum_start/csum_offset for CHECKSUM_PARTIAL and the GSO
   * type; tx frames start with a zero header (no offload requested). */
  o[0] = AFP_STEP_VNET_HDR;
  if (setopt(fd, SOL_PACKET, PACKET_VNET_HDR, 1) < 0) goto fail;
  /* Never receive frames leaving through this interface (our own tx or the
   * local stack's): a forwarder must not loop them back into itself. */
  o[0] = AFP_STEP_IGNORE_OUTGOING;
  if (setopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1) < 0) goto fail;
  if (mode == AFP_MODE_MMAP) {
    /* A frame the kernel still rejects is skipped instead of stalling the ring. */
    o[0] = AFP_STEP_LOSS;
    if (setopt(fd, SOL_PACKET, PACKET_LOSS, 1) < 0) goto fail;
  }
  /* Room for a ring's worth of frames in flight: tx skbs are charged to the
   * socket until the device frees them (and rx skbs in mode mmsg). */
  o[0] = AFP_STEP_SOCKBUF;
  if (setopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, sockbuf) < 0 && setopt(fd, SOL_SOCKET, SO_SNDBUF, sockbuf) < 0) goto fail;
  if (mode == AFP_MODE_MMSG && setopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, sockbuf) < 0 &&
      setopt(fd, SOL_SOCKET, SO_RCVBUF, sockbuf) < 0)
    goto fail;
  if (bypass) {
    o[0] = AFP_STEP_QDISC_BYPASS;
    if (setopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1) < 0) goto fail;
  }
  if (mode == AFP_MODE_MMAP) {
    /* Both rings get the same frame and block size; the tx ring has its own
     * frame count (txframecnt: a small ring stays in the cache, see
     * af-packet.ts). For V3 the tx ring's block-only fields must stay 0; the
     * rx ring's blocks retire after 1 ms (the least the API takes; a kernel
     * whose retire timer counts jiffies rounds it up to a tick), which
     * bounds a frame's wait at low rates. */
    struct tpacket_req3 req = { .tp_block_size = bsz, .tp_block_nr = fcnt / (bsz / fsz), .tp_frame_size = fsz, .tp_frame_nr = fcnt };
    socklen_t req_len = version == TPACKET_V3 ? sizeof(struct tpacket_req3) : sizeof(struct tpacket_req);
    if (version == TPACKET_V3) req.tp_retire_blk_tov = 1;
    o[0] = AFP_STEP_RX_RING;
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, req_len) < 0) goto fail;
    size_t rx_len = (size_t)bsz * req.tp_block_nr;
    req.tp_retire_blk_tov = 0;
    req.tp_frame_nr = tx_fcnt;
    req.tp_block_nr = tx_fcnt / (bsz / fsz);
    o[0] = AFP_STEP_TX_RING;
    if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &req, req_len) < 0) goto fail;
    o[0] = AFP_STEP_MMAP;
    /* packet_mmap maps the rx ring, then the tx ring right after it. */
    map_len = rx_len + (size_t)bsz * req.tp_block_nr;
    map = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) goto fail;
  } else {
    o[0] = AFP_STEP_AUXDATA;
    if (setopt(fd, SOL_PACKET, PACKET_AUXDATA, 1) < 0) goto fail;
  }
  o[0] = AFP_STEP_BIND;
  struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = ifindex };
  if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) goto fail;
  /* Promiscuous while this socket lives (the kernel counts users and drops
   * it on close), as DPDK's l2fwd enables it on every port. */
  o[0] = AFP_STEP_PROMISC;
  struct packet_mreq mr = { .mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC };
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0) goto fail;
  if (fanout >= 0) {
    o[0] = AFP_STEP_FANOUT;
    if (setopt(fd, SOL_PACKET, PACKET_FANOUT, (fanout << 16) | fanout_id) < 0) goto fail;
    o[0] = AFP_STEP_FANOUT_ID;
    int val = 0;
    socklen_t vl = sizeof(val);
    if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &val, &vl) < 0) goto fail;
    o[1] = val & 0xffff; /* the group id, chosen by the kernel for PACKET_FANOUT_FLAG_UNIQUEID */
  }
  o[0] = AFP_STEP_TABLE;
  pthread_mutex_lock(&afp_lock);
  uint32_t slot = 0;
  while (slot < AFP_QUEUE_SLOTS && afp_queues[slot].id != 0) slot++;
  if (slot == AFP_QUEUE_SLOTS) {
    pthread_mutex_unlock(&afp_lock);
    errno = EMFILE;
    goto fail;
  }
  struct afp_queue *q = &afp_queues[slot];
  memset(q, 0, sizeof(*q));
  q->fd = fd;
  q->mode = mode;
  q->tx_max = (uint32_t)c[8];
  if (mode == AFP_MODE_MMAP) {
    q->map = map;
    q->map_len = map_len;
    q->version = version;
    /* The tx ring's frame header: where tp_status and tp_len sit, and the
     * data offset tpacket_snd expects without PACKET_TX_HAS_OFF
     * (tp_hdrlen - sizeof(struct sockaddr_ll): 32 for V2, 48 for V3). */
    int v3 = version == TPACKET_V3;
    q->tx = (struct afp_ring){ map + map_len - (size_t)tx_fcnt * fsz, fsz, tx_fcnt, 0,
                               v3 ? offsetof(struct tpacket3_hdr, tp_status) : offsetof(struct tpacket2_hdr, tp_status),
                               v3 ? offsetof(struct tpacket3_hdr, tp_len) : offsetof(struct tpacket2_hdr, tp_len),
                               v3 ? (uint32_t)(TPACKET3_HDRLEN - sizeof(struct sockaddr_ll)) : AFP_TX_DATA_OFF };
    if (v3) q->rxb = (struct afp_blocks){ .base = map, .size = bsz, .nr = fcnt / (bsz / fsz) };
    else q->rx = (struct afp_ring){ .base = map, .frame_size = fsz, .frame_nr = fcnt }; /* read as tpacket2_hdr (afp_rx_ring) */
  }
  q->id = tsfwd_slot_id(&afp_gen, slot, AFP_SLOT_BITS_Q);
  int id = (int)q->id;
  pthread_mutex_unlock(&afp_lock);
  o[2] = fd;
  return id;
fail:
  err = -errno;
  if (map != MAP_FAILED) munmap(map, map_len);
  close(fd);
  return err;
}

/* afp_queue_open(cfg Int32Array(12), out Int32Array(3)) -> queue id | -errno
 * cfg: ifindex, mode, framesz, framecnt, blocksz, qdisc_bypass,
 *      fanout (type | flags << 8, or -1 for none), fanout group id, tx_max, socket buffer bytes,
 *      TPACKET version of mode mmap (2 or 3), tx ring frames (mode mmap)
 * out: step reached (enum afp_step), fanout group id, fd */
napi_value tsfwd_afp_queue_open(napi_env env, napi_callback_info info) {
  size_t argc = 2, lc = 0, lo = 0;
  napi_value argv[2];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *c = argc == 2 ? afp_ta(env, argv[0], napi_int32_array, &lc) : NULL;
  int32_t *o = argc == 2 ? afp_ta(env, argv[1], napi_int32_array, &lo) : NULL;
  if (!c || !o || lc < 12 || (c[10] != 2 && c[10] != 3) || lo < 3 || c[2] <= 0 || c[4] < c[2] || c[3] % (c[4] / c[2]) != 0 ||
      c[11] <= 0 || c[11] % (c[4] / c[2]) != 0)
    return tsfwd_int(env, -EINVAL);
  return tsfwd_int(env, queue_open(c, o));
}

static void unbind_locked(struct afp_bind *b) {
  /* Last PACKET_STATISTICS read (clear-on-read): drops since the previous
   * periodic read still reach RX_MISSED. Only a binding that polled rx
   * reads: the rx line has one writer, and a binding unbinds in its own
   * thread or after that thread stopped (queue close). */
  if (b->rx_mbufs) afp_read_drops(b);
  free(b->mm);
  memset(b, 0, sizeof(*b));
}

/* afp_queue_close(id) -> 0 | -errno: drops every binding of the queue, unmaps its rings, closes its socket. */
napi_value tsfwd_afp_queue_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id) || id <= 0) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&afp_lock);
  struct afp_queue *q = &afp_queues[(uint32_t)id & (AFP_QUEUE_SLOTS - 1)];
  if (q->id != (uint32_t)id) {
    pthread_mutex_unlock(&afp_lock);
    return tsfwd_int(env, -EBADF);
  }
  for (uint32_t i = 0; i < AFP_BIND_SLOTS; i++)
    if (afp_binds[i].id && afp_binds[i].q == q) unbind_locked(&afp_binds[i]);
  struct afp_queue copy = *q;
  memset(q, 0, sizeof(*q));
  pthread_mutex_unlock(&afp_lock);
  int rc = 0;
  if (copy.map && munmap(copy.map, copy.map_len) < 0) rc = -errno;
  if (close(copy.fd) < 0 && rc == 0) rc = -errno;
  return tsfwd_int(env, rc);
}

/* afp_bind(queueId, data Uint8Array, meta Uint32Array, stash Uint32Array,
 *          rxStats Float64Array, txStats Float64Array,
 *          params Int32Array [port, headroom, dataRoom, eltSize, nbMbufs]) -> binding id | -errno */
napi_value tsfwd_afp_bind(napi_env env, napi_callback_info info) {
  size_t argc = 7, ld = 0, lm = 0, ls = 0, lr = 0, lt = 0, lp = 0;
  napi_value argv[7];
  int32_t qid;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 7 || !tsfwd_arg_i32(env, argv[0], &qid) || qid <= 0) return tsfwd_int(env, -EINVAL);
  uint8_t *data = afp_ta(env, argv[1], napi_uint8_array, &ld);
  uint32_t *meta = afp_ta(env, argv[2], napi_uint32_array, &lm);
  uint32_t *stash = afp_ta(env, argv[3], napi_uint32_array, &ls);
  double *rx = afp_ta(env, argv[4], napi_float64_array, &lr);
  double *tx = afp_ta(env, argv[5], napi_float64_array, &lt);
  int32_t *p = afp_ta(env, argv[6], napi_int32_array, &lp);
  if (!data || !meta || !stash || !rx || !tx || !p || lp < 5 || lr < QSTAT_WORDS || lt < QSTAT_WORDS || ls == 0) return tsfwd_int(env, -EINVAL);
  uint32_t headroom = (uint32_t)p[1], room = (uint32_t)p[2], elt = (uint32_t)p[3], nb = (uint32_t)p[4];
  if ((uint64_t)headroom + room > elt || (uint64_t)nb * elt > ld || (uint64_t)nb * MBUF_META_WORDS > lm) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&afp_lock);
  struct afp_queue *q = &afp_queues[(uint32_t)qid & (AFP_QUEUE_SLOTS - 1)];
  int rc = -EBADF;
  if (q->id == (uint32_t)qid) {
    uint32_t slot = 0;
    while (slot < AFP_BIND_SLOTS && afp_binds[slot].id != 0) slot++;
    struct afp_mmsg *mm = slot < AFP_BIND_SLOTS && q->mode == AFP_MODE_MMSG ? afp_mmsg_alloc() : NULL;
    if (slot == AFP_BIND_SLOTS) rc = -EMFILE;
    else if (q->mode == AFP_MODE_MMSG && !mm) rc = -ENOMEM;
    else {
      struct afp_bind *b = &afp_binds[slot];
      *b = (struct afp_bind){ .q = q, .data = data, .meta = meta, .nb_mbufs = nb, .elt_size = elt, .headroom = headroom,
                              .data_room = room, .port = (uint32_t)p[0], .stash = stash, .stash_len = (uint32_t)ls,
                              .rx_st = rx, .tx_st = tx, .mm = mm };
      b->id = tsfwd_slot_id(&afp_gen, slot, AFP_SLOT_BITS_B);
      rc = (int)b->id;
    }
  }
  pthread_mutex_unlock(&afp_lock);
  return tsfwd_int(env, rc);
}

/* afp_unbind(bindId) -> 0 | -EBADF */
napi_value tsfwd_afp_unbind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&afp_lock);
  struct afp_bind *b = afp_bind_get(id);
  if (b) unbind_locked(b);
  pthread_mutex_unlock(&afp_lock);
  return tsfwd_int(env, b ? 0 : -EBADF);
}

/* afp_set_mbufs(bindId, tx 0|1, mbufs Uint32Array) -> 0 | -errno: the caller's
 * burst array for rx or tx, registered once per array object (JS checks identity). */
napi_value tsfwd_afp_set_mbufs(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0;
  napi_value argv[3];
  int32_t id, tx;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &tx)) return tsfwd_int(env, -EINVAL);
  uint32_t *arr = afp_ta(env, argv[2], napi_uint32_array, &len);
  struct afp_bind *b = afp_bind_get(id);
  if (!b) return tsfwd_int(env, -EBADF);
  if (!arr) return tsfwd_int(env, -EINVAL);
  if (tx) {
    b->tx_mbufs = arr;
    b->tx_mbufs_len = (uint32_t)len;
  } else {
    b->rx_mbufs = arr;
    b->rx_mbufs_len = (uint32_t)len;
  }
  return tsfwd_int(env, 0);
}

/* afp_live(out Int32Array(2)) -> 0: open queues and bindings, for leak checks. */
napi_value tsfwd_afp_live(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *out = argc == 1 ? afp_ta(env, argv[0], napi_int32_array, &len) : NULL;
  if (!out || len < 2) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&afp_lock);
  out[0] = out[1] = 0;
  for (uint32_t i = 0; i < AFP_QUEUE_SLOTS; i++) out[0] += afp_queues[i].id != 0;
  for (uint32_t i = 0; i < AFP_BIND_SLOTS; i++) out[1] += afp_binds[i].id != 0;
  pthread_mutex_unlock(&afp_lock);
  return tsfwd_int(env, 0);
}
