// slp — the lock of a channel: a spinlock that a program whose channels are
// all used from one thread never takes.
//
// The first thread that locks a channel becomes the process's channel
// thread (until its scheduler ends; then the next one to lock a channel
// does). While no other thread has locked one, that thread's critical
// sections take no lock: it marks itself inside one (a plain store) and
// checks that the mode is still `elided`. The first other thread that locks
// a channel ends that mode for good: it sets `draining`, runs membarrier(2)
// (MEMBARRIER_CMD_PRIVATE_EXPEDITED: a full memory barrier on every running
// thread of the process), waits until the channel thread is inside none, and
// sets `shared`; from then on every thread takes the spinlock. Either the
// channel thread's count was visible to the draining thread after the
// barrier, or its re-check of the mode came after the barrier and saw
// `draining`: the two halves of an asymmetric Dekker handshake. Where
// membarrier is missing, and under ThreadSanitizer (which cannot see that
// handshake), the mode is `shared` from the start.
//
// Example:
//   channel_lock::held guard(ch.lock);   // released at the end of scope,
//   guard.unlock();                      // or where the code hands it on
#ifndef SLP_CORE_CHANNEL_LOCK_HPP
#define SLP_CORE_CHANNEL_LOCK_HPP

#include <atomic>
#include <mutex>

#include "core/spinlock.hpp"

namespace slp::core {

namespace elision {

enum mode_t : int { elided, draining, shared };

// (Hidden: read at their own address, not through the GOT, in this
// position-independent library.)
//
// The process's mode; written only on the way from elided to shared.
extern std::atomic<int> mode __attribute__((visibility("hidden")));
// Whether the channel thread holds a channel lock without locking (one at
// most: a lock taken inside that one takes the spinlock); written only by
// that thread. On a cache line of its own, away from `mode`.
extern std::atomic<bool> inside __attribute__((visibility("hidden")));
// Whether the calling thread is the channel thread.
extern __thread bool mine __attribute__((tls_model("initial-exec")));

}  // namespace elision

class channel_lock {
 public:
  void lock() noexcept {
    if (!try_lock_fast()) lock_slow();
  }
  // try_lock_fast: lock() where it needs no call (elided, or an uncontended
  // spinlock); false, with nothing held, where lock() would call.
  [[nodiscard]] bool try_lock_fast() noexcept {
    if (elision::mine) {
      if (elision::inside.load(std::memory_order_relaxed)) return false;
      elision::inside.store(true, std::memory_order_relaxed);
      // Only the compiler is kept from reordering; the CPU, by the other
      // side's membarrier.
      std::atomic_signal_fence(std::memory_order_seq_cst);
      if (elision::mode.load(std::memory_order_relaxed) == elision::elided) {
        return true;
      }
      elision::inside.store(false, std::memory_order_release);
      return false;
    }
    return elision::mode.load(std::memory_order_acquire) == elision::shared &&
           spin_.try_lock();
  }
  // unlock: the spinlock is held only if it was taken: nobody takes it
  // while the channel thread is inside without it.
  void unlock() noexcept {
    if (spin_.locked()) {
      spin_.unlock();
      return;
    }
    elision::inside.store(false, std::memory_order_release);
  }

  // thread_ends: the calling thread's scheduler is gone: if it was the
  // channel thread, the next thread to lock a channel may be, as long as no
  // two threads have used channels at once.
  static void thread_ends() noexcept;

  // reset_for_tests: back to the state of a fresh process (elided, nobody
  // the channel thread, unless elision is not possible), for tests and for
  // benchmarks that stand for programs of their own. Only while no other
  // thread uses a channel and the caller holds none.
  static void reset_for_tests() noexcept;

  // possible: whether locks are elided at all in this process (not under
  // ThreadSanitizer, and only where membarrier is).
  [[nodiscard]] static bool possible() noexcept;

  // elided: whether the calling thread's channel locks take no lock now.
  [[nodiscard]] static bool elided() noexcept {
    return elision::mine &&
           elision::mode.load(std::memory_order_relaxed) == elision::elided;
  }

 private:
  // lock_slow: becomes the channel thread (the first to lock a channel),
  // or ends the elided mode, or just takes the spinlock.
  [[gnu::noinline]] void lock_slow() noexcept;

  spinlock spin_;

 public:
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
};

}  // namespace slp::core

#endif  // SLP_CORE_CHANNEL_LOCK_HPP
