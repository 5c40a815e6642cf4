/* pktgen --engine xdp-live: a frame generator on BPF_PROG_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES (kernel >= 5.18), raw bpf(2), no libbpf.
 *
 * A 2-instruction XDP program (r0 = XDP_TX; exit) runs over a template frame
 * `repeat` times per syscall; in live mode the kernel turns XDP_TX into a
 * redirect out of ctx_in's ingress_ifindex (the interface to send on), in
 * batches of `batch_size` frames. Handles live in a process-wide table so the
 * main thread can open one and an lcore thread can run it. */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "../shim.h"

#define XDPGEN_MAX 64
#define XDPGEN_FRAME_MAX 3000
/* Frames per XDP_TX flush: the peer veth's XDP ring holds 256, and its NAPI
 * drains a batch when the test run re-enables bottom halves, so 64 leaves
 * room for a batch the softirq did not finish yet (no ring-full drop). */
#define XDPGEN_BATCH 64
/* Frames per BPF_PROG_RUN call: each call builds and destroys a page_pool
 * (~20 us), so a call should last milliseconds; 16384 frames is ~8 ms here. */
#define XDPGEN_CALL 16384
/* Frames the calling thread leaves to the twin when it goes back to JS for
 * more. With one call's worth the twin often ran dry while the caller was
 * out, both runners were outside a run at once, and the program left and
 * re-entered the XDP dispatcher (two RCU waits of 8-12 ms; see below): 26-46
 * times in the ~5 s a fwd bench row at 64 B runs the generator, with its CPU
 * 20-30% idle. With two calls' worth, 3-5 times (the first start and the
 * last stop included). */
#define XDPGEN_KEEP (2 * XDPGEN_CALL)

/* Why two runners. BPF_PROG_RUN with repeat > 1 adds the program to the XDP
 * dispatcher when it starts and removes it when it ends
 * (bpf_prog_change_xdp -> bpf_dispatcher_change_prog), and each change that
 * adds or removes the last user waits for an RCU grace period (~12 ms on a
 * 2-vCPU VM): one runner calling in a loop slept ~25 ms per call, a third
 * of the time at 64 K frames per call. A second runner (the "twin" pthread,
 * on the caller's CPU) keeps a run of the same program open while the other
 * one is between calls, so the dispatcher rarely empties (XDPGEN_KEEP says
 * how rarely) and calls rarely wait after the first. The two share a budget of
 * frames that the JS lcore tops up; a frame is counted when it is claimed,
 * and close() waits until every claimed frame has gone out, so counts stay
 * exact. */
struct xdpgen {
  int used;
  int prog_fd;
  uint32_t len;
  uint8_t frame[XDPGEN_FRAME_MAX];
  struct xdp_md ctx;
  pthread_mutex_t lock;
  pthread_cond_t more;  /* budget grew or closing: wakes the twin */
  uint64_t budget;      /* frames requested, not yet claimed; under lock */
  int closing;          /* under lock */
  int err;              /* first -errno of either runner; under lock */
  int twin_started;
  pthread_t twin;
};

static struct xdpgen slots[XDPGEN_MAX];
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* Loads `r0 = action; exit` as an XDP program; fd or -errno. */
static int load_prog(int action) {
  struct bpf_insn insns[2];
  union bpf_attr attr;
  static const char license[] = "GPL";
  memset(insns, 0, sizeof(insns));
  insns[0].code = BPF_ALU64 | BPF_MOV | BPF_K; /* r0 = imm */
  insns[0].dst_reg = BPF_REG_0;
  insns[0].imm = action;
  insns[1].code = BPF_JMP | BPF_EXIT;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_XDP;
  attr.insn_cnt = 2;
  attr.insns = (uint64_t)(uintptr_t)insns;
  attr.license = (uint64_t)(uintptr_t)license;
  memcpy(attr.prog_name, "tsfwd_xdpgen", 13);
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &attr);
  return fd < 0 ? -errno : fd;
}

/* One live test run: 0 or -errno. Runners block every signal, so EINTR
 * (which would leave the number of frames sent unknown) cannot happen. */
static int run_live(int prog_fd, const uint8_t *frame, uint32_t len, struct xdp_md *ctx, uint32_t repeat) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.test.prog_fd = (uint32_t)prog_fd;
  attr.test.data_in = (uint64_t)(uintptr_t)frame;
  attr.test.data_size_in = len;
  attr.test.ctx_in = (uint64_t)(uintptr_t)ctx;
  attr.test.ctx_size_in = sizeof(*ctx);
  attr.test.repeat = repeat;
  attr.test.flags = BPF_F_TEST_XDP_LIVE_FRAMES;
  attr.test.batch_size = XDPGEN_BATCH;
  return sys_bpf(BPF_PROG_TEST_RUN, &attr) == 0 ? 0 : -errno;
}

/* Takes up to XDPGEN_CALL frames of the budget, leaving `keep` behind; 0
 * when there is nothing to take or a runner failed. */
static uint32_t claim(struct xdpgen *g, uint64_t keep) {
  uint32_t n = 0;
  pthread_mutex_lock(&g->lock);
  if (g->err == 0 && g->budget > keep) {
    uint64_t avail = g->budget - keep;
    n = avail < XDPGEN_CALL ? (uint32_t)avail : XDPGEN_CALL;
    g->budget -= n;
  }
  pthread_mutex_unlock(&g->lock);
  return n;
}

static void fail(struct xdpgen *g, int rc) {
  pthread_mutex_lock(&g->lock);
  if (g->err == 0) g->err = rc;
  pthread_mutex_unlock(&g->lock);
}

/* The twin: sends whatever budget is left until close; drains it first. */
static void *twin_main(void *arg) {
  struct xdpgen *g = arg;
  for (;;) {
    uint32_t n = claim(g, 0);
    if (n > 0) {
      int rc = run_live(g->prog_fd, g->frame, g->len, &g->ctx, n);
      if (rc < 0) fail(g, rc);
      continue;
    }
    pthread_mutex_lock(&g->lock);
    while (!g->closing && (g->budget == 0 || g->err != 0)) pthread_cond_wait(&g->more, &g->lock);
    int done = g->budget == 0 || g->err != 0;
    pthread_mutex_unlock(&g->lock);
    if (done) return NULL;
  }
}

/* xdpgen_open(ifindex, frame: Uint8Array) -> handle | -errno.
 * Loads the XDP_TX program, then probes the live mode with an XDP_DROP
 * program (one frame, nothing sent) so an old kernel or a bad ifindex fails
 * here rather than in the lcore. Errors: -EPERM (no CAP_BPF/CAP_SYS_ADMIN),
 * -EINVAL (no BPF_F_TEST_XDP_LIVE_FRAMES), -ENODEV (no such ifindex),
 * -EMFILE (table full). */
napi_value tsfwd_xdpgen_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t ifindex;
  bool is_ta = false;
  napi_typedarray_type type;
  size_t n;
  void *data;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !tsfwd_arg_i32(env, argv[0], &ifindex) || ifindex <= 0 ||
      napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &n, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || n < 14 || n > XDPGEN_FRAME_MAX)
    return tsfwd_int(env, -EINVAL);

  pthread_mutex_lock(&slots_lock);
  int h = -1;
  for (int i = 0; i < XDPGEN_MAX; i++) if (!slots[i].used) { h = i; slots[i].used = 1; break; }
  pthread_mutex_unlock(&slots_lock);
  if (h < 0) return tsfwd_int(env, -EMFILE);
  struct xdpgen *g = &slots[h];
  g->len = (uint32_t)n;
  memcpy(g->frame, data, n);
  memset(&g->ctx, 0, sizeof(g->ctx));
  g->ctx.data_end = (uint32_t)n;
  g->ctx.ingress_ifindex = (uint32_t)ifindex;
  g->budget = 0;
  g->closing = 0;
  g->err = 0;
  g->twin_started = 0;
  pthread_mutex_init(&g->lock, NULL);
  pthread_cond_init(&g->more, NULL);

  int rc;
  int probe = load_prog(XDP_DROP);
  if (probe < 0) { rc = probe; goto fail; }
  rc = run_live(probe, g->frame, g->len, &g->ctx, 1);
  close(probe);
  if (rc < 0) goto fail;
  g->prog_fd = load_prog(XDP_TX);
  if (g->prog_fd < 0) { rc = g->prog_fd; goto fail; }
  return tsfwd_int(env, h);
fail:
  pthread_cond_destroy(&g->more);
  pthread_mutex_destroy(&g->lock);
  pthread_mutex_lock(&slots_lock);
  g->used = 0;
  pthread_mutex_unlock(&slots_lock);
  return tsfwd_int(env, rc);
}

/* xdpgen_run(handle, repeat) -> 0 | -errno: adds `repeat` (1..2^31-1)
 * frames to the budget and sends from it on the calling thread until at most
 * XDPGEN_KEEP is left, which the twin sends while JS checks its stop flag
 * and tops up again. Frames still in the budget go out before
 * xdpgen_close returns. The first call starts the twin from the calling
 * thread, so it inherits that thread's CPU affinity. */
napi_value tsfwd_xdpgen_run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t h, repeat;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !tsfwd_arg_i32(env, argv[0], &h) || !tsfwd_arg_i32(env, argv[1], &repeat) ||
      h < 0 || h >= XDPGEN_MAX || repeat < 1 || !slots[h].used)
    return tsfwd_int(env, -EINVAL);
  struct xdpgen *g = &slots[h];
  sigset_t all, old;
  sigfillset(&all);
  /* Blocked while we run, and inherited blocked by the twin: see run_live. */
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_mutex_lock(&g->lock);
  int rc = g->err;
  if (rc == 0) {
    g->budget += (uint64_t)repeat;
    pthread_cond_signal(&g->more);
  }
  pthread_mutex_unlock(&g->lock);
  if (rc == 0 && !g->twin_started) {
    int e = pthread_create(&g->twin, NULL, twin_main, g);
    if (e != 0) fail(g, -e);
    else g->twin_started = 1;
  }
  for (uint32_t n; (n = claim(g, XDPGEN_KEEP)) > 0;) {
    int r = run_live(g->prog_fd, g->frame, g->len, &g->ctx, n);
    if (r < 0) fail(g, r);
  }
  pthread_mutex_lock(&g->lock);
  rc = g->err;
  pthread_mutex_unlock(&g->lock);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return tsfwd_int(env, rc);
}

/* xdpgen_close(handle) -> 0 | -errno | -EINVAL: waits until the budget is
 * sent (at most XDPGEN_KEEP and a call), then frees the handle. -errno is a
 * runner's failure: some frames counted as sent did not go out. */
napi_value tsfwd_xdpgen_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t h;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &h) || h < 0 || h >= XDPGEN_MAX) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&slots_lock);
  struct xdpgen *g = &slots[h];
  if (!g->used) {
    pthread_mutex_unlock(&slots_lock);
    return tsfwd_int(env, -EINVAL);
  }
  pthread_mutex_lock(&g->lock);
  g->closing = 1;
  pthread_cond_signal(&g->more);
  pthread_mutex_unlock(&g->lock);
  if (g->twin_started) pthread_join(g->twin, NULL);
  int rc = g->err;
  close(g->prog_fd);
  pthread_cond_destroy(&g->more);
  pthread_mutex_destroy(&g->lock);
  g->used = 0;
  pthread_mutex_unlock(&slots_lock);
  return tsfwd_int(env, rc);
}
