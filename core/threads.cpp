// Threads (API.md §8): every thread has its own scheduler; other threads
// reach it only through its inbox of requests, which it drains at its
// scheduling points, and a thread with nothing to run sleeps until a
// request arrives, or raises deadlock_error when no thread could send one.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <vector>

#include "arch/cpu.h"
#include "core/channel_state.hpp"
#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

// The schedulers of all threads. Immortal: threads may end after static
// destructors have run.
struct thread_registry {
  std::mutex mutex;
  std::vector<scheduler*> schedulers;
  std::size_t idle = 0;  // sleeping in idle_wait()
  std::atomic<std::size_t> alive{0};
  std::atomic<std::uint64_t> deadlock_epoch{0};
};

thread_registry& registry() {
  static thread_registry* r = new thread_registry;
  return *r;
}

// futex_wait / futex_wake: sleep while `*word` is `expected`; wake one
// sleeper. A wait may also return early (a signal, a spurious wake-up):
// callers check their condition again.
void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected) {
  static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word),
            FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) {
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word),
            FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

}  // namespace

void scheduler::register_thread() {
  thread_registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  r.schedulers.push_back(this);
  r.alive.fetch_add(1, std::memory_order_relaxed);
}

void scheduler::unregister_thread() noexcept {
  thread_registry& r = registry();
  std::vector<remote_request> orphaned;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    r.schedulers.erase(
        std::find(r.schedulers.begin(), r.schedulers.end(), this));
    r.alive.fetch_sub(1, std::memory_order_release);
    // From now on nobody posts here: every owner pointer is null.
    {
      std::lock_guard<spinlock> list(tasklets_lock_);
      for (tasklet_impl* t = tasklets_; t != nullptr; t = t->next_of_thread) {
        t->owner.store(nullptr, std::memory_order_relaxed);
      }
    }
    {
      std::lock_guard<std::mutex> inbox(remote_mutex_);
      orphaned.swap(incoming_);
    }
    // Posters that found this scheduler before the owners were cleared
    // may still be about to notify it: let them finish.
    while (notifying_.load(std::memory_order_acquire) != 0) {
      std::this_thread::yield();
    }
    // The threads still asleep may now be all there is: let them look.
    if (r.alive.load(std::memory_order_relaxed) == r.idle && r.idle > 0) {
      r.deadlock_epoch.fetch_add(1, std::memory_order_seq_cst);
      for (scheduler* s : r.schedulers) s->wake();
    }
  }
  for (remote_request& q : orphaned) release(q.tasklet);
}

void scheduler::forget_tasklet(tasklet_impl& t) noexcept {
  scheduler* s = t.owner.load(std::memory_order_relaxed);
  if (s == nullptr) return;
  if (s == this_thread_scheduler) {
    s->engine_forget(t);
    s->unregister_tasklet(t);
    return;
  }
  // Another thread's tasklet: its scheduler cannot end while we hold this.
  thread_registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  s = t.owner.load(std::memory_order_relaxed);
  if (s != nullptr) s->unregister_tasklet(t);
}

void scheduler::adopt(tasklet_impl& t) {
  thread_registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);  // its old scheduler stays
  scheduler* old = t.owner.load(std::memory_order_relaxed);
  if (old == this) return;
  if (old != nullptr) old->unregister_tasklet(t);
  t.home = nullptr;  // a new thread, new execution stacks
  t.state = context::status::fresh;
  t.owner.store(this, std::memory_order_relaxed);
  register_tasklet(t);
}

bool scheduler::others_could_wake() noexcept {
  // Acquire: a thread that posted here and then ended is seen with its
  // request (could_be_woken reads the inbox flag after this).
  return registry().alive.load(std::memory_order_acquire) > 1;
}

void scheduler::post_to_owner(tasklet_impl& t, remote_request::kind_t kind,
                              std::exception_ptr e) {
  thread_registry& r = registry();
  scheduler* owner = nullptr;
  bool asleep = false;
  {
    std::lock_guard<std::mutex> lock(r.mutex);  // the owner cannot end now
    owner = t.owner.load(std::memory_order_relaxed);
    if (owner == nullptr) return;  // its thread has ended
    {
      std::lock_guard<std::mutex> inbox(owner->remote_mutex_);
      owner->incoming_.push_back({kind, add_ref(&t), std::move(e)});
      owner->has_incoming_.store(true, std::memory_order_seq_cst);
    }
    // A sleeper with a request is awake from now on, as far as deadlock
    // detection is concerned, even before its thread gets to run.
    if (owner->counted_idle_.load(std::memory_order_relaxed)) {
      owner->counted_idle_.store(false, std::memory_order_relaxed);
      --r.idle;
    }
    // Either the owner, about to sleep, sees has_incoming_ after its own
    // store of 1, or this exchange sees the 1 (both seq_cst).
    asleep = owner->sleep_word_.exchange(0, std::memory_order_seq_cst) == 1;
    if (asleep) owner->notifying_.fetch_add(1, std::memory_order_relaxed);
  }
  // Woken after both locks are released, so that the woken thread blocks on
  // neither (on one CPU it preempts us at once); notifying_ keeps the owner
  // alive until then.
  if (asleep) {
    futex_wake(owner->sleep_word_);
    owner->notifying_.fetch_sub(1, std::memory_order_release);
  }
}

// wake: a sleeper in idle_wait() looks again (the caller holds the
// registry's mutex, so the scheduler cannot end meanwhile).
void scheduler::wake() noexcept {
  if (sleep_word_.exchange(0, std::memory_order_seq_cst) == 1) {
    futex_wake(sleep_word_);
  }
}

// apply_incoming: the requests of other threads, in the order they came.
// References they carried are released after the next switch: a release
// can kill, which switches.
void scheduler::apply_incoming() {
  std::vector<remote_request>& batch = draining_;  // empty, capacity kept
  {
    std::lock_guard<std::mutex> inbox(remote_mutex_);
    batch.swap(incoming_);
    has_incoming_.store(false, std::memory_order_relaxed);
  }
  for (remote_request& q : batch) {
    tasklet_impl& t = *q.tasklet;
    if (t.owner.load(std::memory_order_relaxed) == this) {
      switch (q.kind) {
        case remote_request::make_runnable:
          if (t.set_up && !t.scheduled()) link_tail(t);
          break;
        case remote_request::run_next:  // a remote run(): it goes first
          if (t.set_up && !t.scheduled()) {
            if (current_ != nullptr) {
              link_after_current(t);
            } else {
              link_tail(t);
            }
          }
          break;
        case remote_request::deliver:
          if (t.set_up) {
            t.bomb = std::move(q.exception);
            unblock_locked(t);
            if (!t.in_ring) link_tail(t);
          }
          break;
        case remote_request::pause:
          if (t.in_ring && &t != running_) unlink(t);
          break;
      }
    }
    to_release_.push_back(q.tasklet);
  }
  batch.clear();
  journal_size_ = 0;
}

// spin_for_incoming: before it sleeps, an idle thread polls its inbox for
// up to spin_ns_, pausing and, every few polls, yielding its CPU (a partner
// that shares the CPU then runs and answers). A partner on another CPU
// usually answers within microseconds, while a sleep and the wake-up that
// ends it cost two system calls, two context switches and, on a VM, ~25 us
// to wake a halted vCPU. The budget adapts: a spin that ends with a
// request doubles it (up to max_spin_ns), one that ends without halves it
// (down to min_spin_ns), so a thread whose waits are long spins ~1 us per
// sleep. While it spins the thread counts as awake, as it is.
bool scheduler::spin_for_incoming() noexcept {
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

// idle_wait: nothing can run in this thread; sleep until another thread
// posts a request. Returns false instead when no thread could ever post
// one: every thread with a scheduler is asleep here (a deadlock).
bool scheduler::idle_wait() {
  if (spin_for_incoming()) return true;
  thread_registry& r = registry();
  std::uint64_t epoch;
  {
    std::lock_guard<std::mutex> lock(r.mutex);
    {
      std::lock_guard<std::mutex> inbox(remote_mutex_);
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
  // Sleep on sleep_word_ (1 while asleep): a poster or a deadlock check
  // sets it to 0 and wakes us. No mutex on either side.
  bool woken = true;
  for (;;) {
    sleep_word_.store(1, std::memory_order_seq_cst);
    if (has_incoming_.load(std::memory_order_seq_cst)) break;
    if (r.deadlock_epoch.load(std::memory_order_seq_cst) != epoch) {
      woken = false;
      break;
    }
    futex_wait(sleep_word_, 1);
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

// unblock_locked: takes `t` off the channel it waits on, if it still does
// (another thread's hand-off may have taken it first).
bool scheduler::unblock_locked(tasklet_impl& t) noexcept {
  channel_state* ch = t.waiting_on.load(std::memory_order_relaxed);
  if (ch == nullptr) return false;
  std::lock_guard<channel_lock> lock(ch->lock);
  if (t.waiting_on.load(std::memory_order_relaxed) != ch) return false;
  unblock(t);
  return true;
}

}  // namespace slp::core
