/* net_af_packet, mode mmap with tpacket_version=3: the TPACKET_V3 RX ring
 * (Documentation/networking/packet_mmap.rst, "AF_PACKET TPACKET_V3").
 *
 * The kernel packs frames back to back into blocks and hands a block over
 * whole: its block_status says TP_STATUS_USER once the block is full or its
 * retire timer (tp_retire_blk_tov, 1 ms here) closed it. Ownership is per
 * block, not per frame, so the kernel's receive path reads and writes one
 * status word per block instead of one per frame; that per-frame word, last
 * written by the consumer on another CPU, is a cache miss per frame in
 * TPACKET_V2 (packet_lookup_frame). The price is latency at low rates: a
 * frame waits until its block fills or retires. */
#include "afp.h"

/* As afp_rx_ring (same stash, errors and drop accounting), from blocks. A
 * burst may end inside a block: the cursor keeps the block until its last
 * frame is copied, and only then gives it back. */
int afp_rx_blocks(struct afp_bind *b, uint32_t avail, uint32_t max) {
  struct afp_queue *q = b->q;
  struct afp_blocks *r = &q->rxb;
  uint32_t n = 0, errors = 0, losing = 0, opened = 0;
  uint64_t bytes = 0;
  while (n < max) {
    struct tpacket_block_desc *blk = (struct tpacket_block_desc *)(r->base + (size_t)r->idx * r->size);
    if (r->left == 0) {
      /* Each block is opened at most once per call, so a ring of empty
       * retired blocks (never made by the kernel, but cheap to bound) ends it. */
      if (opened++ == r->nr) break;
      /* A4: observes the kernel handing the block to us; pairs with the
       * block_status store (after smp_wmb) in prb_close_block, so every
       * frame header and byte in the block is complete. */
      uint32_t st = __atomic_load_n(&blk->hdr.bh1.block_status, __ATOMIC_ACQUIRE);
      if (!(st & TP_STATUS_USER)) break;
      losing |= st & TP_STATUS_LOSING;
      r->left = blk->hdr.bh1.num_pkts;
      r->pkt = (uint8_t *)blk + blk->hdr.bh1.offset_to_first_pkt;
      if (r->left == 0) goto release;
    }
    uint32_t m = b->stash[avail - 1 - n];
    if (m >= b->nb_mbufs) break; /* not an mbuf (a bug upstream): write nothing, keep the frame */
    struct tpacket3_hdr *h = (struct tpacket3_hdr *)r->pkt;
    /* Offsets come from the kernel; two compares keep every read inside
     * the block anyway. A frame that would leave it ends the block: it and
     * the frames after it are counted as errors. */
    size_t at = (size_t)(r->pkt - (uint8_t *)blk);
    if (at + sizeof(*h) > r->size || at + h->tp_mac + (size_t)h->tp_snaplen > r->size) {
      errors += r->left;
      r->left = 0;
      goto release;
    }
    uint32_t got = afp_rx_frame(b, m, r->pkt + h->tp_mac, h->tp_snaplen, h->tp_len, h->tp_status, h->hv1.tp_vlan_tci,
                                h->hv1.tp_vlan_tpid, (uint64_t)h->tp_sec * 1000000000u + h->tp_nsec);
    if (got) {
      b->rx_mbufs[n++] = m;
      bytes += got;
    } else {
      errors++;
    }
    r->pkt += h->tp_next_offset;
    if (--r->left) continue;
  release:
    /* R4: returns the block after our last read of it; pairs with the
     * block_status load in the kernel's prb_dispatch_next_block /
     * prb_queue_frozen checks before it fills the block again. */
    __atomic_store_n(&blk->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    r->idx = r->idx + 1 == r->nr ? 0 : r->idx + 1;
  }
  /* TP_STATUS_LOSING on a block: the kernel dropped frames since the last read. */
  return afp_rx_done(b, n, bytes, errors, losing);
}
