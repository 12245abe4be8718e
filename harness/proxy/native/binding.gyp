{
  "targets": [
    {
      "target_name": "faultline_udp",
      "sources": ["udp_batch.c", "udp_timed.c", "wire_netns.c", "wire_engine.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-pthread"],
      "ldflags": ["-pthread"],
      "libraries": ["-lm"],
      "conditions": [["OS!='linux'", { "type": "none", "sources!": ["udp_batch.c", "udp_timed.c", "wire_netns.c", "wire_engine.c"] }]]
    }
  ]
}
