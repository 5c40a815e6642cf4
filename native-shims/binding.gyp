{
  "variables": {
    # net_af_xdp needs libxdp (AF_XDP sockets) and libbpf (the XDP program):
    # Debian's libxdp-dev and libbpf-dev. Without them it builds as a stub.
    "have_xsk%": "<!(sh -c 'test -f /usr/include/xdp/xsk.h && test -f /usr/include/bpf/bpf.h && echo 1 || echo 0')"
  },
  "targets": [
    {
      "target_name": "tsfwd_shim",
      "sources": ["src/module.c", "src/cpu.c", "src/mem.c", "src/netns.c", "src/ethtool.c", "src/copy.c", "src/fd.c", "src/wait.c", "src/clock.c", "src/caps.c",
                  "src/udp/udp.c", "src/udp/udp-sock.c",
                  "src/af-packet/afp_setup.c", "src/af-packet/afp_info.c", "src/af-packet/afp_burst.c", "src/af-packet/afp_ring.c", "src/af-packet/afp_ring3.c", "src/af-packet/afp_mmsg.c",
                  "src/af-xdp/xsk_prog.c", "src/af-xdp/xsk_setup.c", "src/af-xdp/xsk_burst.c", "src/af-xdp/xdp_gen.c",
                  "src/memif/memif_ctl.c", "src/memif/memif_msg.c", "src/memif/memif_listen.c", "src/memif/memif_burst.c"],
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
