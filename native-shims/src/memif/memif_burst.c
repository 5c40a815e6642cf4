/* net_memif bursts (lcore hot path): copy between memif buffers and mbuf
 * data rooms. No allocation, no syscall unless the peer asked for kicks.
 *
 * Who moves what (memif 2.0, as DPDK 22.11's eth_memif_rx/tx):
 *  - C2S ring: the client fills slots from head (its own buffers, offsets
 *    fixed at setup) and publishes head; the server reads up to head and
 *    hands slots back by publishing tail.
 *  - S2C ring: the client offers empty buffers by publishing head; the
 *    server fills from tail and publishes tail; the client reads up to tail
 *    and re-offers those slots. */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "../shim.h"
#include "../af-packet/afp.h" /* MBUF_* and RX_/TX_ stats words, checked against JS by afp_layout */
#include "memif.h"

static struct mif_bind mif_binds[MIF_BIND_SLOTS];
static uint32_t mif_bgen;
static pthread_mutex_t mif_block = PTHREAD_MUTEX_INITIALIZER;

struct mif_bind *mif_bind_get(int32_t id) {
  if (id <= 0) return NULL;
  struct mif_bind *b = &mif_binds[(uint32_t)id & (MIF_BIND_SLOTS - 1)];
  return b->id == (uint32_t)id ? b : NULL;
}

#define HEAD(r) ((_Atomic uint16_t *)((r)->base + MIF_RING_HEAD))
#define TAIL(r) ((_Atomic uint16_t *)((r)->base + MIF_RING_TAIL))
#define DESC(r) ((struct mif_desc *)((r)->base + MIF_RING_DESC))
#define FLAGS(r) (*(volatile uint16_t *)((r)->base + MIF_RING_FLAGS))

/* Enters a burst on busy word k: 0 if the link is down (nothing touched).
 * The seq_cst store then load pairs with mif_teardown's store of up = 0 then
 * loads of busy: either teardown sees us busy and waits, or we see down. */
static inline int mif_enter(struct mif_port *p, uint32_t k, _Atomic int *up) {
  atomic_store(&p->busy[k], 1);
  if (atomic_load(up)) return 1;
  atomic_store_explicit(&p->busy[k], 0, memory_order_release);
  return 0;
}
static inline void mif_leave(struct mif_port *p, uint32_t k) {
  /* Release: our last access to the region happens before teardown's load. */
  atomic_store_explicit(&p->busy[k], 0, memory_order_release);
}

static inline void kick(const struct mif_ring *r) {
  if (!(FLAGS(r) & MIF_RING_MASK_INT) && r->efd >= 0) {
    uint64_t one = 1;
    ssize_t w = write(r->efd, &one, sizeof(one));
    (void)w; /* EAGAIN: the counter is already high, the reader will wake */
  }
}

/* Address of a descriptor's bytes, or NULL if it points outside its region. */
static inline uint8_t *buf_of(const struct mif_port *p, const struct mif_desc *d, uint32_t len) {
  if (d->region >= p->nreg) return NULL;
  const struct mif_region *g = &p->reg[d->region];
  if ((uint64_t)d->offset + len > g->size) return NULL;
  return g->addr + d->offset;
}

/* Receives up to max frames into the top of the stash. Returns n | -errno. */
static int mif_rx(struct mif_bind *b, uint32_t avail, uint32_t max) {
  struct mif_port *p = b->p;
  uint32_t q = b->q;
  if (!mif_enter(p, 2 * q, &p->up)) return 0;
  struct mif_ring *r = &p->rx[q];
  struct mif_desc *desc = DESC(r);
  _Atomic uint16_t *pub = p->server ? HEAD(r) : TAIL(r);
  /* Acquire: the descriptors and buffer bytes before the peer's release store of head (C2S) or tail (S2C). */
  uint16_t end = atomic_load_explicit(pub, memory_order_acquire);
  uint16_t cur = r->last;
  if (cur == end && p->rx_intr[q] && r->efd >= 0) {
    /* Empty, and an lcore may sleep on this queue: consume the peer's kicks,
     * then look again. A kick after the read stays pending (the sleep wakes);
     * a publish before it is seen by the second load. Busy queues skip this. */
    uint64_t v;
    ssize_t rd = read(r->efd, &v, sizeof(v));
    (void)rd; /* EAGAIN: no kick pending */
    end = atomic_load_explicit(pub, memory_order_acquire); /* acquire: as above */
  }
  uint32_t n = 0, bad = 0;
  uint64_t bytes = 0;
  if (max > avail) max = avail;
  while (cur != end && n < max) {
    uint32_t m = b->stash[avail - 1 - n];
    uint8_t *dst = b->data + (size_t)m * b->elt_size + b->headroom;
    uint32_t len = 0;
    int ok = m < b->nb_mbufs;
    for (;;) {
      const struct mif_desc *d = &desc[cur & r->mask];
      uint16_t fl = d->flags;
      uint32_t l = d->length;
      const uint8_t *src = buf_of(p, d, l);
      if (!src || len + l > b->data_room) ok = 0;
      if (ok) memcpy(dst + len, src, l);
      len += l;
      cur++;
      if (!(fl & MIF_DESC_NEXT) || cur == end) break;
    }
    if (!ok) { bad++; continue; } /* too long for an mbuf, or a descriptor outside the region */
    uint32_t *mt = b->meta + (size_t)m * MBUF_META_WORDS;
    mt[MBUF_DATA_OFF] = b->headroom;
    mt[MBUF_DATA_LEN] = len;
    mt[MBUF_PORT] = b->port;
    mt[MBUF_FLAGS] = 0;
    mt[MBUF_TS_LO] = mt[MBUF_TS_HI] = mt[MBUF_USER] = mt[MBUF_RESERVED] = 0;
    b->rx_mbufs[n++] = m;
    bytes += len;
  }
  r->last = cur;
  if (p->server) {
    /* Release: we are done reading these slots; pairs with the client's acquire load of tail in mif_tx. */
    atomic_store_explicit(TAIL(r), cur, memory_order_release);
  } else {
    /* Offer every consumed slot again, each with its own fixed buffer. */
    uint16_t head = atomic_load_explicit(HEAD(r), memory_order_relaxed); /* our own store */
    uint16_t room = (uint16_t)(r->mask + 1 - (uint16_t)(head - cur));
    for (uint16_t i = 0; i < room; i++, head++) {
      struct mif_desc *d = &desc[head & r->mask];
      d->length = p->bsize;
      d->flags = 0;
    }
    /* Release: the descriptors above; pairs with the server's acquire load of head in mif_tx. */
    atomic_store_explicit(HEAD(r), head, memory_order_release);
  }
  mif_leave(p, 2 * q);
  if (n || bad) {
    b->rx_st[RX_PACKETS] += n;
    b->rx_st[RX_BYTES] += (double)bytes;
    b->rx_st[RX_ERRORS] += bad;
  }
  return (int)n;
}

/* Sends tx_mbufs[start ..][0 .. n). Returns how many were consumed: sent, or
 * counted in TX_ERRORS (empty or out-of-bounds frame, link down); the caller
 * frees those and keeps the rest (ring full). */
static int mif_tx(struct mif_bind *b, uint32_t start, uint32_t n) {
  struct mif_port *p = b->p;
  uint32_t q = b->q;
  if (!mif_enter(p, 2 * q + 1, &p->tx_up)) {
    b->tx_st[TX_ERRORS] += n; /* link down: refused, as a NIC without carrier drops */
    return (int)n;
  }
  struct mif_ring *r = &p->tx[q];
  struct mif_desc *desc = DESC(r);
  uint32_t *mb = b->tx_mbufs + start;
  uint16_t slot, free;
  if (p->server) {
    slot = atomic_load_explicit(TAIL(r), memory_order_relaxed); /* our own store */
    /* Acquire: the client's offered descriptors; pairs with its release store of head in mif_rx. */
    free = (uint16_t)(atomic_load_explicit(HEAD(r), memory_order_acquire) - slot);
  } else {
    slot = atomic_load_explicit(HEAD(r), memory_order_relaxed);
    /* Acquire: the server is done with slots before tail; pairs with its release store in mif_rx. */
    uint16_t tail = atomic_load_explicit(TAIL(r), memory_order_acquire);
    free = (uint16_t)(r->mask + 1 - (uint16_t)(slot - tail));
  }
  uint32_t i = 0, bad = 0;
  uint64_t bytes = 0;
  for (; i < n; i++) {
    uint32_t m = mb[i];
    if (m >= b->nb_mbufs) break; /* not an mbuf (a bug upstream): not consumed */
    const uint32_t *mt = b->meta + (size_t)m * MBUF_META_WORDS;
    uint32_t len = mt[MBUF_DATA_LEN], off = mt[MBUF_DATA_OFF];
    if ((uint64_t)off + len > b->elt_size || len == 0) { bad++; continue; }
    const uint8_t *src = b->data + (size_t)m * b->elt_size + off;
    uint16_t s = slot, used = 0;
    uint32_t done = 0;
    int ok = 1;
    while (done < len) {
      if (used == free) { ok = 0; break; }
      struct mif_desc *d = &desc[s & r->mask];
      /* Server: the client's buffer and its size; client: our fixed buffer of bsize. */
      uint32_t cap = p->server ? d->length : p->bsize;
      uint8_t *dst = buf_of(p, d, cap);
      if (!dst || cap == 0) { ok = -1; break; }
      uint32_t c = len - done < cap ? len - done : cap;
      memcpy(dst, src + done, c);
      d->length = c;
      done += c;
      d->flags = done < len ? MIF_DESC_NEXT : 0;
      s++;
      used++;
    }
    if (ok == 0) break; /* ring full: this frame and the rest stay with the caller */
    if (ok < 0) { bad++; i++; break; } /* the peer's descriptor points outside its region: consumed, counted */
    slot = s;
    free = (uint16_t)(free - used);
    bytes += len;
  }
  uint32_t sent = i - bad;
  /* Release: descriptors and bytes above; pairs with the reader's acquire load in mif_rx. */
  atomic_store_explicit(p->server ? TAIL(r) : HEAD(r), slot, memory_order_release);
  if (sent) kick(r);
  mif_leave(p, 2 * q + 1);
  b->tx_st[TX_PACKETS] += sent;
  b->tx_st[TX_BYTES] += (double)bytes;
  b->tx_st[TX_ERRORS] += bad;
  return (int)i;
}

/* memif_bind(port, queue, data, meta, stash, rx, tx, params [port, headroom, dataRoom, eltSize, nbMbufs]) -> bind id | -errno */
napi_value tsfwd_memif_bind(napi_env env, napi_callback_info info) {
  size_t argc = 8, ld = 0, lm = 0, ls = 0, lr = 0, lt = 0, lp = 0;
  napi_value argv[8];
  int32_t pid, q;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 8 || !tsfwd_arg_i32(env, argv[0], &pid) || !tsfwd_arg_i32(env, argv[1], &q)) return tsfwd_int(env, -EINVAL);
  uint8_t *data = mif_ta(env, argv[2], napi_uint8_array, &ld);
  uint32_t *meta = mif_ta(env, argv[3], napi_uint32_array, &lm);
  uint32_t *stash = mif_ta(env, argv[4], napi_uint32_array, &ls);
  double *rx = mif_ta(env, argv[5], napi_float64_array, &lr);
  double *tx = mif_ta(env, argv[6], napi_float64_array, &lt);
  int32_t *pp = mif_ta(env, argv[7], napi_int32_array, &lp);
  if (!data || !meta || !stash || !rx || !tx || !pp || lp < 5 || lr < QSTAT_WORDS || lt < QSTAT_WORDS) return tsfwd_int(env, -EINVAL);
  uint32_t headroom = (uint32_t)pp[1], room = (uint32_t)pp[2], elt = (uint32_t)pp[3], nb = (uint32_t)pp[4];
  if ((uint64_t)headroom + room > elt || (uint64_t)nb * elt > ld || (uint64_t)nb * MBUF_META_WORDS > lm) return tsfwd_int(env, -EINVAL);
  struct mif_port *p = mif_port_get(pid);
  if (!p) return tsfwd_int(env, -EBADF);
  if ((uint32_t)q >= p->nq) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&mif_block);
  uint32_t slot = 1;
  while (slot < MIF_BIND_SLOTS && mif_binds[slot].id != 0) slot++;
  int rc = -EMFILE;
  if (slot < MIF_BIND_SLOTS) {
    struct mif_bind *b = &mif_binds[slot];
    *b = (struct mif_bind){ .p = p, .q = (uint32_t)q, .data = data, .meta = meta, .nb_mbufs = nb, .elt_size = elt,
                            .headroom = headroom, .data_room = room, .port = (uint32_t)pp[0], .stash = stash,
                            .stash_len = (uint32_t)ls, .rx_st = rx, .tx_st = tx };
    b->id = tsfwd_slot_id(&mif_bgen, slot, 10);
    rc = (int)b->id;
  }
  pthread_mutex_unlock(&mif_block);
  return tsfwd_int(env, rc);
}

napi_value tsfwd_memif_unbind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&mif_block);
  struct mif_bind *b = mif_bind_get(id);
  if (b) memset(b, 0, sizeof(*b));
  pthread_mutex_unlock(&mif_block);
  return tsfwd_int(env, b ? 0 : -EBADF);
}

/* memif_set_mbufs(bind, tx 0|1, mbufs) -> 0 | -errno: the caller's burst array, registered once per array object. */
napi_value tsfwd_memif_set_mbufs(napi_env env, napi_callback_info info) {
  size_t argc = 3, len = 0;
  napi_value argv[3];
  int32_t id, tx;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &tx)) return tsfwd_int(env, -EINVAL);
  uint32_t *arr = mif_ta(env, argv[2], napi_uint32_array, &len);
  struct mif_bind *b = mif_bind_get(id);
  if (!arr || !b) return tsfwd_int(env, !b ? -EBADF : -EINVAL);
  if (tx) { b->tx_mbufs = arr; b->tx_len = (uint32_t)len; }
  else { b->rx_mbufs = arr; b->rx_len = (uint32_t)len; }
  return tsfwd_int(env, 0);
}

/* Hot: memif_rx(bind, avail, max) -> frames | -errno. JS checked avail <= stash and max <= rx array. */
napi_value tsfwd_memif_rx(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t id, avail, max;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &avail) || !tsfwd_arg_i32(env, argv[2], &max)) return tsfwd_int(env, -EINVAL);
  struct mif_bind *b = mif_bind_get(id);
  if (!b || !b->rx_mbufs || avail < 0 || max < 0 || (uint32_t)avail > b->stash_len || (uint32_t)max > b->rx_len) return tsfwd_int(env, -EINVAL);
  return tsfwd_int(env, mif_rx(b, (uint32_t)avail, (uint32_t)max));
}

/* Hot: memif_tx(bind, start, n) -> consumed | -errno. */
napi_value tsfwd_memif_tx(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t id, start, n;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &start) || !tsfwd_arg_i32(env, argv[2], &n)) return tsfwd_int(env, -EINVAL);
  struct mif_bind *b = mif_bind_get(id);
  if (!b || !b->tx_mbufs || start < 0 || n < 0 || (uint64_t)start + (uint32_t)n > b->tx_len) return tsfwd_int(env, -EINVAL);
  return tsfwd_int(env, mif_tx(b, (uint32_t)start, (uint32_t)n));
}
