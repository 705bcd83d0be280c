// SPDX-License-Identifier: MIT
// Faults and hostile conditions (issue 9): an allocation that fails while a
// stack slice is saved gives a clean std::bad_alloc in the switching
// tasklet with nothing changed; kills whose unwinding switches, or turns
// into another exception, end where the contract says.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/stack_slice.hpp"
#include "test_support.hpp"

namespace slp::test {
namespace {

class FaultTest : public SlpTest {};

// The next `failures_left` slice allocations fail.
std::atomic<int> failures_left{0};

void* failing_allocate(std::size_t bytes) noexcept {
  if (failures_left.load() > 0) {
    failures_left.fetch_sub(1);
    return nullptr;
  }
  return std::malloc(bytes);
}

struct allocation_failures {
  explicit allocation_failures(int n) {
    failures_left = n;
    core::stack_slice::allocate = &failing_allocate;
  }
  ~allocation_failures() { failures_left = 0; }
};

// on_one_stack: runs `body` in a fresh thread whose scheduler has a single
// execution stack, so that every switch between tasklets saves a slice.
template <class F>
void on_one_stack(F body) {
  std::thread([&] {
    config cfg;
    cfg.stack_count = 1;
    configure(cfg);
    body();
  }).join();
}

TEST_F(FaultTest, FailedSliceSaveInScheduleIsACleanBadAlloc) {
  on_one_stack([] {
    trace log;
    std::vector<std::uint64_t> ring_before, ring_after;
    tasklet a{[&] {
      log.push_back("a starts");
      ring_before = ring();
      {
        allocation_failures fail(1);
        try {
          schedule();  // b needs the only stack: a's slice cannot be saved
          log.push_back("a: no error");
        } catch (const std::bad_alloc&) {
          log.push_back("a: bad_alloc");
        }
      }
      ring_after = ring();
      schedule();  // now it works
      log.push_back("a again");
    }};
    tasklet b{[&] { log.push_back("b runs"); }};
    a();
    b();
    run();
    EXPECT_EQ(log, (trace{"a starts", "a: bad_alloc", "b runs", "a again"}));
    EXPECT_EQ(ring_after, ring_before) << "the runnables are as they were";
    EXPECT_FALSE(a.alive());
    EXPECT_FALSE(b.alive());
  });
}

// Between two tasklets that have both run on the only stack, a switch
// copies both slices in assembly (stack_engine::switch_in_place), and
// refits a buffer only when the slice outgrew it. A tasklet whose slice
// grew, with no memory for the larger buffer: bad_alloc and nothing
// changed; then, with memory, it switches.
[[gnu::noinline]] void schedule_deeper(trace& log, int failures,
                                       std::vector<std::uint64_t>& ring_before,
                                       std::vector<std::uint64_t>& ring_after) {
  volatile unsigned char block[512];  // the slice grows by this
  for (auto& b : block) b = 0x5a;
  ring_before = ring();
  {
    allocation_failures fail(failures);
    try {
      schedule();
      log.push_back("a: switched");
    } catch (const std::bad_alloc&) {
      log.push_back("a: bad_alloc");
      ring_after = ring();
    }
  }
  for (auto& b : block) {
    if (b != 0x5a) {
      log.push_back("a: block changed");
      break;
    }
  }
}

TEST_F(FaultTest, FailedSliceGrowthBetweenTwoTaskletsIsACleanBadAlloc) {
  on_one_stack([] {
    trace log;
    std::vector<std::uint64_t> ring_before, ring_after, unused;
    tasklet b{[&] {
      for (int i = 0; i < 3; ++i) {
        log.push_back("b " + std::to_string(i));
        schedule();
      }
    }};
    tasklet a{[&] {
      schedule();  // b runs, and both have a slice on the heap
      schedule_deeper(log, 1, ring_before, ring_after);
      EXPECT_EQ(ring_after, ring_before) << "the runnables are as they were";
      EXPECT_GT(b.stack_bytes(), 0u) << "b is still evicted";
      schedule_deeper(log, 0, ring_before, unused);
      log.push_back("a ends");
    }};
    a();
    b();
    run();
    EXPECT_EQ(log, (trace{"b 0", "a: bad_alloc", "b 1", "a: switched", "a ends",
                          "b 2"}));
    EXPECT_FALSE(a.alive());
    EXPECT_FALSE(b.alive());
  });
}

// The same from main, which runs on the thread's stack: starting a tasklet
// whose home holds a parked one saves that one's slice before the switch
// (stack_engine::switch_across). When that fails, main gets bad_alloc and
// nothing changed: the parked tasklet stays resident and intact, the new
// one stays runnable and unstarted.
TEST_F(FaultTest, FailedSliceSaveFromAnotherStackIsACleanBadAlloc) {
  on_one_stack([] {
    trace log;
    tasklet p{[&] {
      volatile int mark = 1234;
      log.push_back("p parks");
      schedule_remove();
      log.push_back("p resumes, mark " + std::to_string(mark));
    }};
    p();
    p.run();  // p is parked, resident on the only stack
    tasklet q{[&] { log.push_back("q runs"); }};
    q();
    const std::vector<std::uint64_t> ring_before = ring();
    {
      allocation_failures fail(1);
      try {
        q.run();
        log.push_back("main: no error");
      } catch (const std::bad_alloc&) {
        log.push_back("main: bad_alloc");
      }
    }
    EXPECT_EQ(ring(), ring_before) << "the runnables are as they were";
    EXPECT_TRUE(q.scheduled());
    EXPECT_TRUE(p.paused());
    EXPECT_EQ(p.stack_bytes(), 0u) << "p was not evicted";
    q.run();  // now p is saved and q runs
    EXPECT_GT(p.stack_bytes(), 0u);
    p.insert();
    run();
    EXPECT_EQ(log, (trace{"p parks", "main: bad_alloc", "q runs",
                          "p resumes, mark 1234"}));
    EXPECT_FALSE(p.alive());
    EXPECT_FALSE(q.alive());
  });
}

// A receive that blocks, where the next tasklet needs the only stack and
// the blocking tasklet's slice cannot be saved: the receiver is taken off
// the channel's queue and put back in the ring where it was.
TEST_F(FaultTest, FailedSliceSaveWhenBlockingLeavesQueueAndRingAsTheyWere) {
  on_one_stack([] {
    channel<int> ch;
    trace log;
    std::vector<std::uint64_t> ring_before, ring_after;
    int balance_after_failure = 99;
    tasklet a{[&] {
      ring_before = ring();
      {
        allocation_failures fail(1);
        try {
          (void)ch.receive();  // blocks; b needs the only stack
          log.push_back("a: no error");
        } catch (const std::bad_alloc&) {
          log.push_back("a: bad_alloc");
          balance_after_failure = ch.balance();
        }
      }
      ring_after = ring();
      const int got = ch.receive();  // now it blocks, and b sends
      log.push_back("a got " + std::to_string(got));
    }};
    tasklet b{[&] {
      log.push_back("b sends");
      ch.send(7);  // preference -1: the receiver runs first
      log.push_back("b done");
    }};
    a();
    b();
    run();
    EXPECT_EQ(log, (trace{"a: bad_alloc", "b sends", "a got 7", "b done"}));
    EXPECT_EQ(balance_after_failure, 0) << "a is not left queued";
    EXPECT_EQ(ring_after, ring_before) << "the runnables are as they were";
    EXPECT_EQ(ch.balance(), 0);
    EXPECT_FALSE(a.alive());
    EXPECT_FALSE(b.alive());
  });
}

TEST_F(FaultTest, FailedSliceSaveInAHandOffKeepsTheValueAndTheQueue) {
  on_one_stack([] {
    channel<std::string> ch;
    std::string got;
    std::string left_with_sender;
    int balance_after_failure = 99;
    tasklet receiver{[&] { got = ch.receive(); }};
    tasklet sender{[&] {
      std::string value(300, 'x');
      {
        allocation_failures fail(1);
        try {
          ch.send(std::move(value));  // preference -1: switches to the receiver
        } catch (const std::bad_alloc&) {
          left_with_sender = value;
          balance_after_failure = ch.balance();
        }
      }
      ch.send(std::string(200, 'y'));
    }};
    receiver();
    sender();
    run();
    EXPECT_EQ(left_with_sender, std::string(300, 'x')) << "the value went back";
    EXPECT_EQ(balance_after_failure, -1) << "the receiver still waits";
    EXPECT_EQ(got, std::string(200, 'y'));
    EXPECT_EQ(ch.balance(), 0);
  });
}

// The same with a plain value (an int, which the core copies itself), in
// both directions: a send that would switch to the waiting receiver, and a
// receive that would switch to the waiting sender (preference +1). The
// value stays where it was, and goes on to the same partner later.
TEST_F(FaultTest, FailedSliceSaveInAPlainHandOffKeepsTheValue) {
  on_one_stack([] {
    channel<int> ch;
    int got = 0;
    int balance_after_failure = 99;
    bool failed = false;
    tasklet receiver{[&] { got = ch.receive(); }};
    tasklet sender{[&] {
      int value = 300;
      {
        allocation_failures fail(1);
        try {
          ch.send(value);  // preference -1: switches to the receiver
        } catch (const std::bad_alloc&) {
          failed = true;
          balance_after_failure = ch.balance();
        }
      }
      ch.send(value + 1);
    }};
    receiver();
    sender();
    run();
    EXPECT_TRUE(failed);
    EXPECT_EQ(balance_after_failure, -1) << "the receiver still waits";
    EXPECT_EQ(got, 301) << "the receiver got the second send only";
    EXPECT_EQ(ch.balance(), 0);
  });
  on_one_stack([] {
    channel<int> ch;
    ch.set_preference(1);
    int first = 0;
    int second = 0;
    int balance_after_failure = 99;
    bool failed = false;
    tasklet sender{[&] {
      ch.send(500);
      ch.send(501);
    }};
    tasklet receiver{[&] {
      {
        allocation_failures fail(1);
        try {
          first = ch.receive();  // preference +1: switches to the sender
        } catch (const std::bad_alloc&) {
          failed = true;
          balance_after_failure = ch.balance();
        }
      }
      first = ch.receive();
      second = ch.receive();
    }};
    sender();
    receiver();
    run();
    EXPECT_TRUE(failed);
    EXPECT_EQ(balance_after_failure, 1) << "the sender still waits";
    EXPECT_EQ(first, 500) << "the value went back to the sender's mailbox";
    EXPECT_EQ(second, 501);
    EXPECT_EQ(ch.balance(), 0);
  });
}

// A kill whose unwinding switches: the destructor yields, the killer runs
// on, and the unwinding completes when the tasklet runs again.
TEST_F(FaultTest, KillWhoseUnwindingSwitchesCompletesLater) {
  trace log;
  struct yields_while_destroyed {
    trace* log;
    ~yields_while_destroyed() {
      log->push_back("dtor: uncaught " +
                     std::to_string(std::uncaught_exceptions()));
      schedule();
      log->push_back("dtor done");
    }
  };
  tasklet t{[&] {
    yields_while_destroyed guard{&log};
    schedule_remove();
  }};
  t();
  t.run();
  t.kill();
  log.push_back("main after kill");
  EXPECT_TRUE(t.alive()) << "still unwinding";
  run();
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(log, (trace{"dtor: uncaught 1", "main after kill", "dtor done"}));
}

// A tasklet that turns its kill into another exception ends with that
// exception, which reaches the killer (main) as an uncaught one.
TEST_F(FaultTest, KillTurnedIntoAnotherExceptionReachesTheKiller) {
  tasklet t{[] {
    try {
      schedule_remove();
    } catch (const tasklet_exit&) {
      throw std::runtime_error("refused to die quietly");
    }
  }};
  t();
  t.run();
  expect_error<std::runtime_error>([&] { t.kill(); }, "refused to die quietly");
  EXPECT_FALSE(t.alive());
}

// An exception thrown and caught inside a destructor during a kill does
// not disturb the unwinding.
TEST_F(FaultTest, ExceptionCaughtInsideADestructorDuringKill) {
  bool caught_inside = false;
  bool unwound = false;
  struct noisy {
    bool* caught;
    bool* done;
    ~noisy() {
      try {
        throw std::logic_error("inside a destructor");
      } catch (const std::logic_error&) {
        *caught = true;
      }
      *done = true;
    }
  };
  tasklet t{[&] {
    noisy n{&caught_inside, &unwound};
    schedule_remove();
  }};
  t();
  t.run();
  t.kill();
  EXPECT_TRUE(caught_inside);
  EXPECT_TRUE(unwound);
  EXPECT_FALSE(t.alive());
}

}  // namespace
}  // namespace slp::test
