// SPDX-License-Identifier: MIT
// slp — the library's side door to the public handles: a tasklet,
// channel_ref or tasklet_view made from a core object, and the object
// behind a handle. The handles' constructors from objects are private and
// befriend this struct alone, so that users never see them.
#ifndef SLP_CORE_HANDLE_ACCESS_HPP
#define SLP_CORE_HANDLE_ACCESS_HPP

#include "slp/channel.hpp"
#include "slp/hooks.hpp"
#include "slp/tasklet.hpp"

namespace slp::core {

struct handle_access {
  // adopt: a handle that takes over one reference the caller holds.
  static tasklet adopt(tasklet_impl* t) noexcept { return tasklet(t); }
  static channel_ref adopt(channel_state* ch) noexcept {
    return channel_ref(ch);
  }
  // view: a non-owning view of `t` (null: of no tasklet).
  static tasklet_view view(tasklet_impl* t) noexcept { return tasklet_view(t); }
  // impl, state: the object behind a handle.
  static tasklet_impl* impl(const tasklet& t) noexcept { return t.impl_; }
  static channel_state* state(const channel_ref& ch) noexcept {
    return ch.state_;
  }
};

}  // namespace slp::core

#endif  // SLP_CORE_HANDLE_ACCESS_HPP
