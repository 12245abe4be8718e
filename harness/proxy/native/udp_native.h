/*
 * What the two halves of the native UDP addon share: the per-environment state, the socket
 * object, and a few helpers. udp_batch.c is the socket (batched receive and send on the event
 * loop); udp_timed.c is the timed sends, released by a thread of their own.
 */
#ifndef FAULTLINE_UDP_NATIVE_H
#define FAULTLINE_UDP_NATIVE_H

#include <node_api.h>
#include <uv.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define BATCH 64
/* Largest UDP payload over IPv4 is 65507 bytes; a slot this size never truncates. */
#define SLOT 65536
/* Receive rounds per readable event before yielding to the rest of the event loop. */
#define MAX_ROUNDS 16
/* Datagrams in one segmented (UDP_SEGMENT) send. */
#define MAX_SEGMENTS 64

typedef struct Timed Timed;

/*
 * Per-Node-environment state (napi_set_instance_data), so that the addon also works when loaded
 * by several worker threads. One environment's event loop is single-threaded, so one receive
 * area and one set of send arrays serve all of its sockets.
 */
typedef struct {
  char *recv_area; /* BATCH * SLOT bytes */
  struct sockaddr_storage recv_from[BATCH];
  napi_ref lengths_ref; /* Int32Array(BATCH) over `lengths`, read by JavaScript synchronously */
  int32_t *lengths;
  napi_ref received_ref; /* Float64Array(BATCH) over `received`, likewise */
  double *received;
  char recv_control[BATCH][CMSG_SPACE(sizeof(struct timespec))];
  struct mmsghdr send_msgs[BATCH];
  struct iovec send_iov[BATCH * MAX_SEGMENTS];
  char send_control[BATCH][CMSG_SPACE(sizeof(uint16_t))];
  uint32_t send_runs[BATCH]; /* datagrams in each message */
  Timed *timed;              /* created by the first timed send */
} Module;

typedef struct {
  Module *m;
  int fd;
  int family;
  int closed;
  int started;
  int self_held;    /* started, not closed: holds its own object, as an active Node handle does */
  int want_writable;
  uv_poll_t *poll; /* freed by uv_close's callback */
  napi_env env;
  napi_ref self;
  napi_ref on_batch;
  napi_ref on_error;
  napi_ref on_writable;
  napi_async_context async;
  int with_sources;
  int no_segmentation;
  int64_t realtime_offset_ns; /* realtime_offset_ns() at the last receive batch, or at creation */
  int dispatching;  /* inside a JavaScript callback: release() leaves the references to it */
  int released;     /* references and async context freed */
  double sent_messages;  /* messages the kernel took (a segmented run is one) */
  double sent_datagrams;
} Sock;

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "faultline_udp: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

/* Throws an Error with `errno` (negative) and `syscall`; returns NULL for `return throw_errno(…)`. */
napi_value throw_errno(napi_env env, int err, const char *syscall);
/* The socket behind `this`, with the call's arguments; NULL (and a thrown error) if closed. */
Sock *unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv);

/* Points *ref (a strong reference, or NULL) at `fn`, releasing what it held. */
napi_status replace_reference(napi_env env, napi_ref *ref, napi_value fn);

/*
 * The addon's one clock, CLOCK_MONOTONIC: receive times and timed sends' due times are on it,
 * in ms for JavaScript (monotonicMs()), which maps it onto performance.now() once. Times, not
 * durations, cross the boundary, so the time JavaScript takes to get to a batch or to a send
 * never shifts a deadline.
 */
int64_t monotonic_ns(void);

/* CLOCK_REALTIME − CLOCK_MONOTONIC, ns: what a wall-clock timestamp (SO_TIMESTAMPNS, pcap) is ahead by. */
int64_t realtime_offset_ns(void);

/* Starts `fn(arg)` on a thread with every signal blocked (signals are the event loop's business); pthread_create's result. */
int start_thread_unsignalled(pthread_t *thread, void *(*fn)(void *), void *arg);

/* Calls `fn` as an event handler would be called: an exception it throws is fatal, as in Node. */
void make_callback_or_fatal(napi_env env, napi_async_context context, napi_value recv, napi_value fn, size_t argc, const napi_value *argv);

/* A Float64Array of `n` over a fresh ArrayBuffer, into *array, and its storage into *data. */
napi_status float64_array(napi_env env, size_t n, double **data, napi_value *array);

/* `p`, or the process ends: an allocation this small failing leaves nothing sensible to do. */
static inline void *must(void *p) {
  if (p == NULL) {
    fprintf(stderr, "faultline_udp: out of memory\n");
    abort();
  }
  return p;
}

/* socket.sendAt(data, address | null, atMs, line, ticket): atMs on the monotonic clock */
napi_value timed_send(napi_env env, napi_callback_info info);
/* recallTimed(line) -> Float64Array of the tickets not sent yet, in due order */
napi_value timed_recall(napi_env env, napi_callback_info info);
/* onTimedSent(callback(tickets: Float64Array, errnos: Int32Array)) */
napi_value timed_on_sent(napi_env env, napi_callback_info info);
/* Adds the TCP half of the addon (tcp_relay.c: TcpPair) to `exports`. */
napi_status tcp_init(napi_env env, napi_value exports);
/* Before a socket's descriptor closes: its timed sends not sent yet are reported as ECANCELED. */
void timed_forget_socket(Sock *s);

#endif
