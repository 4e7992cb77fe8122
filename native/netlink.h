/*
 * native/netlink.h: what native/netlink.c (the socket, its options, send, readiness
 * polling, the module) and native/recv.c (the receive paths) share. Not a public
 * header: the JavaScript API is described at the top of netlink.c.
 */
#ifndef DEVLINK_SF_NETLINK_H
#define DEVLINK_SF_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <linux/netlink.h>

#include <node_api.h>
#include <uv.h>

/* Older uapi headers lack some of these; the numbers are the kernel's ABI. */
#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef NETLINK_PKTINFO
#define NETLINK_PKTINFO 3
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif
#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef SO_RCVBUFFORCE
#define SO_RCVBUFFORCE 33
#endif
#ifndef SO_SNDBUFFORCE
#define SO_SNDBUFFORCE 32
#endif

/* iovecs kept inline in the socket; sendmsg with more buffers grows a heap array. */
#define NL_INLINE_IOV 8

enum nl_poll_state { POLL_NONE, POLL_INITED, POLL_CLOSING };

/* The bounded receive's slots (recv.c); NULL until setRecvSlots(). */
struct nl_batch;

typedef struct nl_socket {
  uv_poll_t poll;
  napi_env env;
  int fd;
  enum nl_poll_state poll_state;
  int in_callback; /* inside the readable callback: do not free, defer async destroy */
  int finalized;   /* the JavaScript object is gone */
  napi_ref callback;
  napi_async_context async;
  napi_ref info_ref;
  uint32_t *info; /* [0] sender port, [1] group of the last datagram */
  napi_ref area_ref;
  unsigned char *area; /* the receive area, a Buffer of the caller's */
  size_t area_len;
  struct nl_batch *batch;
  struct iovec *iov;
  uint32_t iov_cap;
  struct iovec iov_inline[NL_INLINE_IOV];
} nl_socket;

/* ---- helpers (netlink.c) ---- */

/* A Node-like error: errno (negative), code, syscall, and path when given. */
napi_value nl_make_error(napi_env env, int err, const char *syscall_name, const char *path);
/* Throw such an error; returns NULL, so callers can `return nl_throw(...)`. */
napi_value nl_throw(napi_env env, int err, const char *syscall_name, const char *path);
napi_value nl_type_error(napi_env env, const char *message);
int nl_arg_u32(napi_env env, napi_value v, uint32_t *out, const char *what);
/* The socket behind `this`, with up to `argc` arguments (undefined when missing). */
nl_socket *nl_this(napi_env env, napi_callback_info cbinfo, size_t argc, napi_value *argv);
/* As nl_this, for a method that needs the socket open: throws "<syscall_name> EBADF"
 * after close() (when the descriptor, the slots and the area are gone). */
nl_socket *nl_open_this(napi_env env, napi_callback_info cbinfo, size_t argc, napi_value *argv,
                        const char *syscall_name);
/* Drops a reference to a buffer the socket kept; with `detach`, frees its memory now
 * (its ArrayBuffer detached, when the buffer spans it whole). */
void nl_release_buffer(napi_env env, napi_ref *ref, int detach);

/* ---- receive (recv.c) ---- */

napi_value nl_recvmsg(napi_env env, napi_callback_info cbinfo);
napi_value nl_recvmsg_into(napi_env env, napi_callback_info cbinfo);
napi_value nl_set_recv_slots(napi_env env, napi_callback_info cbinfo);
napi_value nl_recvmmsg(napi_env env, napi_callback_info cbinfo);
napi_value nl_read_reserve(napi_env env, napi_callback_info cbinfo);
/* recvmmsg(2) into the slots (which must be set): how many datagrams, or -errno. */
int nl_batch_read(nl_socket *s, uint32_t count);
/* Releases the slots: the reserves are unmapped, the references dropped; with `detach`
 * (from close()) the slot area's memory is given back at once. */
void nl_batch_free(napi_env env, struct nl_batch *b, int detach);

/* recvmmsg() slot flags, per datagram (meta[4 * i + 3]). */
#define NL_SLOT_TRUNCATED 1u

#endif
