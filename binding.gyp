{
  "targets": [
    {
      "target_name": "devlink_sf_netlink",
      "sources": ["native/netlink.c", "native/recv.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_c": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter", "-O2"],
      "conditions": [
        ["OS!='linux'", { "type": "none", "sources!": ["native/netlink.c", "native/recv.c"] }]
      ]
    }
  ]
}
