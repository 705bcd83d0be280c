// SPDX-License-Identifier: MIT
// slp — the lock of one channel: a spinlock that a channel used from one
// thread only never takes.
//
// The first thread that locks a channel becomes its owner. While no other
// thread has locked it, the owner's critical sections take no lock: it
// marks itself inside one (a plain store to the channel's `inside_`) and
// checks that it still owns the channel. The first other thread that
// locks the channel ends that for this channel, for good: it marks the
// channel `draining`, runs membarrier(2) (MEMBARRIER_CMD_PRIVATE_EXPEDITED:
// a full memory barrier on every running thread of the process), waits
// until the owner is inside no section of it, and marks it `shared`; from
// then on every thread takes the spinlock. Either the owner's mark was
// visible to the draining thread after the barrier, or its re-check of the
// owner came after the barrier and saw `draining`: the two halves of an
// asymmetric Dekker handshake. Other channels are not affected: a program
// pays for the lock only on the channels that two threads use. Where
// membarrier is missing, and under ThreadSanitizer (which cannot see that
// handshake), every channel is `shared` from the start.
//
// Example:
//   channel_lock::held guard(ch.lock);   // released at the end of scope,
//   guard.unlock();                      // or where the code hands it on
#ifndef SLP_CORE_CHANNEL_LOCK_HPP
#define SLP_CORE_CHANNEL_LOCK_HPP

#include <atomic>
#include <cstdint>
#include <mutex>

#include "core/spinlock.hpp"

namespace slp::core {

namespace elision {
// The calling thread's owner mark: 0 until it first claims a channel, then
// a number no other thread has (never reused).
extern __thread std::uint64_t thread_mark
    __attribute__((tls_model("initial-exec")));
}  // namespace elision

class channel_lock {
 public:
  channel_lock() noexcept;

  void lock() noexcept {
    if (!try_lock_fast()) lock_slow();
  }
  // try_lock_fast: lock() where it needs no call (the owner's section, or
  // an uncontended spinlock); false, with nothing held, where lock() would
  // call.
  [[nodiscard]] bool try_lock_fast() noexcept {
    const std::uint64_t me = elision::thread_mark;
    if (owner_.load(std::memory_order_relaxed) == me) {
      inside_.store(true, std::memory_order_relaxed);
      // Only the compiler is kept from reordering; the CPU, by the other
      // side's membarrier.
      std::atomic_signal_fence(std::memory_order_seq_cst);
      if (owner_.load(std::memory_order_relaxed) == me) return true;
      inside_.store(false, std::memory_order_release);
      return false;
    }
    return owner_.load(std::memory_order_acquire) == shared && spin_.try_lock();
  }
  // unlock: the spinlock is held only if it was taken: nobody takes it
  // while the owner is inside without it.
  void unlock() noexcept {
    if (spin_.locked()) {
      spin_.unlock();
      return;
    }
    inside_.store(false, std::memory_order_release);
  }

  // possible: whether locks are elided at all in this process (not under
  // ThreadSanitizer, and only where membarrier is).
  [[nodiscard]] static bool possible() noexcept;
  // elided: whether the calling thread's sections of this channel take no
  // lock now.
  [[nodiscard]] bool elided() const noexcept {
    return owner_.load(std::memory_order_relaxed) == elision::thread_mark;
  }
  // shared: whether this channel's sections take the spinlock in every
  // thread from now on.
  [[nodiscard]] bool is_shared() const noexcept {
    return owner_.load(std::memory_order_acquire) == shared;
  }
  // inside: whether the owner is in a section without the lock now.
  [[nodiscard]] bool inside() const noexcept {
    return inside_.load(std::memory_order_acquire);
  }

  // held: a channel lock that the code holds, released when it goes out of
  // scope unless it has been released already (unlock()): the owner of a
  // rendezvous hands it on to whoever releases it, and every way out
  // (including an exception) releases it exactly once.
  class held {
   public:
    explicit held(channel_lock& lock) noexcept : lock_(&lock) { lock.lock(); }
    // held(lock, adopt): a lock already taken (try_lock_fast()).
    held(channel_lock& lock, std::adopt_lock_t) noexcept : lock_(&lock) {}
    held(const held&) = delete;
    held& operator=(const held&) = delete;
    ~held() {
      if (lock_ != nullptr) lock_->unlock();
    }
    void unlock() noexcept {
      lock_->unlock();
      lock_ = nullptr;
    }

   private:
    channel_lock* lock_;
  };

 private:
  // The owner_ values that are not a thread's mark (marks start above).
  static constexpr std::uint64_t unclaimed = 1;
  static constexpr std::uint64_t draining = 2;
  static constexpr std::uint64_t shared = 3;

  // lock_slow: claims the channel (the first to lock it), or ends its
  // elided mode, or takes the spinlock.
  [[gnu::noinline]] void lock_slow() noexcept;

  std::atomic<std::uint64_t> owner_;
  std::atomic<bool> inside_{false};
  spinlock spin_;
};

}  // namespace slp::core

#endif  // SLP_CORE_CHANNEL_LOCK_HPP
