// SPDX-License-Identifier: MIT
// slp — the hooks of <slp/hooks.hpp> as the scheduler reads them: one
// immutable set, published through one atomic pointer, so that a switch
// with no hook installed pays one load and one branch; and one thread's
// dispatch of them, which refuses switches and channel operations while a
// hook runs.
#ifndef SLP_CORE_HOOK_SET_HPP
#define SLP_CORE_HOOK_SET_HPP

#include <atomic>

#include "core/handle_access.hpp"
#include "slp/hooks.hpp"

namespace slp::core {

struct channel_state;
struct tasklet_impl;

struct hook_set {
  channel_callback channel;
  schedule_callback schedule;
  fasthook fast;
  [[nodiscard]] bool empty() const noexcept {
    return !channel && !schedule && fast.fn == nullptr;
  }
};

// published_hooks: the set in force, or null when no hook is installed.
// Replacing a hook publishes a new set (core/hooks.cpp); old sets stay
// allocated until the process ends, because another thread may be calling
// through one right now.
// Hidden: read at its own address, not through the GOT, at every switch.
extern std::atomic<const hook_set*> published_hooks
    __attribute__((visibility("hidden")));

// hook_dispatch: one thread's calls of the hooks in force.
class hook_dispatch {
 public:
  // running: a hook of this thread runs now (always inside a section of
  // the thread's gate, core/owner_gate.hpp).
  [[nodiscard]] bool running() const noexcept { return in_hook_; }
  // schedule: a switch from `from` to `to` (either null at a tasklet's
  // start or end); an exception from the callback is reported, not raised.
  void schedule(tasklet_impl* from, tasklet_impl* to) noexcept {
    const hook_set* h = published_hooks.load(std::memory_order_acquire);
    if (h == nullptr) return;
    if (h->schedule) {
      call_schedule_hooks(*h, from, to);
    } else if (h->fast.fn != nullptr) {  // the fast hook alone: inline
      in_hook_ = true;
      h->fast.fn(h->fast.user, handle_access::view(from),
                 handle_access::view(to));
      in_hook_ = false;
    }
  }
  // channel: the channel callback, before a channel operation of `t` does
  // anything; its exception propagates out of the operation.
  void channel(channel_state& ch, tasklet_impl& t, bool sending,
               bool will_block);

 private:
  void call_schedule_hooks(const hook_set& h, tasklet_impl* from,
                           tasklet_impl* to) noexcept;

  bool in_hook_ = false;
};

}  // namespace slp::core

#endif  // SLP_CORE_HOOK_SET_HPP
