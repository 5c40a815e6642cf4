/* net_memif control channel, run by the main thread from a timer: the port
 * table, listen or connect, link up and down (draining a departed peer's
 * frames before the unmap) and the Node-API entry points. Never blocks: every
 * socket is non-blocking. Messages are in memif_msg.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "../shim.h"
#include "memif.h"

static struct mif_port mif_ports[MIF_PORT_SLOTS];
static uint32_t mif_gen;
static pthread_mutex_t mif_lock = PTHREAD_MUTEX_INITIALIZER;

struct mif_port *mif_port_get(int32_t id) {
  if (id <= 0) return NULL;
  struct mif_port *p = &mif_ports[(uint32_t)id & (MIF_PORT_SLOTS - 1)];
  return p->id == (uint32_t)id ? p : NULL;
}

void *mif_ta(napi_env env, napi_value v, napi_typedarray_type want, size_t *len) {
  bool is = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return NULL;
  if (napi_get_typedarray_info(env, v, &type, len, &data, NULL, NULL) != napi_ok || type != want) return NULL;
  return data;
}

unsigned mif_addr(const struct mif_port *p, struct sockaddr_un *un) {
  memset(un, 0, sizeof(*un));
  un->sun_family = AF_UNIX;
  size_t n = strlen(p->path);
  if (p->abstract) {
    /* Linux abstract name: a leading NUL, and the length says where it ends
     * (DPDK 22.11 counts exactly the name's bytes, so must we to meet it). */
    memcpy(un->sun_path + 1, p->path, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
  }
  memcpy(un->sun_path, p->path, n);
  return (socklen_t)sizeof(*un);
}

/* Ends the connection: lcores stop touching the region (up = 0, then wait
 * for any burst inside it), then everything the connection held goes. */
static void mif_teardown(struct mif_port *p) {
  /* Publishes down; pairs with the lcore's busy store + up load in mif_enter. */
  atomic_store(&p->tx_up, 0);
  atomic_store(&p->up, 0);
  struct timespec ts = { 0, 50000 };
  for (int spin = 0; spin < 20000; spin++) {
    int any = 0;
    for (uint32_t i = 0; i < 2 * p->nq; i++) any |= atomic_load(&p->busy[i]);
    if (!any) break;
    nanosleep(&ts, NULL);
  }
  for (uint32_t q = 0; q < MIF_MAX_QUEUES; q++) {
    struct mif_ring *rs[2] = { &p->rx[q], &p->tx[q] };
    for (int k = 0; k < 2; k++) {
      if (rs[k]->efd >= 0) close(rs[k]->efd);
      memset(rs[k], 0, sizeof(*rs[k]));
      rs[k]->efd = -1;
    }
  }
  for (uint32_t i = 0; i < p->nreg; i++) {
    if (p->reg[i].addr) munmap(p->reg[i].addr, p->reg[i].size);
    if (p->reg[i].fd >= 0) close(p->reg[i].fd);
  }
  memset(p->reg, 0, sizeof(p->reg));
  p->nreg = 0;
  if (p->cfd >= 0) mif_drain_close(p->cfd);
  p->cfd = -1;
  p->state = MIF_IDLE;
  p->rings_seen = 0;
}

uint64_t mif_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Client: one connect attempt. 0: connected (handshake next), -errno: not now. */
static int client_connect(struct mif_port *p) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  struct sockaddr_un un;
  socklen_t len = mif_addr(p, &un);
  if (connect(fd, (struct sockaddr *)&un, len) < 0) { int e = errno; close(fd); return -e; }
  p->cfd = fd;
  p->state = MIF_HANDSHAKE;
  p->hs_until_ms = mif_now_ms() + MIF_HANDSHAKE_MS;
  return 0;
}

/* Event codes memif_service returns. */
#define MIF_EV_NONE 0
#define MIF_EV_UP 1
#define MIF_EV_DOWN 2    /* was up; note says why */
#define MIF_EV_FAILED 3  /* a handshake failed; note says why */


/* Every rx ring read up to what the peer published (lcores keep `last`; a stale read only delays). */
static int rx_drained(struct mif_port *p) {
  for (uint32_t q = 0; q < p->nq; q++) {
    struct mif_ring *r = &p->rx[q];
    if (!r->base) continue;
    uint16_t end = atomic_load((_Atomic uint16_t *)(r->base + (p->server ? MIF_RING_HEAD : MIF_RING_TAIL)));
    if (end != *(volatile uint16_t *)&r->last) return 0;
  }
  return 1;
}

static int service_port(struct mif_port *p, int try_connect);

static int service(struct mif_port *p, int try_connect) {
  /* Every server port's tick serves the socket it shares (accept, HELLO, route by INIT id);
   * a refused client is reported once this port's own work is done. */
  int refused = p->server && mif_listen_poll(p);
  int ev = service_port(p, try_connect);
  if (ev == MIF_EV_NONE && refused) return MIF_EV_FAILED;
  return ev;
}

static int service_port(struct mif_port *p, int try_connect) {
  if (p->state == MIF_HANDSHAKE && mif_now_ms() >= p->hs_until_ms) {
    snprintf(p->note, sizeof(p->note), "the peer did not finish the handshake within %d ms", MIF_HANDSHAKE_MS);
    if (p->cfd >= 0) mif_send_disconnect(p->cfd, "Handshake timed out");
    mif_teardown(p);
    return MIF_EV_FAILED;
  }
  if (p->state == MIF_DRAINING) {
    if (rx_drained(p) || mif_now_ms() >= p->drain_until_ms) mif_teardown(p);
    return MIF_EV_NONE;
  }
  if (p->cfd < 0) {
    /* A server port gets its connection from the shared listener, by id. */
    if (p->server || !try_connect || client_connect(p) < 0) return MIF_EV_NONE;
  }
  int was_up = p->state == MIF_UP;
  int rc = mif_read(p);
  if (rc == 1) {
    p->state = MIF_UP;
    mif_set_rx_flags(p);
    for (uint32_t q = 0; q < p->nq; q++) {
      struct mif_ring *r = &p->rx[q];
      /* The ring's eventfd wakes an lcore blocked on rx_ep[q] (closing the fd at teardown removes it). */
      struct epoll_event ev = { .events = EPOLLIN, .data = { .u32 = q } };
      if (r->efd >= 0) epoll_ctl(p->rx_ep[q], EPOLL_CTL_ADD, r->efd, &ev);
      /* Client: offer every S2C buffer now, so the server can send before our
       * first rx poll (an lcore may be asleep). Release: the descriptors set at
       * setup; pairs with the server's acquire load of head. Lcores are not in
       * the ring yet (up is still 0). */
      if (!p->server && r->base)
        atomic_store_explicit((_Atomic uint16_t *)(r->base + MIF_RING_HEAD), (uint16_t)(r->mask + 1), memory_order_release);
    }
    /* Publishes the mapped rings to lcores; pairs with the up loads in mif_enter. */
    atomic_store(&p->up, 1);
    atomic_store(&p->tx_up, 1);
    snprintf(p->note, sizeof(p->note), "link up (peer %s, %u queue pair%s, ring %u, buffer %u B)", p->peer[0] ? p->peer : "?", p->nq,
             p->nq > 1 ? "s" : "", 1u << (p->server ? p->rx[0].log2 : p->run_log2), p->bsize);
    return MIF_EV_UP;
  }
  if (rc < 0) {
    if (!was_up) {
      mif_teardown(p);
      /* A client that leaves mid-handshake is no news for a server (it
       * retries, or it was refused and already told why). */
      return p->server && rc == -ECONNRESET ? MIF_EV_NONE : MIF_EV_FAILED;
    }
    /* Tx refuses from now on (pairs with the tx_up load in mif_enter); rx
     * delivers what the peer left in the rings before the unmap. */
    atomic_store(&p->tx_up, 0);
    p->state = MIF_DRAINING;
    p->drain_until_ms = mif_now_ms() + MIF_DRAIN_MS;
    return MIF_EV_DOWN;
  }
  return MIF_EV_NONE;
}

static void port_free(struct mif_port *p) {
  mif_teardown(p);
  for (uint32_t q = 0; q < MIF_MAX_QUEUES; q++)
    if (p->rx_ep[q] >= 0) close(p->rx_ep[q]);
  mif_listen_leave(p);
  p->id = 0;
}

/* memif_open(cfg Int32Array [server, abstract, id, log2, bsize, nq], path, secret) -> port id | -errno */
napi_value tsfwd_memif_open(napi_env env, napi_callback_info info) {
  size_t argc = 3, lc = 0, lp = 0, ls = 0;
  napi_value argv[3];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *c = argc == 3 ? mif_ta(env, argv[0], napi_int32_array, &lc) : NULL;
  if (!c || lc < 6) return tsfwd_int(env, -EINVAL);
  char path[108], secret[MIF_SECRET_SZ + 2];
  if (napi_get_value_string_utf8(env, argv[1], path, sizeof(path), &lp) != napi_ok || lp == 0 || lp >= sizeof(path) - 1) return tsfwd_int(env, -ENAMETOOLONG);
  if (napi_get_value_string_utf8(env, argv[2], secret, sizeof(secret), &ls) != napi_ok || ls > MIF_SECRET_SZ) return tsfwd_int(env, -EINVAL);
  if (c[3] < 1 || c[3] > MIF_MAX_LOG2_RING || c[4] < 1 || c[4] > 65535 || c[5] < 1 || c[5] > MIF_MAX_QUEUES) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&mif_lock);
  uint32_t slot = 1;
  while (slot < MIF_PORT_SLOTS && mif_ports[slot].id != 0) slot++;
  if (slot == MIF_PORT_SLOTS) { pthread_mutex_unlock(&mif_lock); return tsfwd_int(env, -EMFILE); }
  struct mif_port *p = &mif_ports[slot];
  memset(p, 0, sizeof(*p));
  p->server = c[0] != 0;
  p->abstract = c[1] != 0;
  p->ifid = (uint32_t)c[2];
  p->log2 = (uint32_t)c[3];
  p->bsize = (uint32_t)c[4];
  p->nq = (uint32_t)c[5];
  memcpy(p->path, path, lp + 1);
  memcpy(p->secret, secret, ls + 1);
  p->lis = p->cfd = -1;
  int rc = 0;
  for (uint32_t q = 0; q < MIF_MAX_QUEUES; q++) {
    p->rx[q].efd = p->tx[q].efd = -1;
    p->rx_ep[q] = q < p->nq ? epoll_create1(EPOLL_CLOEXEC) : -1;
    if (q < p->nq && p->rx_ep[q] < 0 && rc == 0) rc = -errno;
  }
  if (p->server && rc == 0) rc = mif_listen_join(p);
  if (rc == 0) p->id = tsfwd_slot_id(&mif_gen, slot, 6);
  else
    for (uint32_t q = 0; q < MIF_MAX_QUEUES; q++)
      if (p->rx_ep[q] >= 0) close(p->rx_ep[q]);
  pthread_mutex_unlock(&mif_lock);
  return tsfwd_int(env, rc < 0 ? rc : (int64_t)p->id);
}

/* memif_close(port) -> 0 | -EBADF. Main thread, after every lcore detached. */
napi_value tsfwd_memif_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&mif_lock);
  struct mif_port *p = mif_port_get(id);
  if (p) {
    if (p->cfd >= 0) mif_send_disconnect(p->cfd, "Device closed");
    port_free(p);
  }
  pthread_mutex_unlock(&mif_lock);
  return tsfwd_int(env, p ? 0 : -EBADF);
}

/* memif_service(port, tryConnect, note Uint8Array(160)) -> MIF_EV_* | -EBADF; note gets the event's text. */
napi_value tsfwd_memif_service(napi_env env, napi_callback_info info) {
  size_t argc = 3, ln = 0;
  napi_value argv[3];
  int32_t id, tc;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *note = argc == 3 ? mif_ta(env, argv[2], napi_uint8_array, &ln) : NULL;
  if (!note || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &tc)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&mif_lock);
  struct mif_port *p = mif_port_get(id);
  int rc = -EBADF;
  if (p) {
    p->note[0] = 0;
    rc = service(p, tc);
    size_t n = strlen(p->note);
    if (n >= ln) n = ln - 1;
    memcpy(note, p->note, n);
    note[n] = 0;
  }
  pthread_mutex_unlock(&mif_lock);
  return tsfwd_int(env, rc);
}

/* memif_rx_wake(port, queue) -> an fd poll() reports readable when the peer kicked
 * rx queue `queue` | -errno. From then on the peer is asked to kick that ring
 * (its flags), now and at every connect: the cost of an eventfd write per peer
 * tx burst, paid only by ports an lcore sleeps on. */
napi_value tsfwd_memif_rx_wake(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t id, q;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &q)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&mif_lock);
  struct mif_port *p = mif_port_get(id);
  int rc = -EBADF;
  if (p && (uint32_t)q >= p->nq) rc = -EINVAL;
  else if (p) {
    p->rx_intr[q] = 1;
    if (p->state == MIF_UP) mif_set_rx_flags(p);
    rc = p->rx_ep[q];
  }
  pthread_mutex_unlock(&mif_lock);
  return tsfwd_int(env, rc);
}
