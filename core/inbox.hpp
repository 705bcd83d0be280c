// SPDX-License-Identifier: MIT
// slp — one thread's inbox (API.md §8): the requests other threads post
// about its tasklets, applied by the thread itself at its scheduling
// points, and its sleep when it has nothing to run: until a request
// arrives, or, when no thread could ever post one (every thread with a
// scheduler asleep), a verdict of deadlock.
//
// Example:
//   if (inbox.pending()) inbox.take(batch);   // then apply the batch
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
  struct request {
    enum kind_t { make_runnable, run_next, deliver, pause } kind;
    tasklet_impl* tasklet;  // carries a reference
    std::exception_ptr exception;
  };

  // enroll / withdraw: the thread's scheduler begins / ends. withdraw
  // clears the owner of each of `mine` first, so that nobody posts here
  // afterwards, and returns the requests that were never applied.
  void enroll();
  [[nodiscard]] std::vector<request> withdraw(thread_tasklets& mine) noexcept;

  // vet: called by post() with `t`'s scheduler, under the lock that keeps
  // that scheduler's thread from ending: it checks `t`'s state and throws
  // what the owning thread would (nothing is posted then), may store what
  // the request needs, and returns whether there is anything to post.
  using vet = std::function<bool(scheduler& owner)>;

  // post: asks the thread `t` belongs to to act on it, waking it if it
  // sleeps, once `check` (if any) has allowed it. False, with nothing
  // posted and `check` not called, if that thread has ended.
  static bool post(tasklet_impl& t, request::kind_t kind,
                   std::exception_ptr e = nullptr, const vet* check = nullptr);
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
