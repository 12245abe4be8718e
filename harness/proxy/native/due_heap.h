/*
 * The min-heap that the threads releasing things on time keep what waits in: the UDP sender
 * thread (udp_timed.c) holds datagrams by pointer, the wire engine (wire_engine.c) holds packets
 * by value. Both order by due time, then by hand-over order, so that equal due times leave in the
 * order they came; each file says so in the comparison it gives.
 *
 * DUE_HEAP(Name, prefix, T, BEFORE, FIRST_CAP) declares, for elements of type T:
 *
 *   typedef struct { T *items; size_t size, cap; } Name;   zeroed: an empty heap
 *   prefix_push(Name *h, T x)        adds x; the array starts at FIRST_CAP and then doubles
 *   T prefix_pop(Name *h)            takes out the earliest (h->size > 0)
 *   prefix_sift_down(Name *h, i)     moves items[i] down to its place
 *   prefix_heapify(Name *h)          restores the order after items were changed or removed
 *                                    in place (a due time moved, a selection taken out)
 *
 * BEFORE(a, b), on two elements, says whether a leaves before b. items[0] is the earliest. The
 * array grows with must(realloc(…)), so udp_native.h comes first; free(h->items) at the end.
 */
#ifndef FAULTLINE_DUE_HEAP_H
#define FAULTLINE_DUE_HEAP_H

#include <stddef.h>
#include <stdlib.h>

#define DUE_HEAP(Name, prefix, T, BEFORE, FIRST_CAP)                                              \
  typedef struct {                                                                                \
    T *items;                                                                                     \
    size_t size, cap;                                                                             \
  } Name;                                                                                         \
                                                                                                  \
  static inline void prefix##_sift_down(Name *h, size_t i) {                                      \
    for (;;) {                                                                                    \
      size_t least = i, l = 2 * i + 1, r = l + 1;                                                 \
      if (l < h->size && BEFORE(h->items[l], h->items[least])) least = l;                         \
      if (r < h->size && BEFORE(h->items[r], h->items[least])) least = r;                         \
      if (least == i) return;                                                                     \
      T tmp = h->items[i];                                                                        \
      h->items[i] = h->items[least];                                                              \
      h->items[least] = tmp;                                                                      \
      i = least;                                                                                  \
    }                                                                                             \
  }                                                                                               \
                                                                                                  \
  static inline void prefix##_push(Name *h, T x) {                                                \
    if (h->size == h->cap) {                                                                      \
      h->cap = h->cap ? h->cap * 2 : (FIRST_CAP);                                                 \
      h->items = must(realloc(h->items, h->cap * sizeof *h->items));                              \
    }                                                                                             \
    /* Up from the new last leaf: the parents x leaves before move down one level each. */       \
    size_t i = h->size++;                                                                         \
    while (i > 0 && BEFORE(x, h->items[(i - 1) / 2])) {                                           \
      h->items[i] = h->items[(i - 1) / 2];                                                        \
      i = (i - 1) / 2;                                                                            \
    }                                                                                             \
    h->items[i] = x;                                                                              \
  }                                                                                               \
                                                                                                  \
  static inline T prefix##_pop(Name *h) {                                                         \
    T top = h->items[0];                                                                          \
    h->items[0] = h->items[--h->size];                                                            \
    prefix##_sift_down(h, 0);                                                                     \
    return top;                                                                                   \
  }                                                                                               \
                                                                                                  \
  /* Bottom-up (Floyd): every parent, the last first, sifted down; linear in h->size. */          \
  static inline void prefix##_heapify(Name *h) {                                                  \
    for (size_t i = h->size / 2; i-- > 0;) prefix##_sift_down(h, i);                              \
  }

#endif
