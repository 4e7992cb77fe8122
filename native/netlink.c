/*
 * native/netlink.c: the AF_NETLINK socket and nothing else.
 *
 * Only what JavaScript cannot do lives here: socket() (optionally inside another
 * network namespace), bind, getsockname, integer socket options, sendmsg of several
 * buffers as one datagram, receiving (native/recv.c: exactly, one datagram at a time,
 * or bounded, many per system call into fixed-size slots), and readiness polling on
 * the event loop (uv_poll). Everything that knows about netlink messages is
 * TypeScript (src/genl).
 *
 * Errors are thrown the way Node throws its own system errors: an Error with
 * `errno` (negative, -2 for ENOENT), `code` ('ENOENT'), `syscall` ('socket') and, when
 * a path is involved, `path`; the message reads "socket ENOENT" or
 * "setns EPERM /var/run/netns/x".
 *
 * JavaScript API (typed in src/genl/addon.ts):
 *   abi: number
 *   constants: { SOL_SOCKET, SOL_NETLINK, SO_RCVBUF, ... }
 *   new NetlinkSocket(protocol: number, netns: string | null, info: Uint32Array,
 *                     area: Buffer)
 *     .bind(port, groups)                    bind(2)
 *     .getsockname() -> { port, groups }     getsockname(2)
 *     .setsockopt(level, name, value)        setsockopt(2) with an int
 *     .getsockopt(level, name) -> number     getsockopt(2) of an int
 *     .sendmsg(buffers, port, groups)        one datagram from an iovec
 *     .sendRecv(buffer, port, count) -> n    sendmsg of one Buffer, then recvmmsg into
 *                                            the slots: datagrams read, or -errno when
 *                                            the read (not the send) failed
 *     .recvmsg() -> number                   one whole datagram into `area`: its length,
 *                                            -1 on EAGAIN; info[0] = sender's nl_pid,
 *                                            info[1] = group. Longer than the area: left
 *                                            queued for .recvmsgInto(buffer) -> number
 *     .setRecvSlots(area, slotSize, meta, reserve?)
 *                                            the slots .recvmmsg reads into: area (a
 *                                            Buffer) cut into slotSize-byte slots,
 *                                            meta a Uint32Array of 4 per slot; each
 *                                            slot followed by `reserve` bytes of
 *                                            address space (mmap, MAP_NORESERVE)
 *     .recvmmsg(count) -> number             up to `count` datagrams in one recvmmsg(2),
 *                                            0 on EAGAIN; per datagram i, meta[4i..4i+3]
 *                                            = [real length, sender's nl_pid, group,
 *                                            flags: 1 (RECV_TRUNCATED) when it was
 *                                            longer than slot + reserve, the rest lost]
 *     .readReserve(i, target, offset) -> n   copy datagram i's bytes past its slot out
 *                                            of its reserve
 *     .start(callback)                       uv_poll for readability; callback(err?)
 *     .stop()                                uv_poll_stop
 *     .close()                               idempotent; frees what the socket holds at
 *                                            once, not at garbage collection: the
 *                                            descriptor, the reserves (munmap), and the
 *                                            memory of `area` and of the slots' area
 *                                            (their ArrayBuffers are detached when the
 *                                            buffers span them whole: they read as empty
 *                                            afterwards). Every other method then throws
 *                                            "<syscall> EBADF".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "netlink.h"

/* Bumped whenever the JavaScript API below changes incompatibly (addon.ts checks it);
 * additions that src/genl/transport-native.ts can do without (sendRecv, readReserve,
 * PAGE_SIZE) leave it as it is. */
#define NL_ABI 2

/* ---- errors ------------------------------------------------------------------ */

napi_value nl_make_error(napi_env env, int err, const char *syscall_name, const char *path) {
  char code[64];
  char message[PATH_MAX + 128];
  napi_value msg_v, code_v, errno_v, syscall_v, path_v, error;

  /* libuv's error numbers are the negated errno values on Linux. */
  uv_err_name_r(-err, code, sizeof(code));
  if (path != NULL)
    snprintf(message, sizeof(message), "%s %s %s", syscall_name, code, path);
  else
    snprintf(message, sizeof(message), "%s %s", syscall_name, code);

  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg_v);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_v);
  napi_create_error(env, NULL, msg_v, &error);
  napi_create_int32(env, -err, &errno_v);
  napi_create_string_utf8(env, syscall_name, NAPI_AUTO_LENGTH, &syscall_v);
  napi_set_named_property(env, error, "errno", errno_v);
  napi_set_named_property(env, error, "code", code_v);
  napi_set_named_property(env, error, "syscall", syscall_v);
  if (path != NULL) {
    napi_create_string_utf8(env, path, NAPI_AUTO_LENGTH, &path_v);
    napi_set_named_property(env, error, "path", path_v);
  }
  return error;
}

napi_value nl_throw(napi_env env, int err, const char *syscall_name, const char *path) {
  napi_throw(env, nl_make_error(env, err, syscall_name, path));
  return NULL;
}

napi_value nl_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* ---- argument helpers --------------------------------------------------------- */

/* The type error for a number argument that is not one; returns -1. */
static int nl_not_a_number(napi_env env, const char *what) {
  char message[96];
  snprintf(message, sizeof(message), "%s must be a number", what);
  nl_type_error(env, message);
  return -1;
}

int nl_arg_u32(napi_env env, napi_value v, uint32_t *out, const char *what) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_uint32(env, v, out) != napi_ok)
    return nl_not_a_number(env, what);
  return 0;
}

static int nl_arg_i32(napi_env env, napi_value v, int32_t *out, const char *what) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_int32(env, v, out) != napi_ok)
    return nl_not_a_number(env, what);
  return 0;
}

/* this + up to `argc` arguments; missing arguments come back as undefined. */
nl_socket *nl_this(napi_env env, napi_callback_info cbinfo, size_t argc, napi_value *argv) {
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, &self, NULL) != napi_ok)
    return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok || data == NULL) {
    nl_type_error(env, "not a NetlinkSocket");
    return NULL;
  }
  return (nl_socket *)data;
}

nl_socket *nl_open_this(napi_env env, napi_callback_info cbinfo, size_t argc, napi_value *argv,
                        const char *syscall_name) {
  nl_socket *s = nl_this(env, cbinfo, argc, argv);
  if (s != NULL && s->fd < 0) {
    nl_throw(env, EBADF, syscall_name, NULL);
    return NULL;
  }
  return s;
}

/* ---- lifetime ------------------------------------------------------------------- */

/* The struct itself, once the JavaScript object is gone and libuv is done with it
 * (everything it pointed to went at nl_close). */
static void nl_free_if_unused(nl_socket *s) {
  if (s->finalized && s->poll_state != POLL_CLOSING && !s->in_callback)
    free(s);
}

static void nl_on_poll_closed(uv_handle_t *handle) {
  nl_socket *s = (nl_socket *)handle->data;
  s->poll_state = POLL_NONE;
  nl_free_if_unused(s);
}

/*
 * Drops the reference to a buffer the socket kept. With `detach`, the memory goes back
 * at once: the buffer's ArrayBuffer is detached (it reads as empty from then on), which
 * frees its backing store without waiting for the garbage collector. Only an ArrayBuffer
 * the buffer spans whole is detached, never a pool shared with other buffers.
 */
void nl_release_buffer(napi_env env, napi_ref *ref, int detach) {
  napi_value value, arraybuffer;
  napi_typedarray_type type;
  size_t length, offset, ab_length;
  void *data;
  bool detached;
  if (*ref == NULL)
    return;
  if (detach && napi_get_reference_value(env, *ref, &value) == napi_ok && value != NULL &&
      napi_get_typedarray_info(env, value, &type, &length, &data, &arraybuffer, &offset) == napi_ok &&
      type == napi_uint8_array && offset == 0 &&
      napi_get_arraybuffer_info(env, arraybuffer, NULL, &ab_length) == napi_ok && ab_length == length &&
      napi_is_detached_arraybuffer(env, arraybuffer, &detached) == napi_ok && !detached)
    napi_detach_arraybuffer(env, arraybuffer);
  napi_delete_reference(env, *ref);
  *ref = NULL;
}

/*
 * Releases everything the socket holds but its own small struct: polling stops, the
 * descriptor is closed, the reserves are unmapped, the slots' and the receive area's
 * memory is given back (`detach`: from close(); the finalizer only drops references,
 * it cannot be sure JavaScript may still run) and the callback is dropped. The poll
 * handle is closed first: libuv must not watch a descriptor that is already closed
 * (uv_close removes it from epoll at once, so closing the fd right after is safe).
 * Calls no JavaScript. Safe to call twice.
 */
static void nl_close(napi_env env, nl_socket *s, int detach) {
  if (s->poll_state == POLL_INITED) {
    uv_poll_stop(&s->poll);
    s->poll_state = POLL_CLOSING;
    uv_close((uv_handle_t *)&s->poll, nl_on_poll_closed);
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  if (s->callback != NULL) {
    napi_delete_reference(env, s->callback);
    s->callback = NULL;
  }
  /* The context is in use while the readable callback runs; freed after it. */
  if (s->async != NULL && !s->in_callback) {
    napi_async_destroy(env, s->async);
    s->async = NULL;
  }
  nl_batch_free(env, s->batch, detach);
  s->batch = NULL;
  /* info is JavaScript's to read after close (a few bytes): only the reference goes */
  nl_release_buffer(env, &s->info_ref, 0);
  s->info = NULL;
  nl_release_buffer(env, &s->area_ref, detach);
  s->area = NULL;
  s->area_len = 0;
  if (s->iov != s->iov_inline) {
    free(s->iov);
    s->iov = s->iov_inline;
    s->iov_cap = NL_INLINE_IOV;
  }
}

static void nl_finalize(napi_env env, void *data, void *hint) {
  nl_socket *s = (nl_socket *)data;
  (void)hint;
  /* whatever close() did not free */
  nl_close(env, s, 0);
  s->finalized = 1;
  nl_free_if_unused(s);
}

/* ---- socket creation, optionally in another network namespace --------------------- */

static void nl_restore_netns_or_die(int self_ns) {
  if (setns(self_ns, CLONE_NEWNET) != 0) {
    /* The thread would go on in the wrong namespace; nothing can be trusted. */
    static const char msg[] =
        "devlink-sf: setns() could not return the thread to its own network namespace";
    napi_fatal_error("native/netlink.c", NAPI_AUTO_LENGTH, msg, NAPI_AUTO_LENGTH);
  }
}

/*
 * Creates the socket in the namespace at `netns` without moving the process: only
 * the calling thread enters the namespace, for the duration of socket(), and returns
 * to its own namespace even when socket() fails. On failure returns -errno and sets
 * *syscall_name and *path to what failed.
 */
static int nl_open_socket(int protocol, const char *netns, const char **syscall_name,
                          const char **path) {
  static const char thread_ns[] = "/proc/thread-self/ns/net";
  const int type = SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC;
  int target, self_ns, fd, err;

  *path = NULL;
  if (netns == NULL) {
    fd = socket(AF_NETLINK, type, protocol);
    if (fd < 0) {
      *syscall_name = "socket";
      return -errno;
    }
    return fd;
  }

  target = open(netns, O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    *syscall_name = "open";
    *path = netns;
    return -errno;
  }
  self_ns = open(thread_ns, O_RDONLY | O_CLOEXEC);
  if (self_ns < 0) {
    err = -errno;
    close(target);
    *syscall_name = "open";
    *path = thread_ns;
    return err;
  }
  if (setns(target, CLONE_NEWNET) != 0) {
    err = -errno;
    close(self_ns);
    close(target);
    *syscall_name = "setns";
    *path = netns;
    return err;
  }
  fd = socket(AF_NETLINK, type, protocol);
  err = fd < 0 ? -errno : 0;
  nl_restore_netns_or_die(self_ns);
  close(self_ns);
  close(target);
  if (fd < 0) {
    *syscall_name = "socket";
    return err;
  }
  return fd;
}

/*
 * new NetlinkSocket(protocol, netns, info, area)
 *   info: Uint32Array(2), written on every receive: [0] sender port, [1] group.
 *   area: the Buffer datagrams are received into. Its size is the largest datagram
 *         read in one go (larger ones take recvmsgInto()); the kernel also sizes dump
 *         datagrams after the largest buffer it has seen, up to 32 KiB (max_recvmsg_len).
 * Both are kept alive, and their memory at hand, for the socket's lifetime.
 */
static napi_value nl_construct(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4], self;
  uint32_t protocol;
  napi_valuetype t;
  char netns_buf[PATH_MAX];
  const char *netns = NULL;
  napi_typedarray_type ta_type;
  size_t ta_length, area_len;
  void *ta_data, *area;
  const char *syscall_name, *path;
  nl_socket *s;
  int fd;

  if (napi_get_cb_info(env, cbinfo, &argc, argv, &self, NULL) != napi_ok)
    return NULL;
  if (argc < 4)
    return nl_type_error(env, "NetlinkSocket(protocol, netns, info, area) takes 4 arguments");
  if (nl_arg_u32(env, argv[0], &protocol, "protocol") != 0)
    return NULL;

  napi_typeof(env, argv[1], &t);
  if (t == napi_string) {
    size_t len;
    napi_get_value_string_utf8(env, argv[1], NULL, 0, &len);
    if (len == 0 || len >= sizeof(netns_buf))
      return nl_type_error(env, "netns must be a non-empty path shorter than PATH_MAX");
    napi_get_value_string_utf8(env, argv[1], netns_buf, sizeof(netns_buf), &len);
    netns = netns_buf;
  } else if (t != napi_null && t != napi_undefined) {
    return nl_type_error(env, "netns must be a string or null");
  }

  if (napi_get_typedarray_info(env, argv[2], &ta_type, &ta_length, &ta_data, NULL,
                               NULL) != napi_ok ||
      ta_type != napi_uint32_array || ta_length < 2)
    return nl_type_error(env, "info must be a Uint32Array of length 2 or more");
  if (napi_get_buffer_info(env, argv[3], &area, &area_len) != napi_ok || area_len == 0)
    return nl_type_error(env, "area must be a non-empty Buffer");

  s = calloc(1, sizeof(*s));
  if (s == NULL)
    return nl_throw(env, ENOMEM, "malloc", NULL);
  s->iov = s->iov_inline;
  s->iov_cap = NL_INLINE_IOV;
  s->env = env;
  s->poll.data = s;

  fd = nl_open_socket((int)protocol, netns, &syscall_name, &path);
  if (fd < 0) {
    free(s);
    return nl_throw(env, -fd, syscall_name, path);
  }
  s->fd = fd;

  if (napi_create_reference(env, argv[2], 1, &s->info_ref) != napi_ok ||
      napi_create_reference(env, argv[3], 1, &s->area_ref) != napi_ok ||
      napi_wrap(env, self, s, nl_finalize, NULL, NULL) != napi_ok) {
    if (s->info_ref != NULL)
      napi_delete_reference(env, s->info_ref);
    if (s->area_ref != NULL)
      napi_delete_reference(env, s->area_ref);
    close(fd);
    free(s);
    return NULL;
  }
  s->info = (uint32_t *)ta_data;
  s->area = (unsigned char *)area;
  s->area_len = area_len;
  return self;
}

/* ---- address and options --------------------------------------------------------- */

/* bind(port, groups): port 0 lets the kernel assign one. */
static napi_value nl_bind(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2];
  uint32_t port, groups;
  struct sockaddr_nl addr;
  nl_socket *s = nl_open_this(env, cbinfo, 2, argv, "bind");
  if (s == NULL || nl_arg_u32(env, argv[0], &port, "port") != 0 ||
      nl_arg_u32(env, argv[1], &groups, "groups") != 0)
    return NULL;
  memset(&addr, 0, sizeof(addr));
  addr.nl_family = AF_NETLINK;
  addr.nl_pid = port;
  addr.nl_groups = groups;
  if (bind(s->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
    return nl_throw(env, errno, "bind", NULL);
  return NULL;
}

/* getsockname() -> { port, groups } */
static napi_value nl_getsockname(napi_env env, napi_callback_info cbinfo) {
  struct sockaddr_nl addr;
  socklen_t len = sizeof(addr);
  napi_value result, port, groups;
  nl_socket *s = nl_open_this(env, cbinfo, 0, NULL, "getsockname");
  if (s == NULL)
    return NULL;
  memset(&addr, 0, sizeof(addr));
  if (getsockname(s->fd, (struct sockaddr *)&addr, &len) != 0)
    return nl_throw(env, errno, "getsockname", NULL);
  napi_create_object(env, &result);
  napi_create_uint32(env, addr.nl_pid, &port);
  napi_create_uint32(env, addr.nl_groups, &groups);
  napi_set_named_property(env, result, "port", port);
  napi_set_named_property(env, result, "groups", groups);
  return result;
}

/* setsockopt(level, name, value) with an int value. */
static napi_value nl_setsockopt(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  int32_t level, name, value;
  nl_socket *s = nl_open_this(env, cbinfo, 3, argv, "setsockopt");
  if (s == NULL || nl_arg_i32(env, argv[0], &level, "level") != 0 ||
      nl_arg_i32(env, argv[1], &name, "name") != 0 ||
      nl_arg_i32(env, argv[2], &value, "value") != 0)
    return NULL;
  if (setsockopt(s->fd, level, name, &value, sizeof(value)) != 0)
    return nl_throw(env, errno, "setsockopt", NULL);
  return NULL;
}

/* getsockopt(level, name) -> int */
static napi_value nl_getsockopt(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[2], result;
  int32_t level, name;
  int value = 0;
  socklen_t len = sizeof(value);
  nl_socket *s = nl_open_this(env, cbinfo, 2, argv, "getsockopt");
  if (s == NULL || nl_arg_i32(env, argv[0], &level, "level") != 0 ||
      nl_arg_i32(env, argv[1], &name, "name") != 0)
    return NULL;
  if (getsockopt(s->fd, level, name, &value, &len) != 0)
    return nl_throw(env, errno, "getsockopt", NULL);
  napi_create_int32(env, value, &result);
  return result;
}

/* ---- send ------------------------------------------------------------------------------ */

/* One sendmsg(2) of `iov` (n buffers, one datagram) to (port, groups): 0, or -errno. */
static int nl_send_to(int fd, uint32_t port, uint32_t groups, struct iovec *iov, size_t n) {
  struct sockaddr_nl dst;
  struct msghdr mh;
  ssize_t r;
  memset(&dst, 0, sizeof(dst));
  dst.nl_family = AF_NETLINK;
  dst.nl_pid = port;
  dst.nl_groups = groups;
  memset(&mh, 0, sizeof(mh));
  mh.msg_name = &dst;
  mh.msg_namelen = sizeof(dst);
  mh.msg_iov = iov;
  mh.msg_iovlen = n;
  do
    r = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : 0;
}

/* sendmsg(buffers, port, groups): the buffers go out as ONE datagram. */
static napi_value nl_sendmsg(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3];
  uint32_t port, groups, n, i;
  bool is_array;
  int err;
  nl_socket *s = nl_open_this(env, cbinfo, 3, argv, "sendmsg");
  if (s == NULL)
    return NULL;
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array)
    return nl_type_error(env, "buffers must be an array of Buffers");
  if (nl_arg_u32(env, argv[1], &port, "port") != 0 ||
      nl_arg_u32(env, argv[2], &groups, "groups") != 0)
    return NULL;

  napi_get_array_length(env, argv[0], &n);
  if (n > s->iov_cap) {
    if (n > IOV_MAX)
      return nl_throw(env, EMSGSIZE, "sendmsg", NULL);
    struct iovec *grown = malloc(sizeof(*grown) * n);
    if (grown == NULL)
      return nl_throw(env, ENOMEM, "malloc", NULL);
    if (s->iov != s->iov_inline)
      free(s->iov);
    s->iov = grown;
    s->iov_cap = n;
  }
  for (i = 0; i < n; i++) {
    napi_value item;
    void *data;
    size_t len;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok ||
        napi_get_buffer_info(env, item, &data, &len) != napi_ok)
      return nl_type_error(env, "buffers must be an array of Buffers");
    s->iov[i].iov_base = data;
    s->iov[i].iov_len = len;
  }

  err = nl_send_to(s->fd, port, groups, s->iov, n);
  if (err < 0)
    return nl_throw(env, -err, "sendmsg", NULL);
  return NULL;
}

/*
 * sendRecv(buffer, port, count) -> number: sendmsg(2) of one Buffer (one datagram) to
 * `port`, then, the kernel having answered inside that call, recvmmsg(2) of up to
 * `count` datagrams into the slots, as recvmmsg() does: one trip from JavaScript where
 * sendmsg() and recvmmsg() take two. Throws when the send fails (nothing went out).
 * Returns how many datagrams were read, or -errno when the send went out but the read
 * failed (ENOBUFS after an overrun): the caller must not take that for a failed send.
 * Needs the slots (setRecvSlots).
 */
static napi_value nl_send_recv(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3], result;
  uint32_t port, count;
  void *data;
  size_t len;
  struct iovec iov;
  int err;
  nl_socket *s = nl_open_this(env, cbinfo, 3, argv, "sendmsg");
  if (s == NULL)
    return NULL;
  if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok)
    return nl_type_error(env, "buffer must be a Buffer");
  if (nl_arg_u32(env, argv[1], &port, "port") != 0 || nl_arg_u32(env, argv[2], &count, "count") != 0)
    return NULL;
  if (s->batch == NULL) {
    napi_throw_error(env, NULL, "sendRecv() needs setRecvSlots() first");
    return NULL;
  }
  iov.iov_base = data;
  iov.iov_len = len;
  err = nl_send_to(s->fd, port, 0, &iov, 1);
  if (err < 0)
    return nl_throw(env, -err, "sendmsg", NULL);
  napi_create_int32(env, nl_batch_read(s, count), &result);
  return result;
}

/* ---- readiness on the event loop ------------------------------------------------------ */

static void nl_on_readable(uv_poll_t *handle, int status, int events) {
  nl_socket *s = (nl_socket *)handle->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value callback, recv, argv[1], ignored;
  size_t argc = 0;
  napi_status st;
  (void)events;

  if (s->callback == NULL || s->async == NULL)
    return;
  if (status == UV_EBADF && s->fd >= 0) {
    /* libuv reports POLLERR as UV_EBADF and stops the handle. On a netlink socket
     * POLLERR means a pending socket error, ENOBUFS after an overrun, which the next
     * recvmsg returns (and clears): poll again and let the callback read. */
    status = uv_poll_start(&s->poll, UV_READABLE, nl_on_readable);
  }
  napi_open_handle_scope(env, &scope);
  napi_get_reference_value(env, s->callback, &callback);
  napi_get_global(env, &recv);
  if (status < 0) {
    argv[0] = nl_make_error(env, -status, "uv_poll", NULL);
    argc = 1;
  }
  s->in_callback = 1;
  st = napi_make_callback(env, s->async, recv, callback, argc, argv, &ignored);
  s->in_callback = 0;
  if (st == napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
  /* close() from inside the callback left the async context for us to destroy. */
  if (s->fd < 0 && s->async != NULL) {
    napi_async_destroy(env, s->async);
    s->async = NULL;
  }
  napi_close_handle_scope(env, scope);
  nl_free_if_unused(s);
}

/* start(callback): poll for readability; callback() runs on the event loop while
 * data is waiting, callback(err) if polling itself fails. The handle is referenced:
 * an open, started socket keeps the process alive until close(). */
static napi_value nl_start(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1], name;
  napi_valuetype t;
  uv_loop_t *loop;
  int err;
  nl_socket *s = nl_this(env, cbinfo, 1, argv);
  if (s == NULL)
    return NULL;
  if (napi_typeof(env, argv[0], &t) != napi_ok || t != napi_function)
    return nl_type_error(env, "callback must be a function");
  if (s->fd < 0)
    return nl_throw(env, EBADF, "uv_poll_start", NULL);

  if (s->poll_state == POLL_NONE) {
    if (napi_get_uv_event_loop(env, &loop) != napi_ok)
      return NULL;
    err = uv_poll_init(loop, &s->poll, s->fd);
    if (err != 0)
      return nl_throw(env, -err, "uv_poll_init", NULL);
    s->poll.data = s;
    s->poll_state = POLL_INITED;
  }
  if (s->async == NULL) {
    napi_create_string_utf8(env, "DevlinkSfNetlinkSocket", NAPI_AUTO_LENGTH, &name);
    if (napi_async_init(env, NULL, name, &s->async) != napi_ok)
      return NULL;
  }
  if (s->callback != NULL)
    napi_delete_reference(env, s->callback);
  s->callback = NULL;
  if (napi_create_reference(env, argv[0], 1, &s->callback) != napi_ok)
    return NULL;
  err = uv_poll_start(&s->poll, UV_READABLE, nl_on_readable);
  if (err != 0)
    return nl_throw(env, -err, "uv_poll_start", NULL);
  return NULL;
}

/* stop(): no more readable callbacks until start() again. */
static napi_value nl_stop(napi_env env, napi_callback_info cbinfo) {
  nl_socket *s = nl_this(env, cbinfo, 0, NULL);
  if (s == NULL)
    return NULL;
  if (s->poll_state == POLL_INITED)
    uv_poll_stop(&s->poll);
  return NULL;
}

/* close(): idempotent; safe from inside the readable callback. */
static napi_value nl_close_method(napi_env env, napi_callback_info cbinfo) {
  nl_socket *s = nl_this(env, cbinfo, 0, NULL);
  if (s == NULL)
    return NULL;
  nl_close(env, s, 1);
  return NULL;
}

/* ---- module ----------------------------------------------------------------------------- */

static void nl_set_int(napi_env env, napi_value obj, const char *name, int32_t value) {
  napi_value v;
  napi_create_int32(env, value, &v);
  napi_set_named_property(env, obj, name, v);
}

static napi_value nl_constants(napi_env env) {
  napi_value c;
  napi_create_object(env, &c);
  nl_set_int(env, c, "SOL_SOCKET", SOL_SOCKET);
  nl_set_int(env, c, "SOL_NETLINK", SOL_NETLINK);
  nl_set_int(env, c, "SO_RCVBUF", SO_RCVBUF);
  nl_set_int(env, c, "SO_RCVBUFFORCE", SO_RCVBUFFORCE);
  nl_set_int(env, c, "SO_SNDBUF", SO_SNDBUF);
  nl_set_int(env, c, "SO_SNDBUFFORCE", SO_SNDBUFFORCE);
  nl_set_int(env, c, "NETLINK_ADD_MEMBERSHIP", NETLINK_ADD_MEMBERSHIP);
  nl_set_int(env, c, "NETLINK_DROP_MEMBERSHIP", NETLINK_DROP_MEMBERSHIP);
  nl_set_int(env, c, "NETLINK_PKTINFO", NETLINK_PKTINFO);
  nl_set_int(env, c, "NETLINK_CAP_ACK", NETLINK_CAP_ACK);
  nl_set_int(env, c, "NETLINK_EXT_ACK", NETLINK_EXT_ACK);
  nl_set_int(env, c, "NETLINK_GET_STRICT_CHK", NETLINK_GET_STRICT_CHK);
  nl_set_int(env, c, "NETLINK_ROUTE", NETLINK_ROUTE);
  nl_set_int(env, c, "NETLINK_GENERIC", NETLINK_GENERIC);
  nl_set_int(env, c, "RECV_TRUNCATED", NL_SLOT_TRUNCATED);
  nl_set_int(env, c, "PAGE_SIZE", (int32_t)sysconf(_SC_PAGESIZE));
  napi_object_freeze(env, c);
  return c;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor methods[] = {
      {"bind", NULL, nl_bind, NULL, NULL, NULL, napi_default, NULL},
      {"getsockname", NULL, nl_getsockname, NULL, NULL, NULL, napi_default, NULL},
      {"setsockopt", NULL, nl_setsockopt, NULL, NULL, NULL, napi_default, NULL},
      {"getsockopt", NULL, nl_getsockopt, NULL, NULL, NULL, napi_default, NULL},
      {"sendmsg", NULL, nl_sendmsg, NULL, NULL, NULL, napi_default, NULL},
      {"sendRecv", NULL, nl_send_recv, NULL, NULL, NULL, napi_default, NULL},
      {"recvmsg", NULL, nl_recvmsg, NULL, NULL, NULL, napi_default, NULL},
      {"recvmsgInto", NULL, nl_recvmsg_into, NULL, NULL, NULL, napi_default, NULL},
      {"setRecvSlots", NULL, nl_set_recv_slots, NULL, NULL, NULL, napi_default, NULL},
      {"recvmmsg", NULL, nl_recvmmsg, NULL, NULL, NULL, napi_default, NULL},
      {"readReserve", NULL, nl_read_reserve, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, nl_start, NULL, NULL, NULL, napi_default, NULL},
      {"stop", NULL, nl_stop, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, nl_close_method, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, abi;
  if (napi_define_class(env, "NetlinkSocket", NAPI_AUTO_LENGTH, nl_construct, NULL,
                        sizeof(methods) / sizeof(methods[0]), methods, &cls) != napi_ok)
    return NULL;
  napi_create_int32(env, NL_ABI, &abi);
  napi_set_named_property(env, exports, "NetlinkSocket", cls);
  napi_set_named_property(env, exports, "constants", nl_constants(env));
  napi_set_named_property(env, exports, "abi", abi);
  return exports;
}
