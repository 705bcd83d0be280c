// SPDX-License-Identifier: MIT
// slp — every tasklet of one thread, in creation order, for the kill at
// the thread's end and for listing them. Handles may be dropped in any
// thread, so the list has a lock of its own.
#ifndef SLP_CORE_THREAD_TASKLETS_HPP
#define SLP_CORE_THREAD_TASKLETS_HPP

#include <mutex>
#include <vector>

#include "core/spinlock.hpp"
#include "core/tasklet_impl.hpp"

namespace slp::core {

class thread_tasklets {
 public:
  // add: `t` joins at the end (so that the thread end kills the oldest
  // first); remove: `t` leaves.
  void add(tasklet_impl& t) noexcept {
    std::lock_guard<spinlock> lock(lock_);
    t.prev_of_thread = tail_;
    t.next_of_thread = nullptr;
    if (tail_ != nullptr) {
      tail_->next_of_thread = &t;
    } else {
      head_ = &t;
    }
    tail_ = &t;
  }
  void remove(tasklet_impl& t) noexcept {
    std::lock_guard<spinlock> lock(lock_);
    if (t.prev_of_thread != nullptr) {
      t.prev_of_thread->next_of_thread = t.next_of_thread;
    } else if (head_ == &t) {
      head_ = t.next_of_thread;
    }
    if (t.next_of_thread != nullptr) {
      t.next_of_thread->prev_of_thread = t.prev_of_thread;
    } else if (tail_ == &t) {
      tail_ = t.prev_of_thread;
    }
    t.next_of_thread = nullptr;
    t.prev_of_thread = nullptr;
  }
  // snapshot: every tasklet, each with a reference (those already being
  // destroyed elsewhere are skipped).
  [[nodiscard]] std::vector<tasklet_impl*> snapshot() {
    std::vector<tasklet_impl*> all;
    std::lock_guard<spinlock> lock(lock_);
    for (tasklet_impl* t = head_; t != nullptr; t = t->next_of_thread) {
      if (try_add_ref(t)) all.push_back(t);
    }
    return all;
  }
  // for_each_locked: `f(t)` for every tasklet, under the list's lock.
  template <class F>
  void for_each_locked(F&& f) {
    std::lock_guard<spinlock> lock(lock_);
    for (tasklet_impl* t = head_; t != nullptr; t = t->next_of_thread) f(*t);
  }

 private:
  spinlock lock_;
  tasklet_impl* head_ = nullptr;
  tasklet_impl* tail_ = nullptr;
};

}  // namespace slp::core

#endif  // SLP_CORE_THREAD_TASKLETS_HPP
