// SPDX-License-Identifier: MIT
// slp — the channel lock's slow path (core/channel_lock.hpp): claiming a
// channel, ending its elision when a second thread comes, membarrier.
#include "core/channel_lock.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace slp::core {

namespace elision {

__thread std::uint64_t thread_mark __attribute__((tls_model("initial-exec"))) =
    0;

namespace {

// membarrier_ready: registers the process for expedited private barriers,
// once; false where the kernel (or an emulator) does not have them.
bool membarrier_ready() noexcept {
  static const bool ready =
      syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
              0) == 0;
  return ready;
}

// my_mark: the calling thread's mark, given on first use.
std::uint64_t my_mark() noexcept {
  static std::atomic<std::uint64_t> next{16};
  if (thread_mark == 0) {
    thread_mark = next.fetch_add(1, std::memory_order_relaxed);
  }
  return thread_mark;
}

}  // namespace

}  // namespace elision

channel_lock::channel_lock() noexcept
    : owner_(possible() ? unclaimed : shared) {}

bool channel_lock::possible() noexcept {
#if defined(SLP_TSAN)
  return false;
#else
  return elision::membarrier_ready();
#endif
}

void channel_lock::lock_slow() noexcept {
  for (;;) {
    std::uint64_t owner = owner_.load(std::memory_order_acquire);
    if (owner == shared) {
      spin_.lock();
      return;
    }
    if (owner == unclaimed) {
      // The first thread to lock the channel owns it.
      owner_.compare_exchange_strong(owner, elision::my_mark(),
                                     std::memory_order_acq_rel);
      if (try_lock_fast()) return;
      continue;
    }
    if (owner == draining) {  // another thread is ending the elision
      std::this_thread::yield();
      continue;
    }
    if (owner == elision::thread_mark) continue;  // changed meanwhile
    // Another thread owns it: end its elision, for good.
    if (!owner_.compare_exchange_strong(owner, draining,
                                        std::memory_order_seq_cst)) {
      continue;
    }
    // Registered: the channel was claimed, which only a registered
    // process does.
    syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    while (inside_.load(std::memory_order_acquire)) std::this_thread::yield();
    owner_.store(shared, std::memory_order_release);
  }
}

}  // namespace slp::core
