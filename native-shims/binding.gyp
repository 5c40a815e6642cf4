{
  "variables": {
    # net_af_xdp needs libxdp (AF_XDP sockets) and libbpf (the XDP program):
    # Debian's libxdp-dev and libbpf-dev. Without them it builds as a stub.
    "have_xsk%": "<!(sh -c 'test -f /usr/include/xdp/xsk.h && test -f /usr/include/bpf/bpf.h && echo 1 || echo 0')"
  },
  "targets": [
    {
      "target_name": "tsfwd_shim",
      "sources": ["src/module.c", "src/cpu.c", "src/mem.c", "src/netns.c", "src/ethtool.c", "src/udp.c", "src/udp-sock.c", "src/copy.c", "src/fd.c", "src/wait.c", "src/clock.c",
                  "src/afp_setup.c", "src/afp_info.c", "src/afp_burst.c", "src/afp_ring.c", "src/afp_mmsg.c",
                  "src/xsk_prog.c", "src/xsk_setup.c", "src/xsk_burst.c",
                  "src/xdp_gen.c", "src/caps.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"],
      "conditions": [
        ["have_xsk==1", {
          "defines": ["TSFWD_HAVE_XSK"],
          "libraries": ["-lxdp", "-lbpf"]
        }]
      ]
    }
  ]
}
