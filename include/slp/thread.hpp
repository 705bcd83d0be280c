// SPDX-License-Identifier: MIT
// slp::thread: a std::thread that joins when it is destroyed (as C++20's
// std::jthread, without the stop token) and whose scheduler exists before
// its constructor returns (API.md §8). From that moment the new thread
// counts as one that could wake others: a thread that starts a producer
// and then blocks on a receive sleeps until the producer sends, instead of
// getting deadlock_error because the producer has not made its first slp
// call yet (docs/DESIGN.md, "Threads").
//
// Example:
//   slp::channel<int> c;
//   slp::thread producer([c]() mutable { c.send(42); });
//   int v = c.receive();  // sleeps until the producer sends
#ifndef SLP_THREAD_HPP
#define SLP_THREAD_HPP

#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>

namespace slp {

namespace detail {

// thread_start: the hand-shake of slp::thread's constructor with the
// thread it starts.
class thread_start {
 public:
  // started: in the new thread: creates its scheduler, then lets the
  // constructor return. False if the scheduler could not be created.
  bool started() noexcept;
  // wait: in the constructor: until started() has been called; rethrows
  // the exception that kept the scheduler from being created.
  void wait();

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  bool started_ = false;
  std::exception_ptr failure_;
};

}  // namespace detail

class thread {
 public:
  using id = std::thread::id;

  thread() noexcept = default;
  // thread(fn, args...): runs fn(args...) (decayed copies, as std::thread)
  // in a new thread whose scheduler already exists when this returns. An
  // exception that escapes fn ends the process, as with std::thread.
  template <
      class F, class... A,
      class = std::enable_if_t<!std::is_same<std::decay_t<F>, thread>::value>>
  explicit thread(F&& fn, A&&... args) {
    detail::thread_start start;
    thread_ = std::thread(
        [](detail::thread_start* s, std::decay_t<F> f, std::decay_t<A>... a) {
          if (!s->started()) return;
          std::invoke(std::move(f), std::move(a)...);
        },
        &start, std::forward<F>(fn), std::forward<A>(args)...);
    try {
      start.wait();
    } catch (...) {
      thread_.join();
      throw;
    }
  }
  thread(const thread&) = delete;
  thread& operator=(const thread&) = delete;
  thread(thread&&) noexcept = default;
  // Joins the thread this one held, if any, then takes `other`'s.
  thread& operator=(thread&& other) noexcept {
    if (this != &other) {
      if (thread_.joinable()) thread_.join();
      thread_ = std::move(other.thread_);
    }
    return *this;
  }
  ~thread() {
    if (thread_.joinable()) thread_.join();
  }

  [[nodiscard]] bool joinable() const noexcept { return thread_.joinable(); }
  [[nodiscard]] id get_id() const noexcept { return thread_.get_id(); }
  // join / detach: as std::thread's (std::system_error on misuse).
  void join() { thread_.join(); }
  void detach() { thread_.detach(); }

 private:
  std::thread thread_;
};

}  // namespace slp

#endif  // SLP_THREAD_HPP
