// SPDX-License-Identifier: MIT
// slp — the watchdog of one thread (API.md §5): the stack of tasklets
// inside run(), innermost last, and the budget of the outermost run() that
// has a timeout or a time budget: when the next tick() must look, whether
// the running tasklet has used up its budget, and whether it may be
// interrupted now. The scheduler does the switching.
#ifndef SLP_CORE_WATCHDOG_HPP
#define SLP_CORE_WATCHDOG_HPP

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/tasklet_impl.hpp"
#include "slp/scheduler.hpp"

namespace slp::core {

class watchdog {
 public:
  // --- the stack of run() callers ---
  // innermost: the tasklet inside the innermost run(), or `main`.
  [[nodiscard]] tasklet_impl& innermost(tasklet_impl& main) const noexcept {
    return callers_.empty() ? main : *callers_.back();
  }
  void push(tasklet_impl& caller) { callers_.push_back(&caller); }
  std::vector<tasklet_impl*>& callers() noexcept { return callers_; }

  // --- the budget ---
  [[nodiscard]] bool active() const noexcept { return active_; }
  [[nodiscard]] tasklet_impl& owner() const noexcept { return *owner_; }
  [[nodiscard]] const run_options& options() const noexcept { return options_; }
  // arm: `owner` enters the outermost run() with a budget.
  void arm(tasklet_impl& owner, const run_options& options,
           std::chrono::steady_clock::time_point now) noexcept;
  // disarm: that run() returns; the tasklet it interrupted (a reference),
  // or null.
  tasklet_impl* disarm() noexcept;
  // rearm: where the next tick() must stop to look: a per-tasklet budget
  // restarts at every switch; a total one does not; a time budget is
  // checked at every tick.
  void rearm() noexcept;
  // exhausted: at a tick past the watermark: the budget is used up (else
  // the watermark is moved on).
  [[nodiscard]] bool exhausted() noexcept;

  // The tasklet a hard interrupt paused (a reference), for run() to return.
  tasklet_impl* interrupted = nullptr;
  // A soft interrupt waits for the next switch.
  bool soft_pending = false;

 private:
  std::vector<tasklet_impl*> callers_;
  bool active_ = false;
  tasklet_impl* owner_ = nullptr;  // the tasklet inside that run()
  run_options options_;
  std::uint64_t total_mark_ = 0;  // totaltimeout: the budget's end
  std::chrono::steady_clock::time_point deadline_{};
};

}  // namespace slp::core

#endif  // SLP_CORE_WATCHDOG_HPP
