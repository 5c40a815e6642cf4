/* UDP sockets for net_udp: one L2 frame per datagram, moved in bursts by
 * recvmmsg(2)/sendmmsg(2) whose iovecs point straight into mbuf data rooms,
 * so no frame byte is copied in user space. With VXLAN (RFC 7348) rx reads the
 * 8-byte header into the last 8 bytes of headroom, just before the frame, and
 * tx sends one static header as a first iovec in front of each frame.
 *
 * A queue context holds the views registered once by JS (mempool data and
 * metadata, the io words) and the prebuilt mmsghdr arrays; hot calls pass its
 * id and integers only. Contexts belong to the thread (Node-API env) that
 * created them and are freed by udp_ctx_free or when that env shuts down.
 * JS decides what is an error and what to count; this file makes syscalls.
 * Opening the socket is in udp-sock.c. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "../shim.h"

#define VXLAN_HLEN 8
#define ETH_HLEN 14 /* a shorter frame is not Ethernet: refused, as the peer's rx would */

struct udp_ctx {
  int fd;
  int connected; /* 0: tx names the remote, rx reports foreign sources */
  int vxlan;
  struct sockaddr_storage remote;
  socklen_t remote_len;
  uint8_t vxhdr[VXLAN_HLEN];
  uint8_t *data; /* mbuf i's buffer at data + i * elt */
  uint32_t *meta;
  uint32_t n_mbufs, elt, headroom, room;
  uint32_t *io; /* TSFWD_UDP_IO_WORDS words, see shim.h */
  uint32_t *mbufs; /* the caller's mbuf array, registered by udp_ctx_set_mbufs */
  size_t n_slots;
  struct mmsghdr rx[TSFWD_UDP_BURST_MAX];
  struct iovec riov[TSFWD_UDP_BURST_MAX];
  struct sockaddr_storage rname[TSFWD_UDP_BURST_MAX];
  union {
    struct cmsghdr align;
    char buf[CMSG_SPACE(sizeof(uint32_t))];
  } rctl[TSFWD_UDP_BURST_MAX];
  struct mmsghdr tx[TSFWD_UDP_BURST_MAX];
  struct iovec tiov[2 * TSFWD_UDP_BURST_MAX]; /* [2i] VXLAN header, [2i+1] frame */
};

static pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;
/* Slots change only under ctx_lock, and only the owner env frees its own, so
 * an env checking owners[id] == itself may then use ctxs[id] unlocked; it
 * never dereferences another thread's context. */
static struct udp_ctx *ctxs[TSFWD_UDP_MAX_CTX];
static napi_env owners[TSFWD_UDP_MAX_CTX];

static struct udp_ctx *ctx_get(napi_env env, napi_value v) {
  int32_t id;
  if (!tsfwd_arg_i32(env, v, &id) || id < 0 || id >= TSFWD_UDP_MAX_CTX || owners[id] != env) return NULL;
  return ctxs[id];
}

static void ctx_release(int id) {
  free(ctxs[id]);
  ctxs[id] = NULL;
  owners[id] = NULL;
}

static void env_cleanup(void *env) {
  pthread_mutex_lock(&ctx_lock);
  for (int i = 0; i < TSFWD_UDP_MAX_CTX; i++)
    if (owners[i] == env) ctx_release(i);
  pthread_mutex_unlock(&ctx_lock);
}

/* Called once per env from module init: frees what an exiting lcore left. */
napi_status tsfwd_udp_init(napi_env env) {
  return napi_add_env_cleanup_hook(env, env_cleanup, env);
}

static int same_host(const struct sockaddr_storage *a, socklen_t alen, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET)
    return alen >= sizeof(struct sockaddr_in) &&
           ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
  return alen >= sizeof(struct sockaddr_in6) &&
         memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
                sizeof(struct in6_addr)) == 0;
}

static int typed_array(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type t;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &t, len, data, NULL, NULL) != napi_ok) return 0;
  return t == want;
}

/* udp_ctx_create(fd, connected, vni | -1, family, "remote", port, data: Uint8Array,
 *                meta: Uint32Array, io: Uint32Array, eltSize, headroom, dataRoom) -> id | -errno */
napi_value tsfwd_udp_ctx_create(napi_env env, napi_callback_info info) {
  size_t argc = 12;
  napi_value argv[12];
  int32_t fd, connected, vni, elt, headroom, room;
  void *data, *meta, *io;
  size_t data_len, meta_len, io_len;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 12 || !tsfwd_arg_i32(env, argv[0], &fd) || fd < 0 || !tsfwd_arg_i32(env, argv[1], &connected) ||
      !tsfwd_arg_i32(env, argv[2], &vni) || vni < -1 || vni > 0xffffff ||
      !typed_array(env, argv[6], napi_uint8_array, &data, &data_len) ||
      !typed_array(env, argv[7], napi_uint32_array, &meta, &meta_len) ||
      !typed_array(env, argv[8], napi_uint32_array, &io, &io_len) || io_len < TSFWD_UDP_IO_WORDS ||
      !tsfwd_arg_i32(env, argv[9], &elt) || !tsfwd_arg_i32(env, argv[10], &headroom) ||
      !tsfwd_arg_i32(env, argv[11], &room) || elt <= 0 || headroom < 0 || room <= 0 ||
      (int64_t)headroom + room > elt || (vni >= 0 && headroom < VXLAN_HLEN))
    return tsfwd_int(env, -EINVAL);
  uint32_t n_mbufs = (uint32_t)(meta_len / TSFWD_MBUF_META_WORDS);
  if ((uint64_t)n_mbufs * (uint32_t)elt > data_len) return tsfwd_int(env, -EINVAL);

  struct udp_ctx *c = calloc(1, sizeof(*c));
  if (c == NULL) return tsfwd_int(env, -ENOMEM);
  int rc = tsfwd_sockaddr_from(env, argv[3], argv[4], argv[5], &c->remote, &c->remote_len);
  if (rc < 0) {
    free(c);
    return tsfwd_int(env, rc);
  }
  c->fd = fd;
  c->connected = connected != 0;
  c->vxlan = vni >= 0;
  /* RFC 7348 section 5: flags 0x08 (I), 24 reserved bits, VNI, 8 reserved bits. */
  if (c->vxlan) {
    c->vxhdr[0] = 0x08;
    c->vxhdr[4] = (uint8_t)(vni >> 16);
    c->vxhdr[5] = (uint8_t)(vni >> 8);
    c->vxhdr[6] = (uint8_t)vni;
  }
  c->data = data;
  c->meta = meta;
  c->n_mbufs = n_mbufs;
  c->elt = (uint32_t)elt;
  c->headroom = (uint32_t)headroom;
  c->room = (uint32_t)room;
  c->io = io;
  /* Everything but the frame addresses is fixed: build it once. */
  for (int i = 0; i < TSFWD_UDP_BURST_MAX; i++) {
    struct msghdr *h = &c->rx[i].msg_hdr;
    h->msg_iov = &c->riov[i];
    h->msg_iovlen = 1;
    h->msg_name = c->connected ? NULL : &c->rname[i];
    h->msg_control = c->rctl[i].buf;
    c->riov[i].iov_len = c->room + (c->vxlan ? VXLAN_HLEN : 0);
    h = &c->tx[i].msg_hdr;
    h->msg_name = c->connected ? NULL : &c->remote;
    h->msg_namelen = c->connected ? 0 : c->remote_len;
    c->tiov[2 * i].iov_base = c->vxhdr;
    c->tiov[2 * i].iov_len = VXLAN_HLEN;
    h->msg_iov = c->vxlan ? &c->tiov[2 * i] : &c->tiov[2 * i + 1];
    h->msg_iovlen = c->vxlan ? 2 : 1;
  }

  pthread_mutex_lock(&ctx_lock);
  int id = -1;
  for (int i = 0; i < TSFWD_UDP_MAX_CTX && id < 0; i++) {
    if (ctxs[i] == NULL) {
      ctxs[i] = c;
      owners[i] = env;
      id = i;
    }
  }
  pthread_mutex_unlock(&ctx_lock);
  if (id < 0) {
    free(c);
    return tsfwd_int(env, -ENOSPC);
  }
  return tsfwd_int(env, id);
}

/* udp_ctx_free(id) -> 0 | -EBADF */
napi_value tsfwd_udp_ctx_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || ctx_get(env, argv[0]) == NULL || !tsfwd_arg_i32(env, argv[0], &id)) return tsfwd_int(env, -EBADF);
  pthread_mutex_lock(&ctx_lock);
  ctx_release(id);
  pthread_mutex_unlock(&ctx_lock);
  return tsfwd_int(env, 0);
}

/* udp_ctx_set_mbufs(id, mbufs: Uint32Array) -> 0 | -errno. JS keeps the array
 * alive for as long as it stays registered. */
napi_value tsfwd_udp_ctx_set_mbufs(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *p;
  size_t len;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct udp_ctx *c = argc >= 2 ? ctx_get(env, argv[0]) : NULL;
  if (c == NULL) return tsfwd_int(env, -EBADF);
  if (!typed_array(env, argv[1], napi_uint32_array, &p, &len)) return tsfwd_int(env, -EINVAL);
  c->mbufs = p;
  c->n_slots = len;
  return tsfwd_int(env, 0);
}

/* udp_rx(id, n) -> datagrams received into mbufs[0..n) | -errno. For each
 * datagram i: io[LEN+i] = its length (VXLAN header included), io[FLAGS+i] =
 * msg_flags (MSG_TRUNC: longer than the data room), io[FOREIGN+i] = 1 if an
 * unconnected socket got it from another host; io[DROPS] = SO_RXQ_OVFL. */
napi_value tsfwd_udp_rx(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t n;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct udp_ctx *c = argc >= 2 ? ctx_get(env, argv[0]) : NULL;
  if (c == NULL) return tsfwd_int(env, -EBADF);
  if (!tsfwd_arg_i32(env, argv[1], &n) || n < 0 || n > TSFWD_UDP_BURST_MAX || (size_t)n > c->n_slots)
    return tsfwd_int(env, -EINVAL);
  uint32_t off = c->headroom - (c->vxlan ? VXLAN_HLEN : 0);
  for (int i = 0; i < n; i++) {
    uint32_t m = c->mbufs[i];
    if (m >= c->n_mbufs) return tsfwd_int(env, -EINVAL);
    struct msghdr *h = &c->rx[i].msg_hdr;
    c->riov[i].iov_base = c->data + (size_t)m * c->elt + off;
    h->msg_namelen = c->connected ? 0 : sizeof(c->rname[i]);
    h->msg_controllen = sizeof(c->rctl[i].buf);
    h->msg_flags = 0;
  }
  int r = n == 0 ? 0 : recvmmsg(c->fd, c->rx, (unsigned)n, MSG_DONTWAIT, NULL);
  if (r < 0) return tsfwd_int(env, -errno);
  uint32_t *io = c->io;
  for (int i = 0; i < r; i++) {
    struct msghdr *h = &c->rx[i].msg_hdr;
    io[TSFWD_UDP_IO_LEN + i] = c->rx[i].msg_len;
    io[TSFWD_UDP_IO_FLAGS + i] = (uint32_t)h->msg_flags;
    io[TSFWD_UDP_IO_FOREIGN + i] = c->connected ? 0 : !same_host(&c->rname[i], h->msg_namelen, &c->remote);
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm))
      if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL)
        memcpy(&io[TSFWD_UDP_IO_DROPS], CMSG_DATA(cm), sizeof(uint32_t));
  }
  return tsfwd_int(env, r);
}

/* udp_tx(id, start, n) -> datagrams sent from mbufs[start..start+n) | -errno.
 * -EINVAL when the first entry is not an mbuf index, or its metadata points
 * outside its buffer or gives less than an Ethernet header; a later bad one
 * ends the burst before it. Nothing of a bad entry is read but its index. */
napi_value tsfwd_udp_tx(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t start, n;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct udp_ctx *c = argc >= 3 ? ctx_get(env, argv[0]) : NULL;
  if (c == NULL) return tsfwd_int(env, -EBADF);
  if (!tsfwd_arg_i32(env, argv[1], &start) || !tsfwd_arg_i32(env, argv[2], &n) || start < 0 || n < 0 ||
      n > TSFWD_UDP_BURST_MAX || (size_t)start + (size_t)n > c->n_slots)
    return tsfwd_int(env, -EINVAL);
  for (int i = 0; i < n; i++) {
    uint32_t m = c->mbufs[start + i];
    uint32_t doff = 0, dlen = 0;
    int ok = m < c->n_mbufs;
    if (ok) {
      doff = c->meta[(size_t)m * TSFWD_MBUF_META_WORDS + TSFWD_MBUF_DATA_OFF];
      dlen = c->meta[(size_t)m * TSFWD_MBUF_META_WORDS + TSFWD_MBUF_DATA_LEN];
      ok = doff <= c->elt && dlen <= c->elt - doff && dlen >= ETH_HLEN;
    }
    if (!ok) {
      if (i == 0) return tsfwd_int(env, -EINVAL);
      n = i;
      break;
    }
    c->tiov[2 * i + 1].iov_base = c->data + (size_t)m * c->elt + doff;
    c->tiov[2 * i + 1].iov_len = dlen;
  }
  int r = n == 0 ? 0 : sendmmsg(c->fd, c->tx, (unsigned)n, MSG_DONTWAIT);
  return tsfwd_int(env, r < 0 ? -errno : r);
}

/* udp_layout() -> the constants JS must agree with (checked by a test). */
napi_value tsfwd_udp_layout(napi_env env, napi_callback_info info) {
  napi_value o;
  TSFWD_CHECK(env, napi_create_object(env, &o));
  const struct { const char *k; int64_t v; } kv[] = {
    {"burstMax", TSFWD_UDP_BURST_MAX}, {"ioLen", TSFWD_UDP_IO_LEN}, {"ioFlags", TSFWD_UDP_IO_FLAGS},
    {"ioForeign", TSFWD_UDP_IO_FOREIGN}, {"ioDrops", TSFWD_UDP_IO_DROPS}, {"ioWords", TSFWD_UDP_IO_WORDS},
    {"metaWords", TSFWD_MBUF_META_WORDS}, {"metaDataOff", TSFWD_MBUF_DATA_OFF},
    {"metaDataLen", TSFWD_MBUF_DATA_LEN}, {"msgTrunc", MSG_TRUNC}, {"maxCtx", TSFWD_UDP_MAX_CTX},
  };
  for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
    TSFWD_CHECK(env, napi_set_named_property(env, o, kv[i].k, tsfwd_int(env, kv[i].v)));
  return o;
}
