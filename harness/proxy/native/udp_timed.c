/*
 * Timed sends: a datagram handed over now, sent by a thread of its own at a given time. This is
 * how the UDP proxy's delaying toxics keep their deadlines when the JavaScript thread is busy:
 * a garbage collection pause or a long callback on the event loop would otherwise hold back
 * every datagram due during it (docs/decisions.md, "Timed sends leave from a thread of their
 * own"). The thread never runs JavaScript and never touches the JavaScript heap, so the event
 * loop's pauses do not reach it.
 *
 *   socket.sendAt(data, address | null, atMs, line, ticket)   copies data; due at atMs (monotonic)
 *        │
 *        ▼
 *   [min-heap by due time, then hand-over order]──▶ sender thread: sleep until the earliest is
 *        ▲                                           due, send it with sendto, report it
 *        │                                                          │
 *   recallTimed(line): take back what is not sent yet               ▼
 *                                         onTimedSent(tickets, errnos) on the event loop
 *
 * One heap and one thread per Node environment, created by the first timed send. A `line`
 * (a number the caller chooses) groups sends so that they can be recalled together; a `ticket`
 * (also the caller's) names each one in reports and recalls. Every ticket is reported exactly
 * once, as sent (errno 0), refused (the kernel's errno) or cancelled (ECANCELED: its socket
 * closed first), unless it was recalled.
 *
 * Locking: the heap and the reports are under `lock`. The thread takes due entries out of the
 * heap and sends them without the lock; a socket that closes waits (on `idle`) until such a
 * batch is done, so the thread never sends on a descriptor that was closed and reused.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "spin_window.h"
#include "udp_native.h"
#include "due_heap.h"

typedef struct {
  int64_t due_ns;  /* CLOCK_MONOTONIC */
  uint64_t order;  /* hand-over order: equal due times leave in it */
  double ticket;
  int32_t line;
  Sock *sock;      /* only compared, never dereferenced by the thread */
  int fd;
  socklen_t addr_len; /* 0: the socket's connected peer */
  struct sockaddr_storage addr;
  size_t len;
  char data[];
} Entry;

static int before(const Entry *a, const Entry *b) {
  return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->order < b->order);
}

/* The heap of waiting datagrams (due_heap.h), by pointer: EntryHeap, entry_heap_push, _pop, _heapify. */
DUE_HEAP(EntryHeap, entry_heap, Entry *, before, 256)

struct Timed {
  pthread_mutex_t lock;
  pthread_cond_t wake; /* a new earliest entry, or stop */
  pthread_cond_t idle; /* the thread finished sending a batch */
  pthread_t thread;
  int stop;
  int sending;
  EntryHeap heap;
  /* heap.items[0]'s due time (INT64_MAX when empty), read without the lock while the thread polls. */
  _Atomic int64_t head_due;
  uint64_t order;
  /* Reports, appended by the thread (and by closing sockets), delivered on the event loop. */
  double *done_tickets;
  int32_t *done_errnos;
  size_t done_size, done_cap;
  /* Event-loop side only. */
  Module *m;
  uv_async_t *async;
  napi_env env;
  napi_ref on_sent;
  napi_async_context context;
  size_t outstanding; /* handed over and neither reported nor recalled: keeps the loop alive */
};

// ── the heap ────────────────────────────────────────────────────────────────

/* Every change to the heap (push, pop, take_out) ends here, so that head_due stays its head's. */
static void note_head(Timed *t) {
  atomic_store_explicit(&t->head_due, t->heap.size > 0 ? t->heap.items[0]->due_ns : INT64_MAX, memory_order_relaxed);
}

static void push(Timed *t, Entry *e) {
  entry_heap_push(&t->heap, e);
  note_head(t);
}

static Entry *pop(Timed *t) {
  Entry *top = entry_heap_pop(&t->heap);
  note_head(t);
  return top;
}

/* Moves the entries `take` selects out of the heap into `out` (grown as needed); returns how many. */
static size_t take_out(Timed *t, int (*take)(const Entry *, const void *), const void *arg, Entry ***out) {
  size_t kept = 0, taken = 0, cap = 0;
  *out = NULL;
  for (size_t i = 0; i < t->heap.size; i++) {
    Entry *e = t->heap.items[i];
    if (!take(e, arg)) {
      t->heap.items[kept++] = e;
      continue;
    }
    if (taken == cap) {
      cap = cap ? cap * 2 : 64;
      *out = must(realloc(*out, cap * sizeof **out));
    }
    (*out)[taken++] = e;
  }
  t->heap.size = kept;
  entry_heap_heapify(&t->heap);
  note_head(t);
  return taken;
}

static int compare_due(const void *a, const void *b) {
  const Entry *x = *(Entry *const *)a, *y = *(Entry *const *)b;
  return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

// ── the sender thread ───────────────────────────────────────────────────────

static void report(Timed *t, double ticket, int err) {
  if (t->done_size == t->done_cap) {
    t->done_cap = t->done_cap ? t->done_cap * 2 : 256;
    t->done_tickets = must(realloc(t->done_tickets, t->done_cap * sizeof *t->done_tickets));
    t->done_errnos = must(realloc(t->done_errnos, t->done_cap * sizeof *t->done_errnos));
  }
  t->done_tickets[t->done_size] = ticket;
  t->done_errnos[t->done_size] = -err;
  t->done_size++;
}

/* 0, or the errno the kernel refused the datagram with. A full send buffer is waited out briefly. */
static int send_entry(const Entry *e) {
  for (int full = 0;;) {
    if (sendto(e->fd, e->data, e->len, 0, e->addr_len ? (const struct sockaddr *)&e->addr : NULL, e->addr_len) >= 0) return 0;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && full++ < 3) {
      struct pollfd p = {.fd = e->fd, .events = POLLOUT};
      poll(&p, 1, 10);
      continue;
    }
    return errno;
  }
}

static void *run(void *arg) {
  Timed *t = arg;
  /* Wake at the deadline, not up to 50 µs after it (the default timer slack). */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  Entry *batch[BATCH];
  int errs[BATCH];
  SpinWindow window = {0, monotonic_ns()};
  int64_t last_sent_ns = 0; /* when the thread last finished sending */
  pthread_mutex_lock(&t->lock);
  while (!t->stop) {
    if (t->heap.size == 0) {
      pthread_cond_wait(&t->wake, &t->lock);
      continue;
    }
    int64_t now = monotonic_ns(), due = t->heap.items[0]->due_ns, spin = spin_window_ns(&window, due - last_sent_ns);
    if (due - now > spin) {
      int64_t wake = due - spin;
      struct timespec until = {.tv_sec = wake / 1000000000, .tv_nsec = wake % 1000000000};
      /* Only a sleep that ran out measures the machine; a signal (new entry, stop) ends it early. */
      if (pthread_cond_timedwait(&t->wake, &t->lock, &until) == ETIMEDOUT) note_wake(&window, wake, monotonic_ns());
      continue;
    }
    if (due > now) {
      /*
       * The last stretch: poll the clock rather than sleep through a late wake-up. The deadline
       * is the heap's head, not `due`: an earlier datagram handed over meanwhile moves it closer,
       * and recalling the head moves it away, back to sleep if beyond the window.
       */
      pthread_mutex_unlock(&t->lock);
      for (;;) {
        int64_t head = atomic_load_explicit(&t->head_due, memory_order_relaxed);
        now = monotonic_ns();
        if (now >= head || head - now > spin) break;
      }
      pthread_mutex_lock(&t->lock);
      now = monotonic_ns();
    }
    int n = 0;
    while (n < BATCH && t->heap.size > 0 && t->heap.items[0]->due_ns <= now) batch[n++] = pop(t);
    if (n == 0) continue; /* the head was recalled while we polled */
    t->sending = 1;
    pthread_mutex_unlock(&t->lock);
    for (int i = 0; i < n; i++) errs[i] = send_entry(batch[i]);
    last_sent_ns = monotonic_ns();
    pthread_mutex_lock(&t->lock);
    t->sending = 0;
    pthread_cond_broadcast(&t->idle);
    for (int i = 0; i < n; i++) {
      report(t, batch[i]->ticket, errs[i]);
      free(batch[i]);
    }
    uv_async_send(t->async);
  }
  pthread_mutex_unlock(&t->lock);
  return NULL;
}

// ── the event loop side ─────────────────────────────────────────────────────

static void hold_loop(Timed *t, size_t added) {
  if (t->outstanding == 0 && added > 0) uv_ref((uv_handle_t *)t->async);
  t->outstanding += added;
}

static void release_loop(Timed *t, size_t settled) {
  t->outstanding -= settled;
  if (t->outstanding == 0) uv_unref((uv_handle_t *)t->async);
}

/* Delivers the reports: onTimedSent(tickets, errnos), errno 0 for sent, negative otherwise. */
static void on_async(uv_async_t *handle) {
  Timed *t = handle->data;
  pthread_mutex_lock(&t->lock);
  double *tickets = t->done_tickets;
  int32_t *errnos = t->done_errnos;
  size_t n = t->done_size;
  t->done_tickets = NULL;
  t->done_errnos = NULL;
  t->done_size = t->done_cap = 0;
  pthread_mutex_unlock(&t->lock);
  if (n > 0) {
    release_loop(t, n);
    napi_env env = t->env;
    napi_handle_scope scope;
    napi_value fn, global, argv[2], buffer;
    double *ticket_data;
    void *errno_data;
    napi_open_handle_scope(env, &scope);
    if (t->on_sent && napi_get_reference_value(env, t->on_sent, &fn) == napi_ok && fn != NULL &&
        float64_array(env, n, &ticket_data, &argv[0]) == napi_ok &&
        napi_create_arraybuffer(env, n * sizeof(int32_t), &errno_data, &buffer) == napi_ok &&
        napi_create_typedarray(env, napi_int32_array, n, buffer, 0, &argv[1]) == napi_ok) {
      memcpy(ticket_data, tickets, n * sizeof *tickets);
      memcpy(errno_data, errnos, n * sizeof *errnos);
      napi_get_global(env, &global);
      make_callback_or_fatal(env, t->context, global, fn, 2, argv);
    }
    napi_close_handle_scope(env, scope);
  }
  free(tickets);
  free(errnos);
}

static void free_async(uv_handle_t *handle) { free(handle); }

/*
 * Environment teardown: stop and join the thread, drop what was never sent. It runs before
 * Node-API frees the module state and finalizes the sockets (cleanup hooks run in reverse order
 * of registration), so it unhooks itself there: a socket finalized later finds no timed sends.
 */
static void cleanup(void *arg) {
  Timed *t = arg;
  t->m->timed = NULL;
  pthread_mutex_lock(&t->lock);
  t->stop = 1;
  pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  pthread_join(t->thread, NULL);
  for (size_t i = 0; i < t->heap.size; i++) free(t->heap.items[i]);
  free(t->heap.items);
  free(t->done_tickets);
  free(t->done_errnos);
  if (t->on_sent) napi_delete_reference(t->env, t->on_sent);
  napi_async_destroy(t->env, t->context);
  uv_close((uv_handle_t *)t->async, free_async);
  pthread_mutex_destroy(&t->lock);
  pthread_cond_destroy(&t->wake);
  pthread_cond_destroy(&t->idle);
  free(t);
}

/* This environment's timed sends, started on first use; NULL (and a thrown error) if it cannot. */
static Timed *timed(napi_env env) {
  Module *m;
  if (napi_get_instance_data(env, (void **)&m) != napi_ok || m == NULL) return NULL;
  if (m->timed) return m->timed;
  uv_loop_t *loop;
  napi_value name;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return NULL;
  Timed *t = must(calloc(1, sizeof *t));
  t->env = env;
  t->m = m;
  pthread_mutex_init(&t->lock, NULL);
  atomic_init(&t->head_due, INT64_MAX);
  pthread_condattr_t monotonic;
  pthread_condattr_init(&monotonic);
  pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
  pthread_cond_init(&t->wake, &monotonic);
  pthread_condattr_destroy(&monotonic);
  pthread_cond_init(&t->idle, NULL);
  t->async = must(calloc(1, sizeof *t->async));
  uv_async_init(loop, t->async, on_async);
  t->async->data = t;
  uv_unref((uv_handle_t *)t->async);
  napi_create_string_utf8(env, "faultline:udp-timed", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &t->context);
  /* Signals are the event loop's business: the sender thread blocks them all. */
  int err = start_thread_unsignalled(&t->thread, run, t);
  if (err != 0) {
    napi_async_destroy(env, t->context);
    uv_close((uv_handle_t *)t->async, free_async);
    free(t);
    throw_errno(env, err, "pthread_create");
    return NULL;
  }
  napi_add_env_cleanup_hook(env, cleanup, t);
  m->timed = t;
  return t;
}

napi_value timed_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  Sock *s = unwrap(env, info, &argc, argv);
  if (!s) return NULL;
  Timed *t = timed(env);
  if (!t) return NULL;
  void *data, *addr = NULL;
  size_t len, addr_len = 0;
  double at_ms, ticket;
  int32_t line;
  napi_valuetype addr_type;
  CHECK(napi_get_buffer_info(env, argv[0], &data, &len));
  CHECK(napi_typeof(env, argv[1], &addr_type));
  if (addr_type != napi_null && addr_type != napi_undefined) CHECK(napi_get_buffer_info(env, argv[1], &addr, &addr_len));
  if (addr_len > sizeof(struct sockaddr_storage)) return throw_errno(env, EINVAL, "sendAt");
  CHECK(napi_get_value_double(env, argv[2], &at_ms));
  CHECK(napi_get_value_int32(env, argv[3], &line));
  CHECK(napi_get_value_double(env, argv[4], &ticket));
  Entry *e = must(malloc(sizeof *e + len));
  e->due_ns = at_ms > 0 ? (int64_t)(at_ms * 1e6) : 0; /* a due time already past (or NaN) leaves at once */
  e->ticket = ticket;
  e->line = line;
  e->sock = s;
  e->fd = s->fd;
  e->addr_len = (socklen_t)addr_len;
  if (addr_len) memcpy(&e->addr, addr, addr_len);
  e->len = len;
  memcpy(e->data, data, len);
  pthread_mutex_lock(&t->lock);
  e->order = t->order++;
  push(t, e);
  if (t->heap.items[0] == e) pthread_cond_signal(&t->wake);
  pthread_mutex_unlock(&t->lock);
  hold_loop(t, 1);
  return NULL;
}

static int on_line(const Entry *e, const void *line) { return e->line == *(const int32_t *)line; }

napi_value timed_recall(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t line;
  Module *m;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &line));
  CHECK(napi_get_instance_data(env, (void **)&m));
  Timed *t = m->timed;
  Entry **taken = NULL;
  size_t n = 0;
  if (t) {
    pthread_mutex_lock(&t->lock);
    n = take_out(t, on_line, &line, &taken);
    pthread_mutex_unlock(&t->lock);
    if (n > 0) release_loop(t, n);
  }
  qsort(taken, n, sizeof *taken, compare_due);
  double *tickets;
  if (float64_array(env, n, &tickets, &result) != napi_ok) result = NULL;
  for (size_t i = 0; i < n; i++) {
    if (result) tickets[i] = taken[i]->ticket;
    free(taken[i]);
  }
  free(taken);
  if (!result) napi_throw_error(env, NULL, "faultline_udp: recallTimed could not allocate");
  return result;
}

napi_value timed_on_sent(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Timed *t = timed(env);
  if (!t) return NULL;
  CHECK(replace_reference(env, &t->on_sent, argv[0]));
  return NULL;
}

static int on_socket(const Entry *e, const void *sock) { return e->sock == sock; }

void timed_forget_socket(Sock *s) {
  Timed *t = s->m->timed;
  if (!t) return;
  Entry **taken = NULL;
  pthread_mutex_lock(&t->lock);
  while (t->sending) pthread_cond_wait(&t->idle, &t->lock);
  size_t n = take_out(t, on_socket, s, &taken);
  qsort(taken, n, sizeof *taken, compare_due);
  for (size_t i = 0; i < n; i++) {
    report(t, taken[i]->ticket, ECANCELED);
    free(taken[i]);
  }
  pthread_mutex_unlock(&t->lock);
  free(taken);
  if (n > 0) uv_async_send(t->async);
}
