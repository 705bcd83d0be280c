// SPDX-License-Identifier: MIT
// slp — the reactor (core/reactor.hpp): epoll, the eventfd, the timers,
// and how each kind of wait ends.
#include "core/reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <string>

#include "core/scheduler.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

constexpr std::uint64_t wake_key = ~std::uint64_t{0};
constexpr int events_per_wait = 64;
constexpr auto descriptor_poll_interval = std::chrono::microseconds(200);

io_wait& record_of(wait_site& site) noexcept {
  return static_cast<io_wait&>(site);
}

// The site's operations: the reactor is the thread's own, and every call
// comes from that thread, so there is no lock.
bool cancel_io_wait(wait_site& site, tasklet_impl& t,
                    wait_place* was) noexcept {
  io_wait& w = record_of(site);
  if (t.waiting_on.load(std::memory_order_relaxed) != &site) return false;
  if (was != nullptr) *was = wait_place{nullptr, t.blocked.load()};
  w.home->take_out(w);
  return true;
}

// A wake of an io_wait never switches, so nothing undoes one; this only
// puts back the record of what the tasklet waited on.
void put_back_io_wait(wait_site& site, tasklet_impl& t,
                      wait_place was) noexcept {
  t.waiting_on.store(&site, std::memory_order_relaxed);
  t.blocked.store(static_cast<std::int8_t>(was.how), std::memory_order_relaxed);
}

std::uint32_t epoll_events(std::uint8_t which) noexcept {
  std::uint32_t e = 0;
  if ((which & io_wait::readable) != 0) e |= EPOLLIN | EPOLLRDHUP;
  if ((which & io_wait::writable) != 0) e |= EPOLLOUT;
  return e;
}

[[noreturn]] void fail_to_create(const char* what) {
  throw error(std::string("slp: cannot create the thread's reactor (") + what +
              "): " + std::strerror(errno));
}

}  // namespace

const wait_site_ops io_wait_ops{wait_kind::time, &cancel_io_wait,
                                &put_back_io_wait};
const wait_site_ops io_descriptor_wait_ops{wait_kind::descriptor,
                                           &cancel_io_wait, &put_back_io_wait};

// --- creation ---

reactor::reactor(scheduler& s) : scheduler_(s) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) fail_to_create("epoll_create1");
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    const int e = errno;
    ::close(epoll_fd_);
    errno = e;
    fail_to_create("eventfd");
  }
  epoll_event ev{};
  ev.events = EPOLLIN;  // level-triggered: drained at every wake-up
  ev.data.u64 = wake_key;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) != 0) {
    const int e = errno;
    ::close(wake_fd_);
    ::close(epoll_fd_);
    errno = e;
    fail_to_create("epoll_ctl");
  }
  timeout_bomb_ = std::make_exception_ptr(receive_timeout{});
}

reactor::~reactor() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

// --- records ---

io_wait& reactor::acquire(tasklet_impl& t) {
  if (free_ == nullptr) {
    auto chunk = std::make_unique<io_wait[]>(pool_chunk);
    pool_.reserve(pool_.size() + 1);
    for (std::size_t i = pool_chunk; i-- > 0;) {
      chunk[i].next_free = free_;
      free_ = &chunk[i];
    }
    pool_.push_back(std::move(chunk));
  }
  io_wait& w = *free_;
  free_ = w.next_free;
  w.next_free = nullptr;
  w.waiter = &t;
  w.home = this;
  w.timed_out = false;
  w.ops = &io_wait_ops;
  return w;
}

void reactor::release(io_wait& w) noexcept {
  take_out(w);
  w.waiter = nullptr;
  w.next_free = free_;
  free_ = &w;
}

void reactor::set_timer(io_wait& w, clock::time_point deadline) {
  const bool was_armed = w.pending() || w.fd >= 0;
  timers_.push(w, deadline);
  armed_changed(w, was_armed);
}

void reactor::attach(io_wait& w, tasklet_impl& t) noexcept {
  t.waiting_on.store(&w, std::memory_order_relaxed);
  t.blocked.store(w.fd >= 0 ? blocked_on_descriptor : blocked_on_time,
                  std::memory_order_relaxed);
}

bool reactor::take_out(io_wait& w) noexcept {
  const bool was_armed = w.pending() || w.fd >= 0;
  if (w.pending()) timers_.remove(w);
  if (w.fd >= 0) unwatch(w);
  armed_changed(w, was_armed);
  tasklet_impl* t = w.waiter;
  if (t == nullptr || t->waiting_on.load(std::memory_order_relaxed) != &w) {
    return false;
  }
  t->waiting_on.store(nullptr, std::memory_order_relaxed);
  t->blocked.store(0, std::memory_order_relaxed);
  return true;
}

// --- descriptors ---

bool reactor::arm(int fd, descriptor& d, std::uint32_t want) noexcept {
  if (want == 0) {
    if (d.in_set) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    d.in_set = false;
    d.armed = 0;
    return true;
  }
  epoll_event ev{};
  ev.events = want | EPOLLONESHOT;
  ev.data.u64 = static_cast<std::uint64_t>(fd);
  int op = d.in_set ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int rc = ::epoll_ctl(epoll_fd_, op, fd, &ev);
  if (rc != 0 && op == EPOLL_CTL_MOD && errno == ENOENT) {
    // The file it named was closed and the number reused: a new watch.
    rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  } else if (rc != 0 && op == EPOLL_CTL_ADD && errno == EEXIST) {
    rc = ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev);
  }
  if (rc != 0) return false;
  d.in_set = true;
  d.armed = want;
  return true;
}

void reactor::watch(io_wait& w, int fd, std::uint8_t events,
                    const char* operation) {
  const auto refuse = [&](const std::string& why) {
    throw error(std::string(operation) + ": descriptor " + std::to_string(fd) +
                " " + why);
  };
  if (fd < 0) {
    refuse(std::string("cannot be watched: ") + std::strerror(EBADF));
  }
  if (fd == epoll_fd_ || fd == wake_fd_) {
    refuse(
        "cannot be watched: it is this thread's own reactor (closed and "
        "reused?)");
  }
  const auto index = static_cast<std::size_t>(fd);
  if (index >= descriptors_.size()) descriptors_.resize(index + 1);
  descriptor& d = descriptors_[index];
  io_wait*& slot = events == io_wait::readable ? d.reader : d.writer;
  if (slot != nullptr) {
    refuse(std::string("already has a waiting tasklet in this thread for "
                       "becoming ") +
           (events == io_wait::readable ? "readable" : "writable"));
  }
  const std::uint8_t now_waited = static_cast<std::uint8_t>(
      (d.reader != nullptr ? io_wait::readable : 0) |
      (d.writer != nullptr ? io_wait::writable : 0) | events);
  if (!arm(fd, d, epoll_events(now_waited))) {
    const int e = errno;
    std::string why = std::string("cannot be watched: ") + std::strerror(e);
    if (e == EPERM) why += " (epoll cannot watch a regular file or directory)";
    refuse(why);
  }
  const bool was_armed = w.pending() || w.fd >= 0;
  slot = &w;
  w.ops = &io_descriptor_wait_ops;
  w.fd = fd;
  w.events = events;
  w.began = next_began_++;
  ++watched_;
  armed_changed(w, was_armed);
}

void reactor::unwatch(io_wait& w) noexcept {
  const int fd = w.fd;
  descriptor& d = descriptors_[static_cast<std::size_t>(fd)];
  (w.events == io_wait::readable ? d.reader : d.writer) = nullptr;
  w.fd = -1;
  --watched_;
  // What is left armed for the others (a disarmed watch stays disarmed).
  if (d.armed != 0) {
    const std::uint8_t left = static_cast<std::uint8_t>(
        (d.reader != nullptr ? io_wait::readable : 0) |
        (d.writer != nullptr ? io_wait::writable : 0));
    arm(fd, d, epoll_events(left));  // a failure leaves the others to
                                     // their timeout, kill or slp::close
  }
}

void reactor::wake_waiter(io_wait& w) noexcept {
  tasklet_impl* t = w.waiter;
  if (take_out(w)) scheduler_.wake(*t);
}

void reactor::ready(int fd, std::uint32_t revents) noexcept {
  const auto index = static_cast<std::size_t>(fd);
  if (index >= descriptors_.size()) return;
  descriptor& d = descriptors_[index];
  d.armed = 0;  // a one-shot watch is disarmed once reported
  const bool failed = (revents & (EPOLLERR | EPOLLHUP)) != 0;
  io_wait* r =
      d.reader != nullptr && (failed || (revents & (EPOLLIN | EPOLLRDHUP)) != 0)
          ? d.reader
          : nullptr;
  io_wait* w = d.writer != nullptr && (failed || (revents & EPOLLOUT) != 0)
                   ? d.writer
                   : nullptr;
  if (r != nullptr && w != nullptr && w->began < r->began) std::swap(r, w);
  if (r != nullptr) wake_waiter(*r);
  if (w != nullptr) wake_waiter(*w);
  // A waiter for the other direction is still there: watch for it again.
  const std::uint8_t left =
      static_cast<std::uint8_t>((d.reader != nullptr ? io_wait::readable : 0) |
                                (d.writer != nullptr ? io_wait::writable : 0));
  if (left != 0 && !arm(fd, d, epoll_events(left))) {
    if (d.reader != nullptr) wake_waiter(*d.reader);  // its read says why
    if (d.writer != nullptr) wake_waiter(*d.writer);
  }
}

void reactor::forget_descriptor(int fd) noexcept {
  if (fd < 0 || static_cast<std::size_t>(fd) >= descriptors_.size()) return;
  descriptor& d = descriptors_[static_cast<std::size_t>(fd)];
  io_wait* r = d.reader;
  io_wait* w = d.writer;
  if (r != nullptr && w != nullptr && w->began < r->began) std::swap(r, w);
  d.armed = 0;  // no re-arming while they leave
  if (r != nullptr) wake_waiter(*r);
  if (w != nullptr) wake_waiter(*w);
  arm(fd, d, 0);
}

// --- time ---

void reactor::fire(io_wait& w) noexcept {
  tasklet_impl& t = *w.waiter;
  const bool own_site = t.waiting_on.load(std::memory_order_relaxed) == &w;
  const bool was_armed = true;
  timers_.remove(w);
  armed_changed(w, was_armed);
  w.timed_out = true;
  if (own_site) {
    take_out(w);
    scheduler_.wake(t);
  } else if (scheduler_.cancel_wait(t)) {
    // receive_for(): it has left the channel's queue; it raises this and
    // returns std::nullopt.
    t.bomb = timeout_bomb_;
    scheduler_.wake(t);
  }  // else a partner woke it first: it receives its value
}

void reactor::expire(clock::time_point now) noexcept {
  while (!timers_.empty() && timers_.next_deadline() <= now) {
    fire(static_cast<io_wait&>(*timers_.top()));
  }
}

// --- the thread's sleep and the scheduling points ---

void reactor::poll_at_schedule() noexcept {
  if (waiting_ == 0) return;
  const clock::time_point now = clock::now();
  if (watched_ != 0 && now >= next_descriptor_poll_) {
    next_descriptor_poll_ = now + descriptor_poll_interval;
    const clock::time_point immediately = now;
    wait_events(&immediately);
  }
  if (!timers_.empty() && timers_.next_deadline() <= now) expire(now);
}

void reactor::sleep(std::atomic<std::uint32_t>& word) noexcept {
  (void)word;  // the eventfd, written by wake(), ends the wait
  if (timers_.empty()) {
    wait_events(nullptr);
  } else {
    const clock::time_point deadline = timers_.next_deadline();
    wait_events(&deadline);
  }
  if (!timers_.empty()) expire(clock::now());
}

void reactor::wake(std::atomic<std::uint32_t>& word) noexcept {
  (void)word;
  const std::uint64_t one = 1;
  while (::write(wake_fd_, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

namespace {

// wait_for: epoll_wait with a timeout of `ns` nanoseconds (epoll_pwait2
// where the C library and the kernel have it, else whole milliseconds
// rounded up: a wake-up may be late, never early).
int wait_for(int epoll_fd, epoll_event* events, long long ns) noexcept {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 35)
  static std::atomic<bool> no_pwait2{false};
  if (!no_pwait2.load(std::memory_order_relaxed)) {
    const timespec ts{static_cast<std::time_t>(ns / 1'000'000'000),
                      static_cast<long>(ns % 1'000'000'000)};
    const int n =
        ::epoll_pwait2(epoll_fd, events, events_per_wait, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    no_pwait2.store(true, std::memory_order_relaxed);
  }
#endif
  const long long ms = (ns + 999'999) / 1'000'000;
  return ::epoll_wait(
      epoll_fd, events, events_per_wait,
      ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms));
}

}  // namespace

// wait_events: one epoll_wait until `deadline` (null: no limit); what is
// ready is handled. Returns early on a signal (EINTR): the caller looks
// again.
void reactor::wait_events(const clock::time_point* deadline) noexcept {
  epoll_event events[events_per_wait];
  int n;
  if (deadline == nullptr) {
    // Asleep, the thread is outside slp: other threads act at once.
    owner_gate::outside sleeping(scheduler_.gate());
    n = ::epoll_wait(epoll_fd_, events, events_per_wait, -1);
  } else {
    const auto left = *deadline - clock::now();
    if (left.count() <= 0) {
      n = wait_for(epoll_fd_, events, 0);
    } else {
      owner_gate::outside sleeping(scheduler_.gate());
      n = wait_for(
          epoll_fd_, events,
          std::chrono::duration_cast<std::chrono::nanoseconds>(left).count());
    }
  }
  for (int i = 0; i < n; ++i) {
    if (events[i].data.u64 == wake_key) {
      std::uint64_t count;
      while (::read(wake_fd_, &count, sizeof count) < 0 && errno == EINTR) {
      }
    } else {
      ready(static_cast<int>(events[i].data.u64), events[i].events);
    }
  }
}

}  // namespace slp::core
