/* net_af_packet, mode mmap: PACKET_MMAP TPACKET_V2 RX and TX rings (and
 * the TX ring of a TPACKET_V3 socket, frame-based with V3 headers)
 * (Documentation/networking/packet_mmap.rst). C copies between ring frames
 * and mbuf data rooms; one send(fd, NULL, 0, MSG_DONTWAIT) kicks a tx burst.
 *
 * Ownership of a frame passes through tp_status. RX: the kernel sets
 * TP_STATUS_USER after filling a frame, we give it back with
 * TP_STATUS_KERNEL. TX: we set TP_STATUS_SEND_REQUEST after filling a frame,
 * tpacket_snd (only ever inside our send() call) takes it, and the skb
 * destructor sets TP_STATUS_AVAILABLE when the frame may be reused. */
#include <errno.h>
#include <sys/socket.h>
#include "afp.h"

/* Accumulates the socket's drop count (clear-on-read) into RX_MISSED. */
void afp_read_drops(struct afp_bind *b) {
  struct tpacket_stats st;
  socklen_t len = sizeof(st);
  if (getsockopt(b->q->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) b->rx_st[RX_MISSED] += st.tp_drops;
  b->q->losing = 0;
}

/* Called once per rx call: reads the drop count now and then (see
 * AFP_STATS_EVERY); the last read happens at unbind, so none is lost. */
void afp_poll_drops(struct afp_bind *b, uint32_t losing) {
  struct afp_queue *q = b->q;
  uint32_t p = ++q->polls;
  q->losing |= losing;
  if ((p & (q->losing ? AFP_STATS_LOSING : AFP_STATS_EVERY)) == 0) afp_read_drops(b);
}

/* Copies up to `max` frames into mbufs taken from the top of the stash
 * (stash[avail - 1], stash[avail - 2], ...) and lists them in rx_mbufs.
 * Frames that cannot be delivered intact (afp_rx_frame) are dropped and
 * counted as RX_ERRORS. A TPACKET_V2 ring: afp_ring3.c reads V3 blocks. */
int afp_rx_ring(struct afp_bind *b, uint32_t avail, uint32_t max) {
  struct afp_queue *q = b->q;
  struct afp_ring *r = &q->rx;
  uint32_t head = r->head, n = 0, seen = 0, errors = 0, losing = 0;
  uint64_t bytes = 0;
  while (n < max && seen < r->frame_nr) {
    struct tpacket2_hdr *h = (struct tpacket2_hdr *)(r->base + (size_t)head * r->frame_size);
    /* A1: observes the kernel handing this frame to us; pairs with the status
     * store (after smp_wmb) that ends tpacket_rcv, so the frame bytes and
     * header fields read below are complete. */
    uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
    if (!(st & TP_STATUS_USER)) break;
    uint32_t m = b->stash[avail - 1 - n];
    if (m >= b->nb_mbufs) break; /* not an mbuf (a bug upstream): write nothing, keep the frame */
    seen++;
    losing |= st & TP_STATUS_LOSING;
    uint32_t got = afp_rx_frame(b, m, (uint8_t *)h + h->tp_mac, h->tp_snaplen, h->tp_len, st, h->tp_vlan_tci, h->tp_vlan_tpid,
                                (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec);
    if (got) {
      b->rx_mbufs[n++] = m;
      bytes += got;
    } else {
      errors++;
    }
    /* R1: returns the frame to the kernel after our last read of it; pairs
     * with the status load in tpacket_rcv (__packet_get_status) before it
     * writes the frame again. */
    __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    head = head + 1 == r->frame_nr ? 0 : head + 1;
  }
  r->head = head;
  return afp_rx_done(b, n, bytes, errors, losing);
}

/* Copies mbufs tx_mbufs[start ..][0 .. n) into free TX frames, kicks once,
 * and returns how many of them the driver consumed (a prefix): sent frames
 * plus invalid ones it dropped, each counted once in TX_ERRORS (as DPDK's
 * oerrors: TX_PACKETS + TX_ERRORS = consumed). Invalid: not an mbuf index,
 * data offset + length outside the mbuf's buffer, shorter than an Ethernet
 * header or longer than the device takes; nothing of such an mbuf is read
 * (its metadata only once the index is known good). Frames the kernel did
 * not take during the kick go back to TP_STATUS_AVAILABLE and are returned
 * to the caller unsent, or, if the kick failed with a hard error
 * (afp_tx_refused), consumed and counted as TX_ERRORS. *nonm: non-mbufs moved to the prefix's end. */
int afp_tx_ring(struct afp_bind *b, uint32_t start, uint32_t n, uint32_t *nonm) {
  struct afp_queue *q = b->q;
  struct afp_ring *r = &q->tx;
  uint32_t *mb = b->tx_mbufs + start;
  uint32_t cap = r->frame_size - r->data_off - AFP_VNET_LEN;
  uint32_t pos[AFP_MAX_BURST], bad_before[AFP_MAX_BURST], lens[AFP_MAX_BURST];
  uint32_t head = r->head, placed = 0, bad = 0, nonm_seen = 0, i;
  for (i = 0; i < n; i++) {
    uint32_t m = mb[i];
    if (m >= b->nb_mbufs) { /* not an mbuf (a bug upstream): consumed, counted, never touched */
      bad++;
      nonm_seen = 1;
      continue;
    }
    const uint32_t *mt = b->meta + (size_t)m * MBUF_META_WORDS;
    uint32_t off = mt[MBUF_DATA_OFF], len = mt[MBUF_DATA_LEN];
    const uint8_t *src = b->data + (size_t)m * b->elt_size + off;
    if (len < AFP_ETH_HLEN || (uint64_t)off + len > b->elt_size || len > cap || len > afp_tx_limit(q, src, len)) {
      bad++; /* the kernel would reject it (packet too long / too short): drop, count */
      continue;
    }
    uint8_t *h = r->base + (size_t)head * r->frame_size;
    uint32_t *status = (uint32_t *)(h + r->st_off);
    /* A2: observes the skb destructor (tpacket_destruct_skb) releasing the
     * frame; pairs with its status store, so the kernel is done reading it. */
    if (__atomic_load_n(status, __ATOMIC_ACQUIRE) != TP_STATUS_AVAILABLE) break; /* ring full */
    uint8_t *dst = h + r->data_off;
    memset(dst, 0, AFP_VNET_LEN); /* virtio_net_hdr: no GSO, no checksum request */
    /* hdr_len = the whole frame: tpacket_snd copies that much into the skb's
     * linear part. With 0 only the Ethernet header is copied and the rest is
     * attached as frags of the ring's pages, which a veth (or any forwarding
     * to another device) must copy into newly allocated pages
     * (skb_copy_ubufs): a page allocation and free per frame. */
    ((struct virtio_net_hdr *)dst)->hdr_len = (__virtio16)len;
    memcpy(dst + AFP_VNET_LEN, src, len);
    *(uint32_t *)(h + r->len_off) = len + AFP_VNET_LEN;
    /* R2: publishes tp_len and the frame bytes; pairs with the status load
     * in tpacket_snd (packet_current_frame) during the kick below. */
    __atomic_store_n(status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    pos[placed] = i;
    bad_before[placed] = bad;
    lens[placed] = len;
    placed++;
    head = head + 1 == r->frame_nr ? 0 : head + 1;
  }
  uint32_t consumed = i, sent = placed, rejected = 0;
  if (placed) {
    int rc = (int)send(q->fd, NULL, 0, MSG_DONTWAIT);
    /* A hard error may be stale: a device that went down and up again leaves
     * sk_err = ENETDOWN, reported (and cleared) by the next send. Retry once. */
    if (rc < 0 && afp_tx_refused(errno)) rc = (int)send(q->fd, NULL, 0, MSG_DONTWAIT);
    int err = rc < 0 ? errno : 0;
    /* tpacket_snd runs only inside send(): whatever still says SEND_REQUEST
     * now was not taken, and it is a suffix of this burst (the kernel walks
     * the ring in order and stops at its first failure). Take it back. */
    while (sent > 0) {
      uint32_t f = r->head + sent - 1;
      if (f >= r->frame_nr) f -= r->frame_nr;
      uint32_t *status = (uint32_t *)(r->base + (size_t)f * r->frame_size + r->st_off);
      /* A3/R3: the kernel is not in the ring (no send() running), so a plain
       * exchange of ownership; acquire/release keep the ordering explicit. */
      if (__atomic_load_n(status, __ATOMIC_ACQUIRE) != TP_STATUS_SEND_REQUEST) break;
      __atomic_store_n(status, TP_STATUS_AVAILABLE, __ATOMIC_RELEASE);
      sent--;
    }
    if (sent < placed) {
      head = r->head + sent;
      if (head >= r->frame_nr) head -= r->frame_nr;
      /* EAGAIN, ENOBUFS (a stopped queue, e.g. while the carrier comes up):
       * the rest is the caller's, to retry or drop. Any other error
       * (ENETDOWN, ...): the kernel refused them; consumed and counted, not
       * handed back (the caller would count them a second time). */
      if (afp_tx_refused(err)) rejected = placed - sent;
      else {
        consumed = pos[sent];
        bad = bad_before[sent];
      }
    }
  }
  r->head = head;
  uint64_t bytes = 0;
  for (uint32_t k = 0; k < sent; k++) bytes += lens[k];
  if (sent | bad | rejected) {
    b->tx_st[TX_PACKETS] += sent;
    b->tx_st[TX_BYTES] += (double)bytes;
    b->tx_st[TX_ERRORS] += bad + rejected;
  }
  *nonm = nonm_seen ? afp_sink_nonmbufs(mb, consumed, b->nb_mbufs) : 0;
  return (int)consumed;
}
