// SPDX-License-Identifier: MIT
// Tasklets: life cycle and attributes (SB §8 group A), bind / setup /
// insert / remove / run / switch_to and their errors (group B), kill /
// throw_exception / raise_exception (group C), and every misuse of
// API.md §2 with its error and "nothing changed".
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace slp::test {
namespace {

class TaskletTest : public SlpTest {};

void nop() {}

// --- A. Life cycle and attributes ---

// SB 1
TEST_F(TaskletTest, A01_NewTaskletIsNotAlive) {
  tasklet t;
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(t.paused());
  EXPECT_FALSE(t.blocked());
  EXPECT_FALSE(t.scheduled());
  EXPECT_TRUE(t.restorable());
  EXPECT_FALSE(t.prev());
  EXPECT_FALSE(t.next());
  EXPECT_FALSE(t.is_main());
  EXPECT_FALSE(t.is_current());
  EXPECT_EQ(t.thread_id(), std::this_thread::get_id());
}

// SB 2, 3
TEST_F(TaskletTest, A02_A03_BoundTaskletIsNotAliveUntilSetUp) {
  tasklet t{&nop};
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(t.scheduled());
  tasklet u;
  u.bind(&nop);
  EXPECT_FALSE(u.alive());
  u.unbind();
  EXPECT_FALSE(u.alive());
  expect_error<error>([&] { u.setup(); }, "not bound to a function");
}

// SB 4
TEST_F(TaskletTest, A04_SetUpTaskletIsAliveScheduledRestorable) {
  tasklet t;
  t.bind(&nop).setup();
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.scheduled());
  EXPECT_TRUE(t.restorable());
  EXPECT_FALSE(t.paused());
  EXPECT_EQ(run_count(), 2u);
  t.run();
  EXPECT_FALSE(t.alive());
  EXPECT_FALSE(t.restorable()) << "it has run";
}

// SB 5
// API.md §2.5: restorable() is true until the tasklet first runs. One
// killed before its function was called (at once, or pending and then
// run) never ran: it stays restorable, dead; rebound and set up, it runs.
// One that ran is not restorable any more.
TEST_F(TaskletTest, A04_KilledBeforeItStartedStaysRestorable) {
  trace log;
  tasklet now{[&] { log.push_back("now ran"); }};
  now();
  now.kill();
  EXPECT_FALSE(now.alive());
  EXPECT_FALSE(now.scheduled());
  EXPECT_TRUE(now.restorable());

  tasklet later{[&] { log.push_back("later ran"); }};
  later();
  later.kill(true);
  EXPECT_TRUE(later.alive());
  EXPECT_TRUE(later.restorable());
  EXPECT_FALSE(run().has_value());
  EXPECT_FALSE(later.alive());
  EXPECT_TRUE(later.restorable());
  EXPECT_TRUE(log.empty());

  tasklet ran{[&] { log.push_back("ran ran"); }};
  ran();
  ran.run();
  EXPECT_FALSE(ran.alive());
  EXPECT_FALSE(ran.restorable());

  now.bind([&] { log.push_back("now rebound ran"); });
  EXPECT_TRUE(now.restorable());
  now();
  now.run();
  EXPECT_FALSE(now.restorable());
  EXPECT_EQ(log, (trace{"ran ran", "now rebound ran"}));
}

TEST_F(TaskletTest, A05_RemoveMakesPausedAndTwiceIsNoOp) {
  tasklet t = tasklet{&nop}();
  tasklet& same = t.remove();
  EXPECT_EQ(&same, &t);
  EXPECT_TRUE(t.paused());
  EXPECT_TRUE(t.alive());
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(run_count(), 1u);
  t.remove();
  EXPECT_TRUE(t.paused());
  EXPECT_EQ(run_count(), 1u);
}

// SB 6
TEST_F(TaskletTest, A06_BindWithArgumentsIsPausedThenInsertSchedules) {
  std::vector<int> got;
  tasklet t;
  t.bind(
      [&](int a, const std::string& b) {
        got.push_back(a + static_cast<int>(b.size()));
      },
      40, std::string("ab"));
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  EXPECT_FALSE(t.scheduled());
  tasklet& same = t.insert();
  EXPECT_EQ(&same, &t);
  EXPECT_TRUE(t.scheduled());
  run();
  EXPECT_EQ(got, std::vector<int>{42});
}

// SB 7
TEST_F(TaskletTest, A07_PausedTaskletUnbindOrKillIsNotAlive) {
  bool ran = false;
  tasklet t;
  t.bind([&](int) { ran = true; }, 1);
  t.unbind();
  EXPECT_FALSE(t.alive());
  tasklet u;
  u.bind([&](int) { ran = true; }, 1);
  u.kill();
  EXPECT_FALSE(u.alive());
  EXPECT_FALSE(ran)
      << "a killed tasklet that never started never runs its body";
}

// SB 8
TEST_F(TaskletTest, A08_PrevAndNextFollowTheRing) {
  tasklet t;
  t.bind(&nop);
  t();
  EXPECT_EQ(t.prev(), main_tasklet());
  EXPECT_EQ(t.next(), main_tasklet());
  tasklet t2 = tasklet{&nop}();
  EXPECT_EQ(t.next(), t2);
  EXPECT_EQ(t2.prev(), t);
  EXPECT_EQ(t2.next(), main_tasklet());
  EXPECT_EQ(main_tasklet().prev(), t2);
  run();
}

// SB 9: the states seen from inside, by the way the tasklet was started.
TEST_F(TaskletTest, A09_StatesInsideByHowItWasStarted) {
  struct seen {
    bool current, scheduled, alive, main_scheduled, main_paused;
  };
  std::vector<seen> log;
  auto probe = [&] {
    tasklet self = slp::current();
    log.push_back({self.is_current(), self.scheduled(), self.alive(),
                   main_tasklet().scheduled(), main_tasklet().paused()});
  };
  tasklet a{probe};
  a();
  a.run();
  tasklet b{probe};
  b();
  b.switch_to();
  tasklet c{probe};
  c();
  run();
  ASSERT_EQ(log.size(), 3u);
  // run(): the caller stays scheduled.
  EXPECT_TRUE(log[0].current && log[0].scheduled && log[0].alive);
  EXPECT_TRUE(log[0].main_scheduled);
  EXPECT_FALSE(log[0].main_paused);
  // switch_to(): the caller is paused.
  EXPECT_TRUE(log[1].current && log[1].scheduled && log[1].alive);
  EXPECT_TRUE(log[1].main_paused);
  // slp::run(): main is paused while it watches.
  EXPECT_TRUE(log[2].current && log[2].scheduled && log[2].alive);
  EXPECT_TRUE(log[2].main_paused);
  EXPECT_FALSE(log[2].main_scheduled);
}

// SB 11
TEST_F(TaskletTest, A11_AnotherThreadHasItsOwnMainAndRunCount) {
  bool main_is_current = false;
  std::size_t count = 0;
  bool different_main = false;
  const tasklet this_main = main_tasklet();
  std::thread([&] {
    main_is_current = main_tasklet() == current();
    count = run_count();
    different_main = main_tasklet() != this_main;
  }).join();
  EXPECT_TRUE(main_is_current);
  EXPECT_EQ(count, 1u);
  EXPECT_TRUE(different_main);
}

// SB 12
TEST_F(TaskletTest, A12_CurrentInsideIsTheTaskletAndNotAfter) {
  std::uint64_t seen = 0;
  std::size_t count = 0;
  tasklet t;
  t.bind(
      [&](int) {
        seen = current().id();
        count = run_count();
      },
      0);
  t.run();
  EXPECT_EQ(seen, t.id());
  EXPECT_EQ(count, 2u);
  EXPECT_NE(current(), t);
  EXPECT_TRUE(current().is_main());
}

// SB 14
TEST_F(TaskletTest, A14_NewTaskletDoesNotInheritAtomic) {
  tasklet self = current();
  const bool old = self.set_atomic(true);
  tasklet t{&nop};
  EXPECT_FALSE(t.atomic());
  self.set_atomic(old);
}

// SB 15
TEST_F(TaskletTest, A15_SetAtomicReturnsOldValueAndGuardRestores) {
  tasklet self = current();
  EXPECT_FALSE(self.set_atomic(false));
  EXPECT_FALSE(self.set_atomic(true));
  EXPECT_TRUE(self.atomic());
  EXPECT_TRUE(self.set_atomic(true));
  self.set_atomic(false);
  {
    atomic_guard outer;
    EXPECT_TRUE(self.atomic());
    {
      atomic_guard inner;
      EXPECT_TRUE(self.atomic());
    }
    EXPECT_TRUE(self.atomic()) << "the inner guard restores the outer value";
  }
  EXPECT_FALSE(self.atomic());
  EXPECT_FALSE(self.set_ignore_nesting(true));
  EXPECT_TRUE(self.ignore_nesting());
  EXPECT_TRUE(self.set_ignore_nesting(false));
  self.set_block_trap(true);
  EXPECT_TRUE(self.block_trap());
  self.set_block_trap(false);
  EXPECT_FALSE(self.block_trap());
}

TEST_F(TaskletTest, IdsAreUniqueAndNamesAreKept) {
  tasklet a, b;
  EXPECT_NE(a.id(), b.id());
  EXPECT_NE(a.id(), main_tasklet().id());
  EXPECT_EQ(a.name(), "");
  a.set_name("worker");
  EXPECT_EQ(a.name(), "worker");
  tasklet copy = a;
  EXPECT_EQ(copy, a);
  EXPECT_EQ(copy.name(), "worker");
  EXPECT_NE(a, b);
}

TEST_F(TaskletTest, MoveOnlyCallablesAndArgumentsWork) {
  auto owned = std::make_unique<int>(7);
  int got = 0;
  tasklet t{
      [p = std::move(owned), &got](std::unique_ptr<int> q) { got = *p + *q; }};
  t(std::make_unique<int>(35));
  run();
  EXPECT_EQ(got, 42);
  tasklet u;
  u.bind([&got](std::unique_ptr<int> q) { got = *q; },
         std::make_unique<int>(5));
  u.run();
  EXPECT_EQ(got, 5);
}

// tasklet(fn) allocates the tasklet object and the callable together;
// bind() puts the callable on the heap. Either way the function's captures
// are destroyed exactly once: when the tasklet finishes, when it is bound
// again or unbound, or with its last handle if it never ran.
TEST_F(TaskletTest, TheFunctionsCapturesAreDestroyedExactlyOnce) {
  const int before = counted::live;
  {
    tasklet finished{[c = counted("a")] {}};
    EXPECT_EQ(counted::live, before + 1);
    finished();
    run();
    EXPECT_EQ(counted::live, before);  // at its end; the handle remains
  }
  {
    tasklet rebound{[c = counted("b")] {}};
    rebound.bind([c = counted("c")] {});
    EXPECT_EQ(counted::live, before + 1);  // the first one is gone
    rebound.unbind();
    EXPECT_EQ(counted::live, before);
  }
  {
    tasklet never_run{[c = counted("d")] {}};
    EXPECT_EQ(counted::live, before + 1);
  }
  EXPECT_EQ(counted::live, before);
}

// A function's name is a callable too (stored as its pointer), with or
// without parameters.
int function_calls = 0;
void count_call() { ++function_calls; }
void add_to_calls(int n) { function_calls += n; }

TEST_F(TaskletTest, AFunctionNameIsACallable) {
  function_calls = 0;
  tasklet a{count_call};
  tasklet b{add_to_calls};
  a();
  b(41);
  run();
  EXPECT_EQ(function_calls, 42);
}

// SB 20, the part that is not a compile error (tests/compile_fail.cpp has
// the rest): a null function pointer is refused where it is given, not
// called later. The tasklet bind() was called on keeps its function.
TEST_F(TaskletTest, B20_ANullFunctionPointerIsRefused) {
  function_calls = 0;
  void (*no_function)() = nullptr;
  void (*no_function_of_int)(int) = nullptr;
  expect_error<error>([&] { tasklet refused{no_function}; },
                      "slp::tasklet: the function is a null pointer");
  tasklet t{count_call};
  expect_error<error>([&] { t.bind(no_function); },
                      "slp::tasklet::bind: the function is a null pointer");
  expect_error<error>([&] { t.bind(no_function_of_int, 1); },
                      "slp::tasklet::bind: the function is a null pointer");
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(run_count(), 1u);
  t();
  run();
  EXPECT_EQ(function_calls, 1) << "t is still bound to count_call";
}

// The callable of tasklet(fn) gets its type's alignment: up to what
// operator new guarantees next to the tasklet object, beyond that on its
// own.
TEST_F(TaskletTest, TheFunctionKeepsItsAlignment) {
  struct alignas(16) aligned16 {
    unsigned char bytes[16];
  };
  struct alignas(64) aligned64 {
    unsigned char bytes[64];
  };
  std::uintptr_t at16 = 1;
  std::uintptr_t at64 = 1;
  tasklet a{[w = aligned16{}, &at16]() mutable {
    at16 = reinterpret_cast<std::uintptr_t>(&w);
  }};
  tasklet b{[w = aligned64{}, &at64]() mutable {
    at64 = reinterpret_cast<std::uintptr_t>(&w);
  }};
  a();
  b();
  run();
  EXPECT_EQ(at16 % 16, 0u);
  EXPECT_EQ(at64 % 64, 0u);
}

// A function that cannot be copied into the tasklet: its exception, and
// no tasklet left behind (nor a half-bound one).
TEST_F(TaskletTest, AFunctionThatCannotBeCopiedLeavesNoTasklet) {
  struct refuses_copy {
    refuses_copy() = default;
    refuses_copy(const refuses_copy&) {
      throw std::runtime_error("copy refused");
    }
    void operator()() const {}
  };
  const refuses_copy fn;
  const std::size_t live = core::tasklet_impl::live_count();
  expect_error<std::runtime_error>([&] { tasklet t{fn}; }, "copy refused");
  EXPECT_EQ(core::tasklet_impl::live_count(), live);
  bool first_ran = false;
  tasklet u{[&first_ran] { first_ran = true; }};
  expect_error<std::runtime_error>([&] { u.bind(fn); }, "copy refused");
  u();
  u.run();
  EXPECT_TRUE(first_ran);  // still bound to its first function
}

// stack_range: the frames of a started tasklet lie between its saved stack
// pointer and the top of its home stack, at the same addresses while they
// are on the heap; the running tasklet has no saved pointer; main, a
// tasklet not started or finished, and another thread's tasklet have none.
TEST_F(TaskletTest, StackRangeHoldsTheFramesOfAStartedTasklet) {
  EXPECT_EQ(main_tasklet().stack_range().top, nullptr);
  const void* local_address = nullptr;
  stack_range while_running;
  tasklet t{[&] {
    int local = 0;
    local_address = &local;
    while_running = current().stack_range();
    schedule_remove();
  }};
  EXPECT_EQ(t.stack_range().top, nullptr) << "not started";
  t();
  EXPECT_EQ(t.stack_range().top, nullptr) << "set up, not started";
  run();
  EXPECT_EQ(while_running.pointer, nullptr) << "it was running";
  ASSERT_NE(while_running.top, nullptr);

  const stack_range paused = t.stack_range();
  EXPECT_EQ(paused.top, while_running.top);
  ASSERT_NE(paused.pointer, nullptr);
  const auto* low = static_cast<const std::byte*>(paused.pointer);
  const auto* high = static_cast<const std::byte*>(paused.top);
  const auto* local = static_cast<const std::byte*>(local_address);
  EXPECT_LE(low, local);
  EXPECT_LT(local, high);

  stack_range seen_by_another_thread{&local_address, &local_address};
  std::thread([&] { seen_by_another_thread = t.stack_range(); }).join();
  EXPECT_EQ(seen_by_another_thread.pointer, nullptr);
  EXPECT_EQ(seen_by_another_thread.top, nullptr);

  t.kill();
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(t.stack_range().pointer, nullptr) << "finished";
  EXPECT_EQ(t.stack_range().top, nullptr) << "finished";
}

// --- B. bind / setup / insert / remove / run / switch_to ---

// SB 16, 17, 18, 23, 24 and the bind checks of API.md §2.1, each leaving
// everything as it was.
TEST_F(TaskletTest, B16_BindingTheCurrentTaskletFails) {
  tasklet self = current();
  expect_error<error>([&] { self.unbind(); },
                      "can't (re)bind the current tasklet");
  expect_error<error>([&] { self.bind(&nop); },
                      "can't (re)bind the current tasklet");
  std::string inside;
  tasklet t;
  t.bind([&] {
    try {
      current().bind(&nop);
    } catch (const error& e) {
      inside = e.what();
    }
  });
  t();
  run();
  EXPECT_NE(inside.find("current tasklet"), std::string::npos) << inside;
  EXPECT_TRUE(self.alive());
}

TEST_F(TaskletTest, B17_BindingAScheduledTaskletFailsAndChangesNothing) {
  int ran = 0;
  tasklet t{[&] { ++ran; }};
  t();
  const auto before = ring();
  expect_error<error>([&] { t.bind(&nop); }, "tasklet is scheduled");
  expect_error<error>([&] { t.unbind(); }, "tasklet is scheduled");
  EXPECT_EQ(ring(), before);
  EXPECT_TRUE(t.scheduled());
  run();
  EXPECT_EQ(ran, 1) << "the original function is still bound";
}

// A blocked tasklet counts as scheduled (API.md §2.1): bind and unbind
// fail, and it stays queued on its channel with its value.
TEST_F(TaskletTest, B17_BindingABlockedTaskletFailsAndChangesNothing) {
  channel<int> ch;
  tasklet sender{[&] { ch.send(7); }};
  sender();
  run();
  ASSERT_TRUE(sender.blocked());
  const auto before = ring();
  expect_error<error>([&] { sender.bind(&nop); }, "tasklet is scheduled");
  expect_error<error>([&] { sender.unbind(); }, "tasklet is scheduled");
  EXPECT_EQ(ring(), before);
  EXPECT_TRUE(sender.blocked());
  EXPECT_EQ(ch.balance(), 1);
  ASSERT_TRUE(ch.queue().has_value());
  EXPECT_EQ(*ch.queue(), sender);
  EXPECT_EQ(ch.receive(), 7);
  run();
  EXPECT_FALSE(sender.alive());
}

TEST_F(TaskletTest, B18_BindingAStartedPausedTaskletFailsWithCState) {
  int destroyed = 0;
  struct raii {
    int* n;
    ~raii() { ++*n; }
  };
  {
    tasklet t{[&] {
      raii r{&destroyed};
      schedule_remove();
    }};
    t();
    t.run();
    ASSERT_TRUE(t.paused());
    EXPECT_FALSE(t.restorable());
    expect_error<error>([&] { t.unbind(); }, "C state");
    expect_error<error>([&] { t.bind(&nop); }, "C state");
    EXPECT_TRUE(t.paused());
    EXPECT_EQ(destroyed, 0);
  }
  EXPECT_EQ(destroyed, 1)
      << "dropping the last handle killed it and ran its destructors";
}

// SB 21: bound without arguments, never set up: running it is an error.
TEST_F(TaskletTest, B21_RunningABoundButNotSetUpTaskletFails) {
  tasklet t{&nop};
  expect_error<error>([&] { t.run(); },
                      "You cannot run an unbound(dead) tasklet");
  expect_error<error>([&] { t.insert(); },
                      "You cannot run an unbound(dead) tasklet");
  EXPECT_FALSE(t.scheduled());
}

// SB 22: bind(fn, args...) keeps the arguments; rebinding a paused,
// unstarted tasklet replaces function and arguments.
TEST_F(TaskletTest, B22_BindWithArgumentsCallsFunctionWithThem) {
  trace log;
  tasklet t;
  t.bind([&](std::string a, int b) { log.push_back(a + std::to_string(b)); },
         std::string("x"), 1);
  EXPECT_FALSE(t.scheduled());
  t.bind([&](std::string a) { log.push_back("second " + a); },
         std::string("y"));
  t.run();
  EXPECT_EQ(log, (trace{"second y"}));
}

// SB 23
TEST_F(TaskletTest, B23_SetupOfAnAliveTaskletFails) {
  std::string inside;
  tasklet t;
  t.bind([&] {
    try {
      current().setup();
    } catch (const error& e) {
      inside = e.what();
    }
  });
  t();
  expect_error<error>([&] { t.setup(); }, "tasklet is alive");
  EXPECT_EQ(run_count(), 2u);
  run();
  EXPECT_NE(inside.find("tasklet is alive"), std::string::npos) << inside;
}

// SB 24
TEST_F(TaskletTest, B24_UnbindingMainFails) {
  std::string inside;
  tasklet t{[&] {
    try {
      main_tasklet().unbind();
    } catch (const error& e) {
      inside = e.what();
    }
  }};
  t();
  run();
  EXPECT_NE(inside.find("can't unbind the main tasklet"), std::string::npos)
      << inside;
  EXPECT_TRUE(main_tasklet().alive());
}

TEST_F(TaskletTest, SetupWithArgumentsOfTheWrongTypesFailsAtSetup) {
  tasklet t{[](int, const std::string&) {}};
  expect_error<error>([&] { t(1, "text"); }, "takes std::tuple<int, std::");
  EXPECT_FALSE(t.alive()) << "nothing changed";
  EXPECT_EQ(run_count(), 1u);
  auto generic = [](auto) {};
  tasklet g{generic};
  expect_error<error>([&] { g(1); }, "generic tasklet function");
  t(1, std::string("text"));
  EXPECT_TRUE(t.scheduled());
  run();
}

// SB 26
TEST_F(TaskletTest, B26_DeadTaskletCannotRunButRemoveIsANoOp) {
  tasklet t = tasklet{&nop}();
  run();
  ASSERT_FALSE(t.alive());
  expect_error<error>([&] { t.run(); },
                      "You cannot run an unbound(dead) tasklet");
  expect_error<error>([&] { t.insert(); },
                      "You cannot run an unbound(dead) tasklet");
  expect_error<error>([&] { t.switch_to(); },
                      "You cannot run an unbound(dead) tasklet");
  t.remove();
  EXPECT_FALSE(t.scheduled());
  EXPECT_EQ(run_count(), 1u);
}

// SB 27
TEST_F(TaskletTest, B27_RemovingTheCurrentTaskletFails) {
  expect_error<error>([] { current().remove(); },
                      "The current tasklet cannot be removed.");
  EXPECT_TRUE(current().scheduled());
  EXPECT_EQ(run_count(), 1u);
}

// SB 28: run() of a scheduled tasklet jumps to it, skipping those between.
TEST_F(TaskletTest, B28_RunJumpsToAScheduledTasklet) {
  trace log;
  auto body = [&log](std::string name) {
    return [&log, name] {
      for (int i = 0; i < 2; ++i) {
        log.push_back(name + std::to_string(i));
        schedule();
      }
    };
  };
  tasklet t1{body("t1_")}, t2{body("t2_")}, t3{body("t3_")};
  t1();
  t2();
  t3();
  t1.run();  // ring [main, t1, t2, t3]: nobody is skipped
  log.push_back("main");
  EXPECT_EQ(log, (trace{"t1_0", "t2_0", "t3_0", "main"}));
  log.clear();
  t3.run();  // ring [main, t1, t2, t3] again: t1 and t2 are skipped
  log.push_back("main");
  EXPECT_EQ(log, (trace{"t3_1", "main"}));
  log.clear();
  run();
  EXPECT_EQ(log, (trace{"t1_1", "t2_1"}));
}

// SB 29: a paused target of run() lands just before the caller.
TEST_F(TaskletTest, B29_PausedTargetOfRunLandsBeforeTheCaller) {
  trace log;
  auto looper = [&log](std::string name) {
    return [&log, name] {
      for (int i = 0; i < 2; ++i) {
        log.push_back(name + std::to_string(i));
        schedule();
      }
    };
  };
  tasklet p;
  p.bind(looper("p"));
  tasklet a{looper("a")}, b{looper("b")};
  a();
  b();
  p.setup();
  p.remove();  // p is paused, a and b are runnable: [main, a, b]
  p.run();     // p lands before main: [p, main, a, b]
  log.push_back("main");
  run();
  EXPECT_EQ(log, (trace{"p0", "main", "a0", "b0", "p1", "a1", "b1"}));
}

// SB 30: switch_to() pauses the caller; main runs again after the earlier
// runnables once the target inserts it.
TEST_F(TaskletTest, B30_SwitchToPausesTheCaller) {
  trace log;
  tasklet a{[&] { log.push_back("a"); }};
  a();
  bool main_paused_inside = false;
  tasklet s{[&] {
    main_paused_inside = main_tasklet().paused();
    log.push_back("s");
    main_tasklet().insert();  // [s, a, main]
    schedule();
    log.push_back("s again");
  }};
  s();
  s.remove();
  s.switch_to();
  log.push_back("main");
  run();
  EXPECT_TRUE(main_paused_inside);
  EXPECT_EQ(log, (trace{"s", "a", "main", "s again"}));
}

// SB 31
TEST_F(TaskletTest, B31_SwitchToTheCurrentTaskletIsANoOp) {
  tasklet other{&nop};
  other();
  const auto before = ring();
  current().switch_to();
  current().switch_to();
  current().run();
  EXPECT_EQ(ring(), before);
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 2u);
  run();
}

TEST_F(TaskletTest, InsertIsANoOpForScheduledAndReturnsItself) {
  tasklet t = tasklet{&nop}();
  const auto before = ring();
  EXPECT_EQ(&t.insert(), &t);
  EXPECT_EQ(ring(), before);
  current().insert();
  EXPECT_EQ(ring(), before);
  run();
}

// --- C. kill / throw_exception / raise_exception ---

// SB 33
TEST_F(TaskletTest, C33_KillPendingDeliversAtTheNextRun) {
  bool exited = false;
  tasklet t{[&] {
    try {
      schedule();
    } catch (const tasklet_exit&) {
      exited = true;
      throw;
    }
  }};
  t();
  t.run();
  t.kill(true);
  EXPECT_FALSE(exited);
  EXPECT_TRUE(t.scheduled());
  t.run();
  EXPECT_TRUE(exited);
  EXPECT_FALSE(t.alive());
}

// SB 34
TEST_F(TaskletTest, C34_KillDeliversSynchronously) {
  bool exited = false;
  tasklet t{[&] {
    try {
      schedule();
    } catch (const tasklet_exit&) {
      exited = true;
      throw;
    }
  }};
  t();
  t.run();
  t.kill();
  EXPECT_TRUE(exited);
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(run_count(), 1u);
}

// SB 35
TEST_F(TaskletTest, C35_KillingTheCurrentTaskletUnwindsIt) {
  trace log;
  tasklet t{[&] {
    try {
      current().kill();
      log.push_back("not reached");
    } catch (const tasklet_exit&) {
      log.push_back("handler");
    }
    log.push_back("after handler");
  }};
  t();
  t.run();
  EXPECT_EQ(log, (trace{"handler", "after handler"}));
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(t.thread_id(), current().thread_id());
}

// SB 36
TEST_F(TaskletTest, C36_KilledBeforeStartingNeverRuns) {
  bool ran = false;
  tasklet s{[&] { ran = true; }};
  s();
  s.throw_exception(std::make_exception_ptr(tasklet_exit()));
  run();
  EXPECT_FALSE(ran);
  EXPECT_FALSE(s.alive());
  expect_error<error>([&] { s.run(); }, "dead");
}

// SB 37; and SB 40 in its C++ form: an empty exception_ptr is refused.
TEST_F(TaskletTest, C37_ThrowingToADeadTaskletFailsButTaskletExitIsANoOp) {
  tasklet t = tasklet{&nop}();
  run();
  expect_error<error>([&] { t.raise_exception<std::out_of_range>("x"); },
                      "You cannot throw to a dead tasklet");
  t.throw_exception(std::make_exception_ptr(tasklet_exit()));
  t.kill();
  tasklet unbound;
  unbound.kill();
  EXPECT_FALSE(unbound.alive());
  expect_error<error>(
      [&] {
        unbound.throw_exception(
            std::make_exception_ptr(std::runtime_error("x")));
      },
      "dead tasklet");
  expect_error<error>([&] { t.throw_exception(nullptr); },
                      "exception_ptr is empty");
}

// SB 38 (paused instead of blocked; the blocked variant is with channels)
TEST_F(TaskletTest, C38_ThrowIntoAPausedTaskletRunsItNow) {
  trace log;
  tasklet s{[&] {
    try {
      schedule_remove();
    } catch (const std::out_of_range& e) {
      log.push_back(std::string("caught ") + e.what());
    }
    log.push_back("end");
  }};
  s();
  s.run();
  ASSERT_TRUE(s.paused());
  s.raise_exception<std::out_of_range>("index");
  log.push_back("main");
  EXPECT_EQ(log, (trace{"caught index", "end", "main"}));
  EXPECT_FALSE(s.alive());
}

// SB 38, pending variant on its own.
TEST_F(TaskletTest, C38_PendingThrowArrivesWhenTheTaskletRunsAgain) {
  trace log;
  tasklet s{[&] {
    try {
      schedule_remove();
    } catch (const std::out_of_range& e) {
      log.push_back(std::string("caught ") + e.what());
    }
  }};
  s();
  s.run();
  s.throw_exception(std::make_exception_ptr(std::out_of_range("late")), true);
  EXPECT_TRUE(s.alive());
  EXPECT_TRUE(s.scheduled());
  EXPECT_EQ(log, trace{});
  s.run();
  EXPECT_EQ(log, (trace{"caught late"}));
  EXPECT_FALSE(s.alive());
}

// SB 39
TEST_F(TaskletTest, C39_ExceptionIntoAnUnstartedTaskletIsAnUncaughtOne) {
  bool ran = false;
  tasklet s{[&] { ran = true; }};
  s();
  expect_error<std::out_of_range>(
      [&] { s.raise_exception<std::out_of_range>("early"); }, "early");
  EXPECT_FALSE(ran);
  EXPECT_FALSE(s.alive());
  tasklet p{[&] { ran = true; }};
  p();
  p.throw_exception(std::make_exception_ptr(std::out_of_range("pending")),
                    true);
  expect_error<std::out_of_range>([] { run(); }, "pending");
  EXPECT_FALSE(ran);
}

// SB 44
TEST_F(TaskletTest, C44_ATaskletThatCatchesTaskletExitStaysAlive) {
  int kills_seen = 0;
  tasklet t{[&] {
    try {
      schedule_remove();
    } catch (const tasklet_exit&) {
      ++kills_seen;
    }
    schedule_remove();  // survives the first kill
  }};
  t();
  t.run();
  t.kill();
  EXPECT_EQ(kills_seen, 1);
  EXPECT_TRUE(t.alive());
  EXPECT_TRUE(t.paused());
  t.kill();
  EXPECT_FALSE(t.alive());
}

// SB 41 (paused): a killed tasklet runs now and the caller is next.
TEST_F(TaskletTest, C41_KilledTaskletRunsNowAndTheCallerIsNext) {
  trace log;
  std::vector<std::uint64_t> ring_at_exit;
  tasklet b{[&] {
    try {
      schedule_remove();
    } catch (const tasklet_exit&) {
      ring_at_exit = ring();
      throw;
    }
  }};
  b();
  b.run();
  tasklet x{[&] { log.push_back("x"); }};
  x();
  b.kill();
  log.push_back("main");
  EXPECT_EQ(ring_at_exit,
            (std::vector<std::uint64_t>{b.id(), main_tasklet().id(), x.id()}));
  run();
  EXPECT_EQ(log, (trace{"main", "x"}));
}

// --- misuse: errors that change nothing ---

TEST_F(TaskletTest, ErrorsLeaveRingAndFlagsUnchanged) {
  tasklet a = tasklet{&nop}();
  tasklet b = tasklet{&nop}();
  tasklet dead = tasklet{&nop}();
  dead.run();
  const auto before = ring();
  const std::size_t count = run_count();
  expect_error<error>([&] { current().remove(); }, "cannot be removed");
  expect_error<error>([&] { dead.run(); }, "unbound(dead)");
  expect_error<error>([&] { dead.switch_to(); }, "unbound(dead)");
  expect_error<error>([&] { a.bind(&nop); }, "scheduled");
  expect_error<error>([&] { a.setup(); }, "alive");
  expect_error<error>([&] { main_tasklet().unbind(); }, "current tasklet");
  EXPECT_EQ(ring(), before);
  EXPECT_EQ(run_count(), count);
  EXPECT_TRUE(a.scheduled() && b.scheduled());
  EXPECT_FALSE(dead.alive());
  run();
}

TEST_F(TaskletTest, SwitchTrapBlocksRealSwitchesOnly) {
  tasklet t = tasklet{&nop}();
  EXPECT_EQ(switch_trap(1), 0);
  const auto before = ring();
  expect_error<switch_trap_error>([&] { t.run(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { t.switch_to(); }, "switch_trap");
  expect_error<switch_trap_error>([] { schedule(); }, "switch_trap");
  expect_error<switch_trap_error>([&] { t.kill(); }, "switch_trap");
  current().switch_to();  // no real switch: allowed
  EXPECT_EQ(ring(), before);
  EXPECT_TRUE(t.alive()) << "the failed kill changed nothing";
  EXPECT_EQ(switch_trap(-1), 1);
  run();
}

TEST_F(TaskletTest, TaskletOfAnotherThreadCannotBeSwitchedTo) {
  std::unique_ptr<tasklet> foreign;
  std::thread([&] {
    foreign = std::make_unique<tasklet>(&nop);
    foreign->bind([](int) {}, 0);  // alive and paused there
  }).join();
  // Its thread has ended: it is no longer alive and cannot run.
  EXPECT_FALSE(foreign->alive());
  EXPECT_EQ(foreign->thread_id(), std::thread::id());
  expect_error<error>([&] { foreign->run(); }, "");
  foreign.reset();
}

}  // namespace
}  // namespace slp::test
