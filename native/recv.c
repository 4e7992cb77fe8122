/*
 * native/recv.c: the receive paths of the socket in native/netlink.c. The caller
 * (src/genl/transport-native.ts) picks one:
 *
 *   peek     recvmsg() + recvmsgInto(): each datagram is peeked to learn its length,
 *            then dropped from the queue (or read into a buffer of its size): two
 *            system calls per datagram, and nothing is ever truncated.
 *   slots    setRecvSlots() + recvmmsg(): up to one slot per datagram in ONE
 *            recvmmsg(2), into slots of a fixed size. A datagram longer than its slot
 *            is cut by the kernel and the rest of it is lost; its slot says so
 *            (NL_SLOT_TRUNCATED) with the length the datagram really had, and the
 *            caller must not decode it.
 *            With a reserve (setRecvSlots' fourth argument), each slot is followed by
 *            its own reserve of that many bytes: a second iovec, in memory mapped
 *            with MAP_NORESERVE, so it costs address space only until a datagram
 *            longer than its slot spills into it (readReserve() copies the spilled
 *            bytes out and gives the pages back). With a slot plus reserve at least
 *            as long as the largest datagram the kernel can build, nothing the
 *            kernel sends is ever truncated, at one system call per batch.
 *
 * Every read passes MSG_TRUNC, so the kernel reports a datagram's real length even
 * when fewer bytes were copied (netlink_recvmsg honours it), and MSG_DONTWAIT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <linux/netlink.h>

#include "netlink.h"

/* NLMSG_HDRLEN: a slot always holds a whole nlmsghdr, even of a truncated datagram. */
#define NL_SLOT_MIN 16
/* UIO_MAXIOV: recvmmsg(2) reads at most this many datagrams per call. */
#define NL_SLOTS_MAX 1024

/* Room for one NETLINK_PKTINFO control message. */
typedef union nl_control {
  char buf[CMSG_SPACE(sizeof(struct nl_pktinfo))];
  struct cmsghdr align;
} nl_control;

/* What recvmmsg(2) fills in per datagram besides the bytes. */
typedef struct nl_slot {
  struct sockaddr_nl addr;
  struct iovec iov[2]; /* the slot, then its reserve (when there is one) */
  nl_control control;
} nl_slot;

struct nl_batch {
  napi_ref area_ref; /* the caller's Buffer: count slots of slot_size bytes */
  napi_ref meta_ref; /* the caller's Uint32Array: 4 entries per slot */
  uint32_t *meta;
  uint32_t count;
  size_t slot_size;
  unsigned char *reserve; /* count reserves of reserve_size bytes, mmap()ed; or NULL */
  size_t reserve_size;
  struct mmsghdr *msgs; /* count entries, pointing into slot[] and the area */
  nl_slot slot[];
};

/* ---- shared by both modes ------------------------------------------------------------ */

static ssize_t nl_recvmsg_retry(int fd, struct msghdr *mh, int flags) {
  ssize_t r;
  do
    r = recvmsg(fd, mh, flags);
  while (r < 0 && errno == EINTR);
  return r;
}

/* The group a datagram came through: NETLINK_PKTINFO's number when present (it
 * covers groups above 32), else the lowest bit of the source's nl_groups mask. */
static uint32_t nl_source_group(struct msghdr *mh, const struct sockaddr_nl *src) {
  struct cmsghdr *c;
  for (c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
    if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_PKTINFO &&
        c->cmsg_len >= CMSG_LEN(sizeof(struct nl_pktinfo))) {
      struct nl_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof(pi));
      return pi.group;
    }
  }
  return (uint32_t)ffs((int)src->nl_groups);
}

/* ---- exact: one datagram at a time, never truncated ------------------------------------ */

/* One recvmsg(MSG_TRUNC | MSG_DONTWAIT | extra) into [buf, buf + len): returns the
 * datagram's real length, or -errno. On success the sender's port and group are
 * written to info. */
static ssize_t nl_read(nl_socket *s, void *buf, size_t len, int extra) {
  struct sockaddr_nl src;
  nl_control control;
  struct iovec iov;
  struct msghdr mh;
  ssize_t n;

  memset(&src, 0, sizeof(src));
  iov.iov_base = buf;
  iov.iov_len = len;
  memset(&mh, 0, sizeof(mh));
  mh.msg_name = &src;
  mh.msg_namelen = sizeof(src);
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control.buf;
  mh.msg_controllen = sizeof(control.buf);
  n = nl_recvmsg_retry(s->fd, &mh, MSG_TRUNC | MSG_DONTWAIT | extra);
  if (n < 0)
    return -errno;
  s->info[0] = src.nl_pid;
  s->info[1] = nl_source_group(&mh, &src);
  return n;
}

/* A read's result for JavaScript: the length, -1 for EAGAIN, or a thrown error. */
static napi_value nl_read_result(napi_env env, ssize_t n) {
  napi_value result;
  if (n == -EAGAIN || n == -EWOULDBLOCK)
    n = -1;
  else if (n < 0)
    return nl_throw(env, (int)-n, "recvmsg", NULL);
  napi_create_int64(env, (int64_t)n, &result);
  return result;
}

/*
 * recvmsg() -> number. Reads one whole datagram, never truncated: returns its length,
 * or -1 when nothing is queued (EAGAIN). The sender's port and group go to info[0]
 * and info[1]. ENOBUFS (the receive buffer overran and messages were lost) is thrown
 * like any other error; the socket stays usable.
 *
 * The datagram is peeked with MSG_TRUNC into the receive area, which reports its real
 * length. When it fitted (the common case) it is dropped from the queue with a
 * zero-length read and its bytes are in area[0, length). When it did not, it stays
 * queued and the caller reads it with recvmsgInto() into a buffer of that length.
 * No JavaScript object is created here: the caller copies what it keeps.
 */
napi_value nl_recvmsg(napi_env env, napi_callback_info cbinfo) {
  ssize_t n;
  nl_socket *s = nl_open_this(env, cbinfo, 0, NULL, "recvmsg");
  if (s == NULL)
    return NULL;
  n = nl_read(s, s->area, s->area_len, MSG_PEEK);
  if (n >= 0 && (size_t)n <= s->area_len) {
    /* Drop the datagram whose bytes are now in the area. An overrun noticed
     * between the two reads leaves it queued: ENOBUFS now, the datagram next. */
    struct msghdr drop;
    memset(&drop, 0, sizeof(drop));
    if (nl_recvmsg_retry(s->fd, &drop, MSG_TRUNC | MSG_DONTWAIT) < 0)
      n = -errno;
  }
  return nl_read_result(env, n);
}

/* recvmsgInto(buffer) -> number: reads the queued datagram that recvmsg() found
 * larger than the area into `buffer` (its length as recvmsg() returned); -1 on EAGAIN. */
napi_value nl_recvmsg_into(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1];
  void *data;
  size_t len;
  ssize_t n;
  nl_socket *s = nl_open_this(env, cbinfo, 1, argv, "recvmsg");
  if (s == NULL)
    return NULL;
  if (napi_get_buffer_info(env, argv[0], &data, &len) != napi_ok)
    return nl_type_error(env, "buffer must be a Buffer");
  n = nl_read(s, data, len, 0);
  /* Only another reader of this socket could make the head datagram change size. */
  if (n > 0 && (size_t)n > len)
    n = -EMSGSIZE;
  return nl_read_result(env, n);
}

/* ---- bounded: many datagrams per system call, each into a slot ---------------------------- */

void nl_batch_free(napi_env env, struct nl_batch *b, int detach) {
  if (b == NULL)
    return;
  nl_release_buffer(env, &b->area_ref, detach);
  nl_release_buffer(env, &b->meta_ref, 0);
  if (b->reserve != NULL)
    munmap(b->reserve, b->reserve_size * b->count);
  free(b->msgs);
  free(b);
}

/* Slots of `slot_size` bytes over `area`, each message header pointing at its own,
 * followed by a reserve of `reserve_size` bytes when that is not 0. NULL with errno set
 * when memory could not be had. */
static struct nl_batch *nl_batch_new(unsigned char *area, size_t slot_size, uint32_t count, size_t reserve_size) {
  struct nl_batch *b = calloc(1, sizeof(*b) + count * sizeof(b->slot[0]));
  uint32_t i;
  if (b == NULL)
    return NULL;
  b->msgs = calloc(count, sizeof(*b->msgs));
  if (b->msgs == NULL) {
    free(b);
    return NULL;
  }
  b->count = count;
  b->slot_size = slot_size;
  if (reserve_size > 0) {
    void *m = mmap(NULL, reserve_size * count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) {
      int err = errno;
      free(b->msgs);
      free(b);
      errno = err;
      return NULL;
    }
    b->reserve = m;
    b->reserve_size = reserve_size;
  }
  for (i = 0; i < count; i++) {
    struct msghdr *mh = &b->msgs[i].msg_hdr;
    b->slot[i].iov[0].iov_base = area + (size_t)i * slot_size;
    b->slot[i].iov[0].iov_len = slot_size;
    mh->msg_iovlen = 1;
    if (b->reserve != NULL) {
      b->slot[i].iov[1].iov_base = b->reserve + (size_t)i * reserve_size;
      b->slot[i].iov[1].iov_len = reserve_size;
      mh->msg_iovlen = 2;
    }
    mh->msg_name = &b->slot[i].addr;
    mh->msg_iov = b->slot[i].iov;
    mh->msg_control = b->slot[i].control.buf;
  }
  return b;
}

/*
 * setRecvSlots(area, slotSize, meta, reserve = 0): where recvmmsg() reads. `area` (a
 * Buffer) holds floor(area.length / slotSize) slots, at most 1024; `meta` (a
 * Uint32Array) has 4 entries per slot. Both are kept alive, and replace the slots set
 * before, if any. With `reserve` > 0, each slot gets a reserve of that many bytes
 * (rounded up to whole pages) for the part of a datagram that does not fit the slot;
 * throws (ENOMEM from mmap) when the address space cannot be had.
 */
napi_value nl_set_recv_slots(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[4];
  void *area, *meta;
  size_t area_len, meta_len, count, reserve_size = 0;
  uint32_t slot_size, reserve = 0;
  napi_valuetype t;
  napi_typedarray_type meta_type;
  struct nl_batch *b;
  nl_socket *s = nl_open_this(env, cbinfo, 4, argv, "setRecvSlots");
  if (s == NULL)
    return NULL;
  if (napi_get_buffer_info(env, argv[0], &area, &area_len) != napi_ok)
    return nl_type_error(env, "area must be a Buffer");
  if (nl_arg_u32(env, argv[1], &slot_size, "slotSize") != 0)
    return NULL;
  if (slot_size < NL_SLOT_MIN)
    return nl_type_error(env, "slotSize must be 16 (NLMSG_HDRLEN) or more");
  count = area_len / slot_size;
  if (count < 1 || count > NL_SLOTS_MAX)
    return nl_type_error(env, "area must hold 1 to 1024 slots");
  if (napi_get_typedarray_info(env, argv[2], &meta_type, &meta_len, &meta, NULL, NULL) != napi_ok ||
      meta_type != napi_uint32_array || meta_len < 4 * count)
    return nl_type_error(env, "meta must be a Uint32Array with 4 entries per slot");
  if (napi_typeof(env, argv[3], &t) == napi_ok && t != napi_undefined && nl_arg_u32(env, argv[3], &reserve, "reserve") != 0)
    return NULL;
  if (reserve > 0) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    reserve_size = ((size_t)reserve + page - 1) / page * page;
  }

  b = nl_batch_new(area, slot_size, (uint32_t)count, reserve_size);
  if (b == NULL)
    return nl_throw(env, errno != 0 ? errno : ENOMEM, reserve_size > 0 ? "mmap" : "malloc", NULL);
  if (napi_create_reference(env, argv[0], 1, &b->area_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &b->meta_ref) != napi_ok) {
    nl_batch_free(env, b, 0);
    return NULL;
  }
  b->meta = meta;
  /* the slots replaced stay the caller's: only the references go */
  nl_batch_free(env, s->batch, 0);
  s->batch = b;
  return NULL;
}

/* One recvmmsg(2) of up to `count` datagrams into the slots, meta filled in: returns how
 * many (0 when nothing is queued), or -errno. The slots must be set. */
int nl_batch_read(nl_socket *s, uint32_t count) {
  struct nl_batch *b = s->batch;
  uint32_t i;
  int n = 0;
  if (count > b->count)
    count = b->count;
  /* The kernel writes these back per datagram. */
  for (i = 0; i < count; i++) {
    b->msgs[i].msg_hdr.msg_namelen = sizeof(b->slot[i].addr);
    b->msgs[i].msg_hdr.msg_controllen = sizeof(b->slot[i].control.buf);
    b->msgs[i].msg_hdr.msg_flags = 0;
  }
  if (count > 0) {
    do
      n = recvmmsg(s->fd, b->msgs, count, MSG_TRUNC | MSG_DONTWAIT, NULL);
    while (n < 0 && errno == EINTR);
  }
  if (n < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -errno;
  for (i = 0; i < (uint32_t)n; i++) {
    struct msghdr *mh = &b->msgs[i].msg_hdr;
    uint32_t *m = b->meta + 4 * (size_t)i;
    m[0] = b->msgs[i].msg_len;
    m[1] = b->slot[i].addr.nl_pid;
    m[2] = nl_source_group(mh, &b->slot[i].addr);
    m[3] = (mh->msg_flags & MSG_TRUNC) ? NL_SLOT_TRUNCATED : 0;
  }
  return n;
}

/*
 * recvmmsg(count) -> number. Reads up to `count` queued datagrams (no more than there
 * are slots) in ONE recvmmsg(2), datagram i into slot i, and returns how many: 0 when
 * nothing is queued (EAGAIN). For each, meta[4i .. 4i+3] = [its real length, the
 * sender's nl_pid, the group (as recvmsg() reports it), flags]; flags has
 * NL_SLOT_TRUNCATED (1) when the datagram was longer than its slot (and reserve): only
 * that much was read, the rest is lost.
 *
 * ENOBUFS (and any other error) is thrown only when nothing was read: an error met
 * after some datagrams is kept by the kernel (sk_err) for the next call.
 */
napi_value nl_recvmmsg(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[1], result;
  uint32_t count;
  int n;
  nl_socket *s = nl_open_this(env, cbinfo, 1, argv, "recvmmsg");
  if (s == NULL || nl_arg_u32(env, argv[0], &count, "count") != 0)
    return NULL;
  if (s->batch == NULL) {
    napi_throw_error(env, NULL, "recvmmsg() needs setRecvSlots() first");
    return NULL;
  }
  n = nl_batch_read(s, count);
  if (n < 0)
    return nl_throw(env, -n, "recvmmsg", NULL);
  napi_create_uint32(env, (uint32_t)n, &result);
  return result;
}

/*
 * readReserve(i, target, offset) -> number. After recvmmsg() read datagram i longer
 * than its slot (and no longer than slot plus reserve), its bytes past the slot are in
 * reserve i: copies them into target[offset ...] (as many as fit, at most the reserve)
 * and returns how many; the reserve's pages go back to the system. 0 without reserves.
 */
napi_value nl_read_reserve(napi_env env, napi_callback_info cbinfo) {
  napi_value argv[3], result;
  uint32_t i, offset;
  void *data;
  size_t len, n = 0;
  struct nl_batch *b;
  nl_socket *s = nl_open_this(env, cbinfo, 3, argv, "readReserve");
  if (s == NULL || nl_arg_u32(env, argv[0], &i, "index") != 0)
    return NULL;
  if (napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok)
    return nl_type_error(env, "target must be a Buffer");
  if (nl_arg_u32(env, argv[2], &offset, "offset") != 0)
    return NULL;
  b = s->batch;
  if (b != NULL && b->reserve != NULL && i < b->count && offset <= len) {
    unsigned char *r = b->reserve + (size_t)i * b->reserve_size;
    n = len - offset;
    if (n > b->reserve_size)
      n = b->reserve_size;
    memcpy((unsigned char *)data + offset, r, n);
    /* the reserve is address space again: its pages need not stay resident */
    madvise(r, b->reserve_size, MADV_DONTNEED);
  }
  napi_create_uint32(env, (uint32_t)n, &result);
  return result;
}
