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
    while (locked_.exchange(true, std::memory_order_acquire)) {
      while (locked_.load(std::memory_order_relaxed)) std::this_thread::yield();
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace slp::core

#endif  // SLP_CORE_SPINLOCK_HPP
