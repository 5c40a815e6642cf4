/* net_af_xdp hot calls: integer arguments only (the arrays were registered
 * once by xsk_bind / xsk_set_mbufs), count | -errno back. The rings are
 * libxdp's inline helpers: acquire loads of the kernel's producer/consumer
 * index, release stores of ours (net/xdp/xsk_queue.h explains the pairing). */
#include <errno.h>
#include <sys/socket.h>
#include "../shim.h"
#include "xsk.h"

#ifdef TSFWD_HAVE_XSK
#include <linux/if_xdp.h>

#define ETH_HLEN 14u
#define VLAN_HLEN 4u

/* Cumulative XDP_STATISTICS into the stats lines (set, not added: the kernel keeps the totals). */
void xsk_read_stats(struct xsk_q *q, int tx_side) {
  struct xdp_statistics s;
  socklen_t l = sizeof(s);
  if (getsockopt(q->fd, SOL_XDP, XDP_STATISTICS, &s, &l) < 0) return;
  if (tx_side) {
    q->tx_invalid = s.tx_invalid_descs;
    q->tx_st[XSK_TX_ERRORS] = (double)(q->tx_refused + q->tx_invalid);
  }
  /* A frame that found the fill ring empty counts in both rx_dropped and
   * rx_fill_ring_empty_descs: adding the latter would count it twice. */
  else q->rx_st[XSK_RX_MISSED] = (double)(s.rx_dropped + s.rx_ring_full);
}

static inline void meta_rx(struct xsk_q *q, uint32_t m, uint32_t off, uint32_t len) {
  uint32_t *mt = q->meta + (size_t)m * XSK_META_WORDS;
  mt[XSK_META_DATA_OFF] = off;
  mt[XSK_META_DATA_LEN] = len;
  mt[XSK_META_PORT] = q->port;
  for (uint32_t w = 3; w < XSK_META_WORDS; w++) mt[w] = 0; /* flags, timestamp, user: reset as rte_pktmbuf_reset */
}

/* Offers stash[avail - k .. avail) to the kernel (the top of the stash). */
static uint32_t refill(struct xsk_bind *b, uint32_t avail) {
  struct xsk_q *q = b->q;
  if (q->fill_held >= XSK_FILL_TARGET || avail == 0) return 0;
  uint32_t want = XSK_FILL_TARGET - q->fill_held, idx;
  if (want > avail) want = avail;
  uint32_t k = xsk_prod_nb_free(&q->fq, want);
  if (k > want) k = want;
  if (k == 0 || xsk_ring_prod__reserve(&q->fq, k, &idx) != k) return 0;
  for (uint32_t i = 0; i < k; i++) {
    uint32_t m = b->stash[avail - 1 - i];
    /* Not an mbuf (a bug upstream): offer nothing from here; JS takes the count. */
    if (m >= q->nb_mbufs) {
      q->fq.cached_prod -= k - i; /* give back the unused fill slots */
      k = i;
      break;
    }
    q->owned[m] = 1;
    *xsk_ring_prod__fill_addr(&q->fq, idx + i) = (uint64_t)m * q->elt_size;
  }
  if (k) xsk_ring_prod__submit(&q->fq, k);
  q->fill_held += k;
  return k;
}

int xsk_rx_burst(struct xsk_bind *b, uint32_t avail, uint32_t max) {
  struct xsk_q *q = b->q;
  uint32_t filled = refill(b, avail), idx;
  b->io[XSK_IO_FILLED] = (int32_t)filled;
  /* Sockets bind with XDP_USE_NEED_WAKEUP: the kernel says when it needs a kick. */
  if (q->kick_rx || xsk_ring_prod__needs_wakeup(&q->fq))
    recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
  if (++q->rx_polls % XSK_STATS_EVERY == 0) xsk_read_stats(q, 0);
  uint32_t n = xsk_ring_cons__peek(&q->rx, max, &idx);
  if (n == 0) return 0;
  uint64_t bytes = 0;
  uint32_t got = 0, bad = 0;
  for (uint32_t i = 0; i < n; i++) {
    const struct xdp_desc *d = xsk_ring_cons__rx_desc(&q->rx, idx + i);
    uint64_t base = xsk_umem__extract_addr(d->addr);
    uint32_t m = (uint32_t)(base / q->elt_size);
    uint32_t off = (uint32_t)(base - (uint64_t)m * q->elt_size + xsk_umem__extract_offset(d->addr));
    /* The kernel only returns addresses we gave it, all inside the UMEM;
     * checked anyway (cheap) so a broken descriptor cannot write elsewhere. */
    if (m >= q->nb_mbufs || (uint64_t)off + d->len > q->elt_size) {
      bad++;
      continue;
    }
    q->owned[m] = 0;
    if (d->len < ETH_HLEN) {
      /* A runt: dropped, its buffer goes straight back on offer. */
      uint32_t fi;
      if (xsk_ring_prod__reserve(&q->fq, 1, &fi) == 1) {
        q->owned[m] = 1;
        *xsk_ring_prod__fill_addr(&q->fq, fi) = (uint64_t)m * q->elt_size;
        xsk_ring_prod__submit(&q->fq, 1);
        q->fill_held++;
      }
      bad++;
      continue;
    }
    meta_rx(q, m, off, d->len);
    b->rx_mbufs[got++] = m;
    bytes += d->len;
  }
  xsk_ring_cons__release(&q->rx, n);
  q->fill_held -= n;
  q->rx_st[XSK_RX_PACKETS] += got;
  q->rx_st[XSK_RX_BYTES] += (double)bytes;
  if (bad) q->rx_st[XSK_RX_ERRORS] += bad;
  return (int)got;
}

/* Completed tx buffers go to b->done (JS returns them to the pool). */
static uint32_t reap(struct xsk_bind *b, uint32_t k) {
  struct xsk_q *q = b->q;
  uint32_t idx, n = xsk_ring_cons__peek(&q->cq, XSK_RING_SIZE, &idx);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t m = (uint32_t)(xsk_umem__extract_addr(*xsk_ring_cons__comp_addr(&q->cq, idx + i)) / q->elt_size);
    if (m >= q->nb_mbufs) continue; /* never ours (see xsk_rx_burst) */
    q->owned[m] = 0;
    b->done[k++] = m;
  }
  if (n) xsk_ring_cons__release(&q->cq, n);
  return k;
}

/* The kernel's generic (copy-mode) transmit takes a bounded batch per
 * sendto(), so kick until the tx ring is drained or the device pushes back. */
static void kick_tx(struct xsk_q *q) {
  for (int i = 0; i < 32; i++) {
    /* Observes the kernel's tx consumer index (its release store in
     * xskq_cons_release during sendto's transmit); our producer is ours. */
    if (__atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE) == *q->tx.producer) return;
    if (!xsk_ring_prod__needs_wakeup(&q->tx)) return;
    if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EINTR) return; /* EAGAIN/EBUSY/ENOBUFS: retried next burst */
  }
}

int xsk_tx_burst(struct xsk_bind *b, uint32_t start, uint32_t n) {
  struct xsk_q *q = b->q;
  uint32_t done = reap(b, 0), idx;
  uint32_t k = xsk_prod_nb_free(&q->tx, n);
  if (k > n) k = n;
  uint32_t sent = 0, bad = 0;
  uint64_t bytes = 0;
  if (k > 0 && xsk_ring_prod__reserve(&q->tx, k, &idx) == k) {
    for (uint32_t i = 0; i < k; i++) {
      uint32_t m = b->tx_mbufs[start + i];
      /* Checked in this order, so nothing is read from outside the pool: the
       * index (metadata), then offset + length (frame), then the VLAN TPID. */
      if (m >= q->nb_mbufs) {
        bad++; /* not an mbuf (a bug upstream): consumed, counted, never freed */
        continue;
      }
      const uint32_t *mt = q->meta + (size_t)m * XSK_META_WORDS;
      uint32_t off = mt[XSK_META_DATA_OFF], len = mt[XSK_META_DATA_LEN];
      int ok = len >= ETH_HLEN && (uint64_t)off + len <= q->elt_size;
      if (ok) {
        const uint8_t *f = q->area + (size_t)m * q->elt_size + off;
        uint32_t lim = q->tx_max;
        if ((f[12] == 0x81 && f[13] == 0x00) || (f[12] == 0x88 && f[13] == 0xa8)) lim += VLAN_HLEN;
        ok = len <= lim;
      }
      if (!ok) {
        /* Refused: consumed and counted, the mbuf goes back with the completions. */
        b->done[done++] = m;
        bad++;
        continue;
      }
      struct xdp_desc *d = xsk_ring_prod__tx_desc(&q->tx, idx + sent);
      d->addr = (uint64_t)m * q->elt_size + off;
      d->len = len;
      d->options = 0;
      q->owned[m] = 1;
      bytes += len;
      sent++;
    }
    q->tx.cached_prod -= k - sent; /* give back the slots refused frames did not use */
    if (sent) xsk_ring_prod__submit(&q->tx, sent);
  } else {
    k = 0;
  }
  /* Kick for new frames, or for old ones still queued (same load as in kick_tx). */
  if (sent || *q->tx.producer != __atomic_load_n(q->tx.consumer, __ATOMIC_ACQUIRE)) kick_tx(q);
  if (++q->tx_kicks % XSK_STATS_EVERY == 0) xsk_read_stats(q, 1);
  b->io[XSK_IO_DONE] = (int32_t)done;
  q->tx_st[XSK_TX_PACKETS] += sent;
  q->tx_st[XSK_TX_BYTES] += (double)bytes;
  if (bad) {
    q->tx_refused += bad;
    q->tx_st[XSK_TX_ERRORS] = (double)(q->tx_refused + q->tx_invalid);
  }
  return (int)k;
}

/* rx burst of a binding: io[AVAIL], io[MAX] in; io[RESULT] = frames delivered
 * into the rx mbufs array, io[FILLED] = stash entries given to the fill ring. */
static void rx_io(struct xsk_bind *b) {
  int32_t *io = b->io;
  if (!b->id || !b->rx_mbufs) { if (io) io[XSK_IO_RESULT] = -EBADF, io[XSK_IO_FILLED] = 0; return; }
  int32_t avail = io[XSK_IO_AVAIL], max = io[XSK_IO_MAX];
  if (avail < 0 || (uint32_t)avail > b->stash_len || max < 0) { io[XSK_IO_RESULT] = -EINVAL, io[XSK_IO_FILLED] = 0; return; }
  uint32_t m = (uint32_t)max;
  if (m > XSK_MAX_BURST) m = XSK_MAX_BURST;
  if (m > b->rx_mbufs_len) m = b->rx_mbufs_len;
  io[XSK_IO_RESULT] = xsk_rx_burst(b, (uint32_t)avail, m);
}

/* tx burst of a binding: io[START], io[N] in; io[RESULT] = mbufs consumed from
 * tx mbufs[start ..] (a prefix), io[DONE] = completed mbufs in `done`. */
static void tx_io(struct xsk_bind *b) {
  int32_t *io = b->io;
  if (!b->id || !b->tx_mbufs || !b->done) { if (io) { io[XSK_IO_RESULT] = -EBADF; io[XSK_IO_DONE] = 0; } return; }
  int32_t start = io[XSK_IO_START], n = io[XSK_IO_N];
  if (start < 0 || n < 0 || (uint64_t)start + (uint32_t)n > b->tx_mbufs_len) { io[XSK_IO_RESULT] = -EINVAL; io[XSK_IO_DONE] = 0; return; }
  uint32_t k = (uint32_t)n > XSK_MAX_BURST ? XSK_MAX_BURST : (uint32_t)n;
  io[XSK_IO_RESULT] = xsk_tx_burst(b, (uint32_t)start, k);
}

/* The binding named by the one argument; NULL (nothing written) if stale. */
static struct xsk_bind *arg_bind(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !tsfwd_arg_i32(env, argv[0], &id)) return NULL;
  return xsk_bind_get(id);
}

/* xsk_rx_io(bindId): one function for every binding, so the JS call site stays
 * monomorphic (V8 calls it through its fast API-callback path). */
napi_value tsfwd_xsk_rx_io(napi_env env, napi_callback_info info) {
  struct xsk_bind *b = arg_bind(env, info);
  if (b) rx_io(b);
  return NULL;
}

napi_value tsfwd_xsk_tx_io(napi_env env, napi_callback_info info) {
  struct xsk_bind *b = arg_bind(env, info);
  if (b) tx_io(b);
  return NULL;
}

#else
napi_value tsfwd_xsk_rx_io(napi_env env, napi_callback_info info) { return NULL; }
napi_value tsfwd_xsk_tx_io(napi_env env, napi_callback_info info) { return NULL; }
#endif
