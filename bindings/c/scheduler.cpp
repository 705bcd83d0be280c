// SPDX-License-Identifier: MIT
// The scheduler entry points of <slp/slp.h>: schedule, the watchdog run,
// ticks, the switch trap, configuration, and calling from "outside".
#include "slp/scheduler.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "c_functions.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "slp/config.hpp"
#include "slp/slp.h"

using slp::c_binding::adopt;
using slp::c_binding::as_int;
using slp::c_binding::check_not_killed;
using slp::c_binding::fail;
using slp::c_binding::guarded;
using slp::c_binding::guarded_status;

namespace {

// run_with: slp::run with the C arguments; the interrupted tasklet to
// *interrupted or back into the runnables.
void run_with(const char* operation, long timeout, long long budget_ns,
              int flags, slp_tasklet** interrupted) {
  if (interrupted != nullptr) *interrupted = nullptr;
  check_not_killed();
  if (timeout < 0) fail(operation, "the timeout is negative");
  if (budget_ns < 0) fail(operation, "the time budget is negative");
  constexpr int known = SLP_WATCHDOG_THREADBLOCK | SLP_WATCHDOG_SOFT |
                        SLP_WATCHDOG_IGNORE_NESTING | SLP_WATCHDOG_TOTALTIMEOUT;
  if ((flags & ~known) != 0) {
    fail(operation,
         ("unknown flag bits " + std::to_string(flags & ~known)).c_str());
  }
  slp::run_options options;
  options.timeout = static_cast<std::uint64_t>(timeout);
  options.threadblock = (flags & SLP_WATCHDOG_THREADBLOCK) != 0;
  options.soft = (flags & SLP_WATCHDOG_SOFT) != 0;
  options.ignore_nesting = (flags & SLP_WATCHDOG_IGNORE_NESTING) != 0;
  options.totaltimeout = (flags & SLP_WATCHDOG_TOTALTIMEOUT) != 0;
  options.time_budget = std::chrono::nanoseconds(budget_ns);
  std::optional<slp::tasklet> victim = slp::run(options);
  if (!victim) return;
  if (interrupted != nullptr) {
    *interrupted = adopt(*victim);
  } else {
    victim->insert();
  }
}

}  // namespace

extern "C" {

int slp_schedule(int remove) {
  static constexpr const char* op = "slp_schedule";
  return guarded_status(op, [&] {
    check_not_killed();
    if (remove != 0) {
      slp::schedule_remove();
    } else {
      slp::schedule();
    }
  });
}

int slp_schedule_nice(int remove) { return slp_schedule(remove); }

int slp_get_run_count(void) {
  static constexpr const char* op = "slp_get_run_count";
  return guarded(op, -1, [&] { return static_cast<int>(slp::run_count()); });
}

slp_tasklet* slp_get_current(void) {
  static constexpr const char* op = "slp_get_current";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(slp::current()); });
}

slp_tasklet* slp_get_main(void) {
  static constexpr const char* op = "slp_get_main";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(slp::main_tasklet()); });
}

int slp_run_watchdog(long timeout, slp_tasklet** interrupted) {
  static constexpr const char* op = "slp_run_watchdog";
  return guarded_status(op, [&] { run_with(op, timeout, 0, 0, interrupted); });
}

int slp_run_watchdog_ex(long timeout, int flags, slp_tasklet** interrupted) {
  static constexpr const char* op = "slp_run_watchdog_ex";
  return guarded_status(op,
                        [&] { run_with(op, timeout, 0, flags, interrupted); });
}

int slp_run_watchdog_budget(long timeout, long long budget_ns, int flags,
                            slp_tasklet** interrupted) {
  static constexpr const char* op = "slp_run_watchdog_budget";
  return guarded_status(
      op, [&] { run_with(op, timeout, budget_ns, flags, interrupted); });
}

int slp_tick(unsigned long n) {
  static constexpr const char* op = "slp_tick";
  return guarded_status(op, [&] {
    check_not_killed();
    slp::tick(n);
  });
}

int slp_switch_trap(int delta, int* old_level) {
  static constexpr const char* op = "slp_switch_trap";
  return guarded_status(op, [&] {
    const int old = slp::switch_trap(delta);
    if (old_level != nullptr) *old_level = old;
  });
}

int slp_configure(size_t stack_size, size_t stack_count) {
  static constexpr const char* op = "slp_configure";
  return guarded_status(op, [&] {
    slp::config cfg;
    cfg.stack_size = stack_size;
    cfg.stack_count = stack_count;
    slp::configure(cfg);
  });
}

int slp_has_main(void) { return as_int(slp::has_scheduler()); }

int slp_call_main(slp_function fn, void* arg) {
  static constexpr const char* op = "slp_call_main";
  const int status = guarded_status(op, [&] {
    if (fn == nullptr) fail(op, "the function is NULL");
    (void)slp::main_tasklet();  // outside: the caller becomes main
  });
  if (status != 0) return status;
  fn(arg);
  return 0;
}

}  // extern "C"
