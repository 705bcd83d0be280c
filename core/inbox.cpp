// SPDX-License-Identifier: MIT
// slp — the inbox of a thread and the registry of all threads
// (core/inbox.hpp), and the futex sleeper.
#include "core/inbox.hpp"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "arch/cpu.h"
#include "core/scheduler.hpp"
#include "core/thread_tasklets.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

// The inboxes of all threads with a scheduler. Immortal: threads may end
// after static destructors have run.
struct thread_registry {
  std::mutex mutex;
  std::vector<inbox*> inboxes;
  std::size_t idle = 0;  // sleeping in inbox::wait()
  std::atomic<std::size_t> alive{0};
  std::atomic<std::uint64_t> deadlock_epoch{0};
};

thread_registry& registry() {
  static thread_registry* r = new thread_registry;
  return *r;
}

class futex_word_sleeper final : public sleeper {
 public:
  void sleep(std::atomic<std::uint32_t>& word) noexcept override {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word),
              FUTEX_WAIT_PRIVATE, 1, nullptr, nullptr, 0);
  }
  void wake(std::atomic<std::uint32_t>& word) noexcept override {
    ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word),
              FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  }
};

}  // namespace

sleeper& futex_sleeper() noexcept {
  static futex_word_sleeper s;
  return s;
}

std::unique_lock<std::mutex> inbox::hold_threads() {
  return std::unique_lock<std::mutex>(registry().mutex);
}

void inbox::enroll() {
  thread_registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.inboxes.push_back(this);
  r.alive.fetch_add(1, std::memory_order_relaxed);
}

std::vector<inbox::request> inbox::withdraw(thread_tasklets& mine) noexcept {
  thread_registry& r = registry();
  std::vector<request> orphaned;
  std::lock_guard<std::mutex> lock(r.mutex);
  r.inboxes.erase(std::find(r.inboxes.begin(), r.inboxes.end(), this));
  r.alive.fetch_sub(1, std::memory_order_release);
  // From now on nobody posts here: every owner pointer is null.
  mine.for_each_locked([](tasklet_impl& t) {
    t.owner.store(nullptr, std::memory_order_relaxed);
  });
  {
    std::lock_guard<std::mutex> guard(mutex_);
    orphaned.swap(incoming_);
  }
  // Posters that found this thread before the owners were cleared may
  // still be about to wake it: let them finish.
  while (notifying_.load(std::memory_order_acquire) != 0) {
    std::this_thread::yield();
  }
  // The threads still asleep may now be all there is: let them look.
  if (r.alive.load(std::memory_order_relaxed) == r.idle && r.idle > 0) {
    r.deadlock_epoch.fetch_add(1, std::memory_order_seq_cst);
    for (inbox* other : r.inboxes) other->wake();
  }
  return orphaned;
}

bool inbox::others_could_wake() noexcept {
  // Acquire: a thread that posted here and then ended is seen with its
  // request (the caller reads the pending flag after this).
  return registry().alive.load(std::memory_order_acquire) > 1;
}

bool inbox::arrive(request q) noexcept {
  thread_registry& r = registry();
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (q != nullptr) incoming_.push_back(q);
    has_incoming_.store(true, std::memory_order_seq_cst);
  }
  // A sleeper with a request is awake from now on, as far as deadlock
  // detection is concerned, even before its thread gets to run.
  if (counted_idle_.load(std::memory_order_relaxed)) {
    counted_idle_.store(false, std::memory_order_relaxed);
    --r.idle;
  }
  // Either the owner, about to sleep, sees has_incoming_ after its own
  // store of 1, or this exchange sees the 1 (both seq_cst).
  const bool asleep = sleep_word_.exchange(0, std::memory_order_seq_cst) == 1;
  if (asleep) notifying_.fetch_add(1, std::memory_order_relaxed);
  return asleep;
}

// Woken after the locks are released, so that the woken thread blocks on
// none of them (on one CPU it preempts us at once); notifying_ keeps the
// owner alive until then.
void inbox::wake_after_arrive() noexcept {
  sleeper_->wake(sleep_word_);
  notifying_.fetch_sub(1, std::memory_order_release);
}

bool inbox::post(tasklet_impl& t) {
  inbox* to = nullptr;
  bool asleep = false;
  {
    std::lock_guard<std::mutex> lock(registry().mutex);  // owner stays
    scheduler* owner = t.owner.load(std::memory_order_relaxed);
    if (owner == nullptr) return false;  // its thread has ended
    to = &owner->requests();
    asleep = to->arrive(add_ref(&t));
  }
  if (asleep) to->wake_after_arrive();
  return true;
}

bool inbox::visit(tasklet_impl& t, const char* operation, const visitor& act) {
  if (scheduler* mine = scheduler::if_exists();
      mine != nullptr && mine->gate().inside()) {
    throw error(std::string(operation) +
                ": can't act on another thread's tasklet from inside a hook "
                "or anything else slp runs in the middle of an operation");
  }
  thread_registry& r = registry();
  for (;;) {
    scheduler* owner = nullptr;
    inbox* to = nullptr;
    {
      std::lock_guard<std::mutex> lock(r.mutex);
      owner = t.owner.load(std::memory_order_relaxed);
      if (owner == nullptr) return false;  // its thread has ended
      to = &owner->requests();
      // Keeps the owner from ending until we are done (withdraw waits).
      to->notifying_.fetch_add(1, std::memory_order_relaxed);
    }
    struct leaving {
      inbox* to;
      ~leaving() { to->notifying_.fetch_sub(1, std::memory_order_release); }
    } done{to};
    enum { acted, ended, moved } outcome = ended;
    owner->gate().visit([&] {
      if (owner->dying()) return;
      // Rebound by bind_thread() while we waited at the gate: again, there.
      if (t.owner.load(std::memory_order_relaxed) != owner) {
        outcome = moved;
        return;
      }
      act(*owner);
      outcome = acted;
    });
    if (outcome == moved) continue;
    if (outcome == ended) return false;
    bool asleep = false;
    {
      std::lock_guard<std::mutex> lock(r.mutex);
      asleep = to->arrive(nullptr);
    }
    if (asleep) to->wake_after_arrive();
    return true;
  }
}

// wake: a sleeper in wait() looks again (the caller holds the registry's
// mutex, so the thread cannot end meanwhile).
void inbox::wake() noexcept {
  if (sleep_word_.exchange(0, std::memory_order_seq_cst) == 1) {
    sleeper_->wake(sleep_word_);
  }
}

void inbox::take(std::vector<request>& batch) {
  std::lock_guard<std::mutex> guard(mutex_);
  batch.swap(incoming_);
  has_incoming_.store(false, std::memory_order_relaxed);
}

// spin_for_request: before it sleeps, an idle thread polls its inbox for
// up to spin_ns_, pausing and, every few polls, yielding its CPU (a partner
// that shares the CPU then runs and answers). A partner on another CPU
// usually answers within microseconds, while a sleep and the wake-up that
// ends it cost two system calls, two context switches and, on a VM, the
// wake-up of a halted vCPU. The budget adapts: a spin that ends with a
// request doubles it (up to max_spin_ns), one that ends without halves it
// (down to min_spin_ns), so a thread whose waits are long spins little per
// sleep. While it spins the thread counts as awake, as it is.
bool inbox::spin_for_request() noexcept {
  using clock = std::chrono::steady_clock;
  const clock::time_point deadline =
      clock::now() + std::chrono::nanoseconds(spin_ns_);
  for (unsigned polls = 1;; ++polls) {
    if (has_incoming_.load(std::memory_order_acquire)) {
      spin_ns_ = std::min(spin_ns_ * 2, max_spin_ns);
      return true;
    }
    if (polls % 8 != 0) {
      slp_cpu_relax();
    } else if (clock::now() < deadline) {
      sched_yield();
    } else {
      spin_ns_ = std::max(spin_ns_ / 2, min_spin_ns);
      return false;
    }
  }
}

bool inbox::wait() {
  if (spin_for_request()) return true;
  thread_registry& r = registry();
  std::uint64_t epoch;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (!incoming_.empty()) return true;
    }
    if (r.idle + 1 >= r.alive.load(std::memory_order_relaxed)) {
      // The last awake thread: nobody else could post. (What it does with
      // its deadlock_error may still wake the sleepers.)
      return false;
    }
    ++r.idle;
    counted_idle_.store(true, std::memory_order_relaxed);
    epoch = r.deadlock_epoch.load(std::memory_order_relaxed);
  }
  // Sleep while sleep_word_ is 1: a poster or a deadlock check sets it to
  // 0 and wakes us. No mutex on either side.
  bool woken = true;
  for (;;) {
    sleep_word_.store(1, std::memory_order_seq_cst);
    if (has_incoming_.load(std::memory_order_seq_cst)) break;
    if (r.deadlock_epoch.load(std::memory_order_seq_cst) != epoch) {
      woken = false;
      break;
    }
    sleeper_->sleep(sleep_word_);
  }
  sleep_word_.store(0, std::memory_order_relaxed);
  // Unless a poster has already counted us awake (the common case: no
  // registry lock then).
  if (counted_idle_.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(r.mutex);
    if (counted_idle_.load(std::memory_order_relaxed)) {
      counted_idle_.store(false, std::memory_order_relaxed);
      --r.idle;
    }
  }
  return woken;
}

}  // namespace slp::core
