// SPDX-License-Identifier: MIT
// slp — a spinlock for the short critical sections shared between threads
// (a channel's state, a scheduler's tasklet list): uncontended, locking is
// one atomic exchange and unlocking one release store.
#ifndef SLP_CORE_SPINLOCK_HPP
#define SLP_CORE_SPINLOCK_HPP

#include <atomic>
#include <thread>

namespace slp::core {

class spinlock {
 public:
  void lock() noexcept {
    if (locked_.exchange(true, std::memory_order_acquire)) wait_and_lock();
  }
  // try_lock: lock() if nobody holds it, without waiting.
  [[nodiscard]] bool try_lock() noexcept {
    return !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }
  // locked: whether anyone holds it (only the holder can rely on the
  // answer).
  [[nodiscard]] bool locked() const noexcept {
    return locked_.load(std::memory_order_relaxed);
  }

 private:
  // wait_and_lock: contended: yield until it looks free, then try again.
  // Out of line: the contended wait stays off the uncontended path.
  [[gnu::noinline]] void wait_and_lock() noexcept {
    do {
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
    } while (locked_.exchange(true, std::memory_order_acquire));
  }

  std::atomic<bool> locked_{false};
};

}  // namespace slp::core

#endif  // SLP_CORE_SPINLOCK_HPP
