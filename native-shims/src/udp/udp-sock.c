/* Opening net_udp's socket: a non-blocking UDP socket with SO_RXQ_OVFL and
 * a large receive buffer, bound and connected to numeric addresses that JS
 * has already checked. Each call returns 0 | fd | -errno; JS builds the
 * messages (EADDRINUSE, EADDRNOTAVAIL) and closes the fd on any failure. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "../shim.h"

/* (family 4|6, "numeric address", port) -> sockaddr; 0 | -EINVAL (inet_pton(3)) */
int tsfwd_sockaddr_from(napi_env env, napi_value fam, napi_value addr, napi_value port,
                        struct sockaddr_storage *ss, socklen_t *len) {
  int32_t f, p;
  char text[INET6_ADDRSTRLEN];
  size_t n;
  if (!tsfwd_arg_i32(env, fam, &f) || !tsfwd_arg_i32(env, port, &p) || p < 0 || p > 65535) return -EINVAL;
  if (napi_get_value_string_utf8(env, addr, text, sizeof(text), &n) != napi_ok) return -EINVAL;
  memset(ss, 0, sizeof(*ss));
  if (f == 4) {
    struct sockaddr_in *s = (struct sockaddr_in *)ss;
    s->sin_family = AF_INET;
    s->sin_port = htons((uint16_t)p);
    if (inet_pton(AF_INET, text, &s->sin_addr) != 1) return -EINVAL;
    *len = sizeof(*s);
  } else if (f == 6) {
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;
    s->sin6_family = AF_INET6;
    s->sin6_port = htons((uint16_t)p);
    if (inet_pton(AF_INET6, text, &s->sin6_addr) != 1) return -EINVAL;
    *len = sizeof(*s);
  } else {
    return -EINVAL;
  }
  return 0;
}

/* udp_socket(family 4|6, rcvbuf bytes) -> fd | -errno. Non-blocking, with
 * SO_RXQ_OVFL so each datagram carries the socket's drop count (socket(7)). */
napi_value tsfwd_udp_socket(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t fam, rcvbuf;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2 || !tsfwd_arg_i32(env, argv[0], &fam) || (fam != 4 && fam != 6) ||
      !tsfwd_arg_i32(env, argv[1], &rcvbuf) || rcvbuf < 0)
    return tsfwd_int(env, -EINVAL);
  int fd = socket(fam == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return tsfwd_int(env, -errno);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) != 0) {
    int e = errno;
    close(fd);
    return tsfwd_int(env, -e);
  }
  /* Bigger than rmem_max needs CAP_NET_ADMIN (SO_RCVBUFFORCE); without it
   * SO_RCVBUF silently caps at rmem_max, which is fine too. */
  if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  return tsfwd_int(env, fd);
}

static napi_value addr_call(napi_env env, napi_callback_info info, int do_connect) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd;
  struct sockaddr_storage ss;
  socklen_t len;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !tsfwd_arg_i32(env, argv[0], &fd) || fd < 0) return tsfwd_int(env, -EINVAL);
  int rc = tsfwd_sockaddr_from(env, argv[1], argv[2], argv[3], &ss, &len);
  if (rc < 0) return tsfwd_int(env, rc);
  rc = do_connect ? connect(fd, (struct sockaddr *)&ss, len) : bind(fd, (struct sockaddr *)&ss, len);
  return tsfwd_int(env, rc == 0 ? 0 : -errno);
}

/* udp_bind(fd, family, "address", port) -> 0 | -errno */
napi_value tsfwd_udp_bind(napi_env env, napi_callback_info info) { return addr_call(env, info, 0); }

/* udp_connect(fd, family, "address", port) -> 0 | -errno */
napi_value tsfwd_udp_connect(napi_env env, napi_callback_info info) { return addr_call(env, info, 1); }
