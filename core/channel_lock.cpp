// SPDX-License-Identifier: MIT
// slp — the channel lock's slow path (core/channel_lock.hpp): claiming a
// channel, ending its elision when a second thread comes.
#include "core/channel_lock.hpp"

#include <thread>

#include "core/process_barrier.hpp"

namespace slp::core {

namespace elision {

__thread std::uint64_t thread_mark __attribute__((tls_model("initial-exec"))) =
    0;

namespace {

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

bool channel_lock::possible() noexcept { return process_barrier_ready(); }

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
    process_barrier();
    while (inside_.load(std::memory_order_acquire)) std::this_thread::yield();
    owner_.store(shared, std::memory_order_release);
  }
}

}  // namespace slp::core
