// SPDX-License-Identifier: MIT
// slp — monitoring hooks: see every channel operation and every switch.
//
// Hooks are process-wide and fire in every thread. Each setter returns the
// previous hook; an empty one removes it. Inside a hook no switch and no
// channel operation is allowed (slp::error).
//
// Example:
//   std::size_t switches = 0;
//   slp::set_schedule_fasthook(
//       [](void* n, slp::tasklet_view, slp::tasklet_view) {
//         ++*static_cast<std::size_t*>(n);
//       },
//       &switches);
#ifndef SLP_HOOKS_HPP
#define SLP_HOOKS_HPP

#include <cstdint>
#include <functional>
#include <optional>

#include "slp/channel.hpp"
#include "slp/tasklet.hpp"

namespace slp {

// channel_callback: before every send and receive (each element of
// send_sequence and each iteration step too), with the caller `t` and the
// would-block decision. An exception from it propagates out of the channel
// operation before anything changed.
using channel_callback = std::function<void(
    const channel_ref& ch, const tasklet& t, bool sending, bool will_block)>;
channel_callback set_channel_callback(channel_callback callback);
[[nodiscard]] channel_callback get_channel_callback();

// schedule_callback: on every real switch (from, to); when a thread's main
// tasklet starts (nullopt, main); when a tasklet dies (dying, nullopt) and
// then (nullopt, next). An exception from it goes to the error handler, or
// to stderr, and the switch proceeds.
using schedule_callback = std::function<void(const std::optional<tasklet>& from,
                                             const std::optional<tasklet>& to)>;
schedule_callback set_schedule_callback(schedule_callback callback);
[[nodiscard]] schedule_callback get_schedule_callback();

// tasklet_view: a non-owning look at a tasklet, valid during the hook call.
class tasklet_view {
 public:
  // tasklet_view: a view of no tasklet (false).
  tasklet_view() noexcept = default;
  explicit operator bool() const noexcept { return impl_ != nullptr; }
  [[nodiscard]] std::uint64_t id() const noexcept;
  [[nodiscard]] bool is_main() const noexcept;
  [[nodiscard]] const std::string& name() const noexcept;
  // lock: an owning handle, to keep beyond the call.
  [[nodiscard]] std::optional<tasklet> lock() const;

 private:
  friend struct core::handle_access;
  explicit tasklet_view(core::tasklet_impl* impl) noexcept : impl_(impl) {}

  core::tasklet_impl* impl_ = nullptr;
};

// schedule_fasthook: the same points as the schedule callback, through a
// plain function pointer: no allocation, locking or reference counting.
using schedule_fasthook = void (*)(void* user, tasklet_view from,
                                   tasklet_view to);
struct fasthook {
  schedule_fasthook fn = nullptr;
  void* user = nullptr;
};
fasthook set_schedule_fasthook(schedule_fasthook fn, void* user);
[[nodiscard]] fasthook get_schedule_fasthook();

}  // namespace slp

#endif  // SLP_HOOKS_HPP
