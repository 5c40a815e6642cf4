/* net_af_xdp: the XDP program that steers an interface's frames into its
 * AF_XDP sockets. Six instructions, built here rather than compiled from C
 * (no clang at install time): look the rx queue up in an XSKMAP and redirect
 * there, or pass the frame to the stack when no socket serves that queue.
 *
 * It is attached through a BPF link (libbpf's bpf_link_create), not netlink:
 * the kernel detaches a link's program when its last fd closes, so a killed
 * tsfwd leaves no program on the interface. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include "../shim.h"
#include "../af-packet/afp.h"
#include "xsk.h"

#ifdef TSFWD_HAVE_XSK
#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>

enum { XSK_PROG_NATIVE = 1, XSK_PROG_GENERIC = 2 };

struct xsk_prog {
  uint32_t id;
  int prog_fd, map_fd, link_fd;
};

static struct xsk_prog xsk_progs[XSK_PROG_SLOTS];
static pthread_mutex_t prog_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t prog_gen;

static int load(int map_fd) {
  struct bpf_insn insns[] = {
    /* r2 = ctx->rx_queue_index */
    { .code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1, .off = offsetof(struct xdp_md, rx_queue_index) },
    /* r1 = the XSKMAP (64-bit immediate, two slots) */
    { .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd },
    { .code = 0 },
    /* r3 = action when the map has no socket for this queue */
    { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
    { .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
    { .code = BPF_JMP | BPF_EXIT },
  };
  LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_XDP);
  return bpf_prog_load(BPF_PROG_TYPE_XDP, "tsfwd_xsk", "GPL", insns, sizeof(insns) / sizeof(insns[0]), &po);
}

static int link_to(int prog_fd, int ifindex, uint32_t flags) {
  LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = flags);
  return bpf_link_create(prog_fd, ifindex, BPF_XDP, &lo);
}

/* xsk_prog_attach(ifindex, want 0 auto | 1 native | 2 generic, mapEntries, out Int32Array(2)) -> prog id | -errno
 * out: [step 0 map | 1 load | 2 attach | 3 table, active mode 1 native | 2 generic] */
napi_value tsfwd_xsk_prog_attach(napi_env env, napi_callback_info info) {
  size_t argc = 4, lo = 0;
  napi_value argv[4];
  int32_t ifindex, want, entries;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *o = argc == 4 ? afp_ta(env, argv[3], napi_int32_array, &lo) : NULL;
  if (!o || lo < 2 || !tsfwd_arg_i32(env, argv[0], &ifindex) || !tsfwd_arg_i32(env, argv[1], &want) ||
      !tsfwd_arg_i32(env, argv[2], &entries) || ifindex <= 0 || want < 0 || want > 2 || entries <= 0)
    return tsfwd_int(env, -EINVAL);
  int map_fd = -1, prog_fd = -1, link_fd = -1, rc;
  o[0] = 0;
  map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "tsfwd_xsks", 4, 4, (uint32_t)entries, NULL);
  if (map_fd < 0) return tsfwd_int(env, map_fd);
  o[0] = 1;
  prog_fd = load(map_fd);
  if (prog_fd < 0) { rc = prog_fd; goto fail; }
  o[0] = 2;
  if (want != XSK_PROG_GENERIC) {
    link_fd = link_to(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
    o[1] = XSK_PROG_NATIVE;
    /* No native XDP in this driver: the generic (skb) hook works everywhere. */
    if (link_fd < 0 && want == 0 && (link_fd == -EOPNOTSUPP || link_fd == -EINVAL)) link_fd = -1, want = XSK_PROG_GENERIC;
  }
  if (want == XSK_PROG_GENERIC) {
    link_fd = link_to(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
    o[1] = XSK_PROG_GENERIC;
  }
  if (link_fd < 0) { rc = link_fd; goto fail; }
  o[0] = 3;
  pthread_mutex_lock(&prog_lock);
  uint32_t slot = 0;
  while (slot < XSK_PROG_SLOTS && xsk_progs[slot].id) slot++;
  if (slot == XSK_PROG_SLOTS) {
    pthread_mutex_unlock(&prog_lock);
    rc = -EMFILE;
    goto fail;
  }
  xsk_progs[slot] = (struct xsk_prog){ .id = tsfwd_slot_id(&prog_gen, slot, XSK_SLOT_BITS_P), .prog_fd = prog_fd, .map_fd = map_fd, .link_fd = link_fd };
  rc = (int)xsk_progs[slot].id;
  pthread_mutex_unlock(&prog_lock);
  return tsfwd_int(env, rc);
fail:
  if (link_fd >= 0) close(link_fd);
  if (prog_fd >= 0) close(prog_fd);
  close(map_fd);
  return tsfwd_int(env, rc);
}

/* The XSKMAP fd of a program, for xsk_setup.c (-EBADF if the id is stale). */
int xsk_prog_map_fd(int32_t id) {
  pthread_mutex_lock(&prog_lock);
  struct xsk_prog *p = &xsk_progs[(uint32_t)id & (XSK_PROG_SLOTS - 1)];
  int fd = id > 0 && p->id == (uint32_t)id ? p->map_fd : -EBADF;
  pthread_mutex_unlock(&prog_lock);
  return fd;
}

/* xsk_prog_detach(id) -> 0 | -errno: closing the link detaches the program. */
napi_value tsfwd_xsk_prog_detach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t id;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &id) || id <= 0) return tsfwd_int(env, -EINVAL);
  pthread_mutex_lock(&prog_lock);
  struct xsk_prog *p = &xsk_progs[(uint32_t)id & (XSK_PROG_SLOTS - 1)];
  if (p->id != (uint32_t)id) {
    pthread_mutex_unlock(&prog_lock);
    return tsfwd_int(env, -EBADF);
  }
  struct xsk_prog copy = *p;
  memset(p, 0, sizeof(*p));
  pthread_mutex_unlock(&prog_lock);
  int rc = close(copy.link_fd) < 0 ? -errno : 0;
  close(copy.prog_fd);
  close(copy.map_fd);
  return tsfwd_int(env, rc);
}

int xsk_prog_count(void) {
  int n = 0;
  pthread_mutex_lock(&prog_lock);
  for (uint32_t i = 0; i < XSK_PROG_SLOTS; i++) n += xsk_progs[i].id != 0;
  pthread_mutex_unlock(&prog_lock);
  return n;
}
#else
napi_value tsfwd_xsk_prog_attach(napi_env env, napi_callback_info info) { return tsfwd_int(env, -ENOSYS); }
napi_value tsfwd_xsk_prog_detach(napi_env env, napi_callback_info info) { return tsfwd_int(env, -ENOSYS); }
#endif
