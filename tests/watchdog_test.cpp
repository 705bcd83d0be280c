// SPDX-License-Identifier: MIT
// The watchdog: run(options) preempting at tick() points, deferral while
// atomic or nested, hard and soft interrupts, total budgets, time budgets,
// nested runs (SB §8 group I, API.md §5).
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "test_support.hpp"

namespace slp::test {
namespace {

class WatchdogTest : public SlpTest {};

run_options ticks(std::uint64_t timeout) {
  run_options o;
  o.timeout = timeout;
  return o;
}

// busy: ticks `n` times, yielding with schedule() every `yield_every`
// ticks (0: never); counts its progress.
auto busy(int n, int yield_every, int* progress) {
  return [=] {
    for (int i = 0; i < n; ++i) {
      tick();
      ++*progress;
      if (yield_every != 0 && (i + 1) % yield_every == 0) schedule();
    }
  };
}

// interrupts_to_finish: the round-robin preemptive loop of SB 91; returns
// how many times run() handed back a victim.
int interrupts_to_finish(const run_options& options) {
  int interrupts = 0;
  while (run_count() > 1) {
    if (std::optional<tasklet> victim = run(options)) {
      ++interrupts;
      EXPECT_TRUE(victim->paused()) << "a hard interrupt pauses its victim";
      EXPECT_FALSE(victim->scheduled());
      victim->insert();
    }
  }
  return interrupts;
}

// SB 91: busy tasklets are preempted; cooperative ones are not.
TEST_F(WatchdogTest, I91_BusyTaskletsArePreemptedCooperativeOnesAreNot) {
  std::vector<int> progress(3, 0);
  std::vector<tasklet> busy_ones;
  for (std::size_t i = 0; i < 3; ++i)
    busy_ones.push_back(tasklet{busy(1000, 0, &progress[i])}());
  const int busy_interrupts = interrupts_to_finish(ticks(100));
  EXPECT_EQ(progress, (std::vector<int>{1000, 1000, 1000}));
  // Each runs 1000 ticks in slices of 100: 9 interrupts each, give or take
  // the last slice.
  EXPECT_GE(busy_interrupts, 27);
  EXPECT_LE(busy_interrupts, 30);

  std::vector<int> coop(3, 0);
  std::vector<tasklet> cooperative;
  for (std::size_t i = 0; i < 3; ++i)
    cooperative.push_back(tasklet{busy(1000, 50, &coop[i])}());
  const int cooperative_interrupts = interrupts_to_finish(ticks(100));
  EXPECT_EQ(coop, (std::vector<int>{1000, 1000, 1000}));
  EXPECT_EQ(cooperative_interrupts, 0) << "the budget restarts at every switch";
}

// SB 92
TEST_F(WatchdogTest, I92_AnExceptionUnderThePreemptiveLoopReachesRun) {
  int progress = 0;
  tasklet a{busy(300, 0, &progress)};
  a();
  tasklet b{[] {
    for (int i = 0; i < 150; ++i) tick();
    throw std::domain_error("user warning");
  }};
  b();
  bool raised = false;
  try {
    interrupts_to_finish(ticks(100));
  } catch (const std::domain_error& e) {
    raised = std::string(e.what()) == "user warning";
  }
  EXPECT_TRUE(raised);
  interrupts_to_finish(ticks(100));
  EXPECT_EQ(progress, 300);
}

// SB 93, 94: an atomic section longer than the budget is interrupted right
// after set_atomic(false), at the next tick, not inside.
TEST_F(WatchdogTest, I94_AtomicSectionIsInterruptedRightAfterItEnds) {
  trace log;
  int inside = 0;
  tasklet t{[&] {
    const bool old = current().set_atomic(true);
    for (int i = 0; i < 5000; ++i) {
      tick();
      ++inside;
    }
    current().set_atomic(old);
    log.push_back("atomic done");
    tick();  // the deferred interrupt fires here
    log.push_back("next statement");
  }};
  t();
  std::optional<tasklet> victim = run(ticks(100));
  ASSERT_TRUE(victim.has_value());
  EXPECT_EQ(*victim, t);
  EXPECT_EQ(inside, 5000) << "not interrupted inside the atomic section";
  EXPECT_EQ(log, (trace{"atomic done"}));
  victim->insert();
  run();
  EXPECT_EQ(log, (trace{"atomic done", "next statement"}));
}

// SB 93: atomic_guard sections complete under the preemptive loop.
TEST_F(WatchdogTest, I93_AtomicGuardSectionsCompleteWhole) {
  std::vector<int> sections_completed(2, 0);
  bool torn = false;
  for (int k = 0; k < 2; ++k) {
    tasklet{[&, k] {
      for (int s = 0; s < 10; ++s) {
        {
          atomic_guard g;
          for (int i = 0; i < 250; ++i) {
            tick();
            if (run_count() == 0) torn = true;
          }
          ++sections_completed[static_cast<std::size_t>(k)];
        }
        tick();
      }
    }}();
  }
  const int interrupts = interrupts_to_finish(ticks(100));
  EXPECT_EQ(sections_completed, (std::vector<int>{10, 10}));
  EXPECT_FALSE(torn);
  EXPECT_GE(interrupts, 10) << "interrupted between the sections";
}

// SB 95: soft mode removes nobody; the watchdog runs at the busy
// tasklet's next switch, here its end.
TEST_F(WatchdogTest, I95_SoftInterruptRemovesNobody) {
  int busy_progress = 0;
  int coop_progress = 0;
  tasklet b{busy(1000, 0, &busy_progress)};
  tasklet c{busy(10, 1, &coop_progress)};
  b();
  c();
  run_options o = ticks(100);
  o.soft = true;
  std::optional<tasklet> victim = run(o);
  EXPECT_FALSE(victim.has_value());
  EXPECT_EQ(busy_progress, 1000) << "the busy tasklet ran to its end";
  EXPECT_FALSE(b.alive());
  EXPECT_TRUE(c.alive() && c.scheduled()) << "nothing removed";
  run();
  EXPECT_EQ(coop_progress, 10);
}

// SB 96: per-tasklet budgets restart at each switch; a total one does not.
TEST_F(WatchdogTest, I96_TotalTimeoutIsOneBudgetForTheWholeRun) {
  int p1 = 0, p2 = 0;
  tasklet{busy(300, 5, &p1)}();
  tasklet{busy(300, 5, &p2)}();
  EXPECT_FALSE(run(ticks(500)).has_value());
  EXPECT_EQ(p1 + p2, 600);

  int q1 = 0, q2 = 0;
  tasklet t1{busy(300, 5, &q1)};
  tasklet t2{busy(300, 5, &q2)};
  t1();
  t2();
  run_options total = ticks(500);
  total.totaltimeout = true;
  std::optional<tasklet> victim = run(total);
  ASSERT_TRUE(victim.has_value());
  EXPECT_TRUE(*victim == t1 || *victim == t2);
  EXPECT_EQ(q1 + q2, 500) << "interrupted at the tick that passed 500";
  victim->insert();
  run();
  EXPECT_EQ(q1 + q2, 600);
}

// SB 97: a nested busy loop is not interrupted without ignore_nesting.
TEST_F(WatchdogTest, I97_NestingProtectsUnlessIgnoreNesting) {
  for (const int variant : {0, 1, 2}) {
    int progress = 0;
    int nesting_at_interrupt = -1;
    tasklet t{[&] {
      nesting_guard g;
      if (variant == 1) current().set_ignore_nesting(true);
      for (int i = 0; i < 1000; ++i) {
        tick();
        ++progress;
      }
    }};
    t();
    run_options o = ticks(100);
    o.ignore_nesting = variant == 2;
    std::optional<tasklet> victim = run(o);
    if (variant == 0) {
      EXPECT_FALSE(victim.has_value()) << "nesting_level 1 protects it";
      EXPECT_EQ(progress, 1000);
    } else {
      ASSERT_TRUE(victim.has_value()) << "variant " << variant;
      nesting_at_interrupt = victim->nesting_level();
      EXPECT_GE(nesting_at_interrupt, 1);
      EXPECT_FALSE(victim->restorable());
      EXPECT_EQ(progress, 100);
      victim->insert();
      run();
      EXPECT_EQ(progress, 1000);
    }
  }
}

// SB 10: a busy tasklet whose ignore_nesting was set from outside before it
// started: run() with a 10-tick budget hands it back alive and paused (not
// scheduled, not blocked, its flag kept); inserted and run again, it
// finishes and leaves the runnables.
TEST_F(WatchdogTest, A10_InterruptedTaskletIsPausedThenFinishesWhenInserted) {
  int progress = 0;
  tasklet t{busy(100, 0, &progress)};
  t();
  EXPECT_FALSE(t.set_ignore_nesting(true)) << "new tasklets start without it";
  const std::optional<tasklet> victim = run(ticks(10));
  ASSERT_TRUE(victim.has_value());
  EXPECT_EQ(*victim, t);
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  EXPECT_FALSE(t.scheduled());
  EXPECT_FALSE(t.blocked());
  EXPECT_FALSE(t.restorable()) << "it has started: it has C state";
  EXPECT_TRUE(t.ignore_nesting());
  EXPECT_EQ(t.nesting_level(), 0) << "no guard, no run() of its own";
  EXPECT_EQ(progress, 10);
  EXPECT_EQ(run_count(), 1u);
  t.insert();
  EXPECT_FALSE(run().has_value());
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(progress, 100);
  EXPECT_EQ(run_count(), 1u);
}

// SB 98: the runner tasklet that owns the timeout is the one woken, not
// main, whose run() has none.
TEST_F(WatchdogTest, I98_TheRunnerThatOwnsTheTimeoutIsWoken) {
  int p1 = 0, p2 = 0;
  std::optional<tasklet> runner_victim;
  trace log;
  tasklet runner{[&] {
    run_options o = ticks(150);
    o.totaltimeout = true;
    o.ignore_nesting = true;
    runner_victim = run(o);
    log.push_back("runner woken");
    if (runner_victim) runner_victim->insert();
  }};
  runner();
  tasklet{busy(200, 1, &p1)}();
  tasklet{busy(200, 1, &p2)}();
  EXPECT_FALSE(run().has_value()) << "main's run() has no timeout";
  EXPECT_EQ(log, (trace{"runner woken"}));
  EXPECT_TRUE(runner_victim.has_value());
  EXPECT_EQ(p1 + p2, 400);
}

// SB 99: with nested runners that both ask for a timeout, the outermost
// owns it and wakes first; the inner one's timeout is ignored.
TEST_F(WatchdogTest, I99_TheOutermostTimeoutOwnerWakesFirst) {
  trace log;
  int progress = 0;
  tasklet outer{[&] {
    atomic_guard g;
    tasklet inner{[&] {
      atomic_guard g2;
      tasklet{busy(1000, 0, &progress)}();
      std::optional<tasklet> v = run(ticks(10000));
      log.push_back(v ? "inner victim" : "inner none");
    }};
    inner();
    std::optional<tasklet> v = run(ticks(500));
    log.push_back(v ? "outer victim" : "outer none");
    if (v) v->kill();
  }};
  outer();
  run();
  ASSERT_FALSE(log.empty());
  EXPECT_EQ(log.front(), "outer victim");
  EXPECT_EQ(progress, 500);
  run();
  EXPECT_EQ(log, (trace{"outer victim", "inner none"}));
}

TEST_F(WatchdogTest, TimeBudgetInterruptsABusyTasklet) {
  tasklet t{[] {
    for (;;) tick();
  }};
  t();
  run_options o;
  o.time_budget = std::chrono::milliseconds(5);
  const auto start = std::chrono::steady_clock::now();
  std::optional<tasklet> victim = run(o);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(victim.has_value());
  EXPECT_EQ(*victim, t);
  EXPECT_GE(elapsed, std::chrono::milliseconds(5));
  t.kill();
}

TEST_F(WatchdogTest, TickWithoutAWatchdogDoesNothing) {
  for (int i = 0; i < 1000; ++i) tick();
  tick(1000000);
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);
}

TEST_F(WatchdogTest, ABadTimeBudgetIsRejectedChangingNothing) {
  tasklet t = tasklet{[] {}}();
  const auto before = ring();
  run_options negative;
  negative.time_budget = std::chrono::nanoseconds(-1);
  expect_error<error>([&] { run(negative); }, "time_budget is negative");
  run_options huge;
  huge.time_budget = std::chrono::nanoseconds::max();
  expect_error<error>([&] { run(huge); }, "time_budget overflows");
  EXPECT_EQ(ring(), before);
  EXPECT_TRUE(t.scheduled());
  run();
}

TEST_F(WatchdogTest, RunInsideAHookIsRejected) {
  std::string error_text;
  tasklet t = tasklet{[] {}}();
  set_schedule_callback(
      [&](const std::optional<tasklet>&, const std::optional<tasklet>&) {
        if (!error_text.empty()) return;
        try {
          run();
        } catch (const error& e) {
          error_text = e.what();
        }
      });
  run();
  set_schedule_callback(nullptr);
  EXPECT_NE(error_text.find("inside a hook"), std::string::npos) << error_text;
}

}  // namespace
}  // namespace slp::test
