// SPDX-License-Identifier: MIT
// slp — the slow paths of a scheduler's gate (core/owner_gate.hpp): the
// owner waiting out a visitor, and a visitor's way in and out.
#include "core/owner_gate.hpp"

#include <thread>

#include "core/process_barrier.hpp"

namespace slp::core {

owner_gate::owner_gate() noexcept
    : state_(process_barrier_ready() ? 0 : fenced) {}

void owner_gate::enter_slow() noexcept {
  for (;;) {
    // Without the visitor's membarrier, this store and load are the fence.
    if ((state_.load(std::memory_order_relaxed) & fenced) != 0) {
      inside_.store(true, std::memory_order_seq_cst);
    }
    if ((state_.load(std::memory_order_seq_cst) & visiting) == 0) return;
    // A visitor is in, or waits for us to leave: let it finish.
    inside_.store(false, std::memory_order_release);
    while ((state_.load(std::memory_order_acquire) & visiting) != 0) {
      std::this_thread::yield();
    }
    inside_.store(true, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
}

void owner_gate::open() noexcept {
  visitors_.lock();
  state_.fetch_or(visiting, std::memory_order_seq_cst);
  if ((state_.load(std::memory_order_relaxed) & fenced) == 0) {
    process_barrier();
  }
  while (inside_.load(std::memory_order_seq_cst)) std::this_thread::yield();
}

void owner_gate::close() noexcept {
  state_.fetch_and(static_cast<std::uint8_t>(~visiting),
                   std::memory_order_release);
  visitors_.unlock();
}

}  // namespace slp::core
