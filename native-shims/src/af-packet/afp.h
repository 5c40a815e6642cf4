/* net_af_packet: state shared by the setup (afp_setup.c) and burst
 * (afp_ring.c, afp_mmsg.c) halves of the driver's native side.
 *
 * One AF_PACKET socket per queue pair carries both the RX and the TX ring
 * (mode mmap) or the recvmmsg/sendmmsg traffic (mode mmsg). Queues live in a
 * process-wide table, so an lcore thread uses a queue opened by the main
 * thread by its id. A binding ties a queue to one thread's views of the
 * mempool (data region, metadata, rx stash, caller's mbuf arrays, stats);
 * each thread that attaches the port makes its own bindings. A queue is
 * polled by one lcore at a time, so the hot path takes no lock; the table
 * lock only guards allocating and freeing slots. */
#ifndef TSFWD_AFP_H
#define TSFWD_AFP_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <node_api.h>

#define AFP_QUEUE_SLOTS 1024u /* power of two: slot = id & (SLOTS - 1) */
#define AFP_BIND_SLOTS 4096u
#define AFP_SLOT_BITS_Q 10
#define AFP_SLOT_BITS_B 12
#define AFP_MAX_BURST 512u    /* frames per native call; JS splits larger tx bursts */
#define AFP_VNET_LEN ((uint32_t)sizeof(struct virtio_net_hdr))              /* 10 */
#define AFP_TX_DATA_OFF ((uint32_t)(TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))) /* 32 */
#define AFP_ETH_HLEN 14u
#define AFP_VLAN_HLEN 4u
/* PACKET_STATISTICS is a getsockopt (~1 us): read it every AFP_STATS_EVERY rx
 * calls, or after AFP_STATS_LOSING calls once a frame said TP_STATUS_LOSING
 * (every burst says so under overload, exactly when a syscall hurts most). */
#define AFP_STATS_EVERY 0xfffu  /* mask: every 4096 calls */
#define AFP_STATS_LOSING 0x3fu  /* mask: every 64 calls */
/* afp_tx returns consumed | non_mbufs << AFP_TX_NONMBUF_SHIFT: entries of the
 * consumed prefix that were not mbuf indices (>= nb_mbufs) were moved to its
 * end and must not be freed (JS: src/port/af-packet-port.ts). */
#define AFP_TX_NONMBUF_SHIFT 16

/* Mirrors of src/mempool/layout.ts (MBUF_*) and src/port/stats.ts (RX_*,
 * TX_*); tsfwd_afp_layout exports them and a test checks they agree. */
#define MBUF_META_WORDS 8
#define MBUF_DATA_OFF 0
#define MBUF_DATA_LEN 1
#define MBUF_PORT 2
#define MBUF_FLAGS 3
#define MBUF_TS_LO 4
#define MBUF_TS_HI 5
#define MBUF_USER 6
#define MBUF_RESERVED 7
#define RX_PACKETS 0
#define RX_BYTES 1
#define RX_ERRORS 2
#define RX_NOMBUF 3
#define RX_MISSED 4
#define TX_PACKETS 0
#define TX_BYTES 1
#define TX_ERRORS 2
#define QSTAT_WORDS 8

enum afp_mode { AFP_MODE_MMAP = 0, AFP_MODE_MMSG = 1 };

/* Setup steps, in order; a failed open reports the step it reached. The JS
 * side (src/port/af-packet.ts AFP_STEPS) names them in the same order. */
enum afp_step {
  AFP_STEP_SOCKET, AFP_STEP_VERSION, AFP_STEP_VNET_HDR, AFP_STEP_IGNORE_OUTGOING,
  AFP_STEP_LOSS, AFP_STEP_SOCKBUF, AFP_STEP_QDISC_BYPASS, AFP_STEP_RX_RING, AFP_STEP_TX_RING, AFP_STEP_MMAP,
  AFP_STEP_AUXDATA, AFP_STEP_BIND, AFP_STEP_PROMISC, AFP_STEP_FANOUT, AFP_STEP_FANOUT_ID,
  AFP_STEP_TABLE, AFP_STEP_COUNT
};

/* A ring of fixed frames: frame i at base + i * frame_size (blocks hold
 * whole frames, checked at open). `head` is the next frame we look at. The
 * offsets locate tp_status, tp_len and the tx data in a frame header: they
 * differ between tpacket2_hdr and tpacket3_hdr (a TPACKET_V3 socket's tx
 * ring is frame-based too, with V3 headers). */
struct afp_ring {
  uint8_t *base;
  uint32_t frame_size;
  uint32_t frame_nr;
  uint32_t head;
  uint32_t st_off, len_off, data_off;
};

/* A TPACKET_V3 rx ring: `nr` blocks of `size` bytes, each handed to us whole
 * (block_status) once full or retired by the kernel's timer. The cursor is
 * block `idx`, its next frame `pkt` and the `left` frames after it, so a
 * burst may end inside a block and the next one goes on from there. */
struct afp_blocks {
  uint8_t *base;
  uint32_t size, nr, idx, left;
  uint8_t *pkt;
};

struct afp_queue {
  uint32_t id; /* 0: free slot */
  int fd;
  int mode;
  uint8_t *map; /* RX ring, then TX ring, in one mapping (packet_mmap) */
  size_t map_len;
  struct afp_ring rx, tx;
  struct afp_blocks rxb; /* rx ring of a TPACKET_V3 socket (version 3); rx unused then */
  int version;           /* TPACKET_V2 or TPACKET_V3 (mode mmap) */
  uint32_t tx_max; /* longest frame the device takes: MTU + Ethernet header */
  uint32_t polls;  /* rx calls, for the periodic PACKET_STATISTICS read */
  uint32_t losing; /* a frame said TP_STATUS_LOSING since the last read */
};

struct afp_mmsg; /* recvmmsg/sendmmsg scratch, afp_mmsg.c */

struct afp_bind {
  uint32_t id; /* 0: free slot */
  struct afp_queue *q;
  uint8_t *data; /* mempool data region: mbuf m's buffer at m * elt_size */
  uint32_t *meta; /* MBUF_META_WORDS words per mbuf */
  uint32_t nb_mbufs, elt_size, headroom, data_room, port;
  uint32_t *stash; /* free mbufs owned by this binding's rx side (JS keeps the count) */
  uint32_t stash_len;
  uint32_t *rx_mbufs, *tx_mbufs; /* the caller's arrays, registered lazily by JS */
  uint32_t rx_mbufs_len, tx_mbufs_len;
  double *rx_st, *tx_st; /* this queue's stats lines (Float64, one writer: this thread) */
  struct afp_mmsg *mm;
};

extern struct afp_bind afp_binds[AFP_BIND_SLOTS];

static inline struct afp_bind *afp_bind_get(int32_t id) {
  struct afp_bind *b = &afp_binds[(uint32_t)id & (AFP_BIND_SLOTS - 1)];
  return (id > 0 && b->id == (uint32_t)id) ? b : NULL;
}

/* Completes a CHECKSUM_PARTIAL frame as skb_checksum_help() would: the
 * field at start + off holds the pseudo-header sum; fold the one's-complement
 * sum of [start, len) into it (RFC 1071; byte order does not matter as long as
 * words are loaded and stored the same way). 0 on success, -1 if the offsets
 * do not fit the frame. */
static inline int afp_csum_complete(uint8_t *f, uint32_t len, uint32_t start, uint32_t off) {
  if (start >= len || (uint64_t)start + off + 2 > len) return -1;
  uint64_t sum = 0;
  const uint8_t *p = f + start;
  uint32_t n = len - start;
  for (; n >= 4; n -= 4, p += 4) {
    uint32_t w;
    memcpy(&w, p, 4);
    sum += w;
  }
  if (n >= 2) {
    uint16_t w;
    memcpy(&w, p, 2);
    sum += w;
    p += 2;
    n -= 2;
  }
  if (n) sum += *p; /* odd last byte, padded with zero (little-endian load) */
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  uint16_t c = (uint16_t)~sum;
  if (c == 0) c = 0xffff; /* CSUM_MANGLED_0: a zero UDP checksum means "none" */
  memcpy(f + start + off, &c, 2);
  return 0;
}

/* Fills the metadata of a received frame (rte_pktmbuf_reset + data fields). */
static inline void afp_meta_rx(const struct afp_bind *b, uint32_t m, uint32_t off, uint32_t len, uint64_t ts) {
  uint32_t *mt = b->meta + (size_t)m * MBUF_META_WORDS;
  mt[MBUF_DATA_OFF] = off;
  mt[MBUF_DATA_LEN] = len;
  mt[MBUF_PORT] = b->port;
  mt[MBUF_FLAGS] = 0;
  mt[MBUF_TS_LO] = (uint32_t)ts;
  mt[MBUF_TS_HI] = (uint32_t)(ts >> 32);
  mt[MBUF_USER] = 0;
  mt[MBUF_RESERVED] = 0;
}

/* Copies one rx ring frame (MAC header at src, snaplen bytes of a wire frame
 * of `len` bytes, virtio_net_hdr just before it) into mbuf m, the VLAN tag
 * the kernel stripped put back. Returns the bytes delivered, or 0 if the
 * frame cannot be delivered intact (truncated, GSO, larger than the data
 * room, bad checksum offsets): an rx error, the mbuf untouched. */
static inline uint32_t afp_rx_frame(const struct afp_bind *b, uint32_t m, uint8_t *src, uint32_t snap, uint32_t len,
                                    uint32_t st, uint16_t tci, uint16_t tpid, uint64_t ts) {
  const struct virtio_net_hdr *vh = (const struct virtio_net_hdr *)(src - AFP_VNET_LEN);
  uint32_t vlan = (st & TP_STATUS_VLAN_VALID) ? AFP_VLAN_HLEN : 0;
  /* len > snap: the frame did not fit the ring frame (GRO/GSO super-frames,
   * jumbo frames); a GSO frame is several frames in one. */
  if (len != snap || snap < AFP_ETH_HLEN || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE || snap + vlan > b->data_room) return 0;
  /* CHECKSUM_PARTIAL (e.g. from a local socket over veth): finish it now,
   * as the device would have; offsets are relative to the frame start. */
  if ((vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && afp_csum_complete(src, snap, vh->csum_start, vh->csum_offset) != 0) return 0;
  uint8_t *dst = b->data + (size_t)m * b->elt_size + b->headroom;
  if (vlan) {
    /* The kernel moved the 802.1Q/802.1ad tag into tp_vlan_tci (skb_vlan_untag):
     * put it back where it was, after the two MAC addresses. */
    if (!(st & TP_STATUS_VLAN_TPID_VALID) || !tpid) tpid = 0x8100;
    memcpy(dst, src, 12);
    dst[12] = (uint8_t)(tpid >> 8);
    dst[13] = (uint8_t)tpid;
    dst[14] = (uint8_t)(tci >> 8);
    dst[15] = (uint8_t)tci;
    memcpy(dst + 16, src + 12, snap - 12);
  } else {
    memcpy(dst, src, snap);
  }
  afp_meta_rx(b, m, b->headroom, snap + vlan, ts);
  return snap + vlan;
}

/* Longest frame this queue may send: MTU + header, 4 more for a VLAN tag. */
static inline uint32_t afp_tx_limit(const struct afp_queue *q, const uint8_t *frame, uint32_t len) {
  if (len >= AFP_ETH_HLEN && ((frame[12] == 0x81 && frame[13] == 0x00) || (frame[12] == 0x88 && frame[13] == 0xa8)))
    return q->tx_max + AFP_VLAN_HLEN;
  return q->tx_max;
}

/* A tx syscall error that refuses the frames for good (ENETDOWN, ENXIO, ...),
 * as opposed to none or a full queue (EAGAIN, ENOBUFS) or a signal: the
 * caller may retry those. */
static inline int afp_tx_refused(int err) {
  return err && err != EAGAIN && err != EWOULDBLOCK && err != ENOBUFS && err != EINTR;
}

void afp_read_drops(struct afp_bind *b);
void afp_poll_drops(struct afp_bind *b, uint32_t losing);
/* Ends a ring rx call (V2 or V3): books its frames, bytes and errors, and
 * lets a TP_STATUS_LOSING (the kernel dropped frames since the last read)
 * bring the next drop count read forward. Returns n. */
static inline int afp_rx_done(struct afp_bind *b, uint32_t n, uint64_t bytes, uint32_t errors, uint32_t losing) {
  if (n | errors) {
    b->rx_st[RX_PACKETS] += n;
    b->rx_st[RX_BYTES] += (double)bytes;
    b->rx_st[RX_ERRORS] += errors;
  }
  afp_poll_drops(b, losing != 0);
  return (int)n;
}
/* Moves the entries of mb[0, n) that are not mbuf indices (>= nb) to the end
 * of that range, keeping every value; returns how many there are. */
static inline uint32_t afp_sink_nonmbufs(uint32_t *mb, uint32_t n, uint32_t nb) {
  uint32_t w = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (mb[i] >= nb) continue;
    uint32_t t = mb[w];
    mb[w++] = mb[i];
    mb[i] = t;
  }
  return n - w;
}
void *afp_ta(napi_env env, napi_value v, napi_typedarray_type want, size_t *len);
int afp_rx_ring(struct afp_bind *b, uint32_t avail, uint32_t max);
int afp_rx_blocks(struct afp_bind *b, uint32_t avail, uint32_t max);
int afp_tx_ring(struct afp_bind *b, uint32_t start, uint32_t n, uint32_t *nonm);
int afp_rx_mmsg(struct afp_bind *b, uint32_t avail, uint32_t max);
int afp_tx_mmsg(struct afp_bind *b, uint32_t start, uint32_t n, uint32_t *nonm);
struct afp_mmsg *afp_mmsg_alloc(void);

#endif
