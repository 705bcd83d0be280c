// SPDX-License-Identifier: MIT
// slp — the entry points of API.md §10 (sleep_for, sleep_until,
// wait_readable, wait_writable, close, channel<T>::receive_for) and the
// scheduler's side of the reactor (core/reactor.hpp): its creation, and
// the test at schedule() that keeps timers and descriptors from starving.
#include "slp/io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/reactor.hpp"
#include "core/scheduler.hpp"
#include "slp/channel.hpp"
#include "slp/errors.hpp"

namespace slp::core {

reactor& scheduler::io() {
  if (io_ == nullptr) {
    io_ = std::make_unique<reactor>(*this);
    inbox_.use_sleeper(*io_);  // from now on the thread sleeps in epoll
  }
  return *io_;
}

bool scheduler::io_waits() const noexcept {
  return io_ != nullptr && io_->waiting() != 0;
}

// schedule_polling_io: schedule() once the thread has a reactor: what is
// due becomes runnable first (at the tail), then the rest of schedule().
void scheduler::schedule_polling_io() {
  io_->poll_at_schedule();
  if (ring_.count() == 1) return;
  check_switch("slp::schedule");
  begin();
  ring_.set_current(ring_.current()->next);
  switch_to_current();
}

namespace {

// record: an io_wait of the running tasklet, given back however the wait
// ends (woken, timed out, killed, or refused before it began).
class record {
 public:
  record(reactor& r, tasklet_impl& self) : r_(r), w_(r.acquire(self)) {}
  record(const record&) = delete;
  record& operator=(const record&) = delete;
  ~record() { r_.release(w_); }
  io_wait& operator*() const noexcept { return w_; }
  io_wait* operator->() const noexcept { return &w_; }

 private:
  reactor& r_;
  io_wait& w_;
};

// check_wait: a wait's errors, before anything changes: a hook running,
// the caller's block_trap, the switch trap.
void check_wait(scheduler& s, const char* operation) {
  if (s.hooks().running()) s.check_switch(operation);
  if (s.current().block_trap) {
    throw block_trap_error(std::string(operation) +
                           ": this tasklet does not like to be blocked.");
  }
  s.check_switch(operation);
}

// deadline_after: now + `d`, saturated at the clock's end.
clock::time_point deadline_after(std::chrono::nanoseconds d) noexcept {
  const clock::time_point now = clock::now();
  if (d.count() <= 0) return now;
  if (d > clock::time_point::max() - now) return clock::time_point::max();
  return now + std::chrono::duration_cast<clock::duration>(d);
}

// park_at: the running tasklet waits at its record until it is woken.
void park_at(scheduler& s, reactor& r, io_wait& w, const char* operation) {
  s.park(operation, &w, [&](tasklet_impl& me) { r.attach(w, me); });
}

// sleep_until_as: sleep_until(), its errors naming `operation`.
void sleep_until_as(clock::time_point t, const char* operation) {
  scheduler& s = scheduler::of_this_thread();
  owner_gate::section inside(s.gate());
  if (t <= clock::now()) {
    s.schedule();
    return;
  }
  s.drain_incoming();
  check_wait(s, operation);
  reactor& r = s.io();
  record w(r, s.current());
  r.set_timer(*w, t);
  park_at(s, r, *w, operation);
}

bool wait_descriptor(int fd, std::uint8_t events,
                     std::chrono::nanoseconds timeout, const char* operation) {
  scheduler& s = scheduler::of_this_thread();
  owner_gate::section inside(s.gate());
  s.drain_incoming();
  check_wait(s, operation);
  reactor& r = s.io();
  record w(r, s.current());
  r.watch(*w, fd, events, operation);
  if (timeout.count() >= 0) r.set_timer(*w, deadline_after(timeout));
  park_at(s, r, *w, operation);
  return !w->timed_out;
}

}  // namespace

}  // namespace slp::core

namespace slp {

void sleep_for(std::chrono::nanoseconds d) {
  if (d.count() <= 0) {
    core::scheduler& s = core::scheduler::of_this_thread();
    core::owner_gate::section inside(s.gate());
    s.schedule();
    return;
  }
  core::sleep_until_as(core::deadline_after(d), "slp::sleep_for");
}

void sleep_until(std::chrono::steady_clock::time_point t) {
  core::sleep_until_as(t, "slp::sleep_until");
}

bool wait_readable(int fd, std::chrono::nanoseconds timeout) {
  return core::wait_descriptor(fd, core::io_wait::readable, timeout,
                               "slp::wait_readable");
}

bool wait_writable(int fd, std::chrono::nanoseconds timeout) {
  return core::wait_descriptor(fd, core::io_wait::writable, timeout,
                               "slp::wait_writable");
}

void close(int fd) {
  if (::fcntl(fd, F_GETFD) < 0) {
    throw error("slp::close: descriptor " + std::to_string(fd) +
                " cannot be closed: " + std::strerror(errno));
  }
  if (core::scheduler* s = core::scheduler::if_exists()) {
    core::owner_gate::section inside(s->gate());
    if (core::reactor* r = s->io_reactor()) r->forget_descriptor(fd);
  }
  // Linux closes the descriptor even when close() reports EINTR.
  if (::close(fd) != 0 && errno != EINTR) {
    throw error("slp::close: descriptor " + std::to_string(fd) + ": " +
                std::strerror(errno));
  }
}

namespace detail {

bool channel_receive_for(core::channel_state& ch, const value_ops& ops,
                         void* out, std::chrono::nanoseconds timeout) {
  core::scheduler& s = core::scheduler::of_this_thread();
  core::owner_gate::section inside(s.gate());
  core::reactor& r = s.io();
  core::record w(r, s.current());
  r.set_timer(*w, core::deadline_after(timeout));
  try {
    channel_receive(ch, ops, out);
  } catch (const core::receive_timeout&) {
    return false;  // it left the queue when its timer went off
  }
  return true;
}

}  // namespace detail

}  // namespace slp
