{
  "targets": [
    {
      "target_name": "tsfwd_shim",
      "sources": ["src/module.c", "src/cpu.c", "src/mem.c", "src/netns.c", "src/udp.c", "src/udp-sock.c", "src/copy.c", "src/fd.c", "src/clock.c",
                  "src/afp_setup.c", "src/afp_info.c", "src/afp_burst.c", "src/afp_ring.c", "src/afp_mmsg.c",
                  "src/xdp_gen.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-std=gnu11"],
      "defines": ["NAPI_VERSION=8", "_GNU_SOURCE"]
    }
  ]
}
