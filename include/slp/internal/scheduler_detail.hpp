// SPDX-License-Identifier: MIT
// slp internals — the plumbing behind <slp/scheduler.hpp>: the symbols of
// the entry points that switch, and the per-thread tick counter that
// slp::tick() counts in. Not part of the API.
#ifndef SLP_INTERNAL_SCHEDULER_DETAIL_HPP
#define SLP_INTERNAL_SCHEDULER_DETAIL_HPP

#include <cstdint>

#include "slp/internal/switch_entry.hpp"

namespace slp {

// The first declarations of the entry points that switch, which give them
// their thunks' symbols; <slp/scheduler.hpp> declares them for the reader.
void schedule() SLP_SWITCH_ENTRY(schedule);
void schedule_remove() SLP_SWITCH_ENTRY(schedule_remove);

namespace detail {

// tick_counter: this thread's ticks and the count at which the watchdog
// must look (never reached while no watchdog is active).
struct tick_counter {
  std::uint64_t count;
  std::uint64_t watermark;
};
extern __thread tick_counter thread_ticks
    __attribute__((tls_model("initial-exec")));
void tick_exceeded();

// count_ticks: what slp::tick(n) does: counts, and calls the watchdog's
// check only when its mark is passed.
inline void count_ticks(std::uint64_t n) {
  tick_counter& t = thread_ticks;
  t.count += n;
  if (t.count > t.watermark) tick_exceeded();
}

}  // namespace detail
}  // namespace slp

#endif  // SLP_INTERNAL_SCHEDULER_DETAIL_HPP
