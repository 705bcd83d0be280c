// SPDX-License-Identifier: MIT
// slp — the per-thread scheduler: the runnables, schedule(), run() and the
// guards.
//
// Each OS thread has its own scheduler, created on first use; the thread's
// original flow of control is its main tasklet. Runnables form a ring whose
// head is the current tasklet; insertion is at the tail, just before it.
//
// Example:
//   std::vector<std::string> log;
//   for (const char* who : {"a", "b"}) {
//     slp::tasklet{[&log, who] {
//       for (int i = 0; i < 2; ++i) { log.push_back(who); slp::schedule(); }
//     }}();
//   }
//   slp::run();  // log == {"a", "b", "a", "b"}
#ifndef SLP_SCHEDULER_HPP
#define SLP_SCHEDULER_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <optional>

#include "slp/internal/scheduler_detail.hpp"
#include "slp/tasklet.hpp"

namespace slp {

// run_options: how slp::run() watches the tasklets it runs (Stackless'
// run(timeout, threadblock, soft, ignore_nesting, totaltimeout)).
struct run_options {
  // timeout: ticks (slp::tick) a tasklet may run without switching before
  // it is interrupted; 0 = no watchdog.
  std::uint64_t timeout = 0;
  // threadblock: when nothing is runnable, wait for work from other
  // threads instead of returning (until no thread could send any).
  bool threadblock = false;
  // soft: interrupt by switching to the watchdog, removing nobody.
  bool soft = false;
  // ignore_nesting: interrupt even while nesting_level() > 0.
  bool ignore_nesting = false;
  // totaltimeout: `timeout` is one budget for the whole run().
  bool totaltimeout = false;
  // time_budget: a wall-clock budget checked at the same points; 0 = none.
  std::chrono::nanoseconds time_budget{0};
};

// current: the running tasklet of this thread.
[[nodiscard]] tasklet current();
// main_tasklet: this thread's main tasklet.
[[nodiscard]] tasklet main_tasklet();
// has_scheduler: whether the calling thread's scheduler, and so its main
// tasklet, exists yet. Never creates it (every other call here does).
[[nodiscard]] bool has_scheduler() noexcept;
// run_count: runnable tasklets, the current one included (>= 1).
[[nodiscard]] std::size_t run_count();

// schedule: moves the caller to the tail of the runnables and runs the
// next; returns when the caller runs again. No switch if it is alone.
void schedule();
// schedule_remove: like schedule(), but the caller becomes paused until
// someone insert()s or run()s it.
void schedule_remove();

// run: the caller becomes a watchdog: it leaves the runnables and runs the
// others until they are all done or blocked, an uncaught exception arrives
// (rethrown here), or someone wakes it (main_tasklet().run() / insert()).
// Returns the interrupted tasklet after a watchdog interrupt, else nullopt.
std::optional<tasklet> run(const run_options& options = {});

// tick: a preemption point; counts `n` ticks for the watchdog of
// slp::run(). The running tasklet may be interrupted here (API.md §5).
inline void tick(std::uint64_t n = 1) { detail::count_ticks(n); }

// switch_trap: adds `delta` to the thread's switch-trap level and returns
// the old level; while it is above 0 every real switch throws
// slp::switch_trap_error.
int switch_trap(int delta);

// set_error_handler: called in a dying tasklet with its uncaught exception;
// returning swallows it, throwing replaces it. Process-wide; returns the
// previous handler (empty for none).
std::function<void(std::exception_ptr)> set_error_handler(
    std::function<void(std::exception_ptr)> handler);

// atomic_guard: makes the current tasklet atomic for its scope (restores
// the old value on exit; nests).
class atomic_guard {
 public:
  atomic_guard();
  ~atomic_guard();
  atomic_guard(const atomic_guard&) = delete;
  atomic_guard& operator=(const atomic_guard&) = delete;

 private:
  tasklet tasklet_;
  bool old_;
};

// nesting_guard: raises the current tasklet's nesting level for its scope:
// code that must not be preempted unless ignore_nesting is set.
class nesting_guard {
 public:
  nesting_guard();
  ~nesting_guard();
  nesting_guard(const nesting_guard&) = delete;
  nesting_guard& operator=(const nesting_guard&) = delete;

 private:
  tasklet tasklet_;
};

}  // namespace slp

#endif  // SLP_SCHEDULER_HPP
