/* net_af_xdp: state shared by the setup (xsk_setup.c, xsk_prog.c) and burst
 * (xsk_burst.c) halves of the driver's native side.
 *
 * The UMEM is the mempool's data region: mbuf m's buffer starts at UMEM
 * offset m * elt_size. Chunks are not a power of two (2176 bytes by default),
 * so the UMEM is registered in unaligned-chunk mode and a descriptor address
 * is "buffer start + offset". Every queue registers the same region as its
 * own UMEM, so a frame received on one port's socket is sent from another
 * port's socket by address, without a copy.
 *
 * Ownership: an mbuf handed to the kernel (fill or tx ring) is marked in the
 * queue's `owned` bytes until it comes back (rx or completion ring). Frames
 * the kernel keeps internally (a copy-mode rx that found the rx ring full
 * parks its buffer for reuse) stay marked, so closing a queue can return
 * every one of them to the pool. */
#ifndef TSFWD_XSK_H
#define TSFWD_XSK_H

#include <stdint.h>
#include <node_api.h>

#define XSK_QUEUE_SLOTS 256u /* power of two */
#define XSK_BIND_SLOTS 1024u
#define XSK_PROG_SLOTS 64u
#define XSK_SLOT_BITS_Q 8
#define XSK_SLOT_BITS_B 10
#define XSK_SLOT_BITS_P 6
#define XSK_MAX_BURST 512u    /* frames per native call */
#define XSK_RING_SIZE 2048u   /* rx, tx, fill and completion rings */
#define XSK_FILL_TARGET 1024u /* buffers kept on offer to the kernel per queue */
#define XSK_DONE_CAP (XSK_RING_SIZE + XSK_MAX_BURST) /* completions + refused frames per tx call */
#define XSK_STATS_EVERY 1024u /* polls between XDP_STATISTICS reads */
/* XDP_PACKET_HEADROOM: the kernel places rx data this far into a chunk. */
#define XSK_RX_HEADROOM 256u

/* io words shared with JS (Int32Array per binding): the burst calls take no
 * arguments and return nothing (each Node-API argument and result costs more
 * than the ring work of a small burst), so their inputs and outputs are here. */
#define XSK_IO_FILLED 0 /* rx out: stash entries moved to the fill ring */
#define XSK_IO_DONE 1   /* tx out: mbufs written to `done` (JS frees them) */
#define XSK_IO_AVAIL 2  /* rx in: free mbufs at the bottom of the stash */
#define XSK_IO_MAX 3    /* rx in: most frames to receive */
#define XSK_IO_START 4  /* tx in: first index in the tx mbufs array */
#define XSK_IO_N 5      /* tx in: mbufs to send */
#define XSK_IO_RESULT 6 /* out: frames received / mbufs consumed, or -errno */
#define XSK_IO_WORDS 8

/* Setup steps, named in the same order by src/port/af-xdp.ts (XSK_STEPS). */
enum xsk_step {
  XSK_STEP_UMEM, XSK_STEP_SOCKET, XSK_STEP_BUSY_POLL, XSK_STEP_MAP, XSK_STEP_OPTIONS, XSK_STEP_TABLE, XSK_STEP_COUNT
};

#ifdef TSFWD_HAVE_XSK
#include <xdp/xsk.h>

/* Mirrors of src/mempool/layout.ts and src/port/stats.ts (as in afp.h). */
#define XSK_META_WORDS 8
#define XSK_META_DATA_OFF 0
#define XSK_META_DATA_LEN 1
#define XSK_META_PORT 2
#define XSK_RX_PACKETS 0
#define XSK_RX_BYTES 1
#define XSK_RX_ERRORS 2
#define XSK_RX_MISSED 4
#define XSK_TX_PACKETS 0
#define XSK_TX_BYTES 1
#define XSK_TX_ERRORS 2
#define XSK_QSTAT_WORDS 8

/* One queue: an AF_XDP socket bound to (ifindex, queue) with its own
 * registration of the mempool data region. The rx half (fill + rx rings,
 * fill_held, rx_polls) belongs to the lcore polling rx, the tx half (tx +
 * completion rings, tx_kicks) to the lcore transmitting; they may differ. */
struct xsk_q {
  uint32_t id; /* 0: free slot */
  int fd;
  struct xsk_umem *umem;
  struct xsk_socket *xsk;
  struct xsk_ring_prod fq, tx;
  struct xsk_ring_cons cq, rx;
  uint8_t *area;   /* mempool data region = UMEM */
  uint32_t *meta;  /* XSK_META_WORDS per mbuf */
  uint8_t *owned;  /* nb_mbufs bytes, 1 = the kernel holds the mbuf */
  uint32_t nb_mbufs, elt_size, port, tx_max;
  uint32_t fill_held;  /* rx side: buffers given to fill minus frames received */
  uint32_t rx_polls, tx_kicks;
  uint64_t tx_refused, tx_invalid; /* tx errors: frames we refused, descriptors the kernel refused */
  int kick_rx;     /* busy polling: every rx call runs recvfrom() to drive the NAPI */
  double *rx_st, *tx_st; /* stats lines (SharedArrayBuffer, same address in every thread) */
};

/* One thread's use of a queue: its arrays (JS objects of that thread). */
struct xsk_bind {
  uint32_t id;
  struct xsk_q *q;
  uint32_t *stash; /* free mbufs owned by this binding's rx side (JS keeps the count) */
  uint32_t stash_len;
  uint32_t *rx_mbufs, *tx_mbufs, *done;
  uint32_t rx_mbufs_len, tx_mbufs_len, done_len;
  int32_t *io; /* XSK_IO_WORDS */
};

struct xsk_bind *xsk_bind_get(int32_t id);
int xsk_rx_burst(struct xsk_bind *b, uint32_t avail, uint32_t max);
int xsk_tx_burst(struct xsk_bind *b, uint32_t start, uint32_t n);
void xsk_read_stats(struct xsk_q *q, int tx_side);
#endif

#endif
