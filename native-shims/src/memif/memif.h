/* net_memif: the memif 2.0 shared-memory packet interface (VPP, DPDK
 * net_memif, libmemif). Wire layouts follow DPDK 22.11
 * drivers/net/memif/memif.h; the code is our own.
 *
 * One port = one control channel (AF_UNIX SOCK_SEQPACKET, 128-byte messages,
 * fds passed with SCM_RIGHTS) and nq queue pairs. The client creates one
 * memfd region holding every ring and then every buffer; the server maps
 * what the client sends. Client-to-server (C2S) rings carry the client's tx,
 * server-to-client (S2C) rings the server's tx. */
#ifndef TSFWD_MEMIF_H
#define TSFWD_MEMIF_H

#include <stdatomic.h>
#include <stdint.h>
#include <node_api.h>

#define MIF_COOKIE 0x3E31F20u
#define MIF_VERSION 0x0200u /* 2.0: major << 8 | minor */
#define MIF_MSG_SIZE 128
#define MIF_NAME_SZ 32
#define MIF_SECRET_SZ 24
#define MIF_MAX_QUEUES 16
#define MIF_MAX_REGIONS 16
#define MIF_MAX_LOG2_RING 14
#define MIF_PORT_SLOTS 64u
#define MIF_BIND_SLOTS 1024u

enum mif_msg_type {
  MIF_MSG_NONE, MIF_MSG_ACK, MIF_MSG_HELLO, MIF_MSG_INIT, MIF_MSG_ADD_REGION,
  MIF_MSG_ADD_RING, MIF_MSG_CONNECT, MIF_MSG_CONNECTED, MIF_MSG_DISCONNECT
};
#define MIF_ADD_RING_C2S 1     /* add_ring.flags: the ring runs client -> server */
#define MIF_DESC_NEXT 1        /* desc.flags: the frame continues in the next slot */
#define MIF_RING_MASK_INT 1    /* ring.flags: the reader polls; do not kick its eventfd */

/* Ring header: cookie, flags and head on the first 64-byte line, tail on the
 * second, descriptors from the third. head and tail are free-running uint16. */
#define MIF_RING_COOKIE 0
#define MIF_RING_FLAGS 4
#define MIF_RING_HEAD 6
#define MIF_RING_TAIL 64
#define MIF_RING_DESC 128

struct mif_desc {
  uint16_t flags;
  uint16_t region;
  uint32_t length;
  uint32_t offset;
  uint32_t metadata;
};
_Static_assert(sizeof(struct mif_desc) == 16, "memif descriptor is 16 bytes");

/* Message bodies at offset 2 of a 128-byte message (after the uint16 type). */
struct __attribute__((packed)) mif_hello {
  uint8_t name[MIF_NAME_SZ];
  uint16_t min_version, max_version, max_region, max_c2s_ring, max_s2c_ring;
  uint8_t max_log2_ring_size;
};
struct __attribute__((packed)) mif_init {
  uint16_t version;
  uint32_t id;
  uint8_t mode; /* 0: ethernet */
  uint8_t secret[MIF_SECRET_SZ];
  uint8_t name[MIF_NAME_SZ];
};
struct __attribute__((packed)) mif_add_region {
  uint16_t index;
  uint64_t size;
};
struct __attribute__((packed)) mif_add_ring {
  uint16_t flags, index, region;
  uint32_t offset;
  uint8_t log2_ring_size;
  uint16_t private_hdr_size;
};
struct __attribute__((packed)) mif_disconnect {
  uint32_t code;
  uint8_t reason[96];
};
struct __attribute__((packed)) mif_msg {
  uint16_t type;
  union {
    struct mif_hello hello;
    struct mif_init init;
    struct mif_add_region add_region;
    struct mif_add_ring add_ring;
    uint8_t if_name[MIF_NAME_SZ]; /* connect, connected */
    struct mif_disconnect disconnect;
    uint8_t pad[MIF_MSG_SIZE - 2];
  };
};
_Static_assert(sizeof(struct mif_msg) == MIF_MSG_SIZE, "memif message is 128 bytes");

/* One ring as this side uses it. `last` is the consumer's private index
 * (server rx: last head seen; client rx and client tx: last tail seen). */
struct mif_ring {
  uint8_t *base;          /* ring header in a mapped region; NULL while down */
  uint16_t mask;
  uint16_t last;
  int efd;                /* the ring's eventfd (created by the client) */
  uint16_t region;
  uint32_t offset, log2;  /* server: as the client's ADD_RING said */
};

struct mif_region {
  uint8_t *addr;
  uint64_t size;
  int fd;
};

/* DRAINING: the peer went; lcores still read what it left in our rx rings
 * (the memory stays mapped) until they are empty or MIF_DRAIN_MS passed. */
enum mif_state { MIF_IDLE, MIF_HANDSHAKE, MIF_UP, MIF_DRAINING };
#define MIF_DRAIN_MS 200
#define MIF_HANDSHAKE_MS 5000 /* a connected peer that has not finished the handshake by then is dropped */

struct mif_port {
  uint32_t id;                      /* handle id; 0: free slot */
  int server;
  char path[108];
  int abstract;
  uint32_t ifid;
  char secret[MIF_SECRET_SZ + 1];
  uint32_t log2, bsize, nq;         /* configured */
  uint32_t run_log2;                /* agreed at HELLO */
  int lis, cfd;                     /* server: its shared listener (memif_listen.c), -1: none */
  enum mif_state state;
  int rings_seen;
  struct mif_region reg[MIF_MAX_REGIONS];
  uint32_t nreg;
  /* Queue q: rx[q] is C2S for the server, S2C for the client; tx[q] the other. */
  struct mif_ring rx[MIF_MAX_QUEUES], tx[MIF_MAX_QUEUES];
  int rx_intr[MIF_MAX_QUEUES];      /* an lcore sleeps on this queue (--poll-mode interrupt): the peer must kick */
  int rx_ep[MIF_MAX_QUEUES];        /* per rx queue, for the whole port's life: an epoll fd holding the current
                                       connection's ring eventfd, so an lcore's wait set never goes stale */
  /* Link published to lcores (seq_cst): bursts run only while up. busy[2q]
   * (rx) and busy[2q+1] (tx) are set by the lcore around a burst so the
   * main thread unmaps only once no burst is inside the region. */
  _Atomic int up;
  _Atomic int tx_up;                /* cleared first when the peer goes: tx refuses, rx drains */
  _Atomic int busy[2 * MIF_MAX_QUEUES];
  uint64_t drain_until_ms;
  uint64_t hs_until_ms;              /* a handshake not done by then is dropped (a silent peer must not hold the id) */
  char note[160];                   /* last event, for the JS log line */
  char peer[MIF_NAME_SZ + 1];
};

struct mif_bind {
  uint32_t id;
  struct mif_port *p;
  uint32_t q;
  uint8_t *data;
  uint32_t *meta;
  uint32_t nb_mbufs, elt_size, headroom, data_room, port;
  uint32_t *stash;
  uint32_t stash_len;
  uint32_t *rx_mbufs, rx_len;
  uint32_t *tx_mbufs, tx_len;
  double *rx_st, *tx_st;
};

struct mif_port *mif_port_get(int32_t id);
uint64_t mif_now_ms(void); /* CLOCK_MONOTONIC */
struct sockaddr_un;
unsigned mif_addr(const struct mif_port *p, struct sockaddr_un *un);

/* memif_listen.c: server sockets shared by every server port on one path.
 * join: 0 | -errno (binds the first time); poll: accept, greet and route
 * waiting clients by their INIT's id; 1 if it refused one (p->note says why). */
int mif_listen_join(struct mif_port *p);
void mif_listen_leave(struct mif_port *p);
int mif_listen_poll(struct mif_port *p);

/* memif_msg.c: control messages. mif_read: 1 link up, 0 nothing new, < 0 over (note says why). */
int mif_read(struct mif_port *p);
void mif_send_hello(int fd, uint32_t nq, uint32_t log2);
void mif_send_disconnect(int fd, const char *reason);
void mif_drain_close(int fd);
void mif_set_rx_flags(struct mif_port *p);
uint64_t mif_ring_bytes(uint32_t log2);
struct mif_bind *mif_bind_get(int32_t id);
void *mif_ta(napi_env env, napi_value v, napi_typedarray_type want, size_t *len);

#endif
