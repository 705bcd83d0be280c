// SPDX-License-Identifier: MIT
// slp — one thread's reactor (API.md §10): what its tasklets wait for
// besides channels (a moment in time, a descriptor becoming readable or
// writable), and the way the thread sleeps once it uses any of it.
//
// Created on the thread's first use of §10 (a thread that never uses it
// never has one): one epoll instance, an eventfd in it through which other
// threads wake the thread, and the thread's timers (core/timers.hpp). It
// becomes the thread's sleeper (core/sleeper.hpp), so that a sleeping
// thread waits in epoll_wait with its next deadline as the timeout, and a
// hand-off, insert() or kill() from another thread writes the eventfd.
//
// Each wait is an io_wait record, a wait site of the park/wake seam
// (core/wait_site.hpp) holding the waiter's timer and descriptor. Records
// are pooled by the reactor, never on the waiter's stack: a suspended
// tasklet's stack may be in a heap slice while the reactor fires its timer.
//
// Descriptors are watched one-shot (EPOLLONESHOT), not edge-triggered.
// wait_readable() may be called while the descriptor is already readable
// (data left from an earlier read), and an edge-triggered watch reports
// only changes, so it would need a readiness flag per descriptor kept
// right across every read the program makes, which slp never sees.
// Arming a one-shot watch (EPOLL_CTL_ADD or _MOD) makes the kernel look at
// the descriptor's state then, so a ready descriptor is reported at once,
// and once reported nothing more is: a descriptor nobody waits on is never
// reported again (it stays in the set, disarmed, so that the next wait is
// one _MOD). A watch whose waiter leaves first (timeout, kill) is re-armed
// for the waiters left, or removed (EPOLL_CTL_DEL) when none is.
//
// Example (core/io.cpp):
//   io_wait& w = r.acquire(self);      // pooled record
//   r.watch(w, fd, io_wait::readable, op);  // may throw: nothing changed
//   s.park(op, &w, [&](tasklet_impl& me) { r.attach(w, me); });
//   r.release(w);                      // timed_out says why it returned
#ifndef SLP_CORE_REACTOR_HPP
#define SLP_CORE_REACTOR_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <vector>

#include "core/sleeper.hpp"
#include "core/tasklet_impl.hpp"
#include "core/timers.hpp"
#include "core/wait_site.hpp"

namespace slp::core {

class scheduler;
class reactor;

// The operations of a wait for time (or a receive_for()'s timer), and of a
// wait for a descriptor (with or without a timeout).
extern const wait_site_ops io_wait_ops;
extern const wait_site_ops io_descriptor_wait_ops;

// The `blocked` codes of a tasklet parked at an io_wait.
constexpr std::int8_t blocked_on_time = 2;
constexpr std::int8_t blocked_on_descriptor = 3;

// receive_timeout: the bomb that ends a receive_for() whose time is up
// (caught by receive_for itself; never seen by the program).
struct receive_timeout {};

struct io_wait : wait_site, timer_node {
  enum : std::uint8_t { readable = 1, writable = 2 };
  io_wait() noexcept : wait_site(io_wait_ops) {}
  tasklet_impl* waiter = nullptr;
  reactor* home = nullptr;  // the reactor that lent it
  int fd = -1;              // watched, or -1
  std::uint8_t events = 0;  // readable or writable, while watched
  bool timed_out = false;   // its timer went off
  std::uint64_t began = 0;  // order among a descriptor's waiters
  io_wait* next_free = nullptr;
};

class reactor final : public sleeper {
 public:
  // reactor: the epoll instance and its eventfd; slp::error if the kernel
  // refuses either.
  explicit reactor(scheduler& s);
  ~reactor();
  reactor(const reactor&) = delete;
  reactor& operator=(const reactor&) = delete;

  // waiting: records with a timer or a watched descriptor: tasklets of
  // this thread waiting on time or I/O (receive_for() included).
  [[nodiscard]] std::size_t waiting() const noexcept { return waiting_; }

  // acquire / release: a record for a wait of `t`; release takes it out
  // of everything it is still in first (a wait that ends by an exception).
  io_wait& acquire(tasklet_impl& t);
  void release(io_wait& w) noexcept;
  // set_timer: `w` goes off at `deadline` (bad_alloc: nothing changed).
  void set_timer(io_wait& w, clock::time_point deadline);
  // watch: `w` waits for `fd` to become `events` (io_wait::readable or
  // writable). slp::error naming the descriptor and errno's text if epoll
  // cannot watch it, or if another waiter of this thread waits for the
  // same; nothing changed then.
  void watch(io_wait& w, int fd, std::uint8_t events, const char* operation);
  // attach: park()'s enqueue step: `t` waits at `w`.
  void attach(io_wait& w, tasklet_impl& t) noexcept;
  // take_out: `w` leaves its timer and its descriptor's watch; its tasklet
  // stops waiting there (if it did: the return value).
  bool take_out(io_wait& w) noexcept;

  // poll_at_schedule: at a schedule() while something waits: due timers
  // fire and, at most every 200 µs, ready descriptors are taken (API.md
  // §10 "No starvation").
  void poll_at_schedule() noexcept;
  // forget_descriptor: slp::close(): every waiter on `fd` is woken (its
  // wait returns true), and `fd` is no longer watched.
  void forget_descriptor(int fd) noexcept;

  // sleeper: the thread sleeps in epoll_wait until its next deadline, a
  // ready descriptor or a wake(); what became due meanwhile is made
  // runnable before it returns.
  void sleep(std::atomic<std::uint32_t>& word) noexcept override;
  void wake(std::atomic<std::uint32_t>& word) noexcept override;

 private:
  struct descriptor {
    io_wait* reader = nullptr;
    io_wait* writer = nullptr;
    std::uint32_t armed = 0;  // the epoll events of the armed watch, or 0
    bool in_set = false;      // registered in the epoll set
  };
  static constexpr std::size_t pool_chunk = 64;

  void fire(io_wait& w) noexcept;
  void expire(clock::time_point now) noexcept;
  void wait_events(const clock::time_point* deadline) noexcept;
  void ready(int fd, std::uint32_t revents) noexcept;
  void wake_waiter(io_wait& w) noexcept;
  void unwatch(io_wait& w) noexcept;
  // arm: the watch of `fd` becomes `want` (0: removed); false if epoll
  // refused (errno set).
  bool arm(int fd, descriptor& d, std::uint32_t want) noexcept;
  void armed_changed(io_wait& w, bool was_armed) noexcept {
    const bool now_armed = w.pending() || w.fd >= 0;
    if (now_armed != was_armed) now_armed ? ++waiting_ : --waiting_;
  }

  scheduler& scheduler_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  timer_heap timers_;
  std::vector<descriptor> descriptors_;  // indexed by descriptor number
  std::size_t waiting_ = 0;
  std::size_t watched_ = 0;  // records with a watched descriptor
  std::uint64_t next_began_ = 0;
  clock::time_point next_descriptor_poll_{};
  std::vector<std::unique_ptr<io_wait[]>> pool_;
  io_wait* free_ = nullptr;
  std::exception_ptr timeout_bomb_;
};

}  // namespace slp::core

#endif  // SLP_CORE_REACTOR_HPP
