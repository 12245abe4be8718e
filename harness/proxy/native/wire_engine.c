/*
 * The wire layer's packet fault engine: one thread per wire path that moves IP packets between
 * the client side's TUN device and the target side's, and applies faults on the way. The kernels
 * on both sides see a real IP path: real TCP retransmits what this engine drops.
 *
 *   client TUN ──read──▶ [reset watch] ──▶ fault 1 ─▶ fault 2 ─▶ … ──write──▶ target TUN   upstream
 *   client TUN ◀─write── … ◀─ fault 2 ◀─ fault 1 ◀── [reset watch] ◀──read── target TUN   downstream
 *                                 │  ▲
 *                     hold(due) ──▼  │── release at due time, continue with the next fault
 *                           [min-heap by due time, then hand-over order]
 *
 * Each direction has a chain of faults in the order they were added. A packet goes down the chain
 * until a fault drops it (loss, mtu, blackhole, a full bandwidth queue), holds it (latency,
 * reorder, bandwidth: it waits in the heap and continues with the next fault at its due time,
 * which is also the time the next fault counts from), alters it (corrupt) or copies it
 * (duplicate: the copy continues on its own); what reaches the end is written to the other TUN.
 * `reset` is no stage: it watches every TCP packet of matching connections and forges an RST
 * (below). The thread sleeps in ppoll until a TUN is readable or shortly before the heap's
 * earliest due time, then polls the clock (spin_window.h), so a held packet never leaves early
 * and rarely late.
 *
 * JavaScript (harness/wire/engine.ts) adds, updates and removes faults while packets flow, and
 * reads the ledger and the events, all under `lock`, which the thread holds while it handles one
 * round of reads and releases: every change applies between two rounds, and every ledger snapshot
 * balances. Randomness is a seeded xoshiro128** stream per fault, so a seed replays the same
 * decisions for the same packets.
 *
 *   new WireEngine(clientTunFd, targetTunFd)   starts the thread
 *   engine.setFault(id, spec) -> id            add (id 0) or update; spec: { type, direction,
 *                                              protocol, port, toxicity, seed, attributes }
 *   engine.removeFault(id)                     packets it holds continue at once
 *   engine.ledger() -> Float64Array            counters, laid out as wireLayout describes
 *   engine.events() -> { data, lost }          drops and resets since the last call
 *   engine.capture(inPath | null, outPath)     pcap of what entered and what left the engine
 *   engine.keepRecent(bytes), saveRecent(in, out)   the same, the most recent only, kept in memory
 *   engine.close()                             stops the thread; held packets count dropped_down
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>
#include "spin_window.h"
#include "udp_native.h"
#include "wire_native.h"
#include "due_heap.h"

enum { UP = 0, DOWN = 1 };         /* upstream: client → target */
enum { CLIENT = 0, TARGET = 1 };   /* the two TUN devices */

#define PROTOCOLS(X) X(P_TCP, "tcp") X(P_UDP, "udp") X(P_OTHER, "other")
#define DIRECTION_COUNTERS(X)                                                                     \
  X(D_SEEN, "seen") X(D_BYTES_SEEN, "bytes_seen") X(D_FORWARDED, "forwarded")                    \
  X(D_BYTES_FORWARDED, "bytes_forwarded") X(D_INJECTED, "injected") X(D_WRITE_ERRORS, "write_errors") \
  X(D_DROPPED_DOWN, "dropped_down") X(D_DROPPED_OVERFLOW, "dropped_overflow")
#define FAULT_COUNTERS(X)                                                                        \
  X(F_SEEN, "seen") X(F_ACTIVATIONS, "activations") X(F_DROPPED_LOSS, "dropped_loss")            \
  X(F_DROPPED_MTU, "dropped_mtu") X(F_DROPPED_BLACKHOLE, "dropped_blackhole")                    \
  X(F_DROPPED_QUEUE, "dropped_queue") X(F_DELAYED, "delayed") X(F_REORDERED, "reordered")         \
  X(F_DUPLICATED, "duplicated") X(F_CORRUPTED, "corrupted") X(F_RESET_SENT, "reset_sent")
#define FAULT_TYPES(X)                                                                           \
  X(T_LOSS, "loss") X(T_LATENCY, "latency") X(T_REORDER, "reorder") X(T_DUPLICATE, "duplicate")    \
  X(T_CORRUPT, "corrupt") X(T_BANDWIDTH, "bandwidth") X(T_MTU, "mtu") X(T_BLACKHOLE, "blackhole")  \
  X(T_RESET, "reset")
/* One event: when (monotonic ms), what, and which packet. */
#define EVENT_FIELDS(X)                                                                          \
  X(E_AT_MS, "atMs") X(E_DIRECTION, "direction") X(E_FAULT, "fault") X(E_ACTION, "action")         \
  X(E_PROTOCOL, "protocol") X(E_PACKET, "packet") X(E_BYTES, "bytes") X(E_SOURCE_PORT, "sourcePort") \
  X(E_DESTINATION_PORT, "destinationPort") X(E_TCP_SEQ, "tcpSeq")

#define AS_ENUM(id, name) id,
#define AS_NAME(id, name) name,
enum { PROTOCOLS(AS_ENUM) NPROTO };
enum { DIRECTION_COUNTERS(AS_ENUM) NDC };
enum { FAULT_COUNTERS(AS_ENUM) NFC };
enum { T_NONE = 0, FAULT_TYPES(AS_ENUM) NTYPES };
enum { EVENT_FIELDS(AS_ENUM) NEF };
static const char *const protocol_names[] = {PROTOCOLS(AS_NAME)};
static const char *const direction_counter_names[] = {DIRECTION_COUNTERS(AS_NAME)};
static const char *const fault_counter_names[] = {FAULT_COUNTERS(AS_NAME)};
static const char *const type_names[] = {"", FAULT_TYPES(AS_NAME)};
static const char *const event_field_names[] = {EVENT_FIELDS(AS_NAME)};

#define READ_BATCH 64
#define MAX_PACKET 65536
/* Packets held at once, all faults together: beyond it a packet is dropped (dropped_overflow). */
#define MAX_HELD (1 << 20)
#define EVENT_RING 16384
#define CONN_SLOTS 8192
#define CONN_PROBE 16
#define CONN_IDLE_NS (300 * 1000000000LL)
#define RESET_SLOTS 4
/* RSTs per connection and fault: the first, then one per challenge ACK (RFC 5961) at most. */
#define RESET_TRIES 4

// ── seeded randomness: xoshiro128**, as harness/core/rng.ts ─────────────────

typedef struct {
  uint32_t s[4];
} Rng;

static uint32_t rotl32(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

static uint32_t rng_u32(Rng *r) {
  uint32_t *s = r->s, result = rotl32(s[1] * 5, 7) * 9, t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl32(s[3], 11);
  return result;
}

/* Uniform in [0, 1) with 53 bits, drawn as rng.ts draws it. */
static double rng_next(Rng *r) {
  uint32_t hi = rng_u32(r) >> 5, lo = rng_u32(r) >> 6;
  return (hi * 67108864.0 + lo) / 9007199254740992.0;
}

/* p ≤ 0 never, p ≥ 1 always, and neither draws: as Rng.chance. */
static int chance(Rng *r, double p) { return p <= 0 ? 0 : p >= 1 ? 1 : rng_next(r) < p; }

// ── packets, faults, the engine ─────────────────────────────────────────────

typedef struct {
  int64_t at_ns;   /* when it reached the fault it is at (read time, then each hold's due time) */
  uint64_t index;  /* 0-based arrival order in its direction */
  uint32_t len;
  uint8_t dir, proto, ipproto;
  uint16_t l4off;  /* transport header offset; 0 when there is none (not TCP/UDP, a fragment) */
  uint16_t sport, dport;
  uint8_t data[];
} Packet;

typedef struct {
  int64_t depart_ns;
  uint32_t bytes;
} Departure;

/* A fault's attributes, in the engine's units: what an update replaces as a whole. */
typedef struct {
  double probability, burst;
  int64_t latency_ns, jitter_ns, delay_ns, timeout_ns;
  int allow_reorder;
  double ns_per_byte;
  int64_t bucket_ns, queue_packets, queue_bytes, mtu;
} Attributes;

typedef struct {
  uint32_t id;   /* 1-based, in the order faults were added: also their order on the chain */
  int type, dir, active;
  int ipproto;   /* 0 any, 6 tcp, 17 udp */
  int port;      /* 0 any: else the source or destination port */
  double toxicity;
  Attributes a;
  /* state: survives updates */
  Rng rng;
  int bad;                 /* loss: Gilbert–Elliott state */
  int64_t last_due_ns;     /* latency: the latest due time given, for in-order release */
  int64_t tat_ns;          /* bandwidth: theoretical arrival time (GCRA) */
  Departure *ring;         /* bandwidth: packets accepted and not departed yet, in order */
  size_t ring_head, ring_size, ring_cap;
  int64_t ring_bytes;
  int64_t since_ns;        /* reset: when the fault was added */
  uint64_t counters[NPROTO][NFC];
} Rule;

typedef struct {
  int64_t due_ns;
  uint64_t order;
  uint32_t after; /* the fault that holds it: the packet continues with the next one */
  Packet *p;
} Held;

static int held_before(Held a, Held b) { return a.due_ns < b.due_ns || (a.due_ns == b.due_ns && a.order < b.order); }

/* The heap of held packets (due_heap.h), by value: HeldHeap, held_heap_push, _pop, _heapify. */
DUE_HEAP(HeldHeap, held_heap, Held, held_before, 1024)

/* A TCP connection, as far as resets need it; "a" is the client's end. */
typedef struct {
  int used;
  uint32_t a_addr, b_addr;
  uint16_t a_port, b_port;
  int64_t last_ns;
  struct {
    uint32_t rule;
    int64_t met_ns;
    int8_t on, tries;
  } resets[RESET_SLOTS];
} Conn;

typedef struct {
  double f[NEF];
} Event;

/* pcap records (16-byte header, then the packet) in a circular buffer; the oldest make room. */
typedef struct {
  uint8_t *buf;
  size_t cap, head, used;
} Ring;

typedef struct Engine {
  int tun[2];
  int wake_fd;
  pthread_t thread;
  int running;
  _Atomic int stop;
  pthread_mutex_t lock;
  /* every fault ever added (removed ones keep their counters), by id − 1 */
  Rule **rules;
  size_t nrules, cap_rules;
  /* the active faults of each direction, in chain order; resets apart */
  Rule **chain[2];
  size_t chain_len[2];
  Rule **resets;
  size_t nresets;
  HeldHeap heap;
  uint64_t horder;
  uint64_t dir_counters[2][NPROTO][NDC];
  uint64_t arrivals[2];
  int64_t held[2];
  Conn *conns;
  Event events[EVENT_RING];
  uint64_t events_written, events_read;
  FILE *capture[2]; /* 0: what entered, 1: what left */
  Ring recent[2];    /* the same records, the most recent that fit, for saving after a failure */
  int64_t realtime_offset_ns;
  uint8_t scratch[MAX_PACKET];
} Engine;

static int read_fd(int dir) { return dir == UP ? CLIENT : TARGET; }
static int write_fd(int dir) { return dir == UP ? TARGET : CLIENT; }

// ── packet parsing ──────────────────────────────────────────────────────────

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put16(uint8_t *p, uint16_t v) {
  p[0] = v >> 8;
  p[1] = v & 0xff;
}
static void put32(uint8_t *p, uint32_t v) {
  put16(p, v >> 16);
  put16(p + 2, v & 0xffff);
}

static void classify(Packet *p) {
  const uint8_t *d = p->data;
  p->l4off = 0;
  p->ipproto = 0;
  if (p->len >= 20 && d[0] >> 4 == 4) {
    uint16_t ihl = (d[0] & 15) * 4;
    p->ipproto = d[9];
    int first_fragment = (be16(d + 6) & 0x1fff) == 0;
    if (first_fragment && ihl >= 20 && p->len >= ihl + (p->ipproto == 6 ? 20u : 8u)) p->l4off = ihl;
  } else if (p->len >= 40 && d[0] >> 4 == 6) {
    p->ipproto = d[6]; /* extension headers are not followed: such packets match no port */
    if (p->len >= 40 + (p->ipproto == 6 ? 20u : 8u)) p->l4off = 40;
  }
  p->proto = p->ipproto == 6 ? P_TCP : p->ipproto == 17 ? P_UDP : P_OTHER;
  if (p->proto == P_OTHER) p->l4off = 0;
  p->sport = p->l4off ? be16(d + p->l4off) : 0;
  p->dport = p->l4off ? be16(d + p->l4off + 2) : 0;
}

static uint32_t tcp_sequence(const Packet *p) { return p->proto == P_TCP && p->l4off ? be32(p->data + p->l4off + 4) : 0; }

static Packet *new_packet(const uint8_t *data, uint32_t len) {
  Packet *p = must(malloc(sizeof *p + len));
  memcpy(p->data, data, len);
  p->len = len;
  return p;
}

static Packet *clone_packet(const Packet *p) {
  Packet *c = must(malloc(sizeof *p + p->len));
  memcpy(c, p, sizeof *p + p->len);
  return c;
}

// ── ledger, events, capture ─────────────────────────────────────────────────

/* `dir`: the direction the event concerns (a forged RST travels against the packet that caused it). */
static void note_event(Engine *e, const Packet *p, int dir, int64_t at_ns, const Rule *r, int action) {
  Event *ev = &e->events[e->events_written++ % EVENT_RING];
  ev->f[E_AT_MS] = (double)at_ns / 1e6;
  ev->f[E_DIRECTION] = dir;
  ev->f[E_FAULT] = r ? r->id : 0;
  ev->f[E_ACTION] = action;
  ev->f[E_PROTOCOL] = p->proto;
  ev->f[E_PACKET] = (double)p->index;
  ev->f[E_BYTES] = p->len;
  ev->f[E_SOURCE_PORT] = p->sport;
  ev->f[E_DESTINATION_PORT] = p->dport;
  ev->f[E_TCP_SEQ] = tcp_sequence(p);
}

static void ring_copy(const Ring *r, size_t at, void *out, size_t n) {
  size_t first = r->cap - at < n ? r->cap - at : n;
  memcpy(out, r->buf + at, first);
  memcpy((uint8_t *)out + first, r->buf, n - first);
}

static void ring_put(Ring *r, size_t at, const void *in, size_t n) {
  size_t first = r->cap - at < n ? r->cap - at : n;
  memcpy(r->buf + at, in, first);
  memcpy(r->buf, (const uint8_t *)in + first, n - first);
}

static void ring_push(Ring *r, const uint32_t header[4], const uint8_t *data, uint32_t len) {
  size_t need = 16 + (size_t)len;
  if (need > r->cap) return;
  while (r->cap - r->used < need) {
    uint32_t oldest[4];
    ring_copy(r, r->head, oldest, sizeof oldest);
    r->head = (r->head + 16 + oldest[2]) % r->cap;
    r->used -= 16 + oldest[2];
  }
  ring_put(r, (r->head + r->used) % r->cap, header, 16);
  ring_put(r, (r->head + r->used + 16) % r->cap, data, len);
  r->used += need;
}

/* capture()'s time for "now": the clock is read only when something is capturing. */
#define CAPTURE_NOW INT64_MIN

/*
 * One pcap record (nanosecond format) for `which`: 0 entered, 1 left; to the file and the ring.
 * `mono_ns` is the packet's time, or CAPTURE_NOW.
 */
static void capture(Engine *e, int which, const uint8_t *data, uint32_t len, int64_t mono_ns) {
  FILE *f = e->capture[which];
  Ring *ring = &e->recent[which];
  if (f == NULL && ring->cap == 0) return;
  if (mono_ns == CAPTURE_NOW) mono_ns = monotonic_ns();
  int64_t t = mono_ns + e->realtime_offset_ns;
  uint32_t header[4] = {(uint32_t)(t / 1000000000), (uint32_t)(t % 1000000000), len, len};
  if (f) {
    fwrite(header, sizeof header, 1, f);
    fwrite(data, 1, len, f);
  }
  if (ring->cap) ring_push(ring, header, data, len);
}

/* Writes a packet to the TUN device of its direction's far side. */
static void emit(Engine *e, Packet *p) {
  ssize_t n;
  do n = write(e->tun[write_fd(p->dir)], p->data, p->len);
  while (n < 0 && errno == EINTR);
  uint64_t *c = e->dir_counters[p->dir][p->proto];
  if (n == (ssize_t)p->len) {
    c[D_FORWARDED]++;
    c[D_BYTES_FORWARDED] += p->len;
    capture(e, 1, p->data, p->len, CAPTURE_NOW);
  } else {
    c[D_WRITE_ERRORS]++;
  }
  free(p);
}

static void drop(Engine *e, Packet *p, Rule *r, int action) {
  r->counters[p->proto][action]++;
  note_event(e, p, p->dir, p->at_ns, r, action);
  free(p);
}

// ── the heap of held packets ────────────────────────────────────────────────

static void hold(Engine *e, Packet *p, Rule *r, int64_t due_ns) {
  if (e->heap.size >= MAX_HELD) {
    e->dir_counters[p->dir][p->proto][D_DROPPED_OVERFLOW]++;
    free(p);
    return;
  }
  held_heap_push(&e->heap, (Held){.due_ns = due_ns, .order = e->horder++, .after = r->id, .p = p});
  e->held[p->dir]++;
}

// ── the faults ──────────────────────────────────────────────────────────────

static int matches(const Rule *r, const Packet *p) {
  if (r->ipproto && r->ipproto != p->ipproto) return 0;
  if (r->port && !(p->l4off && (p->sport == r->port || p->dport == r->port))) return 0;
  return 1;
}

/* The loss model of harness/toxics/loss-model.ts: Bernoulli, or Gilbert–Elliott for burst > 1. */
static int lost(Rule *r) {
  if (r->a.burst <= 1) return chance(&r->rng, r->a.probability);
  double enter_bad = r->a.probability >= 1 ? 1 : r->a.probability / (r->a.burst * (1 - r->a.probability));
  double leave_bad = r->a.probability >= 1 ? 0 : 1 / r->a.burst;
  r->bad = r->bad ? !chance(&r->rng, leave_bad) : chance(&r->rng, enter_bad);
  return r->bad;
}

/*
 * Flips one bit where only the transport checksum can notice it: in the payload, or, in a packet
 * without one, in the ports and sequence numbers. Never the IP header (the packet would die as a
 * header error, not a checksum error) nor the transport's length or checksum fields (a UDP
 * checksum flipped to 0 would mean "no checksum"). Returns 0 when there is nothing to flip.
 */
static int corrupt(Rule *r, Packet *p) {
  uint32_t from, to;
  if (p->l4off && p->proto == P_TCP) {
    uint32_t header = (p->data[p->l4off + 12] >> 4) * 4u;
    from = p->l4off + header;
    to = p->len;
    if (from >= to) {
      from = p->l4off;
      to = p->l4off + 12;
    }
  } else if (p->l4off && p->proto == P_UDP) {
    from = p->l4off + 8;
    to = p->len;
    if (from >= to) {
      from = p->l4off;
      to = p->l4off + 4;
    }
  } else {
    from = p->len >= 20 && p->data[0] >> 4 == 4 ? (p->data[0] & 15) * 4u : 40;
    to = p->len;
  }
  if (from >= to) return 0;
  uint64_t bit = (uint64_t)(rng_next(&r->rng) * (double)(to - from) * 8);
  p->data[from + bit / 8] ^= (uint8_t)(1u << (bit % 8));
  return 1;
}

/* The latency fault's due time for a packet: arrival + latency ± jitter, in order unless asked. */
static int64_t latency_due(Rule *r, const Packet *p) {
  int64_t due = p->at_ns + r->a.latency_ns;
  if (r->a.jitter_ns > 0) due += (int64_t)((2 * rng_next(&r->rng) - 1) * (double)r->a.jitter_ns);
  if (due < p->at_ns) due = p->at_ns;
  /* A path keeps order: nothing overtakes unless reordering was asked for. */
  if (!r->a.allow_reorder && due < r->last_due_ns) due = r->last_due_ns;
  if (due > r->last_due_ns) r->last_due_ns = due;
  return due;
}

/*
 * A token bucket in virtual time (GCRA): a packet departs once its bytes are through a link of
 * `rate`, starting when it arrived and the packets before it are through, or up to `bucket` bytes
 * earlier after an idle spell. Departures are in arrival order; packets accepted and not departed
 * yet are the queue, and one that would make it longer than `queue` packets (or `queue_bytes`) is
 * dropped: tail drop.
 */
static int64_t bandwidth_departure(Rule *r, const Packet *p) {
  int64_t t = p->at_ns;
  while (r->ring_size > 0 && r->ring[r->ring_head].depart_ns <= t) {
    r->ring_bytes -= r->ring[r->ring_head].bytes;
    r->ring_head = (r->ring_head + 1) % r->ring_cap;
    r->ring_size--;
  }
  /* held = the one on the wire + those waiting behind it */
  if ((int64_t)r->ring_size > r->a.queue_packets || (r->a.queue_bytes > 0 && r->ring_bytes + p->len > r->a.queue_bytes)) return -1;
  int64_t tx_ns = (int64_t)(p->len * r->a.ns_per_byte);
  int64_t start = r->tat_ns - r->a.bucket_ns > t ? r->tat_ns - r->a.bucket_ns : t;
  r->tat_ns = (r->tat_ns > t ? r->tat_ns : t) + tx_ns;
  if (r->ring_size == r->ring_cap) {
    size_t cap = r->ring_cap ? r->ring_cap * 2 : 256;
    Departure *ring = must(malloc(cap * sizeof *ring));
    for (size_t i = 0; i < r->ring_size; i++) ring[i] = r->ring[(r->ring_head + i) % r->ring_cap];
    free(r->ring);
    r->ring = ring;
    r->ring_head = 0;
    r->ring_cap = cap;
  }
  r->ring[(r->ring_head + r->ring_size++) % r->ring_cap] = (Departure){start + tx_ns, p->len};
  r->ring_bytes += p->len;
  return start + tx_ns;
}

/*
 * Takes a packet down its direction's chain from the fault after `after` (0: the start), until a
 * fault drops or holds it or it reaches the end and leaves. `now` is the clock at this round.
 */
static void advance(Engine *e, Packet *p, uint32_t after, int64_t now) {
  Rule **chain = e->chain[p->dir];
  size_t n = e->chain_len[p->dir];
  for (size_t i = 0; i < n; i++) {
    Rule *r = chain[i];
    if (r->id <= after || !matches(r, p)) continue;
    uint64_t *c = r->counters[p->proto];
    c[F_SEEN]++;
    if (r->toxicity < 1 && !chance(&r->rng, r->toxicity)) continue;
    c[F_ACTIVATIONS]++;
    int64_t due = -1; /* set by the faults that hold packets: when this one may continue */
    switch (r->type) {
      case T_LOSS:
        if (lost(r)) { drop(e, p, r, F_DROPPED_LOSS); return; }
        break;
      case T_BLACKHOLE:
        drop(e, p, r, F_DROPPED_BLACKHOLE);
        return;
      case T_MTU:
        if (p->len > r->a.mtu) { drop(e, p, r, F_DROPPED_MTU); return; }
        break;
      case T_CORRUPT:
        if (chance(&r->rng, r->a.probability) && corrupt(r, p)) c[F_CORRUPTED]++;
        break;
      case T_DUPLICATE:
        if (chance(&r->rng, r->a.probability)) {
          c[F_DUPLICATED]++;
          advance(e, clone_packet(p), r->id, now);
        }
        break;
      case T_LATENCY:
        due = latency_due(r, p);
        if (due > p->at_ns) c[F_DELAYED]++;
        break;
      case T_REORDER:
        if (chance(&r->rng, r->a.probability)) {
          c[F_REORDERED]++;
          due = p->at_ns + r->a.delay_ns;
        }
        break;
      case T_BANDWIDTH:
        due = bandwidth_departure(r, p);
        if (due < 0) { drop(e, p, r, F_DROPPED_QUEUE); return; }
        if (due > p->at_ns) c[F_DELAYED]++;
        break;
    }
    if (due > now) { hold(e, p, r, due); return; }
    /* Due already (the round ran late): it goes on at once, timed from when it was due. */
    if (due >= 0) p->at_ns = due;
  }
  emit(e, p);
}

/* Releases the held packets that are due: each continues with the fault after the one that held it. */
static int release_due(Engine *e, int64_t now) {
  int n = 0;
  while (e->heap.size > 0 && e->heap.items[0].due_ns <= now) {
    Held h = held_heap_pop(&e->heap);
    e->held[h.p->dir]--;
    h.p->at_ns = h.due_ns;
    advance(e, h.p, h.after, now);
    n++;
  }
  return n;
}

// ── reset: forged RSTs ──────────────────────────────────────────────────────

static uint32_t checksum_add(uint32_t sum, const uint8_t *data, size_t len) {
  for (size_t i = 0; i + 1 < len; i += 2) sum += be16(data + i);
  if (len & 1) sum += (uint32_t)data[len - 1] << 8;
  return sum;
}

static uint16_t checksum_fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

/*
 * An RST answering `from` (a packet from the end being reset, IPv4): it appears to come from the
 * other end, with the sequence number `from` acknowledges — the receiver's next expected byte,
 * the only one RFC 5961 accepts outright — and acknowledges what `from` carried.
 */
static void forge_reset(Engine *e, const Packet *from, Rule *r, int64_t now) {
  const uint8_t *d = from->data, *th = d + from->l4off;
  uint8_t rst[40];
  memset(rst, 0, sizeof rst);
  rst[0] = 0x45;
  put16(rst + 2, sizeof rst);
  put16(rst + 6, 0x4000); /* don't fragment */
  rst[8] = 64;
  rst[9] = 6;
  memcpy(rst + 12, d + 16, 4); /* source: the packet's destination */
  memcpy(rst + 16, d + 12, 4);
  put16(rst + 10, checksum_fold(checksum_add(0, rst, 20)));
  uint8_t *t = rst + 20;
  put16(t, from->dport);
  put16(t + 2, from->sport);
  put32(t + 4, be32(th + 8));
  uint32_t payload = from->len - from->l4off - (th[12] >> 4) * 4u;
  uint32_t syn_fin = (th[13] & 0x03) ? 1 : 0;
  put32(t + 8, be32(th + 4) + payload + syn_fin);
  t[12] = 5 << 4;
  t[13] = 0x14; /* RST | ACK */
  uint8_t pseudo[12] = {0};
  memcpy(pseudo, rst + 12, 8);
  pseudo[9] = 6;
  put16(pseudo + 10, 20);
  put16(t + 16, checksum_fold(checksum_add(checksum_add(0, pseudo, sizeof pseudo), t, 20)));
  /* Into the TUN device `from` came out of: the kernel there takes it as from its peer. */
  ssize_t n = write(e->tun[read_fd(from->dir)], rst, sizeof rst);
  int dir = !from->dir;
  if (n == (ssize_t)sizeof rst) {
    e->dir_counters[dir][P_TCP][D_INJECTED]++;
    r->counters[P_TCP][F_RESET_SENT]++;
    capture(e, 1, rst, sizeof rst, CAPTURE_NOW);
  } else {
    e->dir_counters[dir][P_TCP][D_WRITE_ERRORS]++;
  }
  note_event(e, from, dir, now, r, F_RESET_SENT);
}

static uint32_t conn_hash(uint32_t a, uint32_t b, uint16_t ap, uint16_t bp) {
  uint32_t h = a * 0x9e3779b1u ^ rotl32(b * 0x85ebca77u, 13) ^ ((uint32_t)ap << 16 | bp) * 0xc2b2ae3du;
  return h ^ (h >> 15);
}

/* The connection of a TCP packet (IPv4), found or made; NULL when the table is too busy. */
static Conn *connection(Engine *e, const Packet *p, int64_t now) {
  const uint8_t *d = p->data;
  int up = p->dir == UP;
  uint32_t a = be32(d + (up ? 12 : 16)), b = be32(d + (up ? 16 : 12));
  uint16_t ap = up ? p->sport : p->dport, bp = up ? p->dport : p->sport;
  uint32_t h = conn_hash(a, b, ap, bp);
  Conn *free_slot = NULL;
  for (int i = 0; i < CONN_PROBE; i++) {
    Conn *c = &e->conns[(h + i) % CONN_SLOTS];
    if (c->used && c->a_addr == a && c->b_addr == b && c->a_port == ap && c->b_port == bp) {
      c->last_ns = now;
      return c;
    }
    if (!free_slot && (!c->used || now - c->last_ns > CONN_IDLE_NS)) free_slot = c;
  }
  if (!free_slot) return NULL;
  *free_slot = (Conn){.used = 1, .a_addr = a, .b_addr = b, .a_port = ap, .b_port = bp, .last_ns = now};
  return free_slot;
}

/*
 * A reset fault on direction d resets the receiving end R of d's packets: the client for
 * downstream, the target for upstream. It meets a connection at the connection's first packet
 * while it is active (toxicity is decided then, once per connection) and fires `timeout` later, at
 * the next packet *from R* that acknowledges something: that acknowledgement is R's next expected
 * sequence number, which the forged RST carries. If data reached R in between, R answers with a
 * challenge ACK carrying the right number, and the next RST uses it.
 */
static void watch_resets(Engine *e, const Packet *p, int64_t now) {
  if (p->proto != P_TCP || !p->l4off || p->data[0] >> 4 != 4) return;
  Conn *c = NULL;
  uint8_t flags = p->data[p->l4off + 13];
  for (size_t i = 0; i < e->nresets; i++) {
    Rule *r = e->resets[i];
    if (!matches(r, p)) continue;
    if (!c && !(c = connection(e, p, now))) return;
    int slot = -1;
    for (int k = 0; k < RESET_SLOTS && slot < 0; k++) {
      if (c->resets[k].rule == r->id) slot = k;
    }
    for (int k = 0; k < RESET_SLOTS && slot < 0; k++) {
      if (c->resets[k].rule == 0) {
        slot = k;
        c->resets[k].rule = r->id;
        c->resets[k].met_ns = now;
        c->resets[k].on = r->toxicity >= 1 || chance(&r->rng, r->toxicity);
      }
    }
    if (slot < 0) continue;
    r->counters[P_TCP][F_SEEN]++;
    int from_receiver = p->dir != r->dir;
    if (!c->resets[slot].on || !from_receiver || (flags & 0x04) || !(flags & 0x10)) continue;
    if (c->resets[slot].tries == 0) {
      if (now < c->resets[slot].met_ns + r->a.timeout_ns) continue;
      r->counters[P_TCP][F_ACTIVATIONS]++;
    } else if (c->resets[slot].tries >= RESET_TRIES) {
      continue;
    }
    c->resets[slot].tries++;
    forge_reset(e, p, r, now);
  }
}

// ── the thread ──────────────────────────────────────────────────────────────

/* Reads up to READ_BATCH packets from one TUN device and sends each down its chain. */
static int read_batch(Engine *e, int dir) {
  int fd = e->tun[read_fd(dir)], n = 0;
  for (; n < READ_BATCH; n++) {
    ssize_t len = read(fd, e->scratch, sizeof e->scratch);
    if (len <= 0) break; /* EAGAIN: nothing more for now */
    Packet *p = new_packet(e->scratch, (uint32_t)len);
    p->dir = (uint8_t)dir;
    /*
     * After the read, never the round's start: a packet that arrived while this thread was
     * descheduled between the two would otherwise be timed from before it existed, and leave
     * early. TUN devices have no receive timestamps; this is as close as it gets.
     */
    p->at_ns = monotonic_ns();
    p->index = e->arrivals[dir]++;
    classify(p);
    uint64_t *c = e->dir_counters[dir][p->proto];
    c[D_SEEN]++;
    c[D_BYTES_SEEN] += p->len;
    capture(e, 0, p->data, p->len, p->at_ns);
    if (e->nresets > 0) watch_resets(e, p, p->at_ns);
    advance(e, p, 0, p->at_ns);
  }
  return n;
}

static void *run(void *arg) {
  Engine *e = arg;
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  prctl(PR_SET_NAME, "faultline-wire", 0, 0, 0);
  SpinWindow window = {0, monotonic_ns()};
  int64_t last_busy_ns = monotonic_ns();
  struct pollfd fds[3] = {{.fd = e->tun[CLIENT], .events = POLLIN}, {.fd = e->tun[TARGET], .events = POLLIN}, {.fd = e->wake_fd, .events = POLLIN}};
  while (!atomic_load(&e->stop)) {
    pthread_mutex_lock(&e->lock);
    int64_t now = monotonic_ns();
    int moved = release_due(e, now);
    moved += read_batch(e, UP);
    moved += read_batch(e, DOWN);
    int64_t head = e->heap.size > 0 ? e->heap.items[0].due_ns : INT64_MAX;
    pthread_mutex_unlock(&e->lock);
    now = monotonic_ns();
    if (moved > 0) {
      last_busy_ns = now;
      continue;
    }
    int64_t spin = head == INT64_MAX ? 0 : spin_window_ns(&window, head - last_busy_ns);
    /* The last stretch before a due time: go round again (reads included) instead of sleeping. */
    if (head != INT64_MAX && head - now <= spin) continue;
    struct timespec until, *timeout = NULL;
    int64_t wake = head == INT64_MAX ? 0 : head - spin;
    if (head != INT64_MAX) {
      until = (struct timespec){.tv_sec = (wake - now) / 1000000000, .tv_nsec = (wake - now) % 1000000000};
      timeout = &until;
    }
    /* Only a sleep that ran out measures the machine; a packet or a wake-up ends it early. */
    if (ppoll(fds, 3, timeout, NULL) == 0 && timeout) note_wake(&window, wake, monotonic_ns());
    if (fds[2].revents & POLLIN) {
      uint64_t v;
      if (read(e->wake_fd, &v, sizeof v) < 0) {
        /* nothing to do: a wake-up is a wake-up */
      }
    }
  }
  return NULL;
}

static void wake(Engine *e) {
  uint64_t one = 1;
  if (write(e->wake_fd, &one, sizeof one) < 0) {
    /* the counter is saturated: the thread is awake anyway */
  }
}

// ── JavaScript ──────────────────────────────────────────────────────────────

static napi_value throw_invalid(napi_env env, const char *what) {
  napi_throw_type_error(env, NULL, what);
  return NULL;
}

/* What a method needs of its engine: to be running, or to exist (its ledger stays readable after close). */
enum { ENGINE_RUNNING, ENGINE_OPEN_OR_CLOSED };

/*
 * The engine behind `this`, with the call's arguments (up to *argc of them into argv; argc NULL:
 * none). NULL if `this` is no engine, and, with a thrown error, if `need` is ENGINE_RUNNING and
 * the engine is closed.
 */
static Engine *engine_of(napi_env env, napi_callback_info info, int need, size_t *argc, napi_value *argv) {
  napi_value self;
  Engine *e;
  if (napi_get_cb_info(env, info, argc, argv, &self, NULL) != napi_ok || napi_unwrap(env, self, (void **)&e) != napi_ok) return NULL;
  if (need == ENGINE_RUNNING && !e->running) {
    napi_throw_error(env, NULL, "faultline: the wire engine is closed");
    return NULL;
  }
  return e;
}

static void stop_engine(Engine *e) {
  if (!e->running) return;
  atomic_store(&e->stop, 1);
  wake(e);
  pthread_join(e->thread, NULL);
  e->running = 0;
  /* What was still held never left: dropped as by a path that went down. */
  for (size_t i = 0; i < e->heap.size; i++) {
    Packet *p = e->heap.items[i].p;
    e->dir_counters[p->dir][p->proto][D_DROPPED_DOWN]++;
    e->held[p->dir]--;
    free(p);
  }
  e->heap.size = 0;
  for (int i = 0; i < 2; i++) {
    if (e->capture[i]) fclose(e->capture[i]);
    e->capture[i] = NULL;
  }
  close(e->wake_fd);
}

static void finalize_engine(napi_env env, void *data, void *hint) {
  Engine *e = data;
  stop_engine(e);
  for (size_t i = 0; i < e->nrules; i++) {
    free(e->rules[i]->ring);
    free(e->rules[i]);
  }
  free(e->rules);
  free(e->chain[0]);
  free(e->chain[1]);
  free(e->resets);
  free(e->heap.items);
  free(e->conns);
  free(e->recent[0].buf);
  free(e->recent[1].buf);
  pthread_mutex_destroy(&e->lock);
  free(e);
}

/* new WireEngine(clientTunFd, targetTunFd) */
static napi_value Construct(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], self;
  int32_t client, target;
  CHECK(napi_get_cb_info(env, info, &argc, argv, &self, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &client));
  CHECK(napi_get_value_int32(env, argv[1], &target));
  Engine *e = must(calloc(1, sizeof *e));
  e->tun[CLIENT] = client;
  e->tun[TARGET] = target;
  e->conns = must(calloc(CONN_SLOTS, sizeof *e->conns));
  pthread_mutex_init(&e->lock, NULL);
  e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (e->wake_fd < 0) {
    int err = errno;
    free(e->conns);
    free(e);
    return throw_errno(env, err, "eventfd");
  }
  int err = start_thread_unsignalled(&e->thread, run, e);
  if (err != 0) {
    close(e->wake_fd);
    free(e->conns);
    free(e);
    return throw_errno(env, err, "pthread_create");
  }
  e->running = 1;
  CHECK(napi_wrap(env, self, e, finalize_engine, NULL, NULL));
  return self;
}

static double number_or(napi_env env, napi_value object, const char *key, double fallback) {
  napi_value value;
  double number;
  bool has;
  if (napi_has_named_property(env, object, key, &has) != napi_ok || !has) return fallback;
  if (napi_get_named_property(env, object, key, &value) != napi_ok || napi_get_value_double(env, value, &number) != napi_ok) return fallback;
  return number;
}

/* Reads a fault's type-specific attributes (Toxiproxy-style units) into the engine's units. */
static void read_attributes(napi_env env, napi_value attrs, Attributes *a) {
  a->probability = number_or(env, attrs, "probability", 0);
  a->burst = number_or(env, attrs, "burst", 1);
  a->latency_ns = (int64_t)(number_or(env, attrs, "latency", 0) * 1e6);
  a->jitter_ns = (int64_t)(number_or(env, attrs, "jitter", 0) * 1e6);
  a->allow_reorder = number_or(env, attrs, "allow_reorder", 0) != 0;
  a->delay_ns = (int64_t)(number_or(env, attrs, "delay", 10) * 1e6);
  a->timeout_ns = (int64_t)(number_or(env, attrs, "timeout", 0) * 1e6);
  double rate_kb_per_s = number_or(env, attrs, "rate", 1000); /* 1 KB/s = 1000 bytes/s = 1e-6 bytes/ns */
  a->ns_per_byte = 1e6 / rate_kb_per_s;
  a->bucket_ns = (int64_t)(number_or(env, attrs, "bucket", 0) * a->ns_per_byte);
  a->queue_packets = (int64_t)number_or(env, attrs, "queue", 1000);
  a->queue_bytes = (int64_t)number_or(env, attrs, "queue_bytes", 0);
  a->mtu = (int64_t)number_or(env, attrs, "mtu", 1500);
}

/*
 * The chains and the reset list, from the active faults (under the lock). rules[i] is the fault
 * with id i + 1, so each chain comes out in the order its faults were added.
 */
static void rebuild_chains(Engine *e) {
  for (int d = 0; d < 2; d++) {
    e->chain[d] = must(realloc(e->chain[d], (e->nrules + 1) * sizeof(Rule *)));
    e->chain_len[d] = 0;
  }
  e->resets = must(realloc(e->resets, (e->nrules + 1) * sizeof(Rule *)));
  e->nresets = 0;
  for (size_t i = 0; i < e->nrules; i++) {
    Rule *r = e->rules[i];
    if (!r->active) continue;
    if (r->type == T_RESET) e->resets[e->nresets++] = r;
    else e->chain[r->dir][e->chain_len[r->dir]++] = r;
  }
}

/*
 * setFault(id, { type, direction: 0 up | 1 down, protocol: 0 | 6 | 17, port, toxicity,
 * seed: [4 × uint32], attributes }) -> id. id 0 adds a fault at the end of its direction's chain;
 * an existing id updates matching, toxicity and attributes and keeps the fault's random stream
 * and state (a loss burst, a bandwidth queue), as toxic updates do.
 */
static napi_value SetFault(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], value, result;
  uint32_t id;
  Engine *e = engine_of(env, info, ENGINE_RUNNING, &argc, argv);
  if (!e) return NULL;
  CHECK(napi_get_value_uint32(env, argv[0], &id));
  napi_value spec = argv[1], attrs;
  char type_name[32];
  size_t len;
  CHECK(napi_get_named_property(env, spec, "type", &value));
  CHECK(napi_get_value_string_utf8(env, value, type_name, sizeof type_name, &len));
  int type = T_NONE;
  for (int t = 1; t < NTYPES; t++) {
    if (strcmp(type_names[t], type_name) == 0) type = t;
  }
  if (type == T_NONE) return throw_invalid(env, "setFault: unknown fault type");
  if (id > e->nrules || (id > 0 && e->rules[id - 1]->type != type)) return throw_invalid(env, "setFault: no such fault of that type");
  CHECK(napi_get_named_property(env, spec, "attributes", &attrs));
  Rule fresh = {0};
  fresh.type = type;
  fresh.dir = number_or(env, spec, "direction", UP) == DOWN ? DOWN : UP;
  fresh.ipproto = (int)number_or(env, spec, "protocol", 0);
  fresh.port = (int)number_or(env, spec, "port", 0);
  fresh.toxicity = number_or(env, spec, "toxicity", 1);
  read_attributes(env, attrs, &fresh.a);
  if (id == 0) {
    CHECK(napi_get_named_property(env, spec, "seed", &value));
    for (uint32_t i = 0; i < 4; i++) {
      napi_value word;
      CHECK(napi_get_element(env, value, i, &word));
      CHECK(napi_get_value_uint32(env, word, &fresh.rng.s[i]));
    }
    if ((fresh.rng.s[0] | fresh.rng.s[1] | fresh.rng.s[2] | fresh.rng.s[3]) == 0) fresh.rng.s[0] = 1;
  }
  pthread_mutex_lock(&e->lock);
  Rule *r;
  if (id == 0) {
    if (e->nrules == e->cap_rules) {
      e->cap_rules = e->cap_rules ? e->cap_rules * 2 : 16;
      e->rules = must(realloc(e->rules, e->cap_rules * sizeof *e->rules));
    }
    r = must(malloc(sizeof *r));
    *r = fresh;
    r->id = (uint32_t)++e->nrules;
    r->active = 1;
    r->since_ns = monotonic_ns();
    e->rules[r->id - 1] = r;
  } else {
    r = e->rules[id - 1];
    /* matching, toxicity and attributes change; the stream, the state and the counters stay */
    r->dir = fresh.dir;
    r->ipproto = fresh.ipproto;
    r->port = fresh.port;
    r->toxicity = fresh.toxicity;
    r->a = fresh.a; /* read above, outside the lock */
  }
  rebuild_chains(e);
  id = r->id;
  pthread_mutex_unlock(&e->lock);
  wake(e);
  CHECK(napi_create_uint32(env, id, &result));
  return result;
}

/* removeFault(id): off the chain; the packets it holds continue with the faults after it, now. */
static napi_value RemoveFault(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id;
  Engine *e = engine_of(env, info, ENGINE_RUNNING, &argc, argv);
  if (!e) return NULL;
  CHECK(napi_get_value_uint32(env, argv[0], &id));
  if (id == 0 || id > e->nrules) return throw_invalid(env, "removeFault: no such fault");
  pthread_mutex_lock(&e->lock);
  e->rules[id - 1]->active = 0;
  rebuild_chains(e);
  int64_t now = monotonic_ns();
  int moved = 0;
  for (size_t i = 0; i < e->heap.size; i++) {
    if (e->heap.items[i].after == id && e->heap.items[i].due_ns > now) {
      e->heap.items[i].due_ns = now;
      moved = 1;
    }
  }
  if (moved) held_heap_heapify(&e->heap);
  pthread_mutex_unlock(&e->lock);
  wake(e);
  return NULL;
}

/*
 * ledger() -> Float64Array: direction counters [2][NPROTO][NDC], then held[2], then for each
 * fault ever added (by id) its counters [NPROTO][NFC] and whether it is active.
 */
static napi_value Ledger(napi_env env, napi_callback_info info) {
  napi_value result;
  double *out;
  Engine *e = engine_of(env, info, ENGINE_OPEN_OR_CLOSED, NULL, NULL);
  if (!e) return NULL;
  /*
   * Allocated before the lock is taken: the packet thread takes it every round, and must not wait
   * for a V8 allocation (or the collection it sets off). The size depends on nrules only, which
   * only setFault changes, on this thread.
   */
  size_t per_rule = NPROTO * NFC + 1, n = 2 * NPROTO * NDC + 2 + e->nrules * per_rule;
  CHECK(float64_array(env, n, &out, &result));
  pthread_mutex_lock(&e->lock);
  for (int d = 0; d < 2; d++)
    for (int p = 0; p < NPROTO; p++)
      for (int k = 0; k < NDC; k++) *out++ = (double)e->dir_counters[d][p][k];
  *out++ = (double)e->held[UP];
  *out++ = (double)e->held[DOWN];
  for (size_t i = 0; i < e->nrules; i++) {
    for (int p = 0; p < NPROTO; p++)
      for (int k = 0; k < NFC; k++) *out++ = (double)e->rules[i]->counters[p][k];
    *out++ = e->rules[i]->active;
  }
  pthread_mutex_unlock(&e->lock);
  return result;
}

/* events() -> { data: Float64Array(n × NEF), lost }: the events since the last call, oldest first. */
static napi_value Events(napi_env env, napi_callback_info info) {
  napi_value array, result, lost_value;
  double *data;
  Engine *e = engine_of(env, info, ENGINE_OPEN_OR_CLOSED, NULL, NULL);
  if (!e) return NULL;
  /*
   * Copied out under the lock, into JavaScript's array after it: the packet thread takes the lock
   * every round, and must not wait for a V8 allocation (or the collection it sets off).
   */
  pthread_mutex_lock(&e->lock);
  uint64_t lost = 0;
  if (e->events_written - e->events_read > EVENT_RING) {
    lost = e->events_written - e->events_read - EVENT_RING;
    e->events_read = e->events_written - EVENT_RING;
  }
  size_t n = (size_t)(e->events_written - e->events_read);
  Event *copy = must(malloc(n * sizeof *copy + 1));
  for (size_t i = 0; i < n; i++) copy[i] = e->events[(e->events_read + i) % EVENT_RING];
  pthread_mutex_unlock(&e->lock);
  if (float64_array(env, n * NEF, &data, &array) != napi_ok) {
    free(copy);
    napi_throw_error(env, NULL, "faultline: events() could not allocate");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) memcpy(data + i * NEF, copy[i].f, NEF * sizeof(double));
  free(copy);
  /* Taken: events_read is this thread's alone (the packet thread only writes events_written). */
  e->events_read += n;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "data", array));
  CHECK(napi_create_double(env, (double)lost, &lost_value));
  CHECK(napi_set_named_property(env, result, "lost", lost_value));
  return result;
}

static FILE *open_pcap(const char *path) {
  FILE *f = fopen(path, "wbe");
  if (!f) return NULL;
  setvbuf(f, NULL, _IOFBF, 1 << 20);
  /* nanosecond timestamps (magic a1b23c4d), version 2.4, snaplen, LINKTYPE_RAW (bare IP) */
  uint32_t header[6] = {0xa1b23c4du, 2 | (4u << 16), 0, 0, MAX_PACKET, 101};
  fwrite(header, sizeof header, 1, f);
  return f;
}

/* capture(inPath, outPath) starts writing both files; capture(null) stops and flushes them. */
static napi_value Capture(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype type;
  char paths[2][4096];
  size_t len;
  Engine *e = engine_of(env, info, ENGINE_RUNNING, &argc, argv);
  if (!e) return NULL;
  CHECK(napi_typeof(env, argv[0], &type));
  FILE *files[2] = {NULL, NULL};
  if (type == napi_string) {
    for (int i = 0; i < 2; i++) {
      CHECK(napi_get_value_string_utf8(env, argv[i], paths[i], sizeof paths[i], &len));
      files[i] = open_pcap(paths[i]);
      if (!files[i]) {
        int err = errno;
        if (i == 1) fclose(files[0]);
        return throw_errno(env, err, "fopen (capture)");
      }
    }
  }
  int64_t offset = realtime_offset_ns();
  pthread_mutex_lock(&e->lock);
  FILE *old[2] = {e->capture[0], e->capture[1]};
  e->capture[0] = files[0];
  e->capture[1] = files[1];
  e->realtime_offset_ns = offset;
  pthread_mutex_unlock(&e->lock);
  for (int i = 0; i < 2; i++) {
    if (old[i]) fclose(old[i]);
  }
  return NULL;
}

/*
 * keepRecent(bytes): keeps the most recent `bytes` of records of each capture in memory (0: none),
 * for a capture that is saved only when a scenario fails.
 */
static napi_value KeepRecent(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  double bytes;
  Engine *e = engine_of(env, info, ENGINE_RUNNING, &argc, argv);
  if (!e) return NULL;
  CHECK(napi_get_value_double(env, argv[0], &bytes));
  Ring fresh[2] = {{0}, {0}};
  for (int i = 0; bytes >= 16 && i < 2; i++) {
    fresh[i].cap = (size_t)bytes;
    fresh[i].buf = must(malloc(fresh[i].cap));
  }
  int64_t offset = realtime_offset_ns();
  pthread_mutex_lock(&e->lock);
  Ring old[2] = {e->recent[0], e->recent[1]};
  e->recent[0] = fresh[0];
  e->recent[1] = fresh[1];
  if (!e->capture[0]) e->realtime_offset_ns = offset;
  pthread_mutex_unlock(&e->lock);
  free(old[0].buf);
  free(old[1].buf);
  return NULL;
}

/* saveRecent(inPath, outPath): writes what keepRecent kept as two pcap files; capturing goes on. */
static napi_value SaveRecent(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2];
  char path[4096];
  Engine *e = engine_of(env, info, ENGINE_OPEN_OR_CLOSED, &argc, argv);
  if (!e) return NULL;
  for (int i = 0; i < 2; i++) {
    /* A copy under the lock, the writing without it: the engine waits for a memcpy only. */
    pthread_mutex_lock(&e->lock);
    Ring snapshot = {.cap = e->recent[i].used, .used = e->recent[i].used};
    snapshot.buf = must(malloc(snapshot.cap + 1));
    if (e->recent[i].used) ring_copy(&e->recent[i], e->recent[i].head, snapshot.buf, snapshot.used);
    pthread_mutex_unlock(&e->lock);
    CHECK(napi_get_value_string_utf8(env, argv[i], path, sizeof path, &len));
    FILE *f = open_pcap(path);
    int err = errno;
    if (f) {
      fwrite(snapshot.buf, 1, snapshot.used, f);
      if (fclose(f) != 0) err = errno, f = NULL;
    }
    free(snapshot.buf);
    if (!f) return throw_errno(env, err, "saveRecent");
  }
  return NULL;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  Engine *e = engine_of(env, info, ENGINE_OPEN_OR_CLOSED, NULL, NULL);
  if (!e) return NULL;
  stop_engine(e);
  return NULL;
}

static napi_value string_array(napi_env env, const char *const *names, size_t n) {
  napi_value array, name;
  if (napi_create_array_with_length(env, n, &array) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &name) != napi_ok || napi_set_element(env, array, (uint32_t)i, name) != napi_ok) return NULL;
  }
  return array;
}

napi_value wire_engine_init(napi_env env, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"setFault", NULL, SetFault, NULL, NULL, NULL, napi_default, NULL},
      {"removeFault", NULL, RemoveFault, NULL, NULL, NULL, napi_default, NULL},
      {"ledger", NULL, Ledger, NULL, NULL, NULL, napi_default, NULL},
      {"events", NULL, Events, NULL, NULL, NULL, napi_default, NULL},
      {"capture", NULL, Capture, NULL, NULL, NULL, napi_default, NULL},
      {"keepRecent", NULL, KeepRecent, NULL, NULL, NULL, napi_default, NULL},
      {"saveRecent", NULL, SaveRecent, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value cls, layout, names;
  CHECK(napi_define_class(env, "WireEngine", NAPI_AUTO_LENGTH, Construct, NULL, sizeof methods / sizeof methods[0], methods, &cls));
  CHECK(napi_set_named_property(env, exports, "WireEngine", cls));
  /* The engine's vocabulary, so that JavaScript decodes ledger() and events() by name. */
  CHECK(napi_create_object(env, &layout));
  if (!(names = string_array(env, protocol_names, NPROTO))) return NULL;
  CHECK(napi_set_named_property(env, layout, "protocols", names));
  if (!(names = string_array(env, direction_counter_names, NDC))) return NULL;
  CHECK(napi_set_named_property(env, layout, "directionCounters", names));
  if (!(names = string_array(env, fault_counter_names, NFC))) return NULL;
  CHECK(napi_set_named_property(env, layout, "faultCounters", names));
  if (!(names = string_array(env, type_names + 1, NTYPES - 1))) return NULL;
  CHECK(napi_set_named_property(env, layout, "faultTypes", names));
  if (!(names = string_array(env, event_field_names, NEF))) return NULL;
  CHECK(napi_set_named_property(env, layout, "eventFields", names));
  CHECK(napi_set_named_property(env, exports, "wireLayout", layout));
  return exports;
}
