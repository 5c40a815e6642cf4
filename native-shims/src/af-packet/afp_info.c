/* net_af_packet: interface facts for open() and the layout constants a test
 * compares with the TypeScript side. */
#include <errno.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include "afp.h"
#include "../shim.h"

/* afp_ifinfo(name, out Int32Array(9)) -> 0 | -errno
 * out: ifindex, mtu, ARPHRD type, 6 MAC bytes; in the caller's netns. */
napi_value tsfwd_afp_ifinfo(napi_env env, napi_callback_info info) {
  size_t argc = 2, len = 0, n = 0;
  napi_value argv[2];
  char name[IFNAMSIZ + 1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *out = argc == 2 ? afp_ta(env, argv[1], napi_int32_array, &len) : NULL;
  if (!out || len < 9 || napi_get_value_string_utf8(env, argv[0], name, sizeof(name), &n) != napi_ok || n == 0 || n >= IFNAMSIZ)
    return tsfwd_int(env, -EINVAL);
  /* Any socket family answers interface ioctls (dev_ioctl); AF_UNIX needs no privilege. */
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return tsfwd_int(env, -errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, name, n);
  int rc = 0;
  if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) { rc = -errno; goto out; }
  out[0] = ifr.ifr_ifindex;
  if (ioctl(s, SIOCGIFMTU, &ifr) < 0) { rc = -errno; goto out; }
  out[1] = ifr.ifr_mtu;
  if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) { rc = -errno; goto out; }
  out[2] = ifr.ifr_hwaddr.sa_family;
  for (int i = 0; i < 6; i++) out[3 + i] = (uint8_t)ifr.ifr_hwaddr.sa_data[i];
out:
  close(s);
  return tsfwd_int(env, rc);
}

/* afp_layout(out Int32Array(16)) -> count written: the mbuf and stats word
 * offsets C assumes, the setup step count and the max burst, for a layout test. */
napi_value tsfwd_afp_layout(napi_env env, napi_callback_info info) {
  size_t argc = 1, len = 0;
  napi_value argv[1];
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t *out = argc == 1 ? afp_ta(env, argv[0], napi_int32_array, &len) : NULL;
  const int32_t v[] = { MBUF_META_WORDS, MBUF_DATA_OFF, MBUF_DATA_LEN, MBUF_PORT, MBUF_FLAGS, MBUF_TS_LO, MBUF_TS_HI,
                        RX_PACKETS, RX_BYTES, RX_ERRORS, RX_MISSED, TX_PACKETS, TX_BYTES, TX_ERRORS,
                        AFP_STEP_COUNT, AFP_MAX_BURST };
  const size_t n = sizeof(v) / sizeof(v[0]);
  if (!out || len < n) return tsfwd_int(env, -EINVAL);
  memcpy(out, v, sizeof(v));
  return tsfwd_int(env, (int64_t)n);
}

/* afp_sock_version(fd) -> the socket's TPACKET version (2 or 3) | -errno: lets
 * tests check which ring version a queue really got (PACKET_VERSION). */
napi_value tsfwd_afp_sock_version(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &fd) || fd < 0) return tsfwd_int(env, -EINVAL);
  int v = 0;
  socklen_t l = sizeof(v);
  if (getsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, &l) < 0) return tsfwd_int(env, -errno);
  return tsfwd_int(env, v == TPACKET_V3 ? 3 : v == TPACKET_V2 ? 2 : 1);
}
