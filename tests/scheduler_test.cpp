// SPDX-License-Identifier: MIT
// The per-thread scheduler: schedule(), schedule_remove(), run() and its
// stack of watchdogs, uncaught exceptions and the error handler, blocking
// with nothing runnable, switch_trap, nesting levels, the end of a thread,
// and per-tasklet C++ exception state (spec/API.md §2–§3). Each test names
// the Stackless case it follows (reference/stackless-behaviour.md §8,
// cited as "SB n"). Expected orders are derived from the runnables model of
// SB §1.4: insertion at the tail, just before the current tasklet.
#include <gtest/gtest.h>

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "slp/slp.hpp"
#include "test_support.hpp"

namespace slp::test {
namespace {

class SchedulerTest : public SlpTest {};

// ids: the ids of `tasklets` in order, to compare with ring().
std::vector<std::uint64_t> ids(std::initializer_list<tasklet> tasklets) {
  std::vector<std::uint64_t> out;
  for (const tasklet& t : tasklets) out.push_back(t.id());
  return out;
}

// token: a move-only capture; only the instance that owns it (not a
// moved-from shell) counts its destruction.
struct token {
  explicit token(int* c) : count(c) {}
  token(token&& other) noexcept : count(std::exchange(other.count, nullptr)) {}
  token& operator=(token&&) = delete;
  ~token() {
    if (count != nullptr) ++*count;
  }
  int* count;
};

// handler_reset: removes the error handler at scope exit, even after a
// failed assertion, so that later tests start clean.
struct handler_reset {
  ~handler_reset() { set_error_handler(nullptr); }
};

// trap_reset: brings the switch-trap level back to 0 at scope exit.
struct trap_reset {
  ~trap_reset() { switch_trap(-switch_trap(0)); }
};

// --- D. schedule / schedule_remove / run / exceptions ---

// has_scheduler: false in a thread that has made no slp call, true after
// its first one, and asking does not create it.
TEST_F(SchedulerTest, HasSchedulerOnlyAfterTheThreadsFirstCall) {
  EXPECT_TRUE(has_scheduler()) << "the fixture has used this thread's";
  bool first = true;
  bool second = true;
  bool after_a_call = false;
  std::thread([&] {
    first = has_scheduler();
    second = has_scheduler();
    (void)run_count();
    after_a_call = has_scheduler();
  }).join();
  EXPECT_FALSE(first);
  EXPECT_FALSE(second) << "asking did not create it";
  EXPECT_TRUE(after_a_call);
}

// SB 46: schedule() moves the caller to the tail and returns when it runs
// again (Stackless' return value is the current tasklet: here current() is
// the caller again); alone, it does not switch.
TEST_F(SchedulerTest, D46_ScheduleReturnsToTheCallerAfterTheOthers) {
  trace log;
  tasklet m = main_tasklet();
  tasklet a;
  tasklet b;
  a.bind([&] {
    log.push_back("a0");
    schedule();
    log.push_back(current() == a ? "a1" : "a1:current is not a");
  });
  b.bind([&] {
    log.push_back("b0");
    schedule();
    log.push_back(current() == b ? "b1" : "b1:current is not b");
  });
  a();
  b();
  EXPECT_EQ(ring(), ids({m, a, b}));

  schedule();  // a and b run once each, then main again
  log.push_back("main");
  EXPECT_EQ(current().id(), m.id());
  EXPECT_EQ(run_count(), 3u);
  EXPECT_EQ(ring(), ids({m, a, b}));

  schedule();
  log.push_back("main");
  EXPECT_EQ(log, (trace{"a0", "b0", "main", "a1", "b1", "main"}));
  EXPECT_EQ(run_count(), 1u);
  EXPECT_FALSE(a.alive());
  EXPECT_FALSE(b.alive());

  schedule();  // alone: returns at once
  EXPECT_EQ(current().id(), m.id());
  EXPECT_EQ(run_count(), 1u);
}

// SB 47: schedule_remove() parks the caller until another tasklet
// insert()s it. Stackless returns the value through tempval; here it
// travels in a captured variable.
TEST_F(SchedulerTest, D47_ScheduleRemoveReturnsOnceReinserted) {
  trace log;
  std::string mailbox;
  tasklet f;
  tasklet g;
  f.bind([&] {
    log.push_back("f0");
    schedule_remove();
    log.push_back("f1:" + mailbox);
  });
  g.bind([&] {
    log.push_back(f.paused() && !f.scheduled() ? "g0:f paused"
                                               : "g0:f not paused");
    mailbox = "o";
    f.insert();
    log.push_back("g:run_count=" + std::to_string(run_count()));
    schedule();
    log.push_back("g1");
  });
  f();
  g();
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(log, (trace{"f0", "g0:f paused", "g:run_count=2", "f1:o", "g1"}));
  EXPECT_FALSE(f.alive());
  EXPECT_FALSE(g.alive());
}

// SB 48: a waiter parked in schedule_remove() as the last runnable under
// run() makes run() return; main then hands it a result and insert()s it.
TEST_F(SchedulerTest, D48_ParkedWaiterGetsItsResultAfterInsert) {
  trace log;
  std::string result;
  tasklet w{[&] {
    log.push_back("w0");
    schedule_remove();
    log.push_back("w1:" + result);
  }};
  w();
  EXPECT_FALSE(run().has_value());
  log.push_back("main");
  EXPECT_TRUE(w.alive());
  EXPECT_TRUE(w.paused());
  EXPECT_FALSE(w.scheduled());
  EXPECT_FALSE(w.restorable());
  EXPECT_EQ(run_count(), 1u);

  result = "result";
  w.insert();
  EXPECT_EQ(run_count(), 2u);
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(log, (trace{"w0", "main", "w1:result"}));
  EXPECT_FALSE(w.alive());
}

// SB 49: an exception delivered to a tasklet parked in schedule_remove()
// is raised there; uncaught, it ends the tasklet (its destructors run) and
// reaches main where main is suspended: inside throw_exception().
TEST_F(SchedulerTest, D49_ExceptionIntoParkedTaskletPropagatesToMain) {
  trace log;
  int destroyed = 0;
  tasklet w{[&] {
    destructor_counter counter{&destroyed};
    log.push_back("w0");
    try {
      schedule_remove();
      log.push_back("w:returned");
    } catch (const std::domain_error& x) {
      log.push_back(std::string("w:raised:") + x.what());
      throw;
    }
  }};
  w();
  EXPECT_FALSE(run().has_value());
  ASSERT_TRUE(w.paused());
  expect_error<std::domain_error>(
      [&] { w.raise_exception<std::domain_error>("division by zero"); },
      "division by zero");
  EXPECT_EQ(log, (trace{"w0", "w:raised:division by zero"}));
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(w.alive());
  EXPECT_EQ(run_count(), 1u);
}

// SB 50: an uncaught error ends run(); the others stay runnable where
// they were, main was inserted just before the tasklet that followed the
// dead one (SB §1.4, §3.4), and a second run() finishes them.
TEST_F(SchedulerTest, D50_ErrorPropagatesWhileOthersStayRunnable) {
  trace log;
  tasklet m = main_tasklet();
  tasklet t1{[&] {
    log.push_back("t1a");
    schedule();
    log.push_back("t1b");
  }};
  tasklet t2{[&] {
    log.push_back("t2");
    throw std::domain_error("bar");
  }};
  tasklet t3{[&] { log.push_back("t3"); }};
  t1();
  t2();
  t3();
  expect_error<std::domain_error>([] { run(); }, "bar");
  EXPECT_EQ(log, (trace{"t1a", "t2"}));
  EXPECT_EQ(run_count(), 3u);
  EXPECT_EQ(ring(), ids({m, t3, t1}));
  EXPECT_TRUE(t1.alive());
  EXPECT_TRUE(t1.scheduled());
  EXPECT_TRUE(t3.alive());
  EXPECT_TRUE(t3.scheduled());
  EXPECT_FALSE(t2.alive());

  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(log, (trace{"t1a", "t2", "t3", "t1b"}));
  EXPECT_FALSE(t1.alive());
  EXPECT_FALSE(t3.alive());
}

// SB 51: with no watchdog, an uncaught error is rethrown in main inside
// schedule(); a tasklet that was runnable stays runnable and has not run.
TEST_F(SchedulerTest, D51_ErrorReachesMainInsideSchedule) {
  trace log;
  tasklet m = main_tasklet();
  tasklet t{[&] {
    log.push_back("t");
    throw std::domain_error("zero");
  }};
  tasklet x{[&] {
    log.push_back("x0");
    schedule();
    log.push_back("x1");
  }};
  t();
  x();
  expect_error<std::domain_error>([] { schedule(); }, "zero");
  log.push_back("main");
  EXPECT_EQ(run_count(), 2u);
  EXPECT_EQ(ring(), ids({m, x}));
  EXPECT_FALSE(t.alive());
  EXPECT_TRUE(x.scheduled());
  EXPECT_TRUE(x.restorable());  // not started

  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(log, (trace{"t", "main", "x0", "x1"}));
}

// SB 51 (§3.4 "at whatever point it is suspended"): main suspended in
// t.run(), and main paused by t.switch_to(), get the error there.
TEST_F(SchedulerTest, D51_ErrorReachesMainInsideTaskletRunAndSwitchTo) {
  trace log;
  tasklet by_run{[&] {
    log.push_back("by_run");
    throw std::domain_error("from run");
  }};
  by_run();
  expect_error<std::domain_error>([&] { by_run.run(); }, "from run");
  EXPECT_EQ(run_count(), 1u);
  EXPECT_TRUE(current().is_main());

  tasklet m = main_tasklet();
  tasklet by_switch{[&] {
    log.push_back(m.paused() ? "by_switch:main paused"
                             : "by_switch:main not paused");
    throw std::domain_error("from switch_to");
  }};
  by_switch();
  expect_error<std::domain_error>([&] { by_switch.switch_to(); },
                                  "from switch_to");
  EXPECT_EQ(log, (trace{"by_run", "by_switch:main paused"}));
  EXPECT_EQ(run_count(), 1u);
  EXPECT_TRUE(current().is_main());
  EXPECT_TRUE(m.scheduled());
  EXPECT_FALSE(by_run.alive());
  EXPECT_FALSE(by_switch.alive());
}

// SB 53: a tasklet that throws tasklet_exit itself ends silently; its
// destructors run and the others go on.
TEST_F(SchedulerTest, D53_TaskletExitEndsTheTaskletSilently) {
  trace log;
  int destroyed = 0;
  tasklet t{[&] {
    destructor_counter counter{&destroyed};
    log.push_back("t0");
    throw tasklet_exit();
  }};
  tasklet u{[&] { log.push_back("u"); }};
  t();
  u();
  std::optional<tasklet> interrupted;
  EXPECT_NO_THROW(interrupted = run());
  EXPECT_FALSE(interrupted.has_value());
  EXPECT_EQ(log, (trace{"t0", "u"}));
  EXPECT_EQ(destroyed, 1);
  EXPECT_FALSE(t.alive());
}

// SB 54: a runner tasklet calls run() while main keeps scheduling: its
// run() does not return while main is runnable; main's t.run() finishes it.
TEST_F(SchedulerTest, D54_RunnerRunDoesNotReturnWhileMainIsRunnable) {
  trace log;
  tasklet runner{[&] {
    log.push_back("r:run");
    log.push_back(run().has_value() ? "r:back:interrupted" : "r:back");
  }};
  tasklet worker{[&] {
    for (int i = 0; i < 3; ++i) {
      log.push_back("w" + std::to_string(i));
      schedule();
    }
  }};
  runner();
  worker();
  while (worker.alive()) {
    log.push_back("m");
    schedule();
  }
  EXPECT_EQ(log, (trace{"m", "r:run", "w0", "m", "w1", "m", "w2", "m"}));
  EXPECT_TRUE(runner.alive());
  EXPECT_TRUE(runner.paused());
  EXPECT_FALSE(runner.scheduled());
  EXPECT_EQ(runner.nesting_level(), 1);  // inside its run()
  EXPECT_EQ(run_count(), 1u);

  runner.run();  // an explicit wake-up: its run() returns
  log.push_back("main:end");
  EXPECT_EQ(log, (trace{"m", "r:run", "w0", "m", "w1", "m", "w2", "m", "r:back",
                        "main:end"}));
  EXPECT_FALSE(runner.alive());
  EXPECT_EQ(run_count(), 1u);
}

// SB 55: a runner started by main's run() calls run() itself: the inner
// run() completes first, while main is paused in the outer one; both end.
TEST_F(SchedulerTest, D55_InnerRunCompletesFirst) {
  trace log;
  tasklet m = main_tasklet();
  tasklet runner;
  runner.bind([&] {
    log.push_back("r:start");
    tasklet{[&] {
      log.push_back("w0");
      schedule();  // alone in the inner run(): no switch
      log.push_back(m.paused() && runner.paused() ? "w1:both watching"
                                                  : "w1:not both paused");
      log.push_back("w:nesting m=" + std::to_string(m.nesting_level()) +
                    " r=" + std::to_string(runner.nesting_level()));
    }}();
    log.push_back(run().has_value() ? "r:run:interrupted" : "r:run:nullopt");
    log.push_back(m.paused() ? "r:main paused" : "r:main not paused");
  });
  runner();
  EXPECT_FALSE(run().has_value());
  log.push_back("main:end");
  EXPECT_EQ(log,
            (trace{"r:start", "w0", "w1:both watching", "w:nesting m=1 r=1",
                   "r:run:nullopt", "r:main paused", "main:end"}));
  EXPECT_FALSE(runner.alive());
  EXPECT_EQ(m.nesting_level(), 0);
}

// SB 56: an error in a tasklet spawned under an inner run() is raised by
// that inner run(), not by main's.
TEST_F(SchedulerTest, D56_InnerRunGetsTheError) {
  trace log;
  tasklet m = main_tasklet();
  tasklet runner{[&] {
    log.push_back("r:start");
    tasklet{[&] {
      log.push_back("err");
      throw std::domain_error("foo");
    }}();
    try {
      run();
      log.push_back("r:no error");
    } catch (const std::domain_error& x) {
      log.push_back(std::string("r:caught:") + x.what());
    }
    log.push_back(m.paused() ? "r:main still paused" : "r:main woken");
  }};
  runner();
  std::optional<tasklet> interrupted;
  EXPECT_NO_THROW(interrupted = run());
  EXPECT_FALSE(interrupted.has_value());
  log.push_back("main:end");
  EXPECT_EQ(log, (trace{"r:start", "err", "r:caught:foo", "r:main still paused",
                        "main:end"}));
  EXPECT_FALSE(runner.alive());
}

// SB 56 / §3.3: the innermost watchdog gets the error even while main is
// running: main's schedule() returns normally.
TEST_F(SchedulerTest, D56_ErrorGoesToTheWatchdogTaskletNotToRunningMain) {
  trace log;
  tasklet runner{[&] {
    log.push_back("r:watching");
    try {
      run();  // only main is runnable: main runs, the runner is paused
      log.push_back("r:no error");
    } catch (const std::domain_error& x) {
      log.push_back(std::string("r:caught:") + x.what());
    }
  }};
  runner();
  runner.run();
  log.push_back("main:alone");
  EXPECT_TRUE(runner.paused());
  EXPECT_EQ(run_count(), 1u);
  tasklet{[&] {
    log.push_back("err");
    throw std::domain_error("inner");
  }}();
  EXPECT_NO_THROW(schedule());
  log.push_back("main:back");
  EXPECT_EQ(log, (trace{"r:watching", "main:alone", "err", "r:caught:inner",
                        "main:back"}));
  EXPECT_FALSE(runner.alive());
  EXPECT_EQ(run_count(), 1u);
}

// SB 57: a tasklet wakes main with main_tasklet().run() while a nested
// runner watches: main's run() returns early, the deeper watchdog is put
// back at the tail to wake later, and a later run() completes everything.
TEST_F(SchedulerTest, D57_ManualWakeupOfMainReturnsItsRunEarly) {
  trace log;
  tasklet m = main_tasklet();
  tasklet runner;
  tasklet waker;
  waker.bind([&] {
    log.push_back("k0");
    log.push_back(runner.paused() && m.paused() ? "k:both watching"
                                                : "k:not both paused");
    m.run();
    log.push_back("k1");
  });
  runner.bind([&] {
    log.push_back("r:start");
    waker();
    log.push_back(run().has_value() ? "r:run:interrupted" : "r:run:nullopt");
    log.push_back("r:end");
  });
  runner();
  EXPECT_FALSE(run().has_value());
  log.push_back("main:woken");
  EXPECT_EQ(run_count(), 3u);
  EXPECT_EQ(ring(), ids({m, waker, runner}));
  EXPECT_TRUE(runner.alive());
  EXPECT_TRUE(runner.scheduled());

  EXPECT_FALSE(run().has_value());
  log.push_back("main:end");
  EXPECT_EQ(log, (trace{"r:start", "k0", "k:both watching", "main:woken", "k1",
                        "r:run:nullopt", "r:end", "main:end"}));
  EXPECT_FALSE(runner.alive());
  EXPECT_FALSE(waker.alive());
}

// SB 57 (the insert() form of the manual wake-up): main_tasklet().insert()
// puts main at the tail; its run() returns when main's turn comes.
TEST_F(SchedulerTest, D57_ManualWakeupByInsertingMain) {
  trace log;
  tasklet m = main_tasklet();
  tasklet k{[&] {
    log.push_back("k0");
    m.insert();
    log.push_back("k:run_count=" + std::to_string(run_count()));
    log.push_back("k1");
    schedule();
    log.push_back("k2");
  }};
  k();
  EXPECT_FALSE(run().has_value());
  log.push_back("main:woken");
  EXPECT_EQ(ring(), ids({m, k}));
  EXPECT_FALSE(run().has_value());
  log.push_back("main:end");
  EXPECT_EQ(log, (trace{"k0", "k:run_count=2", "k1", "main:woken", "k2",
                        "main:end"}));
  EXPECT_FALSE(k.alive());
}

// SB 58: run() with nothing else runnable returns std::nullopt at once.
TEST_F(SchedulerTest, D58_RunWithNothingRunnableReturnsNullopt) {
  tasklet m = main_tasklet();
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(current().id(), m.id());
  EXPECT_EQ(run_count(), 1u);
  EXPECT_TRUE(m.scheduled());
  EXPECT_EQ(m.nesting_level(), 0);
}

// --- The error handler (SB 45, §3.4) ---

// SB 45: the handler runs in the dying tasklet (current() is it); when it
// returns, the exception is swallowed and the others go on.
TEST_F(SchedulerTest, ErrorHandler_RunsInTheDyingTaskletAndReturningSwallows) {
  handler_reset reset;
  trace log;
  tasklet t;
  t.bind([&] {
    log.push_back("t");
    throw std::domain_error("division by zero");
  });
  tasklet u{[&] { log.push_back("u"); }};
  const auto previous = set_error_handler([&](std::exception_ptr e) {
    log.push_back("handler:" + what_of(e));
    log.push_back(current() == t && t.is_current() ? "handler:in t"
                                                   : "handler:not in t");
  });
  EXPECT_FALSE(previous);
  t();
  u();
  std::optional<tasklet> interrupted;
  EXPECT_NO_THROW(interrupted = run());
  EXPECT_FALSE(interrupted.has_value());
  EXPECT_EQ(log, (trace{"t", "handler:division by zero", "handler:in t", "u"}));
  EXPECT_FALSE(t.alive());
  EXPECT_TRUE(set_error_handler(nullptr));  // gives back the one installed
}

// SB 45 (test_borken_handler): a handler that throws replaces the
// exception; run() raises the new one, and the others stay runnable.
TEST_F(SchedulerTest, ErrorHandler_ThrowingReplacesTheException) {
  handler_reset reset;
  trace log;
  tasklet t{[&] {
    log.push_back("t");
    throw std::domain_error("original");
  }};
  tasklet u{[&] { log.push_back("u"); }};
  set_error_handler([&](std::exception_ptr e) {
    log.push_back("handler:" + what_of(e));
    throw std::out_of_range("replaced");
  });
  t();
  u();
  expect_error<std::out_of_range>([] { run(); }, "replaced");
  EXPECT_EQ(log, (trace{"t", "handler:original"}));
  EXPECT_EQ(run_count(), 2u);
  EXPECT_TRUE(u.scheduled());
  EXPECT_FALSE(t.alive());

  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(log, (trace{"t", "handler:original", "u"}));
}

// §3.3: tasklet_exit (thrown by the tasklet or by kill()) is not an
// uncaught exception: the handler does not see it.
TEST_F(SchedulerTest, ErrorHandler_NotCalledForTaskletExit) {
  handler_reset reset;
  int calls = 0;
  set_error_handler([&](std::exception_ptr) { ++calls; });
  tasklet quits{[] { throw tasklet_exit(); }};
  tasklet parks{[] { schedule_remove(); }};
  quits();
  parks();
  EXPECT_FALSE(run().has_value());
  EXPECT_TRUE(parks.paused());
  parks.kill();
  EXPECT_FALSE(quits.alive());
  EXPECT_FALSE(parks.alive());
  EXPECT_EQ(calls, 0);
}

// --- H. Blocking with nothing runnable (§3.2), schedule_remove() forms ---

// SB 90: the only tasklet under run() calls schedule_remove(): run()
// returns std::nullopt and the tasklet stays paused.
TEST_F(SchedulerTest, H90_LoneTaskletScheduleRemoveUnderRunReturnsNullopt) {
  trace log;
  tasklet t{[&] {
    log.push_back("t0");
    schedule_remove();
    log.push_back("t1");
  }};
  t();
  EXPECT_FALSE(run().has_value());
  log.push_back("main");
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  EXPECT_FALSE(t.scheduled());
  EXPECT_FALSE(t.blocked());
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);

  t.insert();
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(log, (trace{"t0", "main", "t1"}));
  EXPECT_FALSE(t.alive());
}

// SB §3.1 (the H 90 case for main): main alone calling schedule_remove()
// returns at once and stays current and runnable.
TEST_F(SchedulerTest, H90_MainAloneScheduleRemoveReturnsAtOnce) {
  tasklet m = main_tasklet();
  EXPECT_NO_THROW(schedule_remove());
  EXPECT_EQ(current().id(), m.id());
  EXPECT_TRUE(m.scheduled());
  EXPECT_FALSE(m.paused());
  EXPECT_EQ(run_count(), 1u);
}

// SB 89 without channels (§3.2): a tasklet schedule_remove()s with nothing
// else runnable while main, the innermost watchdog, floats (paused by
// switch_to(), not blocked): main is switched to, the tasklet stays paused.
TEST_F(SchedulerTest, H89_FloatingMainIsWokenInsteadOfDeadlock) {
  trace log;
  tasklet m = main_tasklet();
  tasklet t{[&] {
    log.push_back(m.paused() ? "t0:main paused" : "t0:main not paused");
    try {
      schedule_remove();
      log.push_back("t1");
    } catch (const deadlock_error& x) {
      log.push_back(std::string("t:deadlock:") + x.what());
    }
  }};
  t();
  t.switch_to();
  log.push_back("main:back");
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  EXPECT_EQ(current().id(), m.id());
  EXPECT_EQ(run_count(), 1u);

  t.run();
  EXPECT_EQ(log, (trace{"t0:main paused", "main:back", "t1"}));
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(run_count(), 1u);
}

// SB 90 / §3.2 with main as the caller: main schedule_remove()s as the last
// runnable while a tasklet watches in run(): that watchdog is woken, its
// run() returns std::nullopt, and main stays paused until the runnables
// empty again (SB §3.4: then main is woken).
TEST_F(SchedulerTest, H90_MainScheduleRemoveWakesTheInnermostWatchdogTasklet) {
  trace log;
  tasklet m = main_tasklet();
  tasklet runner{[&] {
    log.push_back("r:watching");
    log.push_back(run().has_value() ? "r:run:interrupted" : "r:run:nullopt");
    log.push_back(m.paused() ? "r:main paused" : "r:main not paused");
  }};
  runner();
  runner.run();
  log.push_back("main:alone");
  EXPECT_EQ(run_count(), 1u);
  schedule_remove();
  log.push_back("main:back");
  EXPECT_EQ(log, (trace{"r:watching", "main:alone", "r:run:nullopt",
                        "r:main paused", "main:back"}));
  EXPECT_FALSE(runner.alive());
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);
}

// --- L. Hard switching ---

// SB 111: a tasklet parked in schedule_remove() whose slice was evicted by
// another tasklet on the only execution stack has C state: restorable()
// false, stack_bytes() > 0, unbind() refused; kill() ends it and unwinds.
TEST_F(SchedulerTest, L111_EvictedParkedTaskletHasCStateAndKillEndsIt) {
  trace log;  // written by the worker only; read after join()
  int destroyed1 = 0;
  int destroyed2 = 0;
  std::thread worker([&] {
    config cfg;
    cfg.stack_count = 1;
    cfg.stack_size = 256 * 1024;
    configure(cfg);
    tasklet t1{[&] {
      destructor_counter counter{&destroyed1};
      log.push_back("t1:parked");
      schedule_remove();
      log.push_back("t1:resumed");
    }};
    tasklet t2{[&] {
      destructor_counter counter{&destroyed2};
      log.push_back("t2:parked");
      schedule_remove();
      log.push_back("t2:resumed");
    }};
    t1();
    EXPECT_FALSE(run().has_value());
    EXPECT_TRUE(t1.paused());
    EXPECT_FALSE(t1.restorable());
    EXPECT_EQ(t1.stack_bytes(), 0u);  // still resident: nothing copied

    t2();
    EXPECT_FALSE(run().has_value());  // t2 needs the stack: t1 is evicted
    EXPECT_TRUE(t1.paused());
    EXPECT_FALSE(t1.restorable());
    EXPECT_GT(t1.stack_bytes(), 0u);
    EXPECT_EQ(t2.stack_bytes(), 0u);
    expect_error<error>([&] { t1.unbind(); }, "C state");
    expect_error<error>([&] { t1.bind([] {}); }, "C state");
    EXPECT_TRUE(t1.alive());
    EXPECT_TRUE(t1.paused());
    EXPECT_GT(t1.stack_bytes(), 0u);

    t1.kill();  // restores t1 (evicting t2) and unwinds it
    EXPECT_FALSE(t1.alive());
    EXPECT_EQ(destroyed1, 1);
    EXPECT_EQ(t1.stack_bytes(), 0u);
    EXPECT_GT(t2.stack_bytes(), 0u);
    t2.kill();
    EXPECT_FALSE(t2.alive());
    EXPECT_EQ(destroyed2, 1);
    EXPECT_EQ(run_count(), 1u);
  });
  worker.join();
  EXPECT_EQ(log, (trace{"t1:parked", "t2:parked"}));
  EXPECT_EQ(destroyed1, 1);
  EXPECT_EQ(destroyed2, 1);
}

// SB 112 / §3.4: dropping the last handle of a paused, started tasklet
// kills it: tasklet_exit unwinds its stack and its destructors run.
TEST_F(SchedulerTest, L112_DroppingTheLastHandleOfAParkedTaskletUnwindsIt) {
  trace log;
  int destroyed = 0;
  {
    tasklet t{[&] {
      destructor_counter counter{&destroyed};
      log.push_back("t0");
      try {
        schedule_remove();
      } catch (...) {
        log.push_back("t:unwinding");
        throw;
      }
      log.push_back("t:resumed");
    }};
    t();
    t.run();
    EXPECT_TRUE(t.paused());
    EXPECT_FALSE(t.restorable());
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(log, (trace{"t0", "t:unwinding"}));
  EXPECT_EQ(destroyed, 1);
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);
}

// §3.4 (SB 59, hard-switched variant): when a thread ends, its started
// tasklets (parked, or runnable and not resumed) are killed and unwound;
// a set-up tasklet that never started is discarded without running. Its
// handles outside the thread see it dead, with no thread.
TEST_F(SchedulerTest, ThreadEnd_KillsStartedTaskletsAndDiscardsUnstarted) {
  int parked_destroyed = 0;
  int runnable_destroyed = 0;
  int captured_destroyed = 0;
  bool parked_resumed = false;
  bool runnable_resumed = false;
  bool unstarted_ran = false;
  std::optional<tasklet> parked_out;
  std::optional<tasklet> runnable_out;
  std::optional<tasklet> unstarted_out;
  std::thread worker([&] {
    const std::thread::id me = std::this_thread::get_id();
    tasklet parked{[&] {
      destructor_counter counter{&parked_destroyed};
      schedule_remove();
      parked_resumed = true;
    }};
    parked();
    parked.run();
    tasklet runnable{[&] {
      destructor_counter counter{&runnable_destroyed};
      schedule();
      runnable_resumed = true;
    }};
    runnable();
    runnable.run();
    tasklet unstarted{[&unstarted_ran, captured = token{&captured_destroyed}] {
      (void)captured;
      unstarted_ran = true;
    }};
    unstarted();
    EXPECT_TRUE(parked.paused());
    EXPECT_FALSE(parked.restorable());
    EXPECT_TRUE(runnable.scheduled());
    EXPECT_FALSE(runnable.restorable());
    EXPECT_TRUE(unstarted.scheduled());
    EXPECT_TRUE(unstarted.restorable());
    EXPECT_EQ(run_count(), 3u);
    EXPECT_EQ(parked.thread_id(), me);
    parked_out = parked;
    runnable_out = runnable;
    unstarted_out = unstarted;
  });
  worker.join();
  EXPECT_EQ(parked_destroyed, 1);
  EXPECT_EQ(runnable_destroyed, 1);
  EXPECT_FALSE(parked_resumed);
  EXPECT_FALSE(runnable_resumed);
  EXPECT_FALSE(unstarted_ran);
  for (const std::optional<tasklet>* out :
       {&parked_out, &runnable_out, &unstarted_out}) {
    ASSERT_TRUE(out->has_value());
    EXPECT_FALSE((*out)->alive());
    EXPECT_FALSE((*out)->scheduled());
    EXPECT_EQ((*out)->thread_id(), std::thread::id());
  }
  parked_out.reset();
  runnable_out.reset();
  unstarted_out.reset();
  EXPECT_EQ(captured_destroyed, 1);
  EXPECT_EQ(parked_destroyed, 1);
  EXPECT_EQ(runnable_destroyed, 1);
  EXPECT_FALSE(unstarted_ran);
}

// --- §3.5 Per-tasklet C++ exception state (SB 13) ---

// SB 13: main and a tasklet each switch inside their own catch block;
// std::current_exception() and `throw;` give each its own exception.
TEST_F(SchedulerTest, ExceptionState_EachTaskletKeepsItsOwnCaughtException) {
  trace log;
  tasklet t{[&] {
    try {
      throw std::runtime_error("tasklet's");
    } catch (...) {
      log.push_back("t:caught");
      schedule();
      log.push_back("t:current=" + what_of(std::current_exception()));
      try {
        throw;
      } catch (const std::exception& x) {
        log.push_back(std::string("t:rethrown=") + x.what());
      }
      schedule();
      log.push_back("t:still=" + what_of(std::current_exception()));
    }
    log.push_back("t:after=" + what_of(std::current_exception()));
  }};
  t();
  try {
    throw std::logic_error("main's");
  } catch (...) {
    schedule();  // t catches its own and switches back inside its catch
    log.push_back("main:current=" + what_of(std::current_exception()));
    try {
      throw;
    } catch (const std::exception& x) {
      log.push_back(std::string("main:rethrown=") + x.what());
    }
    schedule();
    log.push_back("main:still=" + what_of(std::current_exception()));
    schedule();  // t leaves its catch block and ends
    log.push_back("main:end of catch=" + what_of(std::current_exception()));
  }
  log.push_back("main:after=" + what_of(std::current_exception()));
  EXPECT_EQ(log,
            (trace{"t:caught", "main:current=main's", "main:rethrown=main's",
                   "t:current=tasklet's", "t:rethrown=tasklet's",
                   "main:still=main's", "t:still=tasklet's", "t:after=none",
                   "main:end of catch=main's", "main:after=none"}));
  EXPECT_FALSE(t.alive());
}

// switches_in_destructor: a destructor that runs during unwinding, records
// std::uncaught_exceptions() and switches away in the middle.
struct switches_in_destructor {
  trace* log;
  const char* who;
  ~switches_in_destructor() {
    log->push_back(std::string(who) +
                   ":dtor=" + std::to_string(std::uncaught_exceptions()));
    schedule();
    log->push_back(std::string(who) +
                   ":dtor again=" + std::to_string(std::uncaught_exceptions()));
  }
};

// §3.5: std::uncaught_exceptions() is per tasklet: main and t each unwind
// and switch inside a destructor; each sees 1, a third tasklet sees 0.
TEST_F(SchedulerTest, ExceptionState_UncaughtExceptionsIsPerTasklet) {
  trace log;
  tasklet t{[&] {
    try {
      switches_in_destructor guard{&log, "t"};
      throw std::runtime_error("t unwinds");
    } catch (const std::exception&) {
      log.push_back("t:catch=" + std::to_string(std::uncaught_exceptions()));
    }
  }};
  tasklet u{[&] {
    log.push_back("u=" + std::to_string(std::uncaught_exceptions()));
  }};
  t();
  u();
  try {
    switches_in_destructor guard{&log, "main"};
    throw std::runtime_error("main unwinds");
  } catch (const std::exception&) {
    log.push_back("main:catch=" + std::to_string(std::uncaught_exceptions()));
  }
  schedule();  // t finishes its unwinding
  log.push_back("main:after=" + std::to_string(std::uncaught_exceptions()));
  EXPECT_EQ(log, (trace{"main:dtor=1", "t:dtor=1", "u=0", "main:dtor again=1",
                        "main:catch=0", "t:dtor again=1", "t:catch=0",
                        "main:after=0"}));
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(u.alive());
}

// --- switch_trap (SB 100) ---

// SB 100: with switch_trap(1), every real switch throws switch_trap_error
// and changes nothing; operations that do not switch are allowed;
// switch_trap(-1) restores; the result is always the old level.
TEST_F(SchedulerTest, SwitchTrap_RefusesRealSwitchesAndChangesNothing) {
  trap_reset reset;
  trace log;
  tasklet a{[&] { log.push_back("a"); }};
  tasklet b{[&] { log.push_back("b"); }};
  tasklet p;
  p.bind([&](int n) { log.push_back("p" + std::to_string(n)); }, 7);
  a();
  b();
  ASSERT_TRUE(p.paused());
  const std::vector<std::uint64_t> before = ring();
  EXPECT_EQ(run_count(), 3u);

  EXPECT_EQ(switch_trap(1), 0);
  expect_error<switch_trap_error>([] { schedule(); }, "switch_trap");
  expect_error<switch_trap_error>([] { schedule_remove(); }, "switch_trap");
  expect_error<switch_trap_error>([] { run(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { a.run(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { b.switch_to(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { p.run(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { p.switch_to(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { a.kill(); }, "switch_trap");
  expect_error<switch_trap_error>(
      [&] { b.raise_exception<std::domain_error>("x"); }, "switch_trap");
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(run_count(), 3u);
  EXPECT_EQ(ring(), before);
  EXPECT_TRUE(current().is_main());
  EXPECT_TRUE(a.alive() && a.scheduled() && a.restorable());
  EXPECT_TRUE(b.alive() && b.scheduled() && b.restorable());
  EXPECT_TRUE(p.paused());
  EXPECT_FALSE(p.scheduled());

  // No real switch: no error.
  EXPECT_NO_THROW(current().run());
  EXPECT_NO_THROW(current().switch_to());
  EXPECT_EQ(run_count(), 3u);
  EXPECT_EQ(ring(), before);

  EXPECT_EQ(switch_trap(1), 1);  // levels add up
  EXPECT_EQ(switch_trap(-1), 2);
  EXPECT_EQ(switch_trap(-1), 1);
  EXPECT_EQ(switch_trap(0), 0);

  EXPECT_FALSE(run().has_value());
  p.run();
  EXPECT_EQ(log, (trace{"a", "b", "p7"}));
  EXPECT_FALSE(a.alive());
  EXPECT_FALSE(b.alive());
  EXPECT_FALSE(p.alive());
}

// SB 100: main alone under switch_trap: schedule(), schedule_remove() and
// run() do not switch, so they do not throw.
TEST_F(SchedulerTest, SwitchTrap_AloneNothingSwitchesSoNothingThrows) {
  trap_reset reset;
  EXPECT_EQ(switch_trap(1), 0);
  EXPECT_NO_THROW(schedule());
  EXPECT_NO_THROW(schedule_remove());
  std::optional<tasklet> interrupted;
  EXPECT_NO_THROW(interrupted = run());
  EXPECT_FALSE(interrupted.has_value());
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);
  EXPECT_EQ(switch_trap(-1), 1);
}

// --- nesting_level() and the guards (§2.4, §2.5) ---

// §2.5: nesting_level() counts the enclosing nesting_guard scopes and
// slp::run() calls of a tasklet, also while it is suspended.
TEST_F(SchedulerTest, NestingLevel_CountsGuardsAndRunCalls) {
  tasklet m = main_tasklet();
  EXPECT_EQ(m.nesting_level(), 0);
  {
    nesting_guard outer;
    EXPECT_EQ(m.nesting_level(), 1);
    {
      nesting_guard inner;
      EXPECT_EQ(m.nesting_level(), 2);
    }
    EXPECT_EQ(m.nesting_level(), 1);
  }
  EXPECT_EQ(m.nesting_level(), 0);

  std::vector<int> seen;
  tasklet t;
  t.bind([&] {
    seen.push_back(m.nesting_level());          // a guard and run(): 2
    seen.push_back(current().nesting_level());  // 0
    {
      nesting_guard guard;
      seen.push_back(current().nesting_level());  // 1
      tasklet{[&] {
        seen.push_back(t.nesting_level());  // its guard and its run(): 2
        seen.push_back(m.nesting_level());  // 2
      }}();
      run();
      seen.push_back(current().nesting_level());  // 1
      schedule_remove();  // the last runnable: main's run() returns
    }
    seen.push_back(current().nesting_level());  // 0
  });
  t();
  {
    nesting_guard guard;
    EXPECT_FALSE(run().has_value());
    EXPECT_EQ(m.nesting_level(), 1);
  }
  EXPECT_EQ(m.nesting_level(), 0);
  EXPECT_EQ(seen, (std::vector<int>{2, 0, 1, 2, 2, 1}));
  EXPECT_TRUE(t.paused());
  EXPECT_EQ(t.nesting_level(), 1);  // suspended inside its guard

  t.insert();
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(seen, (std::vector<int>{2, 0, 1, 2, 2, 1, 0}));
  EXPECT_FALSE(t.alive());
}

// §2.5 with SB 57: a runner that main's manual wake-up put back in the
// runnables is still inside its slp::run() call until it resumes and that
// call returns, so its nesting level still counts it.
TEST_F(SchedulerTest, NestingLevel_WatchdogWokenPastStillCountsItsRun) {
  tasklet m = main_tasklet();
  int runner_level_after_return = -1;
  tasklet runner;
  runner.bind([&] {
    tasklet{[&] { m.run(); }}();
    run();
    runner_level_after_return = runner.nesting_level();
  });
  runner();
  EXPECT_FALSE(run().has_value());  // woken by m.run()
  EXPECT_TRUE(runner.scheduled());
  EXPECT_EQ(runner.nesting_level(), 1);  // its run() has not returned yet
  EXPECT_EQ(m.nesting_level(), 0);
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(runner_level_after_return, 0);
  EXPECT_FALSE(runner.alive());
}

// §2.4 (SB 15): atomic_guard sets the current tasklet atomic for its
// scope, nests, restores the old value, and touches no other tasklet.
TEST_F(SchedulerTest, AtomicGuard_SetsTheCurrentTaskletAtomicAndRestores) {
  tasklet m = main_tasklet();
  trace log;
  tasklet t;
  t.bind([&] {
    atomic_guard guard;
    log.push_back(std::string("t:t=") + (t.atomic() ? "1" : "0") +
                  " m=" + (m.atomic() ? "1" : "0"));
    schedule();
    log.push_back(std::string("t:t=") + (t.atomic() ? "1" : "0") +
                  " m=" + (m.atomic() ? "1" : "0"));
  });
  t();
  EXPECT_FALSE(t.atomic());
  schedule();  // t takes its guard and switches back inside it
  EXPECT_TRUE(t.atomic());
  EXPECT_FALSE(m.atomic());
  {
    atomic_guard outer;
    EXPECT_TRUE(m.atomic());
    {
      atomic_guard inner;
      EXPECT_TRUE(m.atomic());
    }
    EXPECT_TRUE(m.atomic());  // the inner guard restored the outer's value
    schedule();               // t sees main's flag, keeps its own
  }
  EXPECT_FALSE(m.atomic());
  EXPECT_EQ(log, (trace{"t:t=1 m=0", "t:t=1 m=1"}));
  EXPECT_FALSE(t.alive());
}

// The switching entry points (schedule, schedule_remove, send, receive) are
// reached through thunks that return by a jump after a switch and by `ret`
// otherwise (include/slp/internal/switch_entry.hpp). Whatever the path, each
// call returns to its own caller with its frame intact: two tasklets call from
// different places and recursion depths, values on their frames are
// checked after every return, and exceptions pass through the thunks.
enum class entry { schedule, schedule_remove, send, receive };

int nested_hop(int depth, int seed, entry op, channel<int>* ch, trace& log) {
  volatile int mine = seed * 1000 + depth;  // lives on this frame
  int got = 0;
  if (depth > 0) {
    got = nested_hop(depth - 1, seed, op, ch, log);
  } else if (op == entry::schedule) {
    schedule();
  } else if (op == entry::schedule_remove) {
    schedule_remove();
  } else if (op == entry::send) {
    ch->send(seed);
  } else {
    got = ch->receive();
  }
  if (mine != seed * 1000 + depth) log.push_back("frame clobbered");
  return got + 1;
}

TEST_F(SchedulerTest, SwitchEntriesReturnToTheirOwnCallers) {
  trace log;
  channel<int> ch;
  tasklet a([&] {
    for (int i = 0; i < 3; ++i) {
      nested_hop(3, 1, entry::schedule, nullptr, log);
      log.push_back("a" + std::to_string(i));
      nested_hop(5, 1, entry::send, &ch, log);
    }
  });
  tasklet b([&] {
    for (int i = 0; i < 3; ++i) {
      const int got = nested_hop(7, 2, entry::receive, &ch, log);
      log.push_back("b" + std::to_string(i) + ":" + std::to_string(got));
      schedule();
    }
  });
  a();
  b();
  schedule();  // runs the others; main alone afterwards: no switch
  run();
  schedule();  // main alone: returns without switching
  schedule();
  // receive returns 1 (the sent value) + 8 frames of nested_hop.
  EXPECT_EQ(log, trace({"a0", "b0:9", "a1", "b1:9", "a2", "b2:9"}));
  EXPECT_FALSE(a.alive());
  EXPECT_FALSE(b.alive());
}

TEST_F(SchedulerTest, ExceptionsPassThroughTheSwitchEntries) {
  trace log;
  channel<int> ch;
  int destroyed = 0;
  tasklet receiver([&] {
    destructor_counter guard(&destroyed);
    try {
      nested_hop(4, 3, entry::receive, &ch, log);
    } catch (const std::runtime_error& e) {
      log.push_back(std::string("receiver caught ") + e.what());
    }
    schedule_remove();  // killed here
    log.push_back("not reached");
  });
  tasklet scheduler_caller([&] {
    try {
      nested_hop(2, 4, entry::schedule_remove, nullptr, log);
    } catch (const std::logic_error& e) {
      log.push_back(std::string("caller caught ") + e.what());
    }
  });
  receiver();
  scheduler_caller();
  schedule();  // receiver blocks in receive, scheduler_caller pauses
  ch.send_exception<std::runtime_error>("from send");
  scheduler_caller.raise_exception<std::logic_error>("from throw");
  run();
  EXPECT_TRUE(receiver.paused());
  receiver.kill();
  // The receiver is preferred (-1): it runs at the send; throw_exception
  // runs its (paused) target at once.
  EXPECT_EQ(log,
            trace({"receiver caught from send", "caller caught from throw"}));
  EXPECT_FALSE(receiver.alive());
  EXPECT_EQ(destroyed, 1);
}

}  // namespace
}  // namespace slp::test
