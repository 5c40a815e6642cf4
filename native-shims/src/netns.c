/* Network namespaces. setns(fd, CLONE_NEWNET) moves only the calling thread
 * (setns(2)), so the main thread can step into a namespace, open a socket
 * there and step back; the socket stays bound to that namespace. */
#include <errno.h>
#include <sched.h>
#include "shim.h"

/* netns_set(fd) -> 0 | -errno */
napi_value tsfwd_netns_set(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  TSFWD_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || !tsfwd_arg_i32(env, argv[0], &fd) || fd < 0) return tsfwd_int(env, -EINVAL);
  return tsfwd_int(env, setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno);
}
