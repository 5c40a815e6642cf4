/* Sleeping lcores (EAL --poll-mode adaptive and interrupt). Each lcore owns an
 * eventfd that the main thread writes to stop it and ring producers write as
 * a doorbell; the lcore sleeps in ppoll() on that eventfd plus the rx fds of
 * its queues, for a nap (adaptive) or until there is work (interrupt).
 * A set of fds is registered once, so a wait unwraps no array. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* ppoll */
#endif
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "shim.h"

#define WAIT_SLOT_BITS 8
#define WAIT_SETS (1 << WAIT_SLOT_BITS)
#define WAIT_FDS 64

struct wait_set {
  uint32_t id; /* 0: free */
  int n;
  struct pollfd fds[WAIT_FDS]; /* fds[0]: the lcore's eventfd */
};

static struct wait_set sets[WAIT_SETS];
static uint32_t sets_gen;
static pthread_mutex_t sets_lock = PTHREAD_MUTEX_INITIALIZER;

static struct wait_set *set_of(int32_t id) {
  if (id <= 0) return NULL;
  struct wait_set *s = &sets[(uint32_t)id & (WAIT_SETS - 1)];
  return s->id == (uint32_t)id ? s : NULL;
}

/* evfd_create() -> fd | -errno. Non-blocking: a wake that nobody waits for
 * just leaves the counter set, and the next wait returns at once. */
napi_value tsfwd_evfd_create(napi_env env, napi_callback_info info) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  return tsfwd_int(env, fd < 0 ? -errno : fd);
}

/* evfd_signal(fd) -> 0 | -errno. EAGAIN (counter saturated) still means
 * "woken", so it counts as success. */
napi_value tsfwd_evfd_signal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &fd) || fd < 0) return tsfwd_int(env, -EINVAL);
  uint64_t one = 1;
  for (;;) {
    if (write(fd, &one, sizeof one) == (ssize_t)sizeof one) return tsfwd_int(env, 0);
    if (errno == EINTR) continue;
    return tsfwd_int(env, errno == EAGAIN ? 0 : -errno);
  }
}

/* wait_set_create(fds: Int32Array) -> id | -errno; fds[0] is the eventfd,
 * the rest are polled for POLLIN. */
napi_value tsfwd_wait_set_create(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  bool is_ta = false;
  napi_typedarray_type type;
  size_t n;
  void *data;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_is_typedarray(env, argv[0], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[0], &type, &n, &data, NULL, NULL) != napi_ok ||
      type != napi_int32_array || n < 1 || n > WAIT_FDS)
    return tsfwd_int(env, -EINVAL);
  const int32_t *fds = data;
  for (size_t i = 0; i < n; i++)
    if (fds[i] < 0) return tsfwd_int(env, -EBADF);
  pthread_mutex_lock(&sets_lock);
  for (uint32_t slot = 0; slot < WAIT_SETS; slot++) {
    struct wait_set *s = &sets[slot];
    if (s->id != 0) continue;
    s->n = (int)n;
    for (size_t i = 0; i < n; i++) {
      s->fds[i].fd = fds[i];
      s->fds[i].events = POLLIN;
      s->fds[i].revents = 0;
    }
    s->id = tsfwd_slot_id(&sets_gen, slot, WAIT_SLOT_BITS);
    pthread_mutex_unlock(&sets_lock);
    return tsfwd_int(env, s->id);
  }
  pthread_mutex_unlock(&sets_lock);
  return tsfwd_int(env, -ENOSPC);
}

/* wait_set_free(id) -> 0 | -EINVAL. Closes nothing: the fds belong to others. */
napi_value tsfwd_wait_set_free(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id)) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&sets_lock);
  struct wait_set *s = set_of(id);
  if (s) s->id = 0;
  pthread_mutex_unlock(&sets_lock);
  return tsfwd_int(env, s ? 0 : -EINVAL);
}

/* Waits on the set's fds (the eventfd alone if `blind`), or until `t`
 * passes, and drains the eventfd when it fired, so the next wait blocks
 * again. poll() always reports an rx fd's socket error, and the error stays
 * until something reads it: a downed link leaves ENETDOWN on a packet socket
 * that only a send or a receive call clears, and the mmap rx path makes
 * neither, so every wait would return at once. The wait reads it (SO_ERROR
 * clears it; the port reports link state on its own; on a non-socket fd the
 * call fails harmlessly). Hang-ups and errors SO_ERROR does not clear (the
 * error queue, unused here) are left to the Idler, which stops listening to
 * the fds after a run of wakes that found no frame. Only the set's owner (one
 * lcore) waits on it, so the set needs no lock. */
static int set_wait(struct wait_set *s, const struct timespec *t, int blind) {
  int r = ppoll(s->fds, blind ? 1 : (nfds_t)s->n, t, NULL);
  if (r < 0) return errno == EINTR ? 0 : -errno;
  if (r == 0) return 0;
  if (s->fds[0].revents & POLLIN) {
    uint64_t v;
    while (read(s->fds[0].fd, &v, sizeof v) < 0 && errno == EINTR) {
    }
  }
  for (int i = 1; i < (blind ? 1 : s->n); i++) {
    if (s->fds[i].revents & POLLERR) {
      int err;
      socklen_t l = sizeof err;
      getsockopt(s->fds[i].fd, SOL_SOCKET, SO_ERROR, &err, &l);
    }
  }
  return r;
}

/* wait_nap(id, us, blind) -> fds that were readable or reported an error or
 * hang-up (0 after `us` µs) | -errno: an adaptive lcore's nap or an
 * interrupt-mode lcore's block, which its eventfd (stop(), a ring's doorbell)
 * or a frame on one of its rx fds ends early. Native on purpose: V8's
 * Atomics.wait wraps its futex in a lock and a condition variable and costs
 * this VM ~50% more CPU per wakeup (19-24 µs against 12-15 µs for ppoll),
 * most of what an idle adaptive lcore spends. */
napi_value tsfwd_wait_nap(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t id, us, blind;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3 || !tsfwd_arg_i32(env, argv[0], &id) || !tsfwd_arg_i32(env, argv[1], &us) || us < 0 ||
      !tsfwd_arg_i32(env, argv[2], &blind))
    return tsfwd_int(env, -EINVAL);
  struct wait_set *s = set_of(id);
  if (!s) return tsfwd_int(env, -EINVAL);
  struct timespec t = {us / 1000000, (long)(us % 1000000) * 1000};
  return tsfwd_int(env, set_wait(s, &t, blind != 0));
}
