/* File writes from any thread without a JS allocation per call: net_pcap's
 * tx writes one burst of records per call. fs.writeSync would do the same
 * syscall but allocates a context object per call (a GC every ~20k bursts). */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>
#include "shim.h"

/* fd_write(fd, view, offset, len) -> bytes written | -errno. Retries short
 * writes and EINTR; a count below len means an error (ENOSPC) stopped it
 * after that many bytes, so the caller knows which records reached the file. */
napi_value tsfwd_fd_write(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t fd, off, len;
  bool is_ta = false;
  napi_typedarray_type type;
  size_t n;
  void *data;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4 || !tsfwd_arg_i32(env, argv[0], &fd) || !tsfwd_arg_i32(env, argv[2], &off) ||
      !tsfwd_arg_i32(env, argv[3], &len) || fd < 0 || off < 0 || len < 0 ||
      napi_is_typedarray(env, argv[1], &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, argv[1], &type, &n, &data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array || (size_t)off + (size_t)len > n)
    return tsfwd_int(env, -EINVAL);
  const uint8_t *p = (const uint8_t *)data + off;
  size_t done = 0;
  while (done < (size_t)len) {
    ssize_t w = write(fd, p + done, (size_t)len - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return tsfwd_int(env, done ? (int64_t)done : -errno);
    }
    done += (size_t)w;
  }
  return tsfwd_int(env, (int64_t)done);
}
