/* net_memif server sockets, shared: every server port on one socket path
 * (each with its own id, as DPDK and VPP allow) uses one listening socket.
 * A new connection is greeted with HELLO at once (memif's server speaks
 * first), then waits here until its INIT arrives; the INIT's id names the
 * port that takes the connection over and reads the INIT itself. Main thread
 * only, under mif_lock (memif_ctl.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "memif.h"

#define MIF_LISTENERS MIF_PORT_SLOTS
#define MIF_PENDING 8            /* connections waiting for their INIT, per socket */
#define MIF_PENDING_MS 5000      /* a client that says nothing for this long is dropped */

struct mif_listener {
  int fd;                        /* listening socket; -1: free slot */
  int abstract;
  char path[108];
  struct mif_port *ports[MIF_PORT_SLOTS];
  uint32_t nports;
  int pend[MIF_PENDING];         /* accepted, greeted, INIT not read yet; -1: free */
  uint64_t pend_ms[MIF_PENDING];
};

static struct mif_listener lis[MIF_LISTENERS];
static int lis_ready;

static void lis_init(void) {
  if (lis_ready) return;
  for (uint32_t i = 0; i < MIF_LISTENERS; i++) {
    lis[i].fd = -1;
    for (int k = 0; k < MIF_PENDING; k++) lis[i].pend[k] = -1;
  }
  lis_ready = 1;
}

/* Binds and listens on p's path. 0 | -errno. */
static int lis_bind(struct mif_listener *l, const struct mif_port *p) {
  struct sockaddr_un un;
  socklen_t len = mif_addr(p, &un);
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc = 0;
  if (bind(fd, (struct sockaddr *)&un, len) < 0) {
    rc = -errno;
    /* A socket file nobody listens on is left over from a dead process: reuse it. */
    if (rc == -EADDRINUSE && !p->abstract) {
      int t = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
      int live = t >= 0 && connect(t, (struct sockaddr *)&un, len) == 0;
      int refused = !live && errno == ECONNREFUSED;
      if (t >= 0) close(t);
      if (refused && unlink(p->path) == 0 && bind(fd, (struct sockaddr *)&un, len) == 0) rc = 0;
    }
  }
  if (rc == 0 && listen(fd, 16) < 0) rc = -errno;
  if (rc < 0) { close(fd); return rc; }
  l->fd = fd;
  return 0;
}

int mif_listen_join(struct mif_port *p) {
  lis_init();
  struct mif_listener *free_slot = NULL;
  for (uint32_t i = 0; i < MIF_LISTENERS; i++) {
    struct mif_listener *l = &lis[i];
    if (l->fd < 0) { if (!free_slot) free_slot = l; continue; }
    if (l->abstract != p->abstract || strcmp(l->path, p->path) != 0) continue;
    for (uint32_t k = 0; k < l->nports; k++)
      if (l->ports[k]->ifid == p->ifid) return -EADDRINUSE; /* the registry's claim refuses this first */
    l->ports[l->nports++] = p;
    p->lis = (int)i;
    return 0;
  }
  if (!free_slot) return -EMFILE;
  int rc = lis_bind(free_slot, p);
  if (rc < 0) return rc;
  free_slot->abstract = p->abstract;
  memcpy(free_slot->path, p->path, sizeof(free_slot->path));
  free_slot->ports[0] = p;
  free_slot->nports = 1;
  p->lis = (int)(free_slot - lis);
  return 0;
}

void mif_listen_leave(struct mif_port *p) {
  if (p->lis < 0) return;
  struct mif_listener *l = &lis[p->lis];
  p->lis = -1;
  for (uint32_t k = 0; k < l->nports; k++)
    if (l->ports[k] == p) { l->ports[k] = l->ports[--l->nports]; break; }
  if (l->nports) return;
  for (int k = 0; k < MIF_PENDING; k++)
    if (l->pend[k] >= 0) { close(l->pend[k]); l->pend[k] = -1; }
  close(l->fd);
  if (!l->abstract) unlink(l->path);
  l->fd = -1;
}

/* HELLO offers what the socket's ports can take: one port's own limits (so a
 * client learns them before it builds its region), or the largest of several:
 * a client with more queue pairs than the port its id names is then refused
 * at ADD_RING ("Invalid ring index", one line on each side) instead of
 * negotiating down, and the ring size is the client's, as with one port. */
static void greet(const struct mif_listener *l, int fd) {
  uint32_t nq = 1, log2 = 1;
  for (uint32_t k = 0; k < l->nports; k++) {
    if (l->ports[k]->nq > nq) nq = l->ports[k]->nq;
    if (l->ports[k]->log2 > log2) log2 = l->ports[k]->log2;
  }
  mif_send_hello(fd, nq, log2);
}

/* Hands pending connection k to the port its INIT names, or refuses it.
 * 1: done with it (handed over or closed), 0: still waiting. */
static int route(struct mif_listener *l, int k, struct mif_port *self) {
  int fd = l->pend[k];
  struct mif_msg m;
  ssize_t r = recv(fd, &m, sizeof(m), MSG_PEEK | MSG_DONTWAIT);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
    if (mif_now_ms() - l->pend_ms[k] <= MIF_PENDING_MS) return 0;
    close(fd);
    return 1;
  }
  if (r != MIF_MSG_SIZE || m.type != MIF_MSG_INIT) {
    /* Gone, or not speaking memif: the port that takes a real INIT reports protocol errors, this one just closes. */
    if (r > 0) mif_send_disconnect(fd, "Unexpected message");
    mif_drain_close(fd);
    return 1;
  }
  for (uint32_t i = 0; i < l->nports; i++) {
    struct mif_port *p = l->ports[i];
    if (p->ifid != m.init.id) continue;
    if (p->state == MIF_UP) {
      /* One peer per interface: a second client hears why and goes. */
      mif_send_disconnect(fd, "Already connected");
      mif_drain_close(fd);
      return 1;
    }
    if (p->cfd >= 0) return 0; /* mid-handshake or draining a departed peer: wait (the pending timeout still applies) */
    p->cfd = fd; /* its own service reads the INIT (version, secret) and the rest */
    p->state = MIF_HANDSHAKE;
    p->hs_until_ms = mif_now_ms() + MIF_HANDSHAKE_MS;
    return 1;
  }
  snprintf(self->note, sizeof(self->note), "refused a client: ID not found (id %u)", m.init.id);
  mif_send_disconnect(fd, "ID not found");
  mif_drain_close(fd);
  return 1;
}

int mif_listen_poll(struct mif_port *self) {
  if (self->lis < 0) return 0;
  struct mif_listener *l = &lis[self->lis];
  for (;;) {
    int k = 0;
    while (k < MIF_PENDING && l->pend[k] >= 0) k++;
    if (k == MIF_PENDING) break; /* full: the backlog holds the rest */
    int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) break;
    greet(l, fd);
    l->pend[k] = fd;
    l->pend_ms[k] = mif_now_ms();
  }
  self->note[0] = 0;
  for (int k = 0; k < MIF_PENDING; k++)
    if (l->pend[k] >= 0 && route(l, k, self)) l->pend[k] = -1;
  return self->note[0] != 0;
}
