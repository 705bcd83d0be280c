// SPDX-License-Identifier: MIT
// slp — the watchdog's budget (core/watchdog.hpp).
#include "core/watchdog.hpp"

#include <utility>

namespace slp::core {

void watchdog::arm(tasklet_impl& owner, const run_options& options,
                   std::chrono::steady_clock::time_point now) noexcept {
  active_ = true;
  owner_ = &owner;
  options_ = options;
  total_mark_ = detail::thread_ticks.count + options.timeout;
  deadline_ = now + options.time_budget;
  interrupted = nullptr;
  soft_pending = false;
}

tasklet_impl* watchdog::disarm() noexcept {
  active_ = false;
  rearm();
  return std::exchange(interrupted, nullptr);
}

void watchdog::rearm() noexcept {
  detail::tick_counter& ticks = detail::thread_ticks;
  if (!active_) {
    ticks.watermark = ~std::uint64_t{0};
    return;
  }
  std::uint64_t mark = ~std::uint64_t{0};
  if (options_.timeout != 0) {
    mark = options_.totaltimeout ? total_mark_ : ticks.count + options_.timeout;
  }
  if (options_.time_budget.count() != 0) mark = ticks.count;
  ticks.watermark = mark;
}

bool watchdog::exhausted() noexcept {
  detail::tick_counter& ticks = detail::thread_ticks;
  if (!active_) {
    rearm();
    return false;
  }
  const bool out_of_ticks =
      options_.timeout != 0 &&
      ticks.count > (options_.totaltimeout ? total_mark_ : ticks.watermark);
  const bool out_of_time = options_.time_budget.count() != 0 &&
                           std::chrono::steady_clock::now() >= deadline_;
  if (!out_of_ticks && !out_of_time) {
    if (options_.time_budget.count() == 0) rearm();
    return false;
  }
  return true;
}

}  // namespace slp::core
