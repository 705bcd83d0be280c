// SPDX-License-Identifier: MIT
// slp — the start of an slp::thread (include/slp/thread.hpp): the new
// thread creates its scheduler, which enrols it in the registry of threads
// (core/inbox.hpp), before the constructor that started it returns.
#include "core/scheduler.hpp"
#include "slp/thread.hpp"

namespace slp::detail {

bool thread_start::started() noexcept {
  std::exception_ptr failure;
  try {
    core::scheduler::of_this_thread();
  } catch (...) {
    failure = std::current_exception();
  }
  // Notified under the lock: the constructor, and this object with it, may
  // be gone as soon as the lock is released.
  std::lock_guard<std::mutex> lock(mutex_);
  failure_ = failure;
  started_ = true;
  done_.notify_one();
  return failure == nullptr;
}

void thread_start::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return started_; });
  if (failure_) std::rethrow_exception(failure_);
}

}  // namespace slp::detail
