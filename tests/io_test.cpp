// SPDX-License-Identifier: MIT
// Time and I/O (API.md §10): sleep_for / sleep_until and the order in which
// sleepers wake; wait_readable / wait_writable on pipes written by another
// tasklet and by another thread, with and without a timeout; slp::close
// waking a waiter; channel<T>::receive_for timing out and receiving in
// time; kill() and throw_exception() of every kind of waiter, leaving
// nothing watched; every error of §10 with nothing changed; the state of a
// waiting tasklet; the deadlock and run() rules; no starvation while others
// keep calling schedule(); 10,000 sleepers; a signal storm.
//
// Time is only ever asserted as a lower bound (nobody wakes early) or as
// an order; the upper bounds (seconds) only stop a test that would hang.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/sanitizer.hpp"
#include "core/scheduler.hpp"
#include "slp/slp.hpp"
#include "test_support.hpp"

namespace slp::test {
namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

// io_waits: a tasklet of this thread waits on time or I/O.
bool io_waits() {
  core::scheduler* s = core::scheduler::if_exists();
  return s != nullptr && s->io_waits();
}

// IoTest: SlpTest, and nothing left waiting on time or I/O.
class IoTest : public SlpTest {
 protected:
  void TearDown() override {
    EXPECT_FALSE(io_waits()) << "a timer or a watch left behind";
    SlpTest::TearDown();
  }
};

// a_pipe: a non-blocking pipe, both ends closed at scope exit (unless
// closed already, then set to -1).
struct a_pipe {
  a_pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) std::abort();
    read_end = fds[0];
    write_end = fds[1];
  }
  a_pipe(const a_pipe&) = delete;
  a_pipe& operator=(const a_pipe&) = delete;
  ~a_pipe() {
    if (read_end >= 0) ::close(read_end);
    if (write_end >= 0) ::close(write_end);
  }
  void put(char c) const { ASSERT_EQ(::write(write_end, &c, 1), 1); }
  [[nodiscard]] int take() const {
    char c;
    return ::read(read_end, &c, 1) == 1 ? c : -1;
  }
  int read_end;
  int write_end;
};

// fill: writes into `fd` until it would block.
void fill(int fd) {
  static const char block[4096] = {};
  while (::write(fd, block, sizeof block) > 0) {
  }
}

template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception";
  return "";
}

// open_gate: every tasklet created so far runs up to its gate.receive();
// then `base` is set far enough ahead (`least`, plus twice what that took:
// a sanitizer or an emulator is slow) that all `n` of them, let through
// one after another, begin to sleep before it; then the gate opens.
void open_gate(channel<int>& gate, int n, clock_type::time_point& base,
               clock_type::duration least) {
  const auto start = clock_type::now();
  while (run_count() > 1) schedule();
  base = clock_type::now() + least + 2 * (clock_type::now() - start);
  for (int i = 0; i < n; ++i) gate.send(0);
}

// --- sleeping ---

TEST_F(IoTest, SleepersWakeInDeadlineOrderThenInTheOrderTheyBegan) {
  channel<int> gate;
  clock_type::time_point base;
  std::vector<std::string> order;
  int late = 0;
  auto sleeper = [&](std::string name, clock_type::duration after) {
    gate.receive();
    const auto until = base + after;
    if (clock_type::now() >= until) ++late;
    sleep_until(until);
    EXPECT_GE(clock_type::now(), until) << name << " woke early";
    order.push_back(std::move(name));
  };
  tasklet{sleeper}(std::string("a"), clock_type::duration(30ms));
  tasklet{sleeper}(std::string("b"), clock_type::duration(10ms));
  tasklet{sleeper}(std::string("c"), clock_type::duration(20ms));
  tasklet{sleeper}(std::string("d"), clock_type::duration(10ms));
  tasklet{sleeper}(std::string("e"), clock_type::duration(0ms));
  open_gate(gate, 5, base, 20ms);
  run();
  EXPECT_EQ(late, 0);
  EXPECT_EQ(order, (std::vector<std::string>{"e", "b", "d", "c", "a"}));
}

TEST_F(IoTest, SleepForWaitsAtLeastItsDuration) {
  std::vector<int> order;
  clock_type::duration slept{};
  tasklet{[&] {
    const auto start = clock_type::now();
    sleep_for(15ms);
    slept = clock_type::now() - start;
    order.push_back(1);
  }}();
  tasklet{[&] { order.push_back(2); }}();
  run();
  EXPECT_EQ(order, (std::vector<int>{2, 1}));
  EXPECT_GE(slept, 15ms);
}

TEST_F(IoTest, SleepForZeroOrNegativeBehavesAsSchedule) {
  std::vector<std::string> trace;
  tasklet{[&] {
    trace.push_back("a1");
    sleep_for(0ns);
    trace.push_back("a2");
    sleep_for(-5ms);
    trace.push_back("a3");
  }}();
  tasklet{[&] {
    trace.push_back("b1");
    schedule();
    trace.push_back("b2");
    schedule();
    trace.push_back("b3");
  }}();
  run();
  EXPECT_EQ(trace,
            (std::vector<std::string>{"a1", "b1", "a2", "b2", "a3", "b3"}));
}

TEST_F(IoTest, ADeadlineAlreadyPastIsNowNotAnError) {
  std::vector<std::string> trace;
  tasklet{[&] {
    trace.push_back("a1");
    sleep_until(clock_type::time_point::min());
    trace.push_back("a2");
  }}();
  tasklet{[&] { trace.push_back("b"); }}();
  run();
  EXPECT_EQ(trace, (std::vector<std::string>{"a1", "b", "a2"}));
}

TEST_F(IoTest, MainSleepsAlone) {
  const auto start = clock_type::now();
  sleep_for(20ms);
  EXPECT_GE(clock_type::now() - start, 20ms);
  EXPECT_EQ(run_count(), 1u);
}

TEST_F(IoTest, MainSleepsWhileAnotherTaskletSleeps) {
  std::vector<int> order;
  tasklet{[&] {
    sleep_for(10ms);
    order.push_back(1);
  }}();
  schedule();  // it starts and sleeps
  sleep_for(30ms);
  order.push_back(2);
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
}

TEST_F(IoTest, ASleeperIsBlockedAndScheduledNotPaused) {
  tasklet t{[] { sleep_for(20ms); }};
  t();
  schedule();
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.blocked());
  EXPECT_TRUE(t.scheduled());
  EXPECT_FALSE(t.paused());
  EXPECT_FALSE(t.prev().has_value());
  EXPECT_FALSE(t.next().has_value());
  EXPECT_EQ(run_count(), 1u);
  EXPECT_TRUE(io_waits());
  run();
  EXPECT_FALSE(t.alive());
}

TEST_F(IoTest, RunReturnsOnlyWhenNothingWaitsOnTimeOrIo) {
  a_pipe p;
  std::vector<std::string> trace;
  tasklet{[&] {
    sleep_for(10ms);
    trace.push_back("slept");
    p.put('x');
  }}();
  tasklet{[&] {
    EXPECT_TRUE(wait_readable(p.read_end));
    trace.push_back("read " + std::string(1, static_cast<char>(p.take())));
  }}();
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(trace, (std::vector<std::string>{"slept", "read x"}));
}

TEST_F(IoTest, AnEndingTaskletIsNoDeadlockWhileAnotherSleeps) {
  channel<int> ch;
  tasklet{[&] {
    sleep_for(10ms);
    ch.send(7);
  }}();
  tasklet{[] {}}();  // ends while main waits and the first sleeps
  EXPECT_EQ(ch.receive(), 7);
  run();  // the sender ends
}

TEST_F(IoTest, ABlockedMainIsNoDeadlockWhileATaskletSleeps) {
  channel<int> ch;
  tasklet{[&] {
    sleep_for(10ms);
    ch.send(3);
  }}();
  EXPECT_EQ(ch.receive(), 3);
  run();
}

// --- descriptors ---

TEST_F(IoTest, APipeWrittenByAnotherTasklet) {
  a_pipe p;
  std::vector<std::string> trace;
  tasklet{[&] {
    trace.push_back("waits");
    EXPECT_TRUE(wait_readable(p.read_end));
    trace.push_back("read " + std::string(1, static_cast<char>(p.take())));
  }}();
  tasklet{[&] {
    sleep_for(5ms);
    trace.push_back("writes");
    p.put('q');
  }}();
  run();
  EXPECT_EQ(trace, (std::vector<std::string>{"waits", "writes", "read q"}));
}

TEST_F(IoTest, APipeWrittenByAnotherThread) {
  a_pipe p;
  std::thread writer([&] {
    std::this_thread::sleep_for(10ms);
    p.put('t');
  });
  const auto start = clock_type::now();
  EXPECT_TRUE(wait_readable(p.read_end));
  EXPECT_EQ(p.take(), 't');
  EXPECT_LT(clock_type::now() - start, 2s);
  writer.join();
}

TEST_F(IoTest, AnAlreadyReadyDescriptorIsReportedAtOnce) {
  a_pipe p;
  p.put('a');
  EXPECT_TRUE(wait_readable(p.read_end, 2s));
  EXPECT_TRUE(wait_readable(p.read_end, 2s));  // still unread: still ready
  EXPECT_EQ(p.take(), 'a');
  EXPECT_TRUE(wait_writable(p.write_end, 2s));
}

TEST_F(IoTest, WaitReadableTimesOutThenWaitsAgain) {
  a_pipe p;
  const auto start = clock_type::now();
  EXPECT_FALSE(wait_readable(p.read_end, 15ms));
  EXPECT_GE(clock_type::now() - start, 15ms);
  EXPECT_FALSE(io_waits());
  p.put('z');
  EXPECT_TRUE(wait_readable(p.read_end, 2s));
  EXPECT_EQ(p.take(), 'z');
}

TEST_F(IoTest, WaitWritableWaitsForRoom) {
  a_pipe p;
  fill(p.write_end);
  std::vector<std::string> trace;
  tasklet{[&] {
    EXPECT_FALSE(wait_writable(p.write_end, 5ms));
    trace.push_back("full");
    EXPECT_TRUE(wait_writable(p.write_end));
    trace.push_back("room");
  }}();
  tasklet{[&] {
    sleep_for(20ms);
    char buf[65536];
    while (::read(p.read_end, buf, sizeof buf) > 0) {
    }
    trace.push_back("drained");
  }}();
  run();
  EXPECT_EQ(trace, (std::vector<std::string>{"full", "drained", "room"}));
}

TEST_F(IoTest, AReaderAndAWriterOfOneDescriptorWakeInTheOrderTheyBegan) {
  // A socket pair: one descriptor both readable and writable.
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
  std::vector<std::string> order;
  fill(sv[0]);  // sv[0] not writable, and sv[0] has nothing to read
  tasklet{[&] {
    EXPECT_TRUE(wait_writable(sv[0]));
    order.push_back("writer");
  }}();
  tasklet{[&] {
    EXPECT_TRUE(wait_readable(sv[0]));
    order.push_back("reader");
  }}();
  schedule();  // both wait now
  EXPECT_EQ(run_count(), 1u);
  // Both become ready at once: readable (a byte) and writable (drained).
  char buf[65536];
  while (::read(sv[1], buf, sizeof buf) > 0) {
  }
  const char c = 'x';
  ASSERT_EQ(::write(sv[1], &c, 1), 1);
  run();
  EXPECT_EQ(order, (std::vector<std::string>{"writer", "reader"}));
  ::close(sv[0]);
  ::close(sv[1]);
}

TEST_F(IoTest, SlpCloseWakesAWaiterWhoseReadThenFails) {
  a_pipe p;
  int read_errno = 0;
  bool result = false;
  const int fd = p.read_end;
  tasklet{[&] {
    result = wait_readable(fd);
    char c;
    if (::read(fd, &c, 1) < 0) read_errno = errno;
  }}();
  schedule();
  EXPECT_EQ(run_count(), 1u);
  slp::close(fd);
  p.read_end = -1;
  EXPECT_EQ(run_count(), 2u);  // woken, at the tail
  run();
  EXPECT_TRUE(result);
  EXPECT_EQ(read_errno, EBADF);
}

// --- kill() and throw_exception() of waiters ---

TEST_F(IoTest, KillingASleeperEndsItsWaitAndItsTimer) {
  int destroyed = 0;
  bool after = false;
  tasklet t{[&] {
    destructor_counter d(&destroyed);
    sleep_for(1h);
    after = true;
  }};
  t();
  schedule();
  ASSERT_TRUE(io_waits());
  t.kill();
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(after);
  EXPECT_FALSE(io_waits());
}

TEST_F(IoTest, ThrowingIntoASleeperRaisesAtTheSleep) {
  std::string caught;
  tasklet t{[&] {
    try {
      sleep_for(1h);
    } catch (const std::runtime_error& e) {
      caught = e.what();
    }
  }};
  t();
  schedule();
  t.raise_exception<std::runtime_error>("wake up");
  EXPECT_FALSE(io_waits());
  run();
  EXPECT_EQ(caught, "wake up");
}

TEST_F(IoTest, KillingADescriptorWaiterLeavesNothingWatched) {
  a_pipe p;
  int destroyed = 0;
  tasklet t{[&] {
    destructor_counter d(&destroyed);
    (void)wait_readable(p.read_end);
  }};
  t();
  schedule();
  t.kill();
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(io_waits());
  // A second wait on the same descriptor and direction works.
  bool ok = false;
  tasklet{[&] { ok = wait_readable(p.read_end, 2s) && p.take() == 'k'; }}();
  schedule();
  p.put('k');
  run();
  EXPECT_TRUE(ok);
}

TEST_F(IoTest, ThrowingIntoADescriptorWaiterWithATimeout) {
  a_pipe p;
  std::string caught;
  tasklet t{[&] {
    try {
      (void)wait_writable(p.write_end, 1h);
    } catch (const std::logic_error& e) {
      caught = e.what();
    }
  }};
  fill(p.write_end);
  t();
  schedule();
  EXPECT_TRUE(t.blocked());
  t.raise_exception<std::logic_error>("stop");
  EXPECT_FALSE(io_waits());
  run();
  EXPECT_EQ(caught, "stop");
  EXPECT_TRUE(wait_readable(p.read_end, 2s));  // the set still works
}

TEST_F(IoTest, KillFromAnotherThreadWakesAThreadAsleepInItsReactor) {
  std::atomic<bool> started{false};
  std::atomic<bool> killed{false};
  tasklet sleeper;
  std::thread other([&] {
    sleeper = tasklet{[&] {
      try {
        sleep_for(1h);
      } catch (const tasklet_exit&) {
        killed = true;
        throw;
      }
    }};
    sleeper();
    schedule();
    started = true;
    run();  // sleeps in epoll until the kill arrives
  });
  while (!started) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(10ms);  // let it fall asleep (not required)
  sleeper.kill();
  other.join();
  EXPECT_TRUE(killed);
  EXPECT_FALSE(sleeper.alive());
}

TEST_F(IoTest, AChannelHandOffFromAnotherThreadWakesAThreadInEpoll) {
  channel<int> ch;
  int got = 0;
  std::thread other([&] {
    a_pipe p;  // nobody writes it: the thread sleeps in epoll_wait
    tasklet waiter{[&] { (void)wait_readable(p.read_end, 10s); }};
    waiter();
    schedule();
    got = ch.receive();
    slp::close(p.read_end);
    p.read_end = -1;
    run();
  });
  while (ch.balance() != -1) std::this_thread::sleep_for(1ms);
  const auto start = clock_type::now();
  ch.send(42);
  other.join();
  EXPECT_EQ(got, 42);
  EXPECT_LT(clock_type::now() - start, 5s) << "woken by its timeout only";
}

// --- receive_for ---

TEST_F(IoTest, ReceiveForTimesOutAndLeavesTheQueue) {
  channel<int> ch;
  const auto start = clock_type::now();
  EXPECT_EQ(ch.receive_for(15ms), std::nullopt);
  EXPECT_GE(clock_type::now() - start, 15ms);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(ch.queue().has_value());
}

TEST_F(IoTest, ReceiveForInATaskletTimesOutWhileOthersRun) {
  channel<std::string> ch;
  std::vector<std::string> trace;
  tasklet{[&] {
    auto v = ch.receive_for(10ms);
    trace.push_back(v ? *v : "timed out");
    EXPECT_EQ(ch.balance(), 0);
  }}();
  tasklet{[&] {
    trace.push_back("other");
    EXPECT_EQ(ch.balance(), -1);
  }}();
  run();
  EXPECT_EQ(trace, (std::vector<std::string>{"other", "timed out"}));
}

TEST_F(IoTest, ReceiveForReceivesInTime) {
  channel<std::string> ch;
  tasklet{[&] {
    sleep_for(5ms);
    ch.send("in time");
  }}();
  EXPECT_EQ(ch.receive_for(10s), std::optional<std::string>("in time"));
  EXPECT_FALSE(io_waits());
  run();
  EXPECT_EQ(ch.balance(), 0);
}

TEST_F(IoTest, ReceiveForTakesAWaitingSendersValue) {
  channel<int> ch;
  tasklet{[&] { ch.send(9); }}();
  schedule();
  EXPECT_EQ(ch.balance(), 1);
  EXPECT_EQ(ch.receive_for(0ns), std::optional<int>(9));
  run();
}

TEST_F(IoTest, KillingAReceiveForWaiterRestoresTheBalance) {
  channel<int> ch;
  tasklet t{[&] { (void)ch.receive_for(1h); }};
  t();
  schedule();
  EXPECT_EQ(ch.balance(), -1);
  t.kill();
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(t.alive());
}

TEST_F(IoTest, ReceiveForFromAnotherThreadsSender) {
  channel<int> ch;
  std::thread sender([&] {
    while (ch.balance() != -1) std::this_thread::sleep_for(1ms);
    ch.send(5);
  });
  EXPECT_EQ(ch.receive_for(10s), std::optional<int>(5));
  sender.join();
}

// --- errors: the documented type, the message, nothing changed ---

TEST_F(IoTest, ADescriptorThatIsNotOpenIsRefused) {
  // A number well above the lowest free one: the reactor, made by this
  // first wait in a fresh process, takes the lowest free numbers itself.
  a_pipe p;
  const int closed = ::fcntl(p.read_end, F_DUPFD_CLOEXEC, 900);
  ASSERT_GE(closed, 900);
  ::close(closed);
  const std::string m = message_of<error>([&] { (void)wait_readable(closed); });
  EXPECT_NE(m.find("slp::wait_readable: descriptor " + std::to_string(closed)),
            std::string::npos)
      << m;
  EXPECT_NE(m.find(std::strerror(EBADF)), std::string::npos) << m;
  const std::string neg =
      message_of<error>([&] { (void)wait_writable(-1, 1s); });
  EXPECT_NE(neg.find("slp::wait_writable: descriptor -1"), std::string::npos);
  EXPECT_EQ(run_count(), 1u);
  EXPECT_FALSE(io_waits());
}

TEST_F(IoTest, TheReactorsOwnDescriptorsAreRefused) {
  sleep_for(1ns);  // the thread's reactor exists from here on
  // Its epoll and eventfd descriptors are the two lowest it could get; find
  // them as the descriptors open in this thread's process that epoll_ctl
  // refuses with "is slp's own".
  int refused = 0;
  for (int fd = 0; fd < 64; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) continue;
    try {
      (void)wait_readable(fd, 0ns);
    } catch (const error& e) {
      if (std::string(e.what()).find("is this thread's own reactor") !=
          std::string::npos) {
        ++refused;
      }
    }
  }
  EXPECT_EQ(refused, 2);
  EXPECT_FALSE(io_waits());
}

TEST_F(IoTest, ARegularFileIsRefused) {
  char name[] = "/tmp/slp_io_test_XXXXXX";
  const int fd = ::mkstemp(name);
  ASSERT_GE(fd, 0);
  ::unlink(name);
  const std::string m = message_of<error>([&] { (void)wait_readable(fd, 1s); });
  EXPECT_NE(m.find("descriptor " + std::to_string(fd)), std::string::npos) << m;
  EXPECT_NE(m.find(std::strerror(EPERM)), std::string::npos) << m;
  EXPECT_FALSE(io_waits());
  ::close(fd);
}

TEST_F(IoTest, ASecondWaiterInTheSameDirectionIsRefused) {
  a_pipe p;
  bool first = false;
  tasklet{[&] { first = wait_readable(p.read_end); }}();
  schedule();
  const std::string m =
      message_of<error>([&] { (void)wait_readable(p.read_end, 1s); });
  EXPECT_NE(m.find("descriptor " + std::to_string(p.read_end)),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("already has a waiting tasklet"), std::string::npos) << m;
  // The other direction is not the same wait.
  EXPECT_TRUE(wait_writable(p.write_end, 1s));
  // Nothing changed: the first waiter still waits, and wakes.
  EXPECT_EQ(run_count(), 1u);
  p.put('1');
  run();
  EXPECT_TRUE(first);
}

TEST_F(IoTest, BlockTrapRefusesEveryWait) {
  a_pipe p;
  channel<int> ch;
  current().set_block_trap(true);
  EXPECT_THROW(sleep_for(1ms), block_trap_error);
  EXPECT_THROW(sleep_until(clock_type::now() + 1s), block_trap_error);
  EXPECT_THROW((void)wait_readable(p.read_end), block_trap_error);
  EXPECT_THROW((void)wait_writable(p.write_end, 1s), block_trap_error);
  EXPECT_THROW((void)ch.receive_for(1s), block_trap_error);
  current().set_block_trap(false);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(io_waits());
}

TEST_F(IoTest, SwitchTrapRefusesEveryWait) {
  a_pipe p;
  channel<int> ch;
  tasklet{[] {}}();  // something runnable: not a deadlock question
  switch_trap(1);
  EXPECT_THROW(sleep_for(1ms), switch_trap_error);
  EXPECT_THROW((void)wait_readable(p.read_end, 1s), switch_trap_error);
  EXPECT_THROW((void)ch.receive_for(1s), switch_trap_error);
  switch_trap(-1);
  EXPECT_EQ(run_count(), 2u);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(io_waits());
  run();
}

TEST_F(IoTest, NoWaitInsideAHook) {
  hooks_reset reset;
  std::vector<std::string> messages;
  set_schedule_callback(
      [&](const std::optional<tasklet>&, const std::optional<tasklet>&) {
        try {
          sleep_for(1ms);
        } catch (const error& e) {
          messages.push_back(e.what());
        }
      });
  tasklet{[] {}}();
  run();
  set_schedule_callback(nullptr);
  ASSERT_FALSE(messages.empty());
  EXPECT_NE(messages[0].find("slp::sleep_for: no tasklet switch is allowed "
                             "inside a hook"),
            std::string::npos)
      << messages[0];
}

TEST_F(IoTest, ClosingADescriptorThatIsNotOpenIsRefused) {
  const std::string m = message_of<error>([] { slp::close(-1); });
  EXPECT_NE(m.find("slp::close: descriptor -1"), std::string::npos) << m;
  EXPECT_NE(m.find(std::strerror(EBADF)), std::string::npos) << m;
}

// --- no starvation ---

TEST_F(IoTest, ADueTimerIsNotStarvedBySchedule) {
  std::atomic<bool> woke{false};
  bool guard_hit = false;
  tasklet{[&] {
    sleep_for(2ms);
    woke = true;
  }}();
  auto spinner = [&] {
    const auto give_up = clock_type::now() + 2s;
    while (!woke) {
      if (clock_type::now() > give_up) {
        guard_hit = true;
        break;
      }
      schedule();
    }
  };
  tasklet{spinner}();
  tasklet{spinner}();
  run();
  EXPECT_TRUE(woke);
  EXPECT_FALSE(guard_hit);
}

TEST_F(IoTest, AReadyDescriptorIsNotStarvedBySchedule) {
  a_pipe p;
  bool woke = false;
  bool guard_hit = false;
  tasklet{[&] { woke = wait_readable(p.read_end); }}();
  tasklet{[&] {
    p.put('s');
    const auto give_up = clock_type::now() + 2s;
    while (!woke) {
      if (clock_type::now() > give_up) {
        guard_hit = true;
        break;
      }
      schedule();
    }
  }}();
  run();
  EXPECT_TRUE(woke);
  EXPECT_FALSE(guard_hit);
}

// --- scale and signals ---

TEST_F(IoTest, TenThousandSleepersWakeInDeadlineOrder) {
#if defined(SLP_TSAN)
  // ThreadSanitizer counts each tasklet as a thread (a TSan fiber) and
  // stops the process beyond 8,128 of them.
  constexpr int n = 4'000;
#else
  constexpr int n = 10'000;
#endif
  std::mt19937 random(26);
  std::uniform_int_distribution<int> offset_us(0, 100'000);
  std::vector<std::chrono::microseconds> offsets;
  for (int i = 0; i < n; ++i) {
    // Multiples of 50 µs: some share a deadline, to check the tie order.
    offsets.emplace_back(offset_us(random) / 50 * 50);
  }
  // Each tasklet starts and waits at a gate first; only then is the base
  // time set and the gate opened for each in turn, so that every one
  // begins to sleep before the first deadline however slow the start
  // (a sanitizer, an emulator).
  channel<int> gate;
  clock_type::time_point base;
  std::vector<int> woken;
  woken.reserve(n);
  int late = 0;  // began to wait after its deadline (a far too slow start)
  for (int i = 0; i < n; ++i) {
    tasklet{[&, i] {
      gate.receive();
      const auto at = base + offsets[static_cast<std::size_t>(i)];
      if (clock_type::now() >= at) ++late;
      sleep_until(at);
      woken.push_back(i);
    }}();
  }
  open_gate(gate, n, base, 200ms);
  run();
  ASSERT_EQ(late, 0);
  std::vector<int> expected(n);
  for (int i = 0; i < n; ++i) expected[static_cast<std::size_t>(i)] = i;
  std::stable_sort(expected.begin(), expected.end(), [&](int a, int b) {
    return offsets[static_cast<std::size_t>(a)] <
           offsets[static_cast<std::size_t>(b)];
  });
  EXPECT_EQ(woken, expected);
}

std::atomic<int> alarms{0};
void on_alarm(int) { alarms.fetch_add(1, std::memory_order_relaxed); }

TEST_F(IoTest, SleepersSurviveASignalStorm) {
  struct sigaction action {};
  action.sa_handler = on_alarm;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: epoll_wait sees EINTR
  struct sigaction old_action {};
  ASSERT_EQ(::sigaction(SIGALRM, &action, &old_action), 0);
  itimerval storm{};
  storm.it_interval.tv_usec = 200;
  storm.it_value.tv_usec = 200;
  ASSERT_EQ(::setitimer(ITIMER_REAL, &storm, nullptr), 0);

  a_pipe p;
  channel<int> gate;  // as in TenThousandSleepers: all start before the base
  clock_type::time_point base;
  std::vector<int> order;
  bool read_ok = false;
  int late = 0;
  for (int i = 0; i < 40; ++i) {
    tasklet{[&, i] {
      gate.receive();
      const auto at = base + std::chrono::milliseconds((i * 7) % 40);
      if (clock_type::now() >= at) ++late;
      sleep_until(at);
      EXPECT_GE(clock_type::now(), at);
      order.push_back(i);
    }}();
  }
  tasklet{
      [&] { read_ok = wait_readable(p.read_end, 5s) && p.take() == 'w'; }}();
  tasklet{[&] {
    gate.receive();
    sleep_until(base + 45ms);
    p.put('w');
  }}();
  open_gate(gate, 41, base, 50ms);  // the sleepers, the writer
  run();

  const itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  // An alarm still pending (valgrind delivers them late) is discarded by
  // SIG_IGN before the old action, which may be the default, comes back.
  ::signal(SIGALRM, SIG_IGN);
  ::sigaction(SIGALRM, &old_action, nullptr);
  EXPECT_GT(alarms.load(), 0);
  EXPECT_EQ(late, 0);
  EXPECT_TRUE(read_ok);
  std::vector<std::pair<int, int>> by_deadline;
  for (int i = 0; i < 40; ++i) by_deadline.emplace_back((i * 7) % 40, i);
  std::sort(by_deadline.begin(), by_deadline.end());
  std::vector<int> expected;
  for (const auto& e : by_deadline) expected.push_back(e.second);
  EXPECT_EQ(order, expected);
}

}  // namespace
}  // namespace slp::test
