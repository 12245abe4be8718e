/*
 * The learnt polling window shared by the threads that release things on time: the UDP sender
 * thread (udp_timed.c) and the wire engine (wire_engine.c). Such a thread sleeps until shortly
 * before a due time and then polls the clock, so that a late wake-up costs CPU instead of
 * accuracy. How shortly is learnt from the machine (SpinWindow).
 */
#ifndef FAULTLINE_SPIN_WINDOW_H
#define FAULTLINE_SPIN_WINDOW_H

#include <math.h>
#include <stdint.h>

#define SPIN_MIN_NS 250000
#define SPIN_MAX_NS 1000000
#define SPIN_MARGIN_NS 100000
#define LATE_HALF_LIFE_NS 10e9

/*
 * The polling window: the latest wake-up seen recently (a maximum that halves every
 * LATE_HALF_LIFE_NS) plus a margin, within [SPIN_MIN_NS, SPIN_MAX_NS]. On an idle 2-vCPU VM a
 * sleeping thread wakes 0.15 ms late at the median, 0.35 ms at p99 and now and then over 1 ms;
 * with a fixed 0.25 ms window such wake-ups released 1–1.5 % of the latency toxic's datagrams
 * 0.3–1.5 ms late, enough to decide its p99 (docs/performance.md). There the window settles at
 * the ceiling; a quiet machine keeps it at the floor, so the price, at most one window of CPU per
 * distinct due time, is paid only where it buys accuracy.
 */
typedef struct {
  double late_ns; /* decaying maximum of how late a timed sleep ended */
  int64_t at_ns;  /* when late_ns was last decayed */
} SpinWindow;

/*
 * `idle_ns`: how long the thread will have had nothing to send by the due time. The window takes
 * at most a quarter of it, never less than the floor: due times a millisecond or so apart then
 * cost no more spinning than the floor does (measured at 1000 datagrams/s through a 50 ms
 * latency toxic: the proxy's CPU 30 % of a core with a fixed 0.25 ms window, 32 % with this one,
 * 55 % when the window could take half), while sparse traffic, where one late release shows,
 * gets the whole window (at 100 datagrams/s: 5 % against 12 %).
 */
static inline int64_t spin_window_ns(const SpinWindow *w, int64_t idle_ns) {
  int64_t ns = (int64_t)w->late_ns + SPIN_MARGIN_NS;
  if (ns > SPIN_MAX_NS) ns = SPIN_MAX_NS;
  if (ns > idle_ns / 4) ns = idle_ns / 4;
  return ns < SPIN_MIN_NS ? SPIN_MIN_NS : ns;
}

static inline void note_wake(SpinWindow *w, int64_t asked_ns, int64_t woke_ns) {
  w->late_ns *= exp2((double)(w->at_ns - woke_ns) / LATE_HALF_LIFE_NS);
  w->at_ns = woke_ns;
  double late = (double)(woke_ns - asked_ns);
  if (late > w->late_ns) w->late_ns = late;
}

#endif
