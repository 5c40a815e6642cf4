/* net_memif control messages (main thread): the client's HELLO answer
 * (its region, rings and eventfds), the server's checks of INIT, ADD_REGION,
 * ADD_RING and CONNECT, and reading a message with its passed fd. Message
 * layouts as in DPDK 22.11 drivers/net/memif/memif.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "memif.h"

static int mif_send(int fd, const struct mif_msg *m, int afd) {
  struct iovec iov = { .iov_base = (void *)m, .iov_len = MIF_MSG_SIZE };
  union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (afd >= 0) {
    memset(&ctl, 0, sizeof(ctl));
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &afd, sizeof(int));
  }
  ssize_t r = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
  return r == MIF_MSG_SIZE ? 0 : -(r < 0 ? errno : EIO);
}

static void mif_send_simple(struct mif_port *p, uint16_t type) {
  struct mif_msg m;
  memset(&m, 0, sizeof(m));
  m.type = type;
  if (type == MIF_MSG_CONNECT || type == MIF_MSG_CONNECTED) snprintf((char *)m.if_name, MIF_NAME_SZ, "tsfwd");
  mif_send(p->cfd, &m, -1);
}

void mif_send_disconnect(int fd, const char *reason) {
  struct mif_msg m;
  memset(&m, 0, sizeof(m));
  m.type = MIF_MSG_DISCONNECT;
  snprintf((char *)m.disconnect.reason, sizeof(m.disconnect.reason), "%s", reason);
  mif_send(fd, &m, -1);
}

static void ring_bind(struct mif_ring *r, uint8_t *base, uint32_t log2) {
  r->base = base;
  r->mask = (uint16_t)((1u << log2) - 1);
  r->last = 0;
}

uint64_t mif_ring_bytes(uint32_t log2) { return MIF_RING_DESC + ((uint64_t)sizeof(struct mif_desc) << log2); }

/* Client: one region, rings first (C2S 0..nq-1, then S2C), then one buffer
 * of bsize per descriptor of every ring, in the same order. */
static int client_setup(struct mif_port *p) {
  uint32_t rs = 1u << p->run_log2, nr = 2 * p->nq;
  uint64_t rings = nr * mif_ring_bytes(p->run_log2);
  uint64_t size = rings + (uint64_t)nr * rs * p->bsize;
  if (size > 0xffffffffull) return -EFBIG; /* descriptor offsets are 32-bit */
  int fd = memfd_create("tsfwd-memif", MFD_ALLOW_SEALING | MFD_CLOEXEC);
  if (fd < 0) return -errno;
  /* The server maps this: sealed so it can never shrink under the mapping. */
  if (ftruncate(fd, (off_t)size) < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0) { int e = errno; close(fd); return -e; }
  void *a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a == MAP_FAILED) { int e = errno; close(fd); return -e; }
  p->reg[0] = (struct mif_region){ .addr = a, .size = size, .fd = fd };
  p->nreg = 1;
  for (uint32_t i = 0; i < nr; i++) {
    uint8_t *base = (uint8_t *)a + i * mif_ring_bytes(p->run_log2);
    *(uint32_t *)(base + MIF_RING_COOKIE) = MIF_COOKIE;
    struct mif_desc *d = (struct mif_desc *)(base + MIF_RING_DESC);
    for (uint32_t j = 0; j < rs; j++)
      d[j] = (struct mif_desc){ .flags = 0, .region = 0, .length = p->bsize, .offset = (uint32_t)(rings + ((uint64_t)i * rs + j) * p->bsize) };
    /* Ring i < nq is C2S queue i: the client's tx; the rest are its rx. */
    struct mif_ring *r = i < p->nq ? &p->tx[i] : &p->rx[i - p->nq];
    ring_bind(r, base, p->run_log2);
    r->offset = (uint32_t)(i * mif_ring_bytes(p->run_log2));
    r->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (r->efd < 0) return -errno;
  }
  return 0;
}

static int client_on_hello(struct mif_port *p, const struct mif_hello *h) {
  if (h->min_version > MIF_VERSION || h->max_version < MIF_VERSION) {
    snprintf(p->note, sizeof(p->note), "peer speaks memif %u.%u..%u.%u, not 2.0", h->min_version >> 8, h->min_version & 0xff,
             h->max_version >> 8, h->max_version & 0xff);
    mif_send_disconnect(p->cfd, "Incompatible memif version");
    return -EPROTO;
  }
  if ((uint32_t)h->max_c2s_ring + 1 < p->nq || (uint32_t)h->max_s2c_ring + 1 < p->nq) {
    snprintf(p->note, sizeof(p->note), "peer takes at most %u queue pairs, this port has %u", (unsigned)h->max_c2s_ring + 1, p->nq);
    mif_send_disconnect(p->cfd, "Too many queues");
    return -EPROTO;
  }
  snprintf(p->peer, sizeof(p->peer), "%.*s", MIF_NAME_SZ, (const char *)h->name);
  p->run_log2 = p->log2 < h->max_log2_ring_size ? p->log2 : h->max_log2_ring_size;
  int rc = client_setup(p);
  if (rc < 0) {
    snprintf(p->note, sizeof(p->note), "cannot create the shared memory: %s", strerror(-rc));
    return rc;
  }
  struct mif_msg m;
  memset(&m, 0, sizeof(m));
  m.type = MIF_MSG_INIT;
  m.init.version = MIF_VERSION;
  m.init.id = p->ifid;
  memcpy(m.init.secret, p->secret, strlen(p->secret));
  snprintf((char *)m.init.name, MIF_NAME_SZ, "tsfwd");
  if ((rc = mif_send(p->cfd, &m, -1)) < 0) return rc;
  memset(&m, 0, sizeof(m));
  m.type = MIF_MSG_ADD_REGION;
  m.add_region.index = 0;
  m.add_region.size = p->reg[0].size;
  if ((rc = mif_send(p->cfd, &m, p->reg[0].fd)) < 0) return rc;
  for (uint32_t i = 0; i < 2 * p->nq; i++) {
    struct mif_ring *r = i < p->nq ? &p->tx[i] : &p->rx[i - p->nq];
    memset(&m, 0, sizeof(m));
    m.type = MIF_MSG_ADD_RING;
    m.add_ring.flags = i < p->nq ? MIF_ADD_RING_C2S : 0;
    m.add_ring.index = (uint16_t)(i < p->nq ? i : i - p->nq);
    m.add_ring.region = 0;
    m.add_ring.offset = r->offset;
    m.add_ring.log2_ring_size = (uint8_t)p->run_log2;
    if ((rc = mif_send(p->cfd, &m, r->efd)) < 0) return rc;
  }
  memset(&m, 0, sizeof(m));
  m.type = MIF_MSG_CONNECT;
  snprintf((char *)m.if_name, MIF_NAME_SZ, "tsfwd");
  return mif_send(p->cfd, &m, -1);
}

static int server_on_init(struct mif_port *p, const struct mif_init *in) {
  const char *why = NULL;
  char secret[MIF_SECRET_SZ + 1];
  memcpy(secret, in->secret, MIF_SECRET_SZ);
  secret[MIF_SECRET_SZ] = 0;
  if (in->version != MIF_VERSION) why = "Incompatible memif version";
  else if (in->id != p->ifid) why = "ID not found";
  else if (in->mode != 0) why = "Only ethernet mode supported";
  else if (p->secret[0] && !secret[0]) why = "Secret required";
  else if (p->secret[0] && strcmp(p->secret, secret) != 0) why = "Incorrect secret";
  if (why) {
    if (in->version != MIF_VERSION) snprintf(p->note, sizeof(p->note), "peer speaks memif %u.%u, not 2.0", in->version >> 8, in->version & 0xff);
    else snprintf(p->note, sizeof(p->note), "refused a client: %s (id %u)", why, in->id);
    mif_send_disconnect(p->cfd, why);
    return -EPROTO;
  }
  snprintf(p->peer, sizeof(p->peer), "%.*s", MIF_NAME_SZ, (const char *)in->name);
  mif_send_simple(p, MIF_MSG_ACK);
  return 0;
}

static int server_on_connect(struct mif_port *p) {
  if (p->rings_seen != (int)(2 * p->nq)) {
    snprintf(p->note, sizeof(p->note), "client added %d rings, this port needs %u (queue pairs %u)", p->rings_seen, 2 * p->nq, p->nq);
    mif_send_disconnect(p->cfd, "Wrong number of rings");
    return -EPROTO;
  }
  for (uint32_t i = 0; i < p->nreg; i++) {
    void *a = mmap(NULL, p->reg[i].size, PROT_READ | PROT_WRITE, MAP_SHARED, p->reg[i].fd, 0);
    if (a == MAP_FAILED) {
      snprintf(p->note, sizeof(p->note), "cannot map the client's region %u: %s", i, strerror(errno));
      return -errno;
    }
    p->reg[i].addr = a;
  }
  for (uint32_t k = 0; k < 2 * p->nq; k++) {
    struct mif_ring *r = k < p->nq ? &p->rx[k] : &p->tx[k - p->nq];
    if (r->region >= p->nreg || r->log2 > MIF_MAX_LOG2_RING ||
        (uint64_t)r->offset + mif_ring_bytes(r->log2) > p->reg[r->region].size ||
        *(uint32_t *)(p->reg[r->region].addr + r->offset + MIF_RING_COOKIE) != MIF_COOKIE) {
      snprintf(p->note, sizeof(p->note), "client's ring %u is outside its region or has a bad cookie", k);
      mif_send_disconnect(p->cfd, "Wrong ring");
      return -EPROTO;
    }
    ring_bind(r, p->reg[r->region].addr + r->offset, r->log2);
  }
  mif_send_simple(p, MIF_MSG_CONNECTED);
  return 1;
}

/* Marks our rx rings polled (the peer then skips its eventfd write per burst)
 * unless an lcore sleeps on that queue's eventfd. */
void mif_set_rx_flags(struct mif_port *p) {
  for (uint32_t q = 0; q < p->nq; q++)
    if (p->rx[q].base) *(volatile uint16_t *)(p->rx[q].base + MIF_RING_FLAGS) = p->rx_intr[q] ? 0 : MIF_RING_MASK_INT;
}

/* One message. Returns 1: link up, 0: more to come, < 0: connection over. */
static int on_msg(struct mif_port *p, const struct mif_msg *m, int afd) {
  /* Only regions and rings carry an fd; one sent with anything else is closed, not kept. */
  if (afd >= 0 && m->type != MIF_MSG_ADD_REGION && m->type != MIF_MSG_ADD_RING) {
    close(afd);
    afd = -1;
  }
  switch (m->type) {
  case MIF_MSG_ACK: return 0;
  case MIF_MSG_HELLO: if (p->server) break; return client_on_hello(p, &m->hello);
  case MIF_MSG_INIT: if (!p->server) break; return server_on_init(p, &m->init);
  case MIF_MSG_ADD_REGION:
    if (!p->server) break;
    if (afd < 0 || m->add_region.index != p->nreg || p->nreg >= MIF_MAX_REGIONS || m->add_region.size == 0) {
      snprintf(p->note, sizeof(p->note), "client sent a bad region (index %u)", m->add_region.index);
      mif_send_disconnect(p->cfd, "Invalid region");
      if (afd >= 0) close(afd);
      return -EPROTO;
    }
    p->reg[p->nreg++] = (struct mif_region){ .addr = NULL, .size = m->add_region.size, .fd = afd };
    mif_send_simple(p, MIF_MSG_ACK);
    return 0;
  case MIF_MSG_ADD_RING: {
    if (!p->server) break;
    const struct mif_add_ring *a = &m->add_ring;
    int c2s = a->flags & MIF_ADD_RING_C2S;
    if (afd < 0 || a->index >= p->nq) {
      snprintf(p->note, sizeof(p->note), "client added ring %u, this port has %u queue pairs", a->index, p->nq);
      mif_send_disconnect(p->cfd, "Invalid ring index");
      if (afd >= 0) close(afd);
      return -EPROTO;
    }
    struct mif_ring *r = c2s ? &p->rx[a->index] : &p->tx[a->index];
    if (r->efd >= 0) close(r->efd); else p->rings_seen++;
    r->efd = afd;
    r->region = a->region;
    r->offset = a->offset;
    r->log2 = a->log2_ring_size;
    mif_send_simple(p, MIF_MSG_ACK);
    return 0;
  }
  case MIF_MSG_CONNECT: if (!p->server) break; return server_on_connect(p);
  case MIF_MSG_CONNECTED: if (p->server) break; return 1;
  case MIF_MSG_DISCONNECT:
    snprintf(p->note, sizeof(p->note), "peer disconnected: %.*s", 96, (const char *)m->disconnect.reason);
    return -ECONNRESET;
  default: break;
  }
  snprintf(p->note, sizeof(p->note), "unexpected control message type %u", m->type);
  mif_send_disconnect(p->cfd, "Unexpected message");
  if (afd >= 0) close(afd);
  return -EPROTO;
}

/* Reads every waiting message. 1: came up, 0: nothing new, < 0: ended. */
int mif_read(struct mif_port *p) {
  for (;;) {
    struct mif_msg m;
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(64)]; } ctl;
    struct iovec iov = { .iov_base = &m, .iov_len = sizeof(m) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    ssize_t r = recvmsg(p->cfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    int afd = -1;
    for (struct cmsghdr *c = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        if (afd >= 0) close(afd);
        memcpy(&afd, CMSG_DATA(c), sizeof(int));
      }
    if (r <= 0) {
      if (afd >= 0) close(afd);
      snprintf(p->note, sizeof(p->note), "peer closed the control socket");
      return -ECONNRESET;
    }
    if (r != MIF_MSG_SIZE) {
      if (afd >= 0) close(afd);
      snprintf(p->note, sizeof(p->note), "peer sent a %zd-byte control message (memif's are 128)", r);
      mif_send_disconnect(p->cfd, "Invalid message size");
      return -EPROTO;
    }
    int rc = on_msg(p, &m, afd);
    if (rc != 0) return rc;
  }
}

void mif_send_hello(int fd, uint32_t nq, uint32_t log2) {
  struct mif_msg m;
  memset(&m, 0, sizeof(m));
  m.type = MIF_MSG_HELLO;
  snprintf((char *)m.hello.name, MIF_NAME_SZ, "tsfwd");
  m.hello.min_version = MIF_VERSION;
  m.hello.max_version = MIF_VERSION;
  m.hello.max_region = MIF_MAX_REGIONS - 1;
  m.hello.max_c2s_ring = (uint16_t)(nq - 1); /* highest index, not a count */
  m.hello.max_s2c_ring = (uint16_t)(nq - 1);
  m.hello.max_log2_ring_size = (uint8_t)log2;
  mif_send(fd, &m, -1);
}

/* Closes a control connection after reading what the peer still sent
 * (closing fds it passed): closing with unread messages would make the
 * peer's next read fail with ECONNRESET before it sees our DISCONNECT. */
void mif_drain_close(int fd) {
  for (int i = 0; i < 64; i++) {
    char b[MIF_MSG_SIZE];
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } ctl;
    struct iovec iov = { .iov_base = b, .iov_len = sizeof(b) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    if (recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) break;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) { int afd; memcpy(&afd, CMSG_DATA(c), sizeof(int)); close(afd); }
  }
  close(fd);
}
