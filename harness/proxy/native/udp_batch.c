/*
 * Batched UDP I/O for the UDP proxy (Linux): recvmmsg/sendmmsg on non-blocking sockets polled by
 * Node's own event loop (uv_poll). Node's dgram spends two system calls and a trip through
 * libuv's and Node's per-datagram callbacks on every datagram it relays; this receives up to
 * BATCH datagrams per system call and hands them to JavaScript in one call, and sends a whole
 * batch in one system call. See harness/proxy/udp-io-native.ts for the JavaScript side and
 * docs/decisions.md for why it exists and why dgram stays as the fallback.
 *
 * One JavaScript object per socket (napi_wrap). Received datagrams are copied out of the
 * environment's receive area into a fresh Buffer per batch before JavaScript runs: a datagram may
 * be held by a toxic for seconds, so it must not live in memory the next receive overwrites.
 *
 *   socket.bind(ip, port) -> bound port          socket.connect(ip, port)
 *   socket.setBuffers(recv, send) -> [recv, send] as the kernel reports them
 *   socket.start(onBatch, onError, withSources)  onBatch(data, lengths, count, sources|null, received)
 *       (received: when the kernel received each datagram, monotonic ms, see receive_times)
 *   socket.send(buffers, start, end, addresses|null) -> datagrams sent, or {errno, failed}
 *       (an address entry may be null: that datagram goes to the connected peer)
 *   socket.waitWritable(onWritable)              socket.close()
 *   socket.stats() -> { messages, datagrams, segmentation }
 *   encodeAddress(family, ip, port) -> Buffer holding a sockaddr, for send()
 *   monotonicMs() -> the addon's clock (CLOCK_MONOTONIC) in ms, see udp_native.h
 *
 * Timed sends (socket.sendAt, recallTimed, onTimedSent) are in udp_timed.c; the wire layer's
 * namespaces and packet fault engine (createSide, WireEngine…) in wire_netns.c and wire_engine.c.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "udp_native.h"
#include "wire_native.h"

napi_value throw_errno(napi_env env, int err, const char *syscall) {
  napi_value msg, code, error, sys;
  char text[128];
  snprintf(text, sizeof text, "%s %s", syscall, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_int32(env, -err, &code);
  napi_create_error(env, NULL, msg, &error);
  napi_set_named_property(env, error, "errno", code);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property(env, error, "syscall", sys);
  napi_throw(env, error);
  return NULL;
}

static int to_sockaddr(int family, const char *ip, int port, struct sockaddr_storage *out, socklen_t *len) {
  memset(out, 0, sizeof *out);
  if (family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    *len = sizeof *a;
    return inet_pton(AF_INET6, ip, &a->sin6_addr) == 1;
  }
  struct sockaddr_in *a = (struct sockaddr_in *)out;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  *len = sizeof *a;
  return inet_pton(AF_INET, ip, &a->sin_addr) == 1;
}

/* `host:port`, IPv6 in brackets: the same key the JavaScript side uses for sessions. */
static size_t format_source(const struct sockaddr_storage *s, char *out, size_t size) {
  char ip[INET6_ADDRSTRLEN];
  int port;
  if (s->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)s;
    inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
    port = ntohs(a->sin6_port);
    return (size_t)snprintf(out, size, "[%s]:%d", ip, port);
  }
  const struct sockaddr_in *a = (const struct sockaddr_in *)s;
  inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
  port = ntohs(a->sin_port);
  return (size_t)snprintf(out, size, "%s:%d", ip, port);
}

static int same_source(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  if (a->ss_family != b->ss_family) return 0;
  if (a->ss_family == AF_INET6) {
    const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a, *y = (const struct sockaddr_in6 *)b;
    return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  const struct sockaddr_in *x = (const struct sockaddr_in *)a, *y = (const struct sockaddr_in *)b;
  return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

Sock *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  Sock *s = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || s == NULL) {
    napi_throw_error(env, NULL, "faultline_udp: not a socket");
    return NULL;
  }
  if (s->closed) {
    napi_throw_error(env, "ERR_SOCKET_DGRAM_NOT_RUNNING", "faultline_udp: socket is closed");
    return NULL;
  }
  return s;
}

static void free_references(napi_env env, Sock *s);

/* Calls a JavaScript callback from the event loop: async context, then nextTicks and microtasks. */
static void call_js(Sock *s, napi_ref fn_ref, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value fn, self;
  if (fn_ref == NULL || napi_get_reference_value(env, fn_ref, &fn) != napi_ok || fn == NULL) return;
  napi_get_reference_value(env, s->self, &self);
  s->dispatching++;
  make_callback_or_fatal(env, s->async, self, fn, argc, argv);
  s->dispatching--;
  if (s->closed && s->dispatching == 0) free_references(env, s);
}


static void report_error(Sock *s, int err) {
  napi_value code;
  napi_create_int32(s->env, -err, &code);
  call_js(s, s->on_error, 1, &code);
}

int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int start_thread_unsignalled(pthread_t *thread, void *(*fn)(void *), void *arg) {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  int err = pthread_create(thread, NULL, fn, arg);
  pthread_sigmask(SIG_SETMASK, &previous, NULL);
  return err;
}

void make_callback_or_fatal(napi_env env, napi_async_context context, napi_value recv, napi_value fn, size_t argc, const napi_value *argv) {
  napi_value result;
  if (napi_make_callback(env, context, recv, fn, argc, argv, &result) == napi_pending_exception) {
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_fatal_exception(env, error); /* as an exception thrown by an event handler would */
  }
}

napi_status float64_array(napi_env env, size_t n, double **data, napi_value *array) {
  napi_value buffer;
  void *raw;
  napi_status status = napi_create_arraybuffer(env, n * sizeof(double), &raw, &buffer);
  if (status != napi_ok) return status;
  if ((status = napi_create_typedarray(env, napi_float64_array, n, buffer, 0, array)) != napi_ok) return status;
  *data = raw;
  return napi_ok;
}

int64_t realtime_offset_ns(void) {
  struct timespec real;
  clock_gettime(CLOCK_REALTIME, &real);
  int64_t mono = monotonic_ns();
  return (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - mono;
}

/*
 * When the kernel received each datagram, from its receive timestamp (SO_TIMESTAMPNS): a toxic's
 * delay then counts from the datagram's arrival, however late the event loop got to read it.
 * The timestamps are wall-clock time, and the wall clock can be stepped (NTP, or a VM's agent
 * setting it: seen here as steps of half a millisecond) between a datagram's arrival and its
 * read. A datagram left unread by the socket's previous batch (which, unless it was full, emptied
 * the socket) arrived after it, so its stamp was taken on the wall clock as it stood then or as
 * it stands now (barring two steps in between); of the two, the later reading is taken, so a step
 * never makes a datagram look older than it is (a held datagram never leaves early) and at worst
 * makes it look younger by the step. A datagram cannot have arrived after it was read, nor
 * (clamped) more than a second before; one without a timestamp arrived when read.
 */
static void receive_times(Sock *s, struct mmsghdr *msgs, int n) {
  int64_t read_ns = monotonic_ns();
  int64_t offset_now = realtime_offset_ns(), offset_before = s->realtime_offset_ns;
  int64_t offset = offset_now < offset_before ? offset_now : offset_before;
  s->realtime_offset_ns = offset_now;
  for (int i = 0; i < n; i++) {
    int64_t at_ns = read_ns;
    struct msghdr *h = &msgs[i].msg_hdr;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c != NULL; c = CMSG_NXTHDR(h, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
      struct timespec stamp;
      memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
      at_ns = (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec - offset;
    }
    if (at_ns > read_ns) at_ns = read_ns;
    if (at_ns < read_ns - 1000000000) at_ns = read_ns - 1000000000;
    s->m->received[i] = (double)at_ns / 1e6;
  }
}

static void receive(Sock *s) {
  napi_env env = s->env;
  Module *m = s->m;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  for (int round = 0; round < MAX_ROUNDS && !s->closed; round++) {
    for (int i = 0; i < BATCH; i++) {
      iov[i].iov_base = m->recv_area + (size_t)i * SLOT;
      iov[i].iov_len = SLOT;
      memset(&msgs[i], 0, sizeof msgs[i]);
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = m->recv_control[i];
      msgs[i].msg_hdr.msg_controllen = sizeof m->recv_control[i];
      if (s->with_sources) {
        msgs[i].msg_hdr.msg_name = &m->recv_from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof m->recv_from[i];
      }
    }
    int n = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      /* ECONNREFUSED: an ICMP port unreachable for an earlier send on a connected socket. */
      report_error(s, errno);
      continue;
    }
    if (n == 0) return;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += msgs[i].msg_len;
    receive_times(s, msgs, n);
    napi_value argv[5];
    char *data;
    if (napi_create_buffer(env, total ? total : 1, (void **)&data, &argv[0]) != napi_ok) return;
    size_t at = 0;
    for (int i = 0; i < n; i++) {
      memcpy(data + at, m->recv_area + (size_t)i * SLOT, msgs[i].msg_len);
      at += msgs[i].msg_len;
      m->lengths[i] = (int32_t)msgs[i].msg_len;
    }
    napi_get_reference_value(env, m->lengths_ref, &argv[1]);
    napi_create_int32(env, n, &argv[2]);
    if (s->with_sources) {
      napi_create_array_with_length(env, (size_t)n, &argv[3]);
      napi_value key = NULL;
      for (int i = 0; i < n; i++) {
        if (key == NULL || !same_source(&m->recv_from[i], &m->recv_from[i - 1])) {
          char text[INET6_ADDRSTRLEN + 10];
          size_t len = format_source(&m->recv_from[i], text, sizeof text);
          napi_create_string_latin1(env, text, len, &key);
        }
        napi_set_element(env, argv[3], (uint32_t)i, key);
      }
    } else {
      napi_get_null(env, &argv[3]);
    }
    napi_get_reference_value(env, m->received_ref, &argv[4]);
    call_js(s, s->on_batch, 5, argv);
    if (n < BATCH) return;
  }
}

static void update_poll(Sock *s);

static void free_references(napi_env env, Sock *s) {
  if (s->released) return;
  s->released = 1;
  if (s->on_batch) napi_delete_reference(env, s->on_batch);
  if (s->on_error) napi_delete_reference(env, s->on_error);
  if (s->on_writable) napi_delete_reference(env, s->on_writable);
  s->on_batch = s->on_error = s->on_writable = NULL;
  if (s->async) napi_async_destroy(env, s->async);
  s->async = NULL;
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  Sock *s = handle->data;
  if (s == NULL || s->closed) return;
  napi_handle_scope scope;
  napi_open_handle_scope(s->env, &scope);
  if (status < 0) {
    /*
     * libuv reports EPOLLERR as UV_EBADF and stops the handle. On a UDP socket it means a pending
     * socket error, usually an ICMP port unreachable: take it (SO_ERROR clears it), report it,
     * and poll again, as the socket is fine.
     */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) report_error(s, err);
    if (!s->closed) {
      update_poll(s);
      receive(s);
    }
  } else {
    if ((events & UV_WRITABLE) && s->want_writable) {
      s->want_writable = 0;
      update_poll(s);
      call_js(s, s->on_writable, 0, NULL);
    }
    if ((events & UV_READABLE) && !s->closed) receive(s);
  }
  napi_close_handle_scope(s->env, scope);
}

static void update_poll(Sock *s) {
  int events = (s->started ? UV_READABLE : 0) | (s->want_writable ? UV_WRITABLE : 0);
  if (events) uv_poll_start(s->poll, events, on_poll);
  else uv_poll_stop(s->poll);
}

static void free_poll(uv_handle_t *handle) { free(handle); }

/* Closes the socket at once; the callbacks and async context go once no callback is running. */
static void release(napi_env env, Sock *s) {
  if (s->closed) return;
  s->closed = 1;
  if (s->self_held) {
    s->self_held = 0;
    napi_reference_unref(env, s->self, NULL);
  }
  uv_poll_stop(s->poll);
  s->poll->data = NULL;
  uv_close((uv_handle_t *)s->poll, free_poll);
  timed_forget_socket(s); /* before the descriptor can be reused */
  close(s->fd);
  if (s->dispatching == 0) free_references(env, s);
}

static void finalize(napi_env env, void *data, void *hint) {
  Sock *s = data;
  s->self_held = 0; /* collected (only at the environment's teardown if it was held) */
  release(env, s);
  if (s->self) napi_delete_reference(env, s->self);
  free(s);
}

/* new UdpSocket(6 | 4) */
static napi_value Construct(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self;
  int32_t family;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &family));
  int af = family == 6 ? AF_INET6 : AF_INET;
  int fd = socket(af, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  int on = 1; /* receive timestamps (see receive_times) */
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  Sock *s = calloc(1, sizeof *s);
  s->poll = calloc(1, sizeof *s->poll);
  s->fd = fd;
  s->family = af;
  s->realtime_offset_ns = realtime_offset_ns();
  CHECK(napi_get_instance_data(env, (void **)&s->m));
  s->env = env;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  if (uv_poll_init(loop, s->poll, fd) != 0) {
    close(fd);
    free(s->poll);
    free(s);
    return throw_errno(env, EINVAL, "uv_poll_init");
  }
  s->poll->data = s;
  napi_value name;
  CHECK(napi_create_string_utf8(env, "faultline:udp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &s->async));
  CHECK(napi_wrap(env, self, s, finalize, NULL, NULL));
  /* Weak: the socket lives while JavaScript holds it; an open socket is held by its user. */
  CHECK(napi_create_reference(env, self, 0, &s->self));
  return self;
}

static int read_address(napi_env env, napi_value ip_v, napi_value port_v, Sock *s, struct sockaddr_storage *addr, socklen_t *len) {
  char ip[INET6_ADDRSTRLEN + 1];
  size_t n;
  int32_t port;
  if (napi_get_value_string_utf8(env, ip_v, ip, sizeof ip, &n) != napi_ok) return 0;
  if (napi_get_value_int32(env, port_v, &port) != napi_ok) return 0;
  return to_sockaddr(s->family, ip, port, addr, len);
}

/* bind(ip, port) and connect(ip, port) take the same arguments and fail the same way. */
static Sock *call_with_address(napi_env env, napi_callback_info info, int (*call)(int, const struct sockaddr *, socklen_t), const char *name) {
  size_t argc = 2;
  napi_value argv[2];
  Sock *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  struct sockaddr_storage addr;
  socklen_t len;
  if (!read_address(env, argv[0], argv[1], s, &addr, &len)) {
    throw_errno(env, EINVAL, name);
    return NULL;
  }
  if (call(s->fd, (struct sockaddr *)&addr, len) != 0) {
    throw_errno(env, errno, name);
    return NULL;
  }
  return s;
}

static napi_value Bind(napi_env env, napi_callback_info info) {
  Sock *s = call_with_address(env, info, bind, "bind");
  if (!s) return NULL;
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  getsockname(s->fd, (struct sockaddr *)&addr, &len);
  int port = ntohs(addr.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&addr)->sin6_port : ((struct sockaddr_in *)&addr)->sin_port);
  napi_value result;
  CHECK(napi_create_int32(env, port, &result));
  return result;
}

static napi_value Connect(napi_env env, napi_callback_info info) {
  call_with_address(env, info, connect, "connect");
  return NULL;
}

static napi_value SetBuffers(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result, v;
  Sock *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  int32_t want[2];
  CHECK(napi_get_value_int32(env, argv[0], &want[0]));
  CHECK(napi_get_value_int32(env, argv[1], &want[1]));
  setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &want[0], sizeof want[0]);
  setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &want[1], sizeof want[1]);
  int got[2] = {0, 0};
  socklen_t len = sizeof got[0];
  getsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &got[0], &len);
  len = sizeof got[1];
  getsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &got[1], &len);
  CHECK(napi_create_array_with_length(env, 2, &result));
  for (uint32_t i = 0; i < 2; i++) {
    CHECK(napi_create_int32(env, got[i], &v));
    CHECK(napi_set_element(env, result, i, v));
  }
  return result;
}

napi_status replace_reference(napi_env env, napi_ref *ref, napi_value fn) {
  if (*ref) napi_delete_reference(env, *ref);
  *ref = NULL;
  return napi_create_reference(env, fn, 1, ref);
}

static napi_value Start(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  Sock *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  bool with_sources;
  CHECK(napi_get_value_bool(env, argv[2], &with_sources));
  CHECK(replace_reference(env, &s->on_batch, argv[0]));
  CHECK(replace_reference(env, &s->on_error, argv[1]));
  s->with_sources = with_sources;
  s->started = 1;
  if (!s->self_held) {
    /* Receiving, it must not be collected (which closes it) just because nobody holds it. */
    s->self_held = 1;
    napi_reference_ref(env, s->self, NULL);
  }
  update_poll(s);
  return NULL;
}

static napi_value WaitWritable(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  Sock *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  CHECK(replace_reference(env, &s->on_writable, argv[0]));
  s->want_writable = 1;
  update_poll(s);
  return NULL;
}

/*
 * Segmentation offload (UDP_SEGMENT, Linux 4.18+): consecutive datagrams to the same address with
 * the same length (the last of a run may be shorter) go to the kernel as one send, which the
 * kernel cuts back into the same datagrams; the path below the socket runs once per run instead
 * of once per datagram. Receivers see exactly the datagrams sent. A kernel or a path that
 * refuses it (EINVAL, EIO: too old, or an MTU below the datagram size) turns it off for that
 * socket, and the run is sent again one datagram per message.
 */
#define MAX_RUN_BYTES 65000 /* one send's payload; IPv4's limit is 65507 */

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SOL_UDP
#define SOL_UDP 17
#endif


/* Reads datagram i (and its address) of the send() arguments. */
static int read_datagram(napi_env env, napi_value *argv, int with_addresses, uint32_t i, struct iovec *iov, void **addr, size_t *addr_len) {
  napi_value element;
  if (napi_get_element(env, argv[0], i, &element) != napi_ok) return 0;
  if (napi_get_buffer_info(env, element, &iov->iov_base, &iov->iov_len) != napi_ok) return 0;
  *addr = NULL;
  *addr_len = 0;
  if (!with_addresses) return 1;
  if (napi_get_element(env, argv[3], i, &element) != napi_ok) return 0;
  napi_valuetype type;
  if (napi_typeof(env, element, &type) != napi_ok) return 0;
  if (type == napi_null || type == napi_undefined) return 1; /* to the connected peer */
  return napi_get_buffer_info(env, element, addr, addr_len) == napi_ok;
}

/*
 * send(buffers, start, end, addresses | null) -> datagrams sent (a number), or, when the first
 * message failed, { errno: -errno, failed: datagrams in it } (EAGAIN: nothing went, try later).
 */
static napi_value Send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4], result;
  Sock *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  uint32_t start, end;
  CHECK(napi_get_value_uint32(env, argv[1], &start));
  CHECK(napi_get_value_uint32(env, argv[2], &end));
  napi_valuetype addr_type;
  CHECK(napi_typeof(env, argv[3], &addr_type));
  int with_addresses = addr_type == napi_object;
  Module *m = s->m;
  struct mmsghdr *send_msgs = m->send_msgs;
  struct iovec *send_iov = m->send_iov;
  uint32_t *send_runs = m->send_runs;
  uint32_t cursor = start, sent = 0;
  /* One datagram read ahead: the first that did not fit the previous message. */
  struct iovec next;
  void *next_addr;
  size_t next_addr_len;
  int have_next = 0;
  while (cursor < end) {
    uint32_t messages = 0, iovs = 0, at = cursor;
    while (messages < BATCH && at < end) {
      if (!have_next && !read_datagram(env, argv, with_addresses, at, &next, &next_addr, &next_addr_len)) {
        napi_throw_error(env, NULL, "faultline_udp: send() takes Buffers (and address Buffers)");
        return NULL;
      }
      have_next = 0;
      struct msghdr *h = &send_msgs[messages].msg_hdr;
      memset(&send_msgs[messages], 0, sizeof send_msgs[messages]);
      h->msg_iov = &send_iov[iovs];
      h->msg_name = next_addr;
      h->msg_namelen = (socklen_t)next_addr_len;
      size_t segment = next.iov_len, bytes = next.iov_len;
      send_iov[iovs++] = next;
      uint32_t run = 1;
      at++;
      /* Extend the run while the next datagram has the same address and fits the segment size. */
      while (!s->no_segmentation && segment > 0 && run < MAX_SEGMENTS && at < end) {
        if (!read_datagram(env, argv, with_addresses, at, &next, &next_addr, &next_addr_len)) break;
        have_next = 1;
        if (next.iov_len == 0 || next.iov_len > segment || bytes + next.iov_len > MAX_RUN_BYTES) break;
        if (next_addr_len != h->msg_namelen || (next_addr_len && memcmp(next_addr, h->msg_name, next_addr_len) != 0)) break;
        send_iov[iovs++] = next;
        have_next = 0;
        bytes += next.iov_len;
        run++;
        at++;
        if (next.iov_len < segment) break; /* a shorter datagram ends a run */
      }
      h->msg_iovlen = run;
      if (run > 1) {
        h->msg_control = m->send_control[messages];
        h->msg_controllen = sizeof m->send_control[messages];
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t size = (uint16_t)segment;
        memcpy(CMSG_DATA(c), &size, sizeof size);
      }
      send_runs[messages++] = run;
    }
    int r = sendmmsg(s->fd, send_msgs, messages, 0);
    if (r < 0) {
      int err = errno;
      if (err == EINTR) {
        have_next = 0;
        continue;
      }
      if (send_runs[0] > 1 && (err == EINVAL || err == EIO || err == ENOPROTOOPT)) {
        s->no_segmentation = 1; /* this kernel or path will not segment: one message per datagram */
        have_next = 0;
        continue;
      }
      if (sent > 0) break; /* the caller sends the rest again and learns the error then */
      napi_value code, failed;
      CHECK(napi_create_object(env, &result));
      CHECK(napi_create_int32(env, -err, &code));
      CHECK(napi_create_uint32(env, send_runs[0], &failed));
      CHECK(napi_set_named_property(env, result, "errno", code));
      CHECK(napi_set_named_property(env, result, "failed", failed));
      return result;
    }
    for (int i = 0; i < r; i++) {
      sent += send_runs[i];
      cursor += send_runs[i];
    }
    s->sent_messages += r;
    have_next = 0;
    if ((uint32_t)r < messages) break;
  }
  s->sent_datagrams += sent;
  CHECK(napi_create_uint32(env, sent, &result));
  return result;
}

/* stats() -> { messages, datagrams, segmentation }: what send() handed the kernel, for tests. */
static napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value result, v;
  Sock *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_double(env, s->sent_messages, &v));
  CHECK(napi_set_named_property(env, result, "messages", v));
  CHECK(napi_create_double(env, s->sent_datagrams, &v));
  CHECK(napi_set_named_property(env, result, "datagrams", v));
  CHECK(napi_get_boolean(env, !s->no_segmentation, &v));
  CHECK(napi_set_named_property(env, result, "segmentation", v));
  return result;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  Sock *s = unwrap(env, info, &argc, NULL);
  if (!s) return NULL;
  release(env, s);
  return NULL;
}

/* encodeAddress(family, ip, port) -> Buffer holding the sockaddr, or throws EINVAL. */
static napi_value EncodeAddress(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t family;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &family));
  Sock fake = {.family = family == 6 ? AF_INET6 : AF_INET};
  struct sockaddr_storage addr;
  socklen_t len;
  if (!read_address(env, argv[1], argv[2], &fake, &addr, &len)) return throw_errno(env, EINVAL, "encodeAddress");
  void *copy;
  CHECK(napi_create_buffer_copy(env, len, &addr, &copy, &result));
  return result;
}

static napi_value MonotonicMs(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  CHECK(napi_create_double(env, (double)monotonic_ns() / 1e6, &result));
  return result;
}

static void free_module(napi_env env, void *data, void *hint) {
  Module *m = data;
  if (m->lengths_ref) napi_delete_reference(env, m->lengths_ref);
  if (m->received_ref) napi_delete_reference(env, m->received_ref);
  free(m->recv_area);
  free(m);
}

NAPI_MODULE_INIT() {
  Module *m = calloc(1, sizeof *m);
  if (m != NULL) m->recv_area = malloc((size_t)BATCH * SLOT);
  if (m == NULL || m->recv_area == NULL) {
    if (m) free(m);
    napi_throw_error(env, NULL, "faultline_udp: out of memory");
    return NULL;
  }
  CHECK(napi_set_instance_data(env, m, free_module, NULL));
  napi_value array_buffer, lengths_array, cls, fn;
  void *lengths_data;
  CHECK(napi_create_arraybuffer(env, BATCH * sizeof(int32_t), &lengths_data, &array_buffer));
  m->lengths = lengths_data;
  CHECK(napi_create_typedarray(env, napi_int32_array, BATCH, array_buffer, 0, &lengths_array));
  CHECK(napi_create_reference(env, lengths_array, 1, &m->lengths_ref));
  napi_value received_array;
  CHECK(float64_array(env, BATCH, &m->received, &received_array));
  CHECK(napi_create_reference(env, received_array, 1, &m->received_ref));
  napi_property_descriptor methods[] = {
      {"bind", NULL, Bind, NULL, NULL, NULL, napi_default, NULL},
      {"connect", NULL, Connect, NULL, NULL, NULL, napi_default, NULL},
      {"setBuffers", NULL, SetBuffers, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, Start, NULL, NULL, NULL, napi_default, NULL},
      {"waitWritable", NULL, WaitWritable, NULL, NULL, NULL, napi_default, NULL},
      {"send", NULL, Send, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, Stats, NULL, NULL, NULL, napi_default, NULL},
      {"sendAt", NULL, timed_send, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_class(env, "UdpSocket", NAPI_AUTO_LENGTH, Construct, NULL, sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(napi_set_named_property(env, exports, "UdpSocket", cls));
  CHECK(napi_create_function(env, "encodeAddress", NAPI_AUTO_LENGTH, EncodeAddress, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "encodeAddress", fn));
  CHECK(napi_create_function(env, "recallTimed", NAPI_AUTO_LENGTH, timed_recall, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "recallTimed", fn));
  CHECK(napi_create_function(env, "onTimedSent", NAPI_AUTO_LENGTH, timed_on_sent, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "onTimedSent", fn));
  CHECK(napi_create_function(env, "monotonicMs", NAPI_AUTO_LENGTH, MonotonicMs, NULL, &fn));
  CHECK(napi_set_named_property(env, exports, "monotonicMs", fn));
  CHECK(napi_create_int32(env, BATCH, &fn));
  CHECK(napi_set_named_property(env, exports, "batch", fn));
  CHECK(tcp_init(env, exports));
  if (!wire_netns_init(env, exports) || !wire_engine_init(env, exports)) return NULL;
  return exports;
}
