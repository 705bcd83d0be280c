// SPDX-License-Identifier: MIT
// slp — one thread's inbox (API.md §8): how other threads reach it. A
// partner's hand-off posts the woken tasklet, which the thread makes
// runnable at its next scheduling point; a remote insert(), remove(),
// run(), kill() or throw_exception() visits its scheduler through its gate
// (core/owner_gate.hpp) and acts at once. Also the thread's sleep when it
// has nothing to run: until something arrives, or, when nothing ever could
// (every thread with a scheduler asleep), a verdict of deadlock.
//
// Example:
//   if (inbox.pending()) inbox.take(batch);   // then make them runnable
//   if (!inbox.wait()) throw deadlock_error(...);
#ifndef SLP_CORE_INBOX_HPP
#define SLP_CORE_INBOX_HPP

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <vector>

#include "core/sleeper.hpp"
#include "core/tasklet_impl.hpp"

namespace slp::core {

class thread_tasklets;
class scheduler;

class inbox {
 public:
  // A request: a tasklet woken by another thread's hand-off, to be made
  // runnable here; it carries a reference.
  using request = tasklet_impl*;

  // enroll / withdraw: the thread's scheduler begins / ends. withdraw
  // clears the owner of each of `mine` first, so that nobody posts here
  // afterwards, and returns the requests that were never applied.
  void enroll();
  [[nodiscard]] std::vector<request> withdraw(thread_tasklets& mine) noexcept;

  // post: asks the thread `t` belongs to to make it runnable, waking that
  // thread if it sleeps. False, with nothing posted, if it has ended.
  static bool post(tasklet_impl& t);
  // visit: runs `act` with the scheduler `t` belongs to, in the calling
  // thread, while that scheduler's thread is outside slp; then wakes that
  // thread if it sleeps. `act` checks, changes and throws as the owning
  // thread would. False, with `act` not called, if that thread has ended
  // or is ending. Refused (slp::error naming `operation`) inside a section
  // of the caller's own scheduler (a hook): two threads could then wait
  // for each other at their gates.
  using visitor = std::function<void(scheduler& owner)>;
  static bool visit(tasklet_impl& t, const char* operation, const visitor& act);
  // pending: a request waits.
  [[nodiscard]] bool pending() const noexcept {
    return has_incoming_.load(std::memory_order_acquire);
  }
  // take: the requests posted so far, in order, into `batch` (empty).
  void take(std::vector<request>& batch);

  // wait: sleeps until a request is posted (true), or returns false when
  // no thread could ever post one: every thread with a scheduler sleeps.
  bool wait();
  // others_could_wake: another thread with a scheduler is alive.
  [[nodiscard]] static bool others_could_wake() noexcept;
  // hold_threads: while the lock it returns is held, no thread's scheduler
  // ends (so a tasklet's owner stays valid).
  [[nodiscard]] static std::unique_lock<std::mutex> hold_threads();
  // nap: sleeps once through the sleeper while still counted awake (the
  // thread's own timers or descriptors will wake it: API.md §10): until a
  // request is posted or the sleeper returns.
  void nap() noexcept {
    sleep_word_.store(1, std::memory_order_seq_cst);
    if (!has_incoming_.load(std::memory_order_seq_cst)) {
      sleeper_->sleep(sleep_word_);
    }
    sleep_word_.store(0, std::memory_order_relaxed);
  }
  // use_sleeper: how this thread sleeps from now on.
  void use_sleeper(sleeper& s) noexcept { sleeper_ = &s; }

 private:
  bool spin_for_request() noexcept;
  void wake() noexcept;
  // arrive: under the registry's mutex, `q` (if any) joins the requests
  // and the thread counts as awake; true if it sleeps (the caller wakes it
  // once the locks are released, with notifying_ raised).
  bool arrive(request q) noexcept;
  // wake_after_arrive: arrive()'s wake-up, outside the locks.
  void wake_after_arrive() noexcept;

  std::mutex mutex_;
  std::vector<request> incoming_;  // under mutex_
  std::atomic<bool> has_incoming_{false};
  sleeper* sleeper_ = &futex_sleeper();
  // 1 while asleep in wait(): whoever sets it to 0 wakes the thread.
  std::atomic<std::uint32_t> sleep_word_{0};
  // Counted in the registry's idle. Set and cleared under the registry's
  // mutex; read without it by the thread itself, to skip that mutex when
  // a poster has already counted it awake.
  std::atomic<bool> counted_idle_{false};
  // Posters between releasing the registry's mutex and waking this
  // thread: the inbox is not destroyed while there are any.
  std::atomic<int> notifying_{0};
  // How long wait() polls for a request before it sleeps (adaptive).
  std::uint32_t spin_ns_ = max_spin_ns;
  static constexpr std::uint32_t min_spin_ns = 1'000;
  static constexpr std::uint32_t max_spin_ns = 32'000;
};

}  // namespace slp::core

#endif  // SLP_CORE_INBOX_HPP
