/* Offload features through the SIOCETHTOOL ioctl, so topologies need no
 * `ethtool` program: the kernel's feature names (string set ETH_SS_FEATURES),
 * their state (ETHTOOL_GFEATURES) and changes (ETHTOOL_SFEATURES), all in the
 * calling thread's network namespace (src/topo/offload.ts steps in first).
 * JS maps ethtool's short names (gro, tso, ...) onto the kernel's. */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shim.h"

/* Feature words are 32 bits each; netdev_features_t is 64 bits today. Room
 * for 8 words keeps the request buffers on the stack. */
#define ETHTOOL_MAX_WORDS 8

static void *ta_arg(napi_env env, napi_value v, napi_typedarray_type want, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *data = NULL;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &data, NULL, NULL) != napi_ok || type != want)
    return NULL;
  return data;
}

/* One ioctl on `name`; a fresh socket per call, so it lives in whichever
 * namespace the calling thread is in now. Returns the ioctl's value | -errno. */
static int ethtool_ioctl(const char *name, void *cmd) {
  /* Any socket family reaches dev_ioctl; AF_UNIX needs no extra module. */
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return -errno;
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  /* name was checked shorter than IFNAMSIZ, so its NUL fits. */
  memcpy(ifr.ifr_name, name, strlen(name) + 1);
  ifr.ifr_data = cmd;
  int rc = ioctl(s, SIOCETHTOOL, &ifr);
  if (rc < 0) rc = -errno;
  close(s);
  return rc;
}

/* One byte more than the kernel allows, so a name that is too long is seen whole and refused. */
static int ifname_arg(napi_env env, napi_value v, char name[IFNAMSIZ + 1]) {
  size_t n = 0;
  return napi_get_value_string_utf8(env, v, name, IFNAMSIZ + 1, &n) == napi_ok && n > 0 && n < IFNAMSIZ;
}

/* Number of words the kernel uses for features (ETHTOOL_DEV_FEATURE_WORDS):
 * GFEATURES with size 0 copies nothing and reports it. */
static int feature_words(const char *name) {
  struct ethtool_gfeatures g = { .cmd = ETHTOOL_GFEATURES, .size = 0 };
  int rc = ethtool_ioctl(name, &g);
  if (rc < 0) return rc;
  return g.size > ETHTOOL_MAX_WORDS ? -ENOBUFS : (int)g.size;
}

/* ethtool_feature_names(ifname, out Uint8Array) -> count | -errno
 * out receives count names of ETH_GSTRING_LEN bytes, NUL-padded; bit i of the
 * feature words is name i. -ENOBUFS when out is too small. */
napi_value tsfwd_ethtool_feature_names(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2];
  char name[IFNAMSIZ + 1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *out = argc == 2 ? ta_arg(env, argv[1], napi_uint8_array, &len) : NULL;
  if (!out || !ifname_arg(env, argv[0], name)) return tsfwd_int(env, -EINVAL);
  struct {
    struct ethtool_sset_info hdr;
    uint32_t count;
  } ss = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_FEATURES } };
  int rc = ethtool_ioctl(name, &ss);
  if (rc < 0) return tsfwd_int(env, rc);
  /* The kernel clears the mask bit of a set it does not know. */
  if (!(ss.hdr.sset_mask & (1ULL << ETH_SS_FEATURES))) return tsfwd_int(env, -EOPNOTSUPP);
  uint32_t count = ss.count;
  if ((size_t)count * ETH_GSTRING_LEN > len) return tsfwd_int(env, -ENOBUFS);
  struct ethtool_gstrings *gs = calloc(1, sizeof(*gs) + (size_t)count * ETH_GSTRING_LEN);
  if (!gs) return tsfwd_int(env, -ENOMEM);
  gs->cmd = ETHTOOL_GSTRINGS;
  gs->string_set = ETH_SS_FEATURES;
  gs->len = count;
  rc = ethtool_ioctl(name, gs);
  if (rc >= 0) {
    memcpy(out, gs->data, (size_t)gs->len * ETH_GSTRING_LEN);
    rc = (int)gs->len;
  }
  free(gs);
  return tsfwd_int(env, rc);
}

/* ethtool_features_get(ifname, out Uint32Array) -> words | -errno
 * out receives 4 words per feature word: available (changeable), requested,
 * active, never_changed. */
napi_value tsfwd_ethtool_features_get(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0;
  napi_value argv[2];
  char name[IFNAMSIZ + 1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t *out = argc == 2 ? ta_arg(env, argv[1], napi_uint32_array, &len) : NULL;
  if (!out || !ifname_arg(env, argv[0], name)) return tsfwd_int(env, -EINVAL);
  int words = feature_words(name);
  if (words < 0) return tsfwd_int(env, words);
  if ((size_t)words * 4 > len) return tsfwd_int(env, -ENOBUFS);
  struct {
    struct ethtool_gfeatures hdr;
    struct ethtool_get_features_block b[ETHTOOL_MAX_WORDS];
  } g = { .hdr = { .cmd = ETHTOOL_GFEATURES, .size = (uint32_t)words } };
  int rc = ethtool_ioctl(name, &g);
  if (rc < 0) return tsfwd_int(env, rc);
  for (int i = 0; i < words; i++) {
    out[4 * i] = g.b[i].available;
    out[4 * i + 1] = g.b[i].requested;
    out[4 * i + 2] = g.b[i].active;
    out[4 * i + 3] = g.b[i].never_changed;
  }
  return tsfwd_int(env, words);
}

/* ethtool_features_set(ifname, valid Uint32Array, requested Uint32Array)
 * -> ETHTOOL_F_* flags (0 = all applied) | -errno. Bits set in valid take the
 * value of the same bit in requested; the others keep their state. */
napi_value tsfwd_ethtool_features_set(napi_env env, napi_callback_info info) {
  size_t argc = 3, vlen = 0, rlen = 0;
  napi_value argv[3];
  char name[IFNAMSIZ + 1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t *valid = argc == 3 ? ta_arg(env, argv[1], napi_uint32_array, &vlen) : NULL;
  uint32_t *req = argc == 3 ? ta_arg(env, argv[2], napi_uint32_array, &rlen) : NULL;
  if (!valid || !req || !ifname_arg(env, argv[0], name)) return tsfwd_int(env, -EINVAL);
  /* SFEATURES refuses any size but the kernel's own word count. */
  int words = feature_words(name);
  if (words < 0) return tsfwd_int(env, words);
  struct {
    struct ethtool_sfeatures hdr;
    struct ethtool_set_features_block b[ETHTOOL_MAX_WORDS];
  } s = { .hdr = { .cmd = ETHTOOL_SFEATURES, .size = (uint32_t)words } };
  for (int i = 0; i < words; i++) {
    s.b[i].valid = (size_t)i < vlen ? valid[i] : 0;
    s.b[i].requested = (size_t)i < rlen ? req[i] : 0;
  }
  return tsfwd_int(env, ethtool_ioctl(name, &s));
}

/* link_flags(ifname) -> SIOCGIFFLAGS' flags (IFF_UP, IFF_RUNNING = carrier
 * and operstate up, netdevice(7)) | -errno; in the calling thread's netns. For
 * readiness: an interface that is up but has no carrier forwards nothing. */
napi_value tsfwd_link_flags(napi_env env, napi_callback_info info) {
  size_t argc = 1, n = 0;
  napi_value argv[1];
  char name[IFNAMSIZ + 1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &n) != napi_ok || n == 0 || n >= IFNAMSIZ)
    return tsfwd_int(env, -EINVAL);
  /* Any socket family answers interface ioctls (dev_ioctl); AF_UNIX needs no privilege. */
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return tsfwd_int(env, -errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, name, n);
  int rc = ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ? -errno : (uint16_t)ifr.ifr_flags;
  close(s);
  return tsfwd_int(env, rc);
}
