/*
 * The TCP proxy's two sockets of one connection, owned by native code (Linux). A direction (lane)
 * with no active toxic is relayed here, read into the lane's buffer and sent on, never entering
 * JavaScript; a direction with toxics reads into Buffers that JavaScript runs through its toxic
 * chain and writes back here. See harness/proxy/tcp-io-native.ts for the JavaScript side, and
 * docs/decisions.md #18 for why, why this way, and why not splice(2).
 *
 *            lane 0 (upstream):   client fd ──read──▶ [lane buffer] ──send──▶ server fd
 *   fast:    lane 1 (downstream): server fd ──read──▶ [lane buffer] ──send──▶ client fd
 *
 *   slow:    source fd ──read──▶ onEvent(DATA, side, Buffer) ──▶ toxics ──▶ write(side, Buffer)
 *                                                                   ──▶ [queue] ──send──▶ sink fd
 *
 * Everything runs on the event loop's thread (uv_poll on the descriptors), so a switch between
 * the two ways is a synchronous call from JavaScript, between two reads: nothing can arrive while
 * it happens. That is what makes a switch lose, duplicate or reorder nothing:
 *  - into the fast way (`fast(lane)`): the lane's buffer starts empty, and bytes JavaScript wrote
 *    to the sink but the kernel did not take yet (the queue) go before anything relayed;
 *  - back (`slow(lane)`): the buffer's bytes (read, not yet forwarded) are handed to JavaScript,
 *    which puts them first in the chain. The buffer is filled only when empty, so a FIN read by
 *    the fast way always finds it empty and is forwarded at once: none is ever handed back.
 *
 * Sides: 0 is the client, 1 the server. Lane l reads side l and writes side 1 - l. The server
 * side is attached once the upstream connection is up; until then nothing is read.
 *
 *   new TcpPair(clientFd, onEvent, busyPollMs)    dups the descriptor (the caller closes its own)
 *   pair.attach(serverFd)                         likewise; starts reading
 *   pair.fast(lane) -> true if the lane now forwards natively
 *   pair.slow(lane) -> Buffer | null              the bytes the lane's buffer held
 *   pair.read(side, on)                           slow lanes only: pause / resume reading
 *   pair.write(side, buffer) -> bytes queued on that side (0: all sent), or -errno
 *   pair.end(side) -> 1 if the FIN went now, 0 if after the queue (a FINISH event follows)
 *   pair.close(side, reset)                       reset: RST (SO_LINGER 0) instead of FIN
 *   pair.counters: Float64Array, see COUNTER_*
 *   onEvent(kind, side, value): DATA (Buffer), END, DRAIN, FINISH, ERROR (-errno), LANE_DONE (side
 *   is the lane: its FIN was forwarded natively)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "udp_native.h"

enum { EV_DATA = 0, EV_END = 1, EV_DRAIN = 2, EV_FINISH = 3, EV_ERROR = 4, EV_LANE_DONE = 5 };

/* counters[lane * COUNTER_STRIDE + …]: what the fast way moved (the slow way counts in JavaScript). */
enum { COUNTER_CHUNKS_IN = 0, COUNTER_BYTES_IN = 1, COUNTER_CHUNKS_OUT = 2, COUNTER_BYTES_OUT = 3, COUNTER_STRIDE = 4 };
/* counters[COUNTER_QUEUED + side]: bytes JavaScript wrote that the kernel has not taken yet. */
#define COUNTER_QUEUED 8
#define COUNTERS 10

/* One slow read: Node reads 64 KiB at a time too. */
#define READ_BYTES 65536
/* Slow reads, or fast rounds (twice as many), per readiness event before other descriptors get
 * their turn: MAX_ROUNDS, udp_native.h's, as for datagrams. */
/*
 * A fast lane's buffer: one read's worth, allocated when the lane goes fast and freed when the
 * chain takes it back. Measured on one connection (docs/performance.md): 64 KiB forwards ~5 %
 * slower and costs a quarter more CPU per GiB; 1 MiB is level with 256 KiB.
 */
#define LANE_BYTES (256 * 1024)
/* A read below this is request/response traffic, which starts a busy poll. */
#define SMALL_TRANSFER 16384
#define IOV_MAX_BATCH 64

typedef struct Chunk {
  struct Chunk *next;
  napi_ref buffer; /* keeps JavaScript's Buffer alive until the kernel took it */
  const char *data;
  size_t len, sent;
} Chunk;

typedef struct Pair Pair;

typedef struct {
  Pair *pair;
  int index;
  int fd; /* -1 until attached, and after close */
  uv_poll_t *poll;
  int events; /* what the poll watches now */
  int js_reading; /* JavaScript wants reads (slow lane): not paused */
  int read_eof;   /* the source sent FIN (or failed): nothing more to read */
  int want_writable;
  Chunk *head, *tail;
  size_t queued;
  int end_requested; /* FIN once the queue is empty */
  int shut;          /* FIN sent */
  int failed;        /* an error was reported: no more I/O */
  int closed;
} Side;

typedef struct {
  int fast;
  char *buffer;      /* LANE_BYTES, while the lane is fast */
  size_t off, held;  /* read, not yet sent: buffer[off, off + held) */
  int done;          /* the source's FIN was forwarded natively */
} Lane;

typedef struct {
  char *scratch; /* READ_BYTES: slow reads land here, then are copied into a Buffer of their size */
  uv_idle_t *spin;
  int spinning;
  int64_t spin_until_ns;
  int64_t window_ns;     /* the spin window as learnt, up to the pair's busy_poll_ns */
  int64_t gave_up_ns;    /* when the last spin ran out with nothing (0: it did not) */
} TcpModule;

struct Pair {
  TcpModule *m;
  napi_env env;
  napi_ref self; /* strong while a descriptor is open (`self_held`): an open pair is never collected */
  int self_held;
  napi_ref on_event; /* strong while a descriptor is open, then deleted (see close_side) */
  napi_async_context async;
  napi_ref counters_ref;
  double *counters;
  Side side[2];
  Lane lane[2];
  int64_t busy_poll_ns;
  int finalizing;
};

static void update_poll(Side *s);
static void pump(Pair *p, int lane);
static void flush_queue(Side *s);


/*
 * ── busy polling: after a small transfer the loop polls instead of sleeping (busy-poll.ts) ──
 *
 * The window adapts, as KVM's halt polling does, judged by how long the loop then slept: when a
 * spin runs out and the next transfer comes within the largest window, a longer spin would have
 * caught it, so the window grows (doubles); when the next transfer takes longer than that, no spin
 * would have, so it shrinks (halves, to nothing below 5 µs). A spin that catches its transfer
 * changes nothing. On an idle machine the answer to a request comes within a few tens of
 * microseconds, the spins pay, and the window stays at its largest. On a busy one the peer is not
 * running when the spin would need it to, and a process that spun through its share of the CPU
 * waits behind the others when it is woken: measured, a fixed 50 µs window put the 64-byte
 * ping-pong's added RTT at ~110 µs on a loaded VM, against ~10 µs without spinning. There the
 * waits outlast the window, it shrinks to nothing and the proxy sleeps, until transfers come close
 * together again. (Shrinking whenever a spin ran out, as the relay first did, also shrank it on an
 * idle machine, where a ping-pong client's next request sometimes comes just after the window:
 * 20–42 µs added against 6–8 µs with the window kept.)
 */
#define BUSY_POLL_MIN_NS 5000

static void on_spin(uv_idle_t *idle) {
  TcpModule *m = idle->data;
  int64_t now = monotonic_ns();
  if (now < m->spin_until_ns) return;
  uv_idle_stop(idle);
  m->spinning = 0;
  m->gave_up_ns = now; /* the next transfer decides whether spinning longer would have paid */
}

static void touch_busy_poll(Pair *p, ssize_t bytes) {
  if (p->busy_poll_ns <= 0 || bytes >= SMALL_TRANSFER) return;
  TcpModule *m = p->m;
  int64_t now = monotonic_ns();
  if (m->window_ns > p->busy_poll_ns) m->window_ns = p->busy_poll_ns;
  if (!m->spinning && m->gave_up_ns > 0) {
    if (now - m->gave_up_ns < p->busy_poll_ns) {
      int64_t grown = m->window_ns < BUSY_POLL_MIN_NS ? BUSY_POLL_MIN_NS : m->window_ns * 2;
      m->window_ns = grown > p->busy_poll_ns ? p->busy_poll_ns : grown;
    } else {
      m->window_ns = m->window_ns / 2 < BUSY_POLL_MIN_NS ? 0 : m->window_ns / 2;
    }
  }
  m->gave_up_ns = 0;
  int64_t window = m->window_ns;
  if (window <= 0) {
    m->gave_up_ns = now; /* as if a spin gave up at once: what comes next decides */
    return;
  }
  if (now + window > m->spin_until_ns) m->spin_until_ns = now + window;
  if (!m->spinning) {
    m->spinning = 1;
    uv_idle_start(m->spin, on_spin);
  }
}

/* ── calling JavaScript ──────────────────────────────────────────────────── */

static void emit(Pair *p, int kind, int side, napi_value value) {
  napi_env env = p->env;
  napi_value fn, self, argv[3];
  if (p->on_event == NULL || napi_get_reference_value(env, p->on_event, &fn) != napi_ok || fn == NULL) return;
  napi_get_reference_value(env, p->self, &self);
  napi_create_int32(env, kind, &argv[0]);
  napi_create_int32(env, side, &argv[1]);
  if (value == NULL) napi_get_undefined(env, &argv[2]);
  else argv[2] = value;
  make_callback_or_fatal(env, p->async, self, fn, 3, argv);
}

static void emit_number(Pair *p, int kind, int side, int value) {
  napi_value v;
  napi_create_int32(p->env, value, &v);
  emit(p, kind, side, v);
}

/* An I/O error on a side: reported once; the side does no more I/O (JavaScript closes it). */
static void fail_side(Side *s, int err) {
  if (s->failed || s->closed) return;
  s->failed = 1;
  update_poll(s);
  update_poll(&s->pair->side[1 - s->index]); /* a fast lane into or out of `s` stops too */
  emit_number(s->pair, EV_ERROR, s->index, -err);
}

/* ── the poll on each descriptor ─────────────────────────────────────────── */

static int wants_readable(Side *s) {
  Pair *p = s->pair;
  if (s->fd < 0 || p->side[1].fd < 0 || s->failed || s->closed || s->read_eof) return 0;
  Lane *lane = &p->lane[s->index];
  if (!lane->fast) return s->js_reading;
  /* A fast lane reads into an empty buffer, and while its sink takes what it is given. */
  Side *sink = &p->side[1 - s->index];
  if (sink->failed || sink->closed || sink->want_writable || sink->head != NULL) return 0;
  return !lane->done && lane->held == 0;
}

static void on_poll(uv_poll_t *handle, int status, int events);

static void update_poll(Side *s) {
  if (s->poll == NULL) return;
  int events = 0;
  if (!s->failed && !s->closed && s->fd >= 0) {
    if (wants_readable(s)) events |= UV_READABLE;
    if (s->want_writable && s->pair->side[1].fd >= 0) events |= UV_WRITABLE;
  }
  if (events == s->events) return;
  s->events = events;
  if (events) uv_poll_start(s->poll, events, on_poll);
  else uv_poll_stop(s->poll);
}

static void add_counter(Pair *p, int index, double add) { p->counters[index] += add; }

static void set_queued(Side *s, size_t queued) {
  s->queued = queued;
  s->pair->counters[COUNTER_QUEUED + s->index] = (double)queued;
}

/* ── the slow way: reads for JavaScript, writes from it ──────────────────── */

static void slow_read(Side *s) {
  Pair *p = s->pair;
  napi_env env = p->env;
  for (int round = 0; round < MAX_ROUNDS; round++) {
    if (s->closed || s->failed || s->read_eof || !s->js_reading || p->lane[s->index].fast) break;
    ssize_t n = read(s->fd, p->m->scratch, READ_BYTES);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail_side(s, errno);
      break;
    }
    if (n == 0) {
      s->read_eof = 1;
      update_poll(s);
      emit(p, EV_END, s->index, NULL);
      return;
    }
    napi_value buffer;
    void *copy;
    if (napi_create_buffer_copy(env, (size_t)n, p->m->scratch, &copy, &buffer) != napi_ok) break;
    emit(p, EV_DATA, s->index, buffer);
    if (n < READ_BYTES) break; /* the kernel had no more (as libuv reads) */
  }
  if (!s->closed) update_poll(s);
}

static void free_chunk(napi_env env, Chunk *c) {
  if (c->buffer) napi_delete_reference(env, c->buffer);
  free(c);
}

static void drop_queue(Side *s) {
  Chunk *c = s->head;
  while (c) {
    Chunk *next = c->next;
    free_chunk(s->pair->env, c);
    c = next;
  }
  s->head = s->tail = NULL;
  set_queued(s, 0);
}

/* FIN on a side whose queue is empty: shutdown(SHUT_WR), as Node's end() does. */
static int send_fin(Side *s) {
  if (s->shut) return 0;
  s->shut = 1;
  if (shutdown(s->fd, SHUT_WR) != 0 && errno != ENOTCONN) return -errno;
  return 0;
}

/*
 * Sends what JavaScript queued on `s`, oldest first (several at once with sendmsg). Afterwards:
 * DRAIN if the queue emptied, then the FIN if one was asked for, or a fast lane into `s` may go on.
 */
static void flush_queue(Side *s) {
  Pair *p = s->pair;
  if (s->fd < 0 || s->failed || s->closed) return;
  int had_queue = s->head != NULL;
  while (s->head) {
    struct iovec iov[IOV_MAX_BATCH];
    int n = 0;
    size_t asked = 0;
    for (Chunk *c = s->head; c && n < IOV_MAX_BATCH; c = c->next, n++) {
      iov[n].iov_base = (char *)c->data + c->sent;
      iov[n].iov_len = c->len - c->sent;
      asked += iov[n].iov_len;
    }
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t sent = sendmsg(s->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        s->want_writable = 1;
        update_poll(s);
        return;
      }
      fail_side(s, errno);
      return;
    }
    size_t left = (size_t)sent;
    while (s->head && left >= s->head->len - s->head->sent) {
      Chunk *c = s->head;
      left -= c->len - c->sent;
      set_queued(s, s->queued - (c->len - c->sent));
      s->head = c->next;
      if (!s->head) s->tail = NULL;
      free_chunk(p->env, c);
    }
    if (s->head && left > 0) {
      s->head->sent += left;
      set_queued(s, s->queued - left);
    }
    if ((size_t)sent < asked) {
      /* The kernel took less: its buffer is full, and another try would only hear EAGAIN. */
      s->want_writable = 1;
      update_poll(s);
      return;
    }
  }
  s->want_writable = 0;
  update_poll(s);
  if (s->end_requested && !s->shut) {
    int r = send_fin(s);
    if (r < 0) fail_side(s, -r);
    else emit(p, EV_FINISH, s->index, NULL);
    return;
  }
  if (had_queue) {
    /* The lane writing into `s` may have waited for the queue: its buffer goes next. */
    Lane *into = &p->lane[1 - s->index];
    if (into->fast) pump(p, 1 - s->index);
    if (!s->closed) emit(p, EV_DRAIN, s->index, NULL);
  }
}

/* ── the fast way ────────────────────────────────────────────────────────── */

static void free_lane(Lane *lane) {
  free(lane->buffer);
  lane->buffer = NULL;
  lane->off = lane->held = 0;
}

/* The source's FIN, read by the fast way with its buffer empty: the sink gets its FIN now. */
static void finish_lane(Pair *p, int l) {
  Side *src = &p->side[l], *dst = &p->side[1 - l];
  p->lane[l].done = 1;
  src->read_eof = 1;
  int r = send_fin(dst);
  update_poll(src);
  update_poll(dst);
  if (r < 0) {
    fail_side(dst, -r);
    return;
  }
  emit(p, EV_LANE_DONE, l, NULL);
  if (!dst->closed) emit(p, EV_FINISH, dst->index, NULL);
}

/*
 * Moves lane `l`'s bytes: buffer to sink, then (only once the buffer is empty) source to buffer,
 * until one would block, the round limit, or EOF. The sink's queue (JavaScript's writes from
 * before the switch) always goes first. A short read means the source had no more, and a short
 * send that the sink's buffer is full: neither is tried again just to hear EAGAIN (the poll is
 * level-triggered, so anything that arrives meanwhile is still seen), which with many
 * connections saves a third of the system calls.
 */
static void pump(Pair *p, int l) {
  Lane *lane = &p->lane[l];
  Side *src = &p->side[l], *dst = &p->side[1 - l];
  if (!lane->fast || lane->done || src->closed || dst->closed || dst->failed || dst->fd < 0) return;
  if (dst->head) {
    flush_queue(dst); /* pumps again once the queue is empty */
    return;
  }
  int blocked = 0, drained = 0;
  for (int round = 0; round < MAX_ROUNDS * 2; round++) {
    if (lane->held > 0) {
      ssize_t n = send(dst->fd, lane->buffer + lane->off, lane->held, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN) {
          blocked = 1;
          break;
        }
        fail_side(dst, errno);
        return;
      }
      lane->off += (size_t)n;
      lane->held -= (size_t)n;
      add_counter(p, l * COUNTER_STRIDE + COUNTER_CHUNKS_OUT, 1);
      add_counter(p, l * COUNTER_STRIDE + COUNTER_BYTES_OUT, (double)n);
      if (lane->held > 0) {
        blocked = 1;
        break;
      }
    }
    if (drained || src->failed) break;
    ssize_t n = read(src->fd, lane->buffer, LANE_BYTES);
    if (n > 0) {
      lane->off = 0;
      lane->held = (size_t)n;
      drained = (size_t)n < LANE_BYTES;
      add_counter(p, l * COUNTER_STRIDE + COUNTER_CHUNKS_IN, 1);
      add_counter(p, l * COUNTER_STRIDE + COUNTER_BYTES_IN, (double)n);
      touch_busy_poll(p, n);
      continue;
    }
    if (n == 0) {
      finish_lane(p, l);
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) fail_side(src, errno);
    break; /* EAGAIN: nothing to read */
  }
  /* Blocked on the sink, or out of rounds with bytes held: go on when it is writable. */
  dst->want_writable = blocked || lane->held > 0;
  update_poll(src);
  update_poll(dst);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  Side *s = handle->data;
  if (s == NULL || s->closed) return;
  Pair *p = s->pair;
  napi_handle_scope scope;
  napi_open_handle_scope(p->env, &scope);
  if (status < 0) {
    /* libuv reports EPOLLERR as an error and stops the handle: take the socket's error. */
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    s->events = 0;
    fail_side(s, err != 0 ? err : ECONNRESET);
  } else {
    if ((events & UV_WRITABLE) && !s->closed) {
      s->want_writable = 0;
      if (s->head || (s->end_requested && !s->shut)) flush_queue(s);
      else if (p->lane[1 - s->index].fast) pump(p, 1 - s->index);
      else update_poll(s);
    }
    if ((events & UV_READABLE) && !s->closed) {
      if (p->lane[s->index].fast) pump(p, s->index);
      else slow_read(s);
    }
  }
  napi_close_handle_scope(p->env, scope);
}

/* ── the JavaScript surface ──────────────────────────────────────────────── */

static Pair *unwrap_pair(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  Pair *p = NULL;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, (void **)&p) != napi_ok || p == NULL) {
    napi_throw_error(env, NULL, "faultline_tcp: not a TcpPair");
    return NULL;
  }
  return p;
}

static int side_arg(napi_env env, napi_value v) {
  int32_t side = -1;
  napi_get_value_int32(env, v, &side);
  if (side != 0 && side != 1) {
    napi_throw_range_error(env, NULL, "faultline_tcp: side and lane are 0 or 1");
    return -1;
  }
  return side;
}

/*
 * The pair behind `this` and its first argument, a side or lane (0 or 1), with up to `*argc`
 * arguments in `argv`; NULL (and a thrown error) if either is wrong.
 */
static Pair *pair_and_side(napi_env env, napi_callback_info info, int *side, size_t *argc, napi_value *argv) {
  Pair *p = unwrap_pair(env, info, argc, argv);
  if (!p || (*side = side_arg(env, argv[0])) < 0) return NULL;
  return p;
}

/* Takes a descriptor: a duplicate the pair owns, non-blocking, no Nagle delay, with its poll handle. */
static int adopt(Pair *p, Side *s, int fd) {
  uv_loop_t *loop;
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (own < 0) return -errno;
  int flags = fcntl(own, F_GETFL);
  fcntl(own, F_SETFL, flags | O_NONBLOCK);
  int on = 1;
  setsockopt(own, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  s->poll = calloc(1, sizeof *s->poll);
  napi_get_uv_event_loop(p->env, &loop);
  if (s->poll == NULL || uv_poll_init(loop, s->poll, own) != 0) {
    free(s->poll);
    s->poll = NULL;
    close(own);
    return -EINVAL;
  }
  s->poll->data = s;
  s->fd = own;
  return 0;
}

static void free_poll(uv_handle_t *handle) { free(handle); }

static int open_sides(Pair *p) { return (p->side[0].fd >= 0 && !p->side[0].closed) + (p->side[1].fd >= 0 && !p->side[1].closed); }

static void close_side(Pair *p, Side *s, int reset) {
  if (s->closed) return;
  s->closed = 1;
  if (s->poll) {
    uv_poll_stop(s->poll);
    s->poll->data = NULL;
    uv_close((uv_handle_t *)s->poll, free_poll);
    s->poll = NULL;
  }
  drop_queue(s);
  if (s->fd >= 0) {
    if (reset) {
      struct linger hard = {.l_onoff = 1, .l_linger = 0};
      setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    }
    close(s->fd);
    s->fd = -1;
  }
  /* Both lanes touch this side: neither can move any more. */
  for (int l = 0; l < 2; l++) p->lane[l].fast = 0;
  Side *other = &p->side[1 - s->index];
  update_poll(other);
  if (open_sides(p) == 0) {
    /* Both sides closed (or the server side never attached): no lane can be fast again. */
    free_lane(&p->lane[0]);
    free_lane(&p->lane[1]);
    if (p->self_held && !p->finalizing) {
      uint32_t refs;
      p->self_held = 0;
      napi_reference_unref(p->env, p->self, &refs); /* nothing open: JavaScript's reference decides */
      /* No event can come any more, and the handler's closure holds the sides, which hold this
       * pair: kept, that strong reference would keep the pair and its closure alive for ever. */
      napi_delete_reference(p->env, p->on_event);
      p->on_event = NULL;
    }
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  Pair *p = data;
  p->finalizing = 1;
  /* close_side frees the lanes once nothing is open, and fast() allocates them only while both
   * sides are: after this loop, or before it, they are freed. */
  for (int i = 0; i < 2; i++) close_side(p, &p->side[i], 0);
  if (p->on_event) napi_delete_reference(env, p->on_event);
  if (p->counters_ref) napi_delete_reference(env, p->counters_ref);
  if (p->self) napi_delete_reference(env, p->self);
  if (p->async) napi_async_destroy(env, p->async);
  free(p);
}

/* new TcpPair(clientFd, onEvent, busyPollMs) */
static napi_value Construct(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], self, name, array;
  TcpModule *m;
  int32_t fd;
  double busy_ms;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, (void **)&m));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  CHECK(napi_get_value_double(env, argv[2], &busy_ms));
  Pair *p = calloc(1, sizeof *p);
  if (p == NULL) {
    napi_throw_error(env, NULL, "faultline_tcp: out of memory");
    return NULL;
  }
  p->m = m;
  p->env = env;
  p->busy_poll_ns = (int64_t)(busy_ms * 1e6);
  for (int i = 0; i < 2; i++) {
    p->side[i] = (Side){.pair = p, .index = i, .fd = -1, .js_reading = 1};
    p->lane[i] = (Lane){0};
  }
  int r = adopt(p, &p->side[0], fd);
  if (r < 0) {
    free(p);
    return throw_errno(env, -r, "dup");
  }
  CHECK(float64_array(env, COUNTERS, &p->counters, &array));
  memset(p->counters, 0, COUNTERS * sizeof(double));
  CHECK(napi_create_reference(env, array, 1, &p->counters_ref));
  CHECK(napi_set_named_property(env, self, "counters", array));
  CHECK(napi_create_reference(env, argv[1], 1, &p->on_event));
  CHECK(napi_create_string_utf8(env, "faultline:tcp", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_async_init(env, NULL, name, &p->async));
  CHECK(napi_wrap(env, self, p, finalize, NULL, NULL));
  CHECK(napi_create_reference(env, self, 1, &p->self));
  p->self_held = 1;
  return self;
}

/* attach(serverFd): the upstream connection is up; both sides start moving. */
static napi_value Attach(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  Pair *p = unwrap_pair(env, info, &argc, argv);
  if (!p) return NULL;
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  Side *server = &p->side[1];
  if (server->fd >= 0 || server->closed || p->side[0].closed) return NULL;
  int r = adopt(p, server, fd);
  if (r < 0) return throw_errno(env, -r, "dup");
  for (int i = 0; i < 2; i++) {
    /* Written (or ended) while the upstream connected: goes out once the socket is writable. */
    if (p->side[i].head || p->side[i].end_requested) p->side[i].want_writable = 1;
    update_poll(&p->side[i]);
  }
  return NULL;
}

/* fast(lane) -> whether the lane now forwards natively (not if it is done or a side is gone). */
static napi_value Fast(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int l;
  Pair *p = pair_and_side(env, info, &l, &argc, argv);
  if (!p) return NULL;
  Lane *lane = &p->lane[l];
  Side *src = &p->side[l], *dst = &p->side[1 - l];
  int ok = !lane->done && !src->closed && !dst->closed && !src->failed && !dst->failed && !src->read_eof && !dst->end_requested;
  if (ok && !lane->fast) {
    if (lane->buffer == NULL) lane->buffer = malloc(LANE_BYTES);
    if (lane->buffer == NULL) ok = 0;
    else {
      lane->fast = 1;
      update_poll(src);
      update_poll(dst);
    }
  }
  CHECK(napi_get_boolean(env, ok && lane->fast, &result));
  return result;
}

/* slow(lane) -> Buffer | null: the lane is JavaScript's again; the bytes its buffer held, if any. */
static napi_value Slow(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], held;
  int l;
  Pair *p = pair_and_side(env, info, &l, &argc, argv);
  if (!p) return NULL;
  Lane *lane = &p->lane[l];
  CHECK(napi_get_null(env, &held));
  int was_fast = lane->fast;
  lane->fast = 0;
  if (was_fast && lane->held > 0) {
    /*
     * Read, not yet forwarded: the bytes go to JavaScript, first in line. They were counted in
     * here; JavaScript counts them forwarded when it writes them.
     */
    void *copy;
    CHECK(napi_create_buffer_copy(env, lane->held, lane->buffer + lane->off, &copy, &held));
  }
  free_lane(lane); /* the chain may keep the lane for long: its buffer goes until it is fast again */
  p->side[1 - l].want_writable = p->side[1 - l].head != NULL;
  update_poll(&p->side[l]);
  update_poll(&p->side[1 - l]);
  return held;
}

/* The arguments (side, flag) of read() and close(); NULL (and a thrown error) if they are wrong. */
static Pair *side_and_flag(napi_env env, napi_callback_info info, int *side, bool *flag) {
  size_t argc = 2;
  napi_value argv[2];
  Pair *p = pair_and_side(env, info, side, &argc, argv);
  if (!p) return NULL;
  if (napi_get_value_bool(env, argv[1], flag) != napi_ok) {
    napi_throw_type_error(env, NULL, "faultline_tcp: expected a boolean");
    return NULL;
  }
  return p;
}

/* read(side, on): pause or resume reading for a slow lane. */
static napi_value Read(napi_env env, napi_callback_info info) {
  int s;
  bool on;
  Pair *p = side_and_flag(env, info, &s, &on);
  if (!p) return NULL;
  p->side[s].js_reading = on;
  update_poll(&p->side[s]);
  return NULL;
}

/* write(side, buffer) -> bytes still queued on the side (0: the kernel took everything), or -errno. */
static napi_value Write(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  void *data;
  size_t len;
  int i;
  Pair *p = pair_and_side(env, info, &i, &argc, argv);
  if (!p) return NULL;
  Side *s = &p->side[i];
  CHECK(napi_get_buffer_info(env, argv[1], &data, &len));
  if (s->closed || s->failed || s->shut || s->end_requested) {
    CHECK(napi_create_int32(env, -EPIPE, &result));
    return result;
  }
  size_t sent = 0;
  if (s->head == NULL && s->fd >= 0) {
    for (;;) {
      ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        CHECK(napi_create_int32(env, -errno, &result));
        return result;
      }
      if (n > 0) sent = (size_t)n;
      break;
    }
  }
  if (sent < len) {
    Chunk *c = calloc(1, sizeof *c);
    if (c == NULL) {
      CHECK(napi_create_int32(env, -ENOMEM, &result));
      return result;
    }
    CHECK(napi_create_reference(env, argv[1], 1, &c->buffer));
    c->data = data;
    c->len = len;
    c->sent = sent;
    if (s->tail) s->tail->next = c;
    else s->head = c;
    s->tail = c;
    set_queued(s, s->queued + (len - sent));
    if (s->fd >= 0) {
      s->want_writable = 1;
      update_poll(s);
    }
  }
  CHECK(napi_create_double(env, (double)s->queued, &result));
  return result;
}

/* end(side) -> 1: FIN sent now; 0: after the queue, announced by FINISH; -errno: failed. */
static napi_value End(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int i;
  Pair *p = pair_and_side(env, info, &i, &argc, argv);
  if (!p) return NULL;
  Side *s = &p->side[i];
  int r = 0;
  if (!s->closed && !s->end_requested) {
    s->end_requested = 1;
    if (s->head == NULL && s->fd >= 0) {
      int fin = send_fin(s);
      r = fin < 0 ? fin : 1;
    }
  }
  CHECK(napi_create_int32(env, r, &result));
  return result;
}

/* close(side, reset) */
static napi_value Close(napi_env env, napi_callback_info info) {
  int s;
  bool reset;
  Pair *p = side_and_flag(env, info, &s, &reset);
  if (!p) return NULL;
  close_side(p, &p->side[s], reset);
  return NULL;
}

static void cleanup_module(void *data) {
  TcpModule *m = data;
  /* The loop is closing with the environment: the idle handle goes with it. */
  uv_idle_stop(m->spin);
  uv_close((uv_handle_t *)m->spin, free_poll);
  free(m->scratch);
  free(m);
}

napi_status tcp_init(napi_env env, napi_value exports) {
  TcpModule *m = calloc(1, sizeof *m);
  uv_loop_t *loop;
  napi_value cls;
  napi_status status;
  if (m == NULL || (m->scratch = malloc(READ_BYTES)) == NULL || (m->spin = calloc(1, sizeof *m->spin)) == NULL) {
    if (m) {
      free(m->scratch);
      free(m);
    }
    return napi_generic_failure;
  }
  if ((status = napi_get_uv_event_loop(env, &loop)) != napi_ok) return status;
  uv_idle_init(loop, m->spin);
  m->spin->data = m;
  m->window_ns = INT64_MAX; /* capped by the pairs' busy_poll_ns: starts at the largest */
  uv_unref((uv_handle_t *)m->spin); /* spinning never keeps a process alive */
  napi_add_env_cleanup_hook(env, cleanup_module, m);
  napi_property_descriptor methods[] = {
      {"attach", NULL, Attach, NULL, NULL, NULL, napi_default, m},
      {"fast", NULL, Fast, NULL, NULL, NULL, napi_default, m},
      {"slow", NULL, Slow, NULL, NULL, NULL, napi_default, m},
      {"read", NULL, Read, NULL, NULL, NULL, napi_default, m},
      {"write", NULL, Write, NULL, NULL, NULL, napi_default, m},
      {"end", NULL, End, NULL, NULL, NULL, napi_default, m},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, m},
  };
  status = napi_define_class(env, "TcpPair", NAPI_AUTO_LENGTH, Construct, m, sizeof methods / sizeof methods[0], methods, &cls);
  if (status != napi_ok) return status;
  return napi_set_named_property(env, exports, "TcpPair", cls);
}
