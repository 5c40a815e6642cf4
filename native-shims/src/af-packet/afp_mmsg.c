/* net_af_packet, mode mmsg: recvmmsg/sendmmsg bursts whose iovecs point
 * straight into mbuf data rooms (no ring, no intermediate copy in user
 * space). Each message carries the 10-byte virtio_net_hdr first
 * (PACKET_VNET_HDR), and rx asks for PACKET_AUXDATA to learn stripped VLAN
 * tags, as the ring's frame header tells in mode mmap. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include "afp.h"

struct afp_mmsg {
  struct mmsghdr msgs[AFP_MAX_BURST];
  struct iovec iov[2 * AFP_MAX_BURST];
  struct virtio_net_hdr vnet[AFP_MAX_BURST];
  union {
    struct cmsghdr h;
    uint8_t buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
  } cmsg[AFP_MAX_BURST];
  uint32_t pos[AFP_MAX_BURST], bad_before[AFP_MAX_BURST];
};

static const struct virtio_net_hdr afp_no_offload; /* all zero: no GSO, no checksum request */

struct afp_mmsg *afp_mmsg_alloc(void) {
  return calloc(1, sizeof(struct afp_mmsg));
}

static const struct tpacket_auxdata *aux_of(struct msghdr *mh) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
    if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata)))
      return (const struct tpacket_auxdata *)CMSG_DATA(c);
  return NULL;
}

/* Receives up to `max` frames into the top `max` stash mbufs. Delivered ones
 * go to rx_mbufs[0 .. n); the mbufs of dropped frames are written back just
 * below the stash's new top, so stash[0 .. avail - n) stays the free set. */
int afp_rx_mmsg(struct afp_bind *b, uint32_t avail, uint32_t max) {
  struct afp_mmsg *mm = b->mm;
  for (uint32_t i = 0; i < max; i++) {
    uint32_t m = b->stash[avail - 1 - i];
    if (m >= b->nb_mbufs) { /* not an mbuf (a bug upstream): receive into none from here */
      max = i;
      break;
    }
    mm->iov[2 * i].iov_base = &mm->vnet[i];
    mm->iov[2 * i].iov_len = AFP_VNET_LEN;
    mm->iov[2 * i + 1].iov_base = b->data + (size_t)m * b->elt_size + b->headroom;
    mm->iov[2 * i + 1].iov_len = b->data_room;
    struct msghdr *mh = &mm->msgs[i].msg_hdr;
    mh->msg_name = NULL;
    mh->msg_namelen = 0;
    mh->msg_iov = &mm->iov[2 * i];
    mh->msg_iovlen = 2;
    mh->msg_control = mm->cmsg[i].buf;
    mh->msg_controllen = sizeof(mm->cmsg[i].buf);
    mh->msg_flags = 0;
  }
  int r = max ? recvmmsg(b->q->fd, mm->msgs, max, MSG_DONTWAIT, NULL) : 0;
  if (r <= 0) r = 0; /* EAGAIN: nothing waiting; other errors show up as no frames */
  uint32_t n = 0, nbad = 0, bad[AFP_MAX_BURST];
  uint64_t bytes = 0;
  for (uint32_t i = 0; i < (uint32_t)r; i++) {
    uint32_t m = b->stash[avail - 1 - i];
    struct msghdr *mh = &mm->msgs[i].msg_hdr;
    const struct virtio_net_hdr *vh = &mm->vnet[i];
    const struct tpacket_auxdata *aux = aux_of(mh);
    uint32_t len = mm->msgs[i].msg_len >= AFP_VNET_LEN ? mm->msgs[i].msg_len - AFP_VNET_LEN : 0;
    uint32_t vlan = aux && (aux->tp_status & TP_STATUS_VLAN_VALID) ? AFP_VLAN_HLEN : 0;
    uint8_t *dst = b->data + (size_t)m * b->elt_size + b->headroom;
    uint32_t off = b->headroom;
    /* MSG_TRUNC: longer than the data room (jumbo or GRO/GSO super-frame). */
    int ok = !(mh->msg_flags & MSG_TRUNC) && len >= AFP_ETH_HLEN && vh->gso_type == VIRTIO_NET_HDR_GSO_NONE &&
             (vlan == 0 || b->headroom >= AFP_VLAN_HLEN || len + vlan <= b->data_room);
    if (ok && (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
      ok = afp_csum_complete(dst, len, vh->csum_start, vh->csum_offset) == 0;
    if (ok && vlan) {
      /* Re-insert the tag the kernel stripped (see afp_ring.c): slide the MAC
       * addresses into the headroom, or the payload right if there is none. */
      uint16_t tpid = (aux->tp_status & TP_STATUS_VLAN_TPID_VALID) && aux->tp_vlan_tpid ? aux->tp_vlan_tpid : 0x8100;
      if (b->headroom >= AFP_VLAN_HLEN) {
        off -= AFP_VLAN_HLEN;
        dst -= AFP_VLAN_HLEN;
        memmove(dst, dst + AFP_VLAN_HLEN, 12);
      } else {
        memmove(dst + 16, dst + 12, len - 12);
      }
      dst[12] = (uint8_t)(tpid >> 8);
      dst[13] = (uint8_t)tpid;
      dst[14] = (uint8_t)(aux->tp_vlan_tci >> 8);
      dst[15] = (uint8_t)aux->tp_vlan_tci;
    }
    if (ok) {
      afp_meta_rx(b, m, off, len + vlan, 0);
      b->rx_mbufs[n++] = m;
      bytes += len + vlan;
    } else {
      bad[nbad++] = m;
    }
  }
  for (uint32_t j = 0; j < nbad; j++) b->stash[avail - (uint32_t)r + j] = bad[j];
  if (r) {
    b->rx_st[RX_PACKETS] += n;
    b->rx_st[RX_BYTES] += (double)bytes;
    b->rx_st[RX_ERRORS] += nbad;
  }
  afp_poll_drops(b, 0); /* no TP_STATUS_LOSING here: the periodic read and the one at unbind */
  return (int)n;
}

/* sendmmsg of tx_mbufs[start ..][0 .. n); same contract as afp_tx_ring. */
int afp_tx_mmsg(struct afp_bind *b, uint32_t start, uint32_t n, uint32_t *nonm) {
  struct afp_queue *q = b->q;
  struct afp_mmsg *mm = b->mm;
  uint32_t *mb = b->tx_mbufs + start;
  uint32_t k = 0, bad = 0, nonm_seen = 0, i;
  for (i = 0; i < n; i++) {
    uint32_t m = mb[i];
    if (m >= b->nb_mbufs) { /* not an mbuf: consumed, counted, never touched */
      bad++;
      nonm_seen = 1;
      continue;
    }
    const uint32_t *mt = b->meta + (size_t)m * MBUF_META_WORDS;
    uint32_t off = mt[MBUF_DATA_OFF], len = mt[MBUF_DATA_LEN];
    uint8_t *src = b->data + (size_t)m * b->elt_size + off;
    if (len < AFP_ETH_HLEN || (uint64_t)off + len > b->elt_size || len > afp_tx_limit(q, src, len)) {
      bad++;
      continue;
    }
    /* hdr_len = the whole frame: packet_snd puts that much in the skb's
     * linear part instead of page frags (see afp_tx_ring). */
    mm->vnet[k] = afp_no_offload;
    mm->vnet[k].hdr_len = (__virtio16)len;
    mm->iov[2 * k].iov_base = &mm->vnet[k];
    mm->iov[2 * k].iov_len = AFP_VNET_LEN;
    mm->iov[2 * k + 1].iov_base = src;
    mm->iov[2 * k + 1].iov_len = len;
    struct msghdr *mh = &mm->msgs[k].msg_hdr;
    memset(mh, 0, sizeof(*mh));
    mh->msg_iov = &mm->iov[2 * k];
    mh->msg_iovlen = 2;
    mm->pos[k] = i;
    mm->bad_before[k] = bad;
    k++;
  }
  uint32_t consumed = i, sent = k, rejected = 0;
  if (k) {
    int r = sendmmsg(q->fd, mm->msgs, k, MSG_DONTWAIT);
    /* A stale sk_err (ENETDOWN after a down/up) fails one call: retry once (see afp_tx_ring). */
    if (r < 0 && afp_tx_refused(errno)) r = sendmmsg(q->fd, mm->msgs, k, MSG_DONTWAIT);
    int err = r < 0 ? errno : 0;
    sent = r < 0 ? 0 : (uint32_t)r;
    /* sendmmsg reports an error only when nothing went out (after a partial
     * send it is lost): a hard error (ENETDOWN, ...) means the kernel refused
     * them: consumed and counted, as in afp_tx_ring. */
    if (sent == 0 && afp_tx_refused(err)) rejected = k;
    else if (sent < k) {
      consumed = mm->pos[sent];
      bad = mm->bad_before[sent];
    }
  }
  uint64_t bytes = 0;
  for (uint32_t j = 0; j < sent; j++) bytes += mm->iov[2 * j + 1].iov_len;
  if (sent | bad | rejected) {
    b->tx_st[TX_PACKETS] += sent;
    b->tx_st[TX_BYTES] += (double)bytes;
    b->tx_st[TX_ERRORS] += bad + rejected;
  }
  *nonm = nonm_seen ? afp_sink_nonmbufs(mb, consumed, b->nb_mbufs) : 0;
  return (int)consumed;
}
