// slp — the hooks of <slp/hooks.hpp> as the scheduler reads them: one
// immutable set, published through one atomic pointer, so that a switch
// with no hook installed pays one load and one branch.
#ifndef SLP_CORE_HOOK_SET_HPP
#define SLP_CORE_HOOK_SET_HPP

#include <atomic>

#include "slp/hooks.hpp"

namespace slp::core {

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

}  // namespace slp::core

#endif  // SLP_CORE_HOOK_SET_HPP
