// SPDX-License-Identifier: MIT
// slp — the park/wake seam: what a tasklet can wait on.
//
// A tasklet that waits is parked at a wait_site: a channel today, a timer
// or a descriptor tomorrow. The tasklet records where (its `waiting_on`)
// and how (its `blocked` code: +1 or -1 for a channel's send or receive,
// other codes for other kinds), which together make its small tagged
// "what am I waiting on" record. The scheduler never looks inside a site:
// when a waiter must be woken from outside (kill, throw_exception, the
// thread's end) or a failed switch must be undone, it goes through the
// site's operations table, which takes the site's own lock.
//
// Parking and waking themselves are scheduler calls (core/scheduler.hpp:
// park(), and the wake placements): a new kind of waiting is a new file
// with a site type that fills in these operations.
//
// Example (a site that keeps one waiter):
//   struct doorbell : wait_site {
//     doorbell() : wait_site(doorbell_ops) {}
//     tasklet_impl* waiter = nullptr;
//   };
#ifndef SLP_CORE_WAIT_SITE_HPP
#define SLP_CORE_WAIT_SITE_HPP

#include <cstdint>

namespace slp::core {

struct tasklet_impl;
struct wait_site;

// wait_kind: what a parked tasklet waits for (for diagnostics and dumps).
// (time and descriptor: API.md §10, core/reactor.hpp)
enum class wait_kind : std::uint8_t { channel, time, descriptor };

// wait_place: where a waiter was in its site: right after `after` (first
// if null), with code `how`.
struct wait_place {
  tasklet_impl* after;
  int how;
};

// wait_site_ops: how the scheduler reaches into a site it knows nothing
// else about. Each function takes the site's lock itself.
struct wait_site_ops {
  wait_kind kind;
  // cancel: `t` stops waiting at the site, if it still does (another
  // thread may have woken it first); true if it did, and then `*was` (if
  // not null) says where it was. Its `waiting_on` is null and its
  // `blocked` code 0 afterwards.
  bool (*cancel)(wait_site& site, tasklet_impl& t, wait_place* was) noexcept;
  // put_back: undoes a wake of `t` that no switch followed: it waits
  // again where it was.
  void (*put_back)(wait_site& site, tasklet_impl& t, wait_place was) noexcept;
};

struct wait_site {
  explicit constexpr wait_site(const wait_site_ops& site_ops) noexcept
      : ops(&site_ops) {}
  [[nodiscard]] wait_kind kind() const noexcept { return ops->kind; }

  const wait_site_ops* ops;

 protected:
  ~wait_site() = default;
};

}  // namespace slp::core

#endif  // SLP_CORE_WAIT_SITE_HPP
