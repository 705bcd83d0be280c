// SPDX-License-Identifier: MIT
// slp — the gate of one scheduler: other threads change its tasklets
// (API.md §8: a remote insert(), remove(), run(), kill() or
// throw_exception() has taken effect when it returns) only while its own
// thread is outside slp.
//
// The owning thread is inside a section from the moment one of its slp
// calls begins until that call returns to the program (through whichever
// tasklet it switched to), and leaves it while it sleeps. Entering costs it
// no lock: a plain store marks it inside, and a plain load checks that no
// other thread is visiting. A visitor takes the gate's spinlock, marks
// itself visiting, runs membarrier(2) (MEMBARRIER_CMD_PRIVATE_EXPEDITED: a
// full barrier on every running thread of the process), and waits until
// the owner is outside; then it acts, and unmarks. Either the owner's mark
// is visible to the visitor after the barrier, or the owner's check comes
// after the barrier and sees the visitor, which the owner then waits out
// (the asymmetric Dekker handshake of core/channel_lock.hpp). A section
// entered inside another one (a hook, a destructor slp runs) is part of
// it. Where membarrier is missing, and under ThreadSanitizer, the owner's
// entry takes the slow path, whose sequentially consistent store and load
// are the fence.
//
// Example:
//   owner_gate::section inside(s.gate());         // the owner
//   s.gate().visit([&] { /* change s's ring */ }); // another thread
#ifndef SLP_CORE_OWNER_GATE_HPP
#define SLP_CORE_OWNER_GATE_HPP

#include <atomic>
#include <cstdint>

#include "core/spinlock.hpp"

namespace slp::core {

class owner_gate {
 public:
  owner_gate() noexcept;
  owner_gate(const owner_gate&) = delete;
  owner_gate& operator=(const owner_gate&) = delete;

  // enter: the owner begins a section; true if it was inside one already.
  bool enter() noexcept {
    if (inside_.load(std::memory_order_relaxed)) return true;
    enter_outermost();
    return false;
  }
  // enter_outermost: enter() where the caller knows no section is open.
  void enter_outermost() noexcept {
    inside_.store(true, std::memory_order_relaxed);
    // Only the compiler is kept from reordering; the CPU, by the
    // visitor's membarrier.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    if (state_.load(std::memory_order_acquire) != 0) enter_slow();
  }
  // try_enter_outermost: enter_outermost() where it needs no call; false,
  // still outside, where it would call (a visitor, or no membarrier).
  [[nodiscard]] bool try_enter_outermost() noexcept {
    inside_.store(true, std::memory_order_relaxed);
    std::atomic_signal_fence(std::memory_order_seq_cst);
    if (state_.load(std::memory_order_acquire) == 0) return true;
    inside_.store(false, std::memory_order_release);
    return false;
  }
  // leave: the owner ends the section that enter() returned `was` for.
  void leave(bool was) noexcept {
    if (!was) inside_.store(false, std::memory_order_release);
  }
  // inside: whether the owner is inside a section (only the owner's
  // answer is reliable).
  [[nodiscard]] bool inside() const noexcept {
    return inside_.load(std::memory_order_relaxed);
  }

  // visit: another thread runs `act` while the owner is outside; the
  // owner's next section waits until it is done.
  template <class Act>
  void visit(Act&& act) {
    open();
    struct closer {
      owner_gate* gate;
      ~closer() { gate->close(); }
    } done{this};
    act();
  }

  // outside: the owner leaves every section while it sleeps (from
  // construction to destruction), so that visitors need not wait for it.
  class outside {
   public:
    explicit outside(owner_gate& gate) noexcept : gate_(gate) {
      gate.leave(false);
    }
    outside(const outside&) = delete;
    outside& operator=(const outside&) = delete;
    ~outside() { gate_.enter_outermost(); }

   private:
    owner_gate& gate_;
  };

  // section: the owner inside from construction to destruction.
  class section {
   public:
    explicit section(owner_gate& gate) noexcept
        : gate_(gate), was_(gate.enter()) {}
    section(const section&) = delete;
    section& operator=(const section&) = delete;
    ~section() { gate_.leave(was_); }

   private:
    owner_gate& gate_;
    bool was_;
  };

 private:
  // state_ bits: a visitor is (or waits to be) inside; every entry of the
  // owner takes the slow path (no membarrier, or ThreadSanitizer).
  static constexpr std::uint8_t visiting = 1;
  static constexpr std::uint8_t fenced = 2;

  [[gnu::noinline]] void enter_slow() noexcept;
  void open() noexcept;
  void close() noexcept;

  std::atomic<bool> inside_{false};
  std::atomic<std::uint8_t> state_;
  spinlock visitors_;  // one visitor at a time
};

}  // namespace slp::core

#endif  // SLP_CORE_OWNER_GATE_HPP
