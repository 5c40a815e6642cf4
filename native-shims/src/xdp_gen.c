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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

#define XDPGEN_MAX 64
#define XDPGEN_BATCH 64
#define XDPGEN_FRAME_MAX 3000

struct xdpgen {
  int used;
  int prog_fd;
  uint32_t ifindex;
  uint32_t len;
  uint8_t frame[XDPGEN_FRAME_MAX];
  struct xdp_md ctx;
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

/* One live test run: 0 or -errno. */
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
  /* No retry on EINTR: the kernel does not say how many frames went out. */
  return sys_bpf(BPF_PROG_TEST_RUN, &attr) == 0 ? 0 : -errno;
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
  g->ifindex = (uint32_t)ifindex;
  g->len = (uint32_t)n;
  memcpy(g->frame, data, n);
  memset(&g->ctx, 0, sizeof(g->ctx));
  g->ctx.data_end = (uint32_t)n;
  g->ctx.ingress_ifindex = (uint32_t)ifindex;

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
  pthread_mutex_lock(&slots_lock);
  g->used = 0;
  pthread_mutex_unlock(&slots_lock);
  return tsfwd_int(env, rc);
}

/* xdpgen_run(handle, repeat) -> 0 | -errno: sends `repeat` (1..2^31-1) copies. */
napi_value tsfwd_xdpgen_run(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t h, repeat;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !tsfwd_arg_i32(env, argv[0], &h) || !tsfwd_arg_i32(env, argv[1], &repeat) ||
      h < 0 || h >= XDPGEN_MAX || repeat < 1 || !slots[h].used)
    return tsfwd_int(env, -EINVAL);
  struct xdpgen *g = &slots[h];
  return tsfwd_int(env, run_live(g->prog_fd, g->frame, g->len, &g->ctx, (uint32_t)repeat));
}

/* xdpgen_close(handle) -> 0 | -EINVAL. */
napi_value tsfwd_xdpgen_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t h;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &h) || h < 0 || h >= XDPGEN_MAX) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&slots_lock);
  int ok = slots[h].used;
  if (ok) { close(slots[h].prog_fd); slots[h].used = 0; }
  pthread_mutex_unlock(&slots_lock);
  return tsfwd_int(env, ok ? 0 : -EINVAL);
}
