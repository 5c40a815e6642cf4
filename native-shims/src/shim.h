/* tsfwd native shim: Node-API functions that make syscalls and return
 * count | -errno. JS validates every argument before calling in here. */
#ifndef TSFWD_SHIM_H
#define TSFWD_SHIM_H

#include <node_api.h>

/* Throws a JS TypeError and returns NULL when a Node-API call fails; only used
 * on argument paths that JS has already validated, so it signals a bug. */
#define TSFWD_CHECK(env, call)                                              \
  do {                                                                      \
    if ((call) != napi_ok) {                                                \
      napi_throw_error((env), "TSFWD_SHIM", "Node-API call failed: " #call); \
      return NULL;                                                          \
    }                                                                       \
  } while (0)

napi_value tsfwd_int(napi_env env, int64_t v);
/* A table id: a generation above `slot_bits` bits of slot index, so a stale id
 * never names a reused slot. *gen is the table's counter (caller holds its lock). */
uint32_t tsfwd_slot_id(uint32_t *gen, uint32_t slot, int slot_bits);
int tsfwd_arg_i32(napi_env env, napi_value v, int32_t *out);

napi_value tsfwd_cpu_set_affinity(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_get_current(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_get_affinity(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_yield(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_set_slice(napi_env env, napi_callback_info info);
napi_value tsfwd_cpu_set_policy(napi_env env, napi_callback_info info);
napi_value tsfwd_mem_address(napi_env env, napi_callback_info info);
napi_value tsfwd_netns_set(napi_env env, napi_callback_info info);
napi_value tsfwd_ethtool_feature_names(napi_env env, napi_callback_info info);
napi_value tsfwd_ethtool_features_get(napi_env env, napi_callback_info info);
napi_value tsfwd_ethtool_features_set(napi_env env, napi_callback_info info);
napi_value tsfwd_link_flags(napi_env env, napi_callback_info info);
napi_value tsfwd_mem_copy_register(napi_env env, napi_callback_info info);
napi_value tsfwd_mem_copy_unregister(napi_env env, napi_callback_info info);
napi_value tsfwd_mem_copy_burst(napi_env env, napi_callback_info info);
napi_status tsfwd_copy_init(napi_env env);
napi_value tsfwd_fd_write(napi_env env, napi_callback_info info);
napi_value tsfwd_evfd_create(napi_env env, napi_callback_info info);
napi_value tsfwd_evfd_signal(napi_env env, napi_callback_info info);
napi_value tsfwd_wait_set_create(napi_env env, napi_callback_info info);
napi_value tsfwd_wait_set_free(napi_env env, napi_callback_info info);
napi_value tsfwd_wait_nap(napi_env env, napi_callback_info info);
napi_value tsfwd_clock_realtime(napi_env env, napi_callback_info info);
napi_value tsfwd_clock_mono_us(napi_env env, napi_callback_info info);
napi_value tsfwd_clock_mono_ns(napi_env env, napi_callback_info info);

/* Mbuf metadata words read by tx; must match src/mempool/layout.ts. */
#define TSFWD_MBUF_META_WORDS 8
#define TSFWD_MBUF_DATA_OFF 0
#define TSFWD_MBUF_DATA_LEN 1

/* net_udp (udp.c). A queue context's io words, written by udp_rx, read by JS
 * (src/port/udp-port.ts): per-datagram length, msg_flags and foreign-source
 * flag for the last burst, then the last SO_RXQ_OVFL drop count seen. */
#define TSFWD_UDP_BURST_MAX 64
#define TSFWD_UDP_IO_LEN 0
#define TSFWD_UDP_IO_FLAGS (TSFWD_UDP_IO_LEN + TSFWD_UDP_BURST_MAX)
#define TSFWD_UDP_IO_FOREIGN (TSFWD_UDP_IO_FLAGS + TSFWD_UDP_BURST_MAX)
#define TSFWD_UDP_IO_DROPS (TSFWD_UDP_IO_FOREIGN + TSFWD_UDP_BURST_MAX)
#define TSFWD_UDP_IO_WORDS (TSFWD_UDP_IO_DROPS + 1)
#define TSFWD_UDP_MAX_CTX 1024

#include <sys/socket.h>
int tsfwd_sockaddr_from(napi_env env, napi_value family, napi_value addr, napi_value port,
                        struct sockaddr_storage *ss, socklen_t *len);
napi_status tsfwd_udp_init(napi_env env);
napi_value tsfwd_udp_socket(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_bind(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_connect(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_ctx_create(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_ctx_free(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_ctx_set_mbufs(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_rx(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_tx(napi_env env, napi_callback_info info);
napi_value tsfwd_udp_layout(napi_env env, napi_callback_info info);

/* net_af_packet (afp_*.c; layouts in afp.h). */
napi_value tsfwd_afp_ifinfo(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_queue_open(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_queue_close(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_bind(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_unbind(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_set_mbufs(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_rx(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_tx(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_live(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_layout(napi_env env, napi_callback_info info);
napi_value tsfwd_afp_sock_version(napi_env env, napi_callback_info info);

/* net_af_xdp (xsk_*.c; layouts in xsk.h). -ENOSYS without libxdp/libbpf. */
napi_value tsfwd_xsk_available(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_prog_attach(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_prog_detach(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_queue_open(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_queue_close(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_fill(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_bind(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_unbind(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_set_mbufs(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_rx_io(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_tx_io(napi_env env, napi_callback_info info);
napi_value tsfwd_xsk_live(napi_env env, napi_callback_info info);

/* pktgen --engine xdp-live (xdp_gen.c): BPF_PROG_RUN with live frames. */
napi_value tsfwd_xdpgen_open(napi_env env, napi_callback_info info);
napi_value tsfwd_xdpgen_run(napi_env env, napi_callback_info info);
napi_value tsfwd_xdpgen_close(napi_env env, napi_callback_info info);

/* net_memif (memif/; layouts in memif/memif.h). */
napi_value tsfwd_memif_open(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_close(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_service(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_rx_wake(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_bind(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_unbind(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_set_mbufs(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_rx(napi_env env, napi_callback_info info);
napi_value tsfwd_memif_tx(napi_env env, napi_callback_info info);

/* Capability drop in every thread (caps.c). */
napi_value tsfwd_caps_drop(napi_env env, napi_callback_info info);

#endif
