// SPDX-License-Identifier: MIT
// The monitoring hooks (API.md §6, SB §5): the channel callback, the
// schedule callback and the schedule fast hook. SB §8 group J, the
// conventions of the seed (a dying tasklet is reported as (dying, nullopt)
// then (nullopt, next); a thread's main start as (nullopt, main)), set /
// get / replace / remove, no switch and no channel operation inside a hook,
// and what becomes of an exception thrown by a hook. Each test names the
// Stackless case it follows (reference/stackless-behaviour.md §8, "SB n").
// Expected sequences are derived from the runnables model of SB §1.4.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <exception>
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

// HooksTest: every test must leave no hook installed.
class HooksTest : public SlpTest {
 protected:
  void TearDown() override {
    EXPECT_FALSE(get_channel_callback()) << "channel callback left installed";
    EXPECT_FALSE(get_schedule_callback()) << "schedule callback left installed";
    EXPECT_EQ(get_schedule_fasthook().fn, nullptr)
        << "fast hook left installed";
    set_channel_callback(nullptr);
    set_schedule_callback(nullptr);
    set_schedule_fasthook(nullptr, nullptr);
    SlpTest::TearDown();
  }
};

// handler_reset: removes the error handler at scope exit.
struct handler_reset {
  ~handler_reset() { set_error_handler(nullptr); }
};

// edge: one call of a schedule hook, as ids; 0 stands for std::nullopt.
using edge = std::pair<std::uint64_t, std::uint64_t>;
using edges = std::vector<edge>;

std::uint64_t id_of(const std::optional<tasklet>& t) { return t ? t->id() : 0; }

// schedule_recorder: a schedule callback that appends (from, to) ids.
schedule_callback schedule_recorder(edges& out) {
  return [&out](const std::optional<tasklet>& from,
                const std::optional<tasklet>& to) {
    out.emplace_back(id_of(from), id_of(to));
  };
}

// record_fast: a fast hook that appends (from, to) ids to *user (edges).
void record_fast(void* user, tasklet_view from, tasklet_view to) {
  static_cast<edges*>(user)->emplace_back(from ? from.id() : 0,
                                          to ? to.id() : 0);
}

void count_fast(void* user, tasklet_view, tasklet_view) {
  ++*static_cast<int*>(user);
}

void count_fast_twice(void* user, tasklet_view, tasklet_view) {
  *static_cast<int*>(user) += 2;
}

// three_schedules: SB 101's test_cframe(3): a tasklet that yields 3 times.
void three_schedules() {
  for (int i = 0; i < 3; ++i) schedule();
}

void run_two_schedulers() {
  tasklet{&three_schedules}();
  tasklet{&three_schedules}();
  run();
}

// --- J. Callbacks ---

// SB 101: a schedule monitor sees at least one call per switch; a replaced
// monitor stops being called; after removal nothing is counted.
TEST_F(HooksTest, J101_ScheduleMonitorCountsAndReplacedMonitorStops) {
  int first = 0;
  int second = 0;
  hooks_reset reset;
  set_schedule_callback([&](const std::optional<tasklet>&,
                            const std::optional<tasklet>&) { ++first; });
  run_two_schedulers();
  EXPECT_GE(first, 6);
  const int first_total = first;
  set_schedule_callback([&](const std::optional<tasklet>&,
                            const std::optional<tasklet>&) { ++second; });
  run_two_schedulers();
  EXPECT_EQ(first, first_total) << "the replaced monitor was called";
  EXPECT_GE(second, 6);
  const int second_total = second;
  set_schedule_callback(nullptr);
  run_two_schedulers();
  EXPECT_EQ(first, first_total);
  EXPECT_EQ(second, second_total);
}

// SB 102: get is empty at first; set returns the previous hook; get returns
// the current one; setting an empty one returns the last and removes it.
// The same for the channel callback and the fast hook.
TEST_F(HooksTest, J102_SetReturnsPreviousAndGetReturnsCurrent) {
  hooks_reset reset;
  std::string called;
  EXPECT_FALSE(get_schedule_callback());
  schedule_callback mon = [&](const std::optional<tasklet>&,
                              const std::optional<tasklet>&) {
    called += "mon ";
  };
  schedule_callback mon2 = [&](const std::optional<tasklet>&,
                               const std::optional<tasklet>&) {
    called += "mon2 ";
  };
  EXPECT_FALSE(set_schedule_callback(mon));
  schedule_callback got = get_schedule_callback();
  ASSERT_TRUE(got);
  got(std::nullopt, std::nullopt);
  schedule_callback old = set_schedule_callback(mon2);
  ASSERT_TRUE(old);
  old(std::nullopt, std::nullopt);
  get_schedule_callback()(std::nullopt, std::nullopt);
  old = set_schedule_callback(nullptr);
  ASSERT_TRUE(old);
  old(std::nullopt, std::nullopt);
  EXPECT_FALSE(get_schedule_callback());
  EXPECT_EQ(called, "mon mon mon2 mon2 ");

  called.clear();
  channel<int> c;
  EXPECT_FALSE(get_channel_callback());
  channel_callback cb = [&](const channel_ref&, const tasklet&, bool, bool) {
    called += "cb ";
  };
  channel_callback cb2 = [&](const channel_ref&, const tasklet&, bool, bool) {
    called += "cb2 ";
  };
  EXPECT_FALSE(set_channel_callback(cb));
  get_channel_callback()(c, current(), true, false);
  channel_callback old_cb = set_channel_callback(cb2);
  ASSERT_TRUE(old_cb);
  old_cb(c, current(), true, false);
  get_channel_callback()(c, current(), true, false);
  old_cb = set_channel_callback(nullptr);
  ASSERT_TRUE(old_cb);
  old_cb(c, current(), true, false);
  EXPECT_FALSE(get_channel_callback());
  EXPECT_EQ(called, "cb cb cb2 cb2 ");

  int a = 0;
  int b = 0;
  EXPECT_EQ(get_schedule_fasthook().fn, nullptr);
  fasthook prev = set_schedule_fasthook(&count_fast, &a);
  EXPECT_EQ(prev.fn, nullptr);
  EXPECT_EQ(prev.user, nullptr);
  EXPECT_EQ(get_schedule_fasthook().fn, &count_fast);
  EXPECT_EQ(get_schedule_fasthook().user, &a);
  prev = set_schedule_fasthook(&count_fast_twice, &b);
  EXPECT_EQ(prev.fn, &count_fast);
  EXPECT_EQ(prev.user, &a);
  EXPECT_EQ(get_schedule_fasthook().fn, &count_fast_twice);
  EXPECT_EQ(get_schedule_fasthook().user, &b);
  prev = set_schedule_fasthook(nullptr, nullptr);
  EXPECT_EQ(prev.fn, &count_fast_twice);
  EXPECT_EQ(prev.user, &b);
  EXPECT_EQ(get_schedule_fasthook().fn, nullptr);
}

// A replaced channel callback or fast hook stops firing; an empty one
// removes it.
TEST_F(HooksTest, J102_ReplacedOrRemovedHooksStopFiring) {
  int first = 0;
  int second = 0;
  int fast_a = 0;
  int fast_b = 0;
  hooks_reset reset;
  channel<int> c;
  auto one_hand_off = [&] {
    tasklet{[&] { c.send(1); }}();
    c.receive();
    run();
  };
  set_channel_callback(
      [&](const channel_ref&, const tasklet&, bool, bool) { ++first; });
  set_schedule_fasthook(&count_fast, &fast_a);
  one_hand_off();
  EXPECT_EQ(first, 2) << "one send, one receive";
  EXPECT_GT(fast_a, 0);
  const int fast_a_total = fast_a;
  set_channel_callback(
      [&](const channel_ref&, const tasklet&, bool, bool) { ++second; });
  set_schedule_fasthook(&count_fast, &fast_b);
  one_hand_off();
  EXPECT_EQ(first, 2);
  EXPECT_EQ(second, 2);
  EXPECT_EQ(fast_a, fast_a_total) << "the replaced fast hook fired";
  EXPECT_EQ(fast_b, fast_a_total) << "the same scenario, the same switches";
  set_channel_callback(nullptr);
  set_schedule_fasthook(nullptr, nullptr);
  one_hand_off();
  EXPECT_EQ(second, 2);
  EXPECT_EQ(fast_b, fast_a_total);
}

// SB 103: inside the schedule callback, current() is the tasklet being
// switched away from (`from`), and the C++ exception being handled is that
// tasklet's own (API.md §3.5).
TEST_F(HooksTest, J103_CallbackSeesTheFromTaskletAndItsExceptionState) {
  struct seen {
    std::uint64_t from, to, current;
    std::string exception;
  };
  std::vector<seen> calls;
  hooks_reset reset;
  tasklet t{[] {
    try {
      throw std::runtime_error("t's");
    } catch (const std::exception&) {
      schedule();
    }
  }};
  t();
  set_schedule_callback([&](const std::optional<tasklet>& from,
                            const std::optional<tasklet>& to) {
    calls.push_back({id_of(from), id_of(to), current().id(),
                     what_of(std::current_exception())});
  });
  try {
    throw std::runtime_error("main's");
  } catch (const std::exception&) {
    t.run();     // main -> t; t schedules inside its catch: t -> main
    schedule();  // main -> t; t ends outside its catch: t dies, main next
  }
  set_schedule_callback(nullptr);
  const std::uint64_t m = main_tasklet().id();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls[0].from, m);
  EXPECT_EQ(calls[0].to, t.id());
  EXPECT_EQ(calls[1].from, t.id());
  EXPECT_EQ(calls[1].to, m);
  EXPECT_EQ(calls[2].from, m);
  EXPECT_EQ(calls[2].to, t.id());
  EXPECT_EQ(calls[3].from, t.id());
  EXPECT_EQ(calls[3].to, 0u);
  EXPECT_EQ(calls[4].from, 0u);
  EXPECT_EQ(calls[4].to, m);
  // While a switch away from a tasklet is reported, that tasklet is still
  // the current one, with its own caught exception.
  for (std::size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(calls[i].current, calls[i].from);
  }
  EXPECT_EQ(calls[0].exception, "main's");
  EXPECT_EQ(calls[1].exception, "t's");
  EXPECT_EQ(calls[2].exception, "main's");
  EXPECT_EQ(calls[3].exception, "none") << "t ended outside its catch";
}

// SB 104: the schedule callback throws (when switching to main): the switch
// proceeds, run() completes, and the message goes to stderr.
TEST_F(HooksTest, J104_ScheduleCallbackExceptionGoesToStderr) {
  trace log;
  hooks_reset reset;
  tasklet t{[&] {
    log.push_back("t0");
    schedule();
    log.push_back("t1");
  }};
  t();
  set_schedule_callback(
      [](const std::optional<tasklet>&, const std::optional<tasklet>& to) {
        if (to && to->is_main())
          throw std::runtime_error("monitor failed on main");
      });
  testing::internal::CaptureStderr();
  EXPECT_FALSE(run().has_value());
  const std::string err = testing::internal::GetCapturedStderr();
  set_schedule_callback(nullptr);
  EXPECT_EQ(log, (trace{"t0", "t1"}));
  EXPECT_FALSE(t.alive());
  EXPECT_TRUE(current().is_main());
  EXPECT_NE(err.find("monitor failed on main"), std::string::npos) << err;
}

// API.md §6: with an error handler set, the schedule callback's exception
// goes to it (not to stderr) and the switch proceeds.
TEST_F(HooksTest, J104_ScheduleCallbackExceptionGoesToTheErrorHandler) {
  trace log;
  std::vector<std::string> handled;
  handler_reset handler_guard;
  hooks_reset reset;
  tasklet t{[&] {
    log.push_back("t0");
    schedule();
    log.push_back("t1");
  }};
  t();
  set_error_handler(
      [&](std::exception_ptr e) { handled.push_back(what_of(e)); });
  set_schedule_callback(
      [](const std::optional<tasklet>& from, const std::optional<tasklet>&) {
        if (from && from->is_main())
          throw std::runtime_error("monitor failed leaving main");
      });
  testing::internal::CaptureStderr();
  t.run();  // main -> t: the callback throws; t runs anyway
  log.push_back("main");
  const std::string err = testing::internal::GetCapturedStderr();
  set_schedule_callback(nullptr);
  set_error_handler(nullptr);
  run();
  EXPECT_EQ(log, (trace{"t0", "main", "t1"}));
  EXPECT_EQ(handled, (std::vector<std::string>{"monitor failed leaving main"}));
  EXPECT_EQ(err.find("monitor failed leaving main"), std::string::npos) << err;
}

// SB 105 with the seed's conventions: in a new thread the callback sees
// (nullopt, main) when its main starts, (main, t) at t.run(), and at t's
// death (t, nullopt) then (nullopt, main).
TEST_F(HooksTest, J105_NewThreadMainStartAndTaskletDeath) {
  std::vector<std::pair<std::thread::id, edge>> calls;
  std::uint64_t thread_main = 0;
  std::uint64_t t_id = 0;
  std::thread::id worker_id;
  hooks_reset reset;
  set_schedule_callback([&](const std::optional<tasklet>& from,
                            const std::optional<tasklet>& to) {
    calls.push_back({std::this_thread::get_id(), {id_of(from), id_of(to)}});
  });
  std::thread worker([&] {
    tasklet t{[] {}};
    t();
    t.run();
    thread_main = main_tasklet().id();
    t_id = t.id();
  });
  worker_id = worker.get_id();
  worker.join();
  set_schedule_callback(nullptr);
  edges in_worker;
  for (const auto& c : calls) {
    if (c.first == worker_id) in_worker.push_back(c.second);
  }
  EXPECT_EQ(
      in_worker,
      (edges{
          {0, thread_main}, {thread_main, t_id}, {t_id, 0}, {0, thread_main}}));
}

// SB 103 / 105: current() inside the schedule callback for a new thread's
// (nullopt, main) is that thread's main; asking must not start the
// thread's scheduler a second time (the callback is not re-entered).
TEST_F(HooksTest, J105_CurrentInsideTheMainStartCallbackOfANewThread) {
  struct seen {
    std::uint64_t from, to, current;
  };
  std::vector<seen> calls;  // the worker's calls only
  std::atomic<std::thread::id> worker_id{std::thread::id()};
  std::uint64_t thread_main = 0;
  int reentered = 0;
  hooks_reset reset;
  set_schedule_callback([&](const std::optional<tasklet>& from,
                            const std::optional<tasklet>& to) {
    if (std::this_thread::get_id() != worker_id.load()) return;
    thread_local int depth = 0;
    if (depth > 0) {  // called again from inside current(): stop here
      ++reentered;
      return;
    }
    ++depth;
    const std::uint64_t now = current().id();
    --depth;
    calls.push_back({id_of(from), id_of(to), now});
  });
  std::thread worker([&] {
    while (worker_id.load() == std::thread::id()) std::this_thread::yield();
    thread_main = main_tasklet().id();
  });
  worker_id.store(worker.get_id());
  worker.join();
  set_schedule_callback(nullptr);
  EXPECT_EQ(reentered, 0) << "current() started a second scheduler";
  ASSERT_GE(calls.size(), 1u);
  EXPECT_EQ(calls[0].from, 0u);
  EXPECT_EQ(calls[0].to, thread_main);
  EXPECT_EQ(calls[0].current, thread_main);
  EXPECT_EQ(calls.size(), 1u);
}

// A hook may replace or remove hooks (that is not a switch): a one-shot
// schedule callback that removes itself fires once.
TEST_F(HooksTest, Conventions_HookMayRemoveItself) {
  int fired = 0;
  int channel_fired = 0;
  hooks_reset reset;
  set_schedule_callback(
      [&](const std::optional<tasklet>&, const std::optional<tasklet>&) {
        ++fired;
        set_schedule_callback(nullptr);
      });
  set_channel_callback([&](const channel_ref&, const tasklet&, bool, bool) {
    ++channel_fired;
    set_channel_callback(nullptr);
  });
  run_two_schedulers();
  channel<int> c;
  tasklet{[&] { c.send(1); }}();
  EXPECT_EQ(c.receive(), 1);
  run();
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(channel_fired, 1);
  EXPECT_FALSE(get_schedule_callback());
  EXPECT_FALSE(get_channel_callback());
}

// SB 106: the channel callback fires before the error of an operation that
// would block: deadlock, block_trap, closed; will_block is true.
TEST_F(HooksTest, J106_ChannelCallbackFiresBeforeTheError) {
  struct call {
    bool same_channel;
    std::uint64_t caller;
    bool sending, will_block;
  };
  std::vector<call> calls;
  trace events;
  channel<int> c;
  hooks_reset reset;
  set_channel_callback([&](const channel_ref& ch, const tasklet& t,
                           bool sending, bool will_block) {
    calls.push_back({ch == c, t.id(), sending, will_block});
    events.push_back("callback");
  });
  const std::uint64_t m = main_tasklet().id();
  try {
    c.receive();
  } catch (const deadlock_error&) {
    events.push_back("deadlock");
  }
  current().set_block_trap(true);
  try {
    c.receive();
  } catch (const block_trap_error&) {
    events.push_back("block_trap");
  }
  current().set_block_trap(false);
  c.close();
  try {
    c.send(1);
  } catch (const channel_closed_error&) {
    events.push_back("closed");
  }
  set_channel_callback(nullptr);
  EXPECT_EQ(events, (trace{"callback", "deadlock", "callback", "block_trap",
                           "callback", "closed"}));
  ASSERT_EQ(calls.size(), 3u);
  for (const call& x : calls) {
    EXPECT_TRUE(x.same_channel);
    EXPECT_EQ(x.caller, m);
    EXPECT_TRUE(x.will_block);
  }
  EXPECT_FALSE(calls[0].sending);
  EXPECT_FALSE(calls[1].sending);
  EXPECT_TRUE(calls[2].sending);
}

// --- The conventions of API.md §6 ---

// Every real switch is reported once; a dying tasklet as (dying, nullopt)
// then (nullopt, next); the fast hook sees exactly the same sequence.
TEST_F(HooksTest, Conventions_FullSequenceAndFastHookAgree) {
  edges slow;
  edges fast;
  hooks_reset reset;
  channel<int> c;
  tasklet a{[&] { c.receive(); }};
  tasklet b{[&] { c.send(1); }};
  a();
  b();
  set_schedule_callback(schedule_recorder(slow));
  set_schedule_fasthook(&record_fast, &fast);
  run();
  set_schedule_callback(nullptr);
  set_schedule_fasthook(nullptr, nullptr);
  const std::uint64_t m = main_tasklet().id();
  // run(): main -> a; a blocks: a -> b; b sends, the receiver a is
  // preferred: b -> a; a dies, b is next; b dies, nothing is runnable and
  // main, the watchdog, is woken.
  EXPECT_EQ(slow, (edges{{m, a.id()},
                         {a.id(), b.id()},
                         {b.id(), a.id()},
                         {a.id(), 0},
                         {0, b.id()},
                         {b.id(), 0},
                         {0, m}}));
  EXPECT_EQ(fast, slow);
}

// No call when nothing switches: schedule() alone, a hand-off where the
// caller continues, a run() with nothing to run.
TEST_F(HooksTest, Conventions_NoCallWithoutARealSwitch) {
  edges slow;
  edges fast;
  hooks_reset reset;
  channel<int> c;
  tasklet s{[&] { c.send(1); }};
  s();
  s.run();  // s blocks at once: two switches
  set_schedule_callback(schedule_recorder(slow));
  set_schedule_fasthook(&record_fast, &fast);
  schedule();
  current().switch_to();
  EXPECT_FALSE(run().has_value());
  EXPECT_EQ(c.receive(), 1);  // preference -1: main continues
  set_schedule_callback(nullptr);
  set_schedule_fasthook(nullptr, nullptr);
  EXPECT_EQ(slow, edges{});
  EXPECT_EQ(fast, edges{});
  run();
}

// The fast hook's views name the tasklets: id, is_main, name, and lock()
// gives an owning handle.
TEST_F(HooksTest, Conventions_FastHookViewsNameTheTasklets) {
  struct seen {
    std::uint64_t from, to;
    bool from_main, to_main;
    std::string from_name, to_name;
    bool locked_ok;
  };
  static std::vector<seen>* out = nullptr;
  std::vector<seen> calls;
  out = &calls;
  hooks_reset reset;
  tasklet t{[] {}};
  t.set_name("worker");
  t();
  set_schedule_fasthook(
      [](void*, tasklet_view from, tasklet_view to) {
        std::optional<tasklet> locked = to.lock();
        out->push_back({from ? from.id() : 0, to ? to.id() : 0,
                        from && from.is_main(), to && to.is_main(),
                        from ? from.name() : "-", to ? to.name() : "-",
                        to ? (locked && locked->id() == to.id()) : !locked});
      },
      nullptr);
  t.run();
  set_schedule_fasthook(nullptr, nullptr);
  out = nullptr;
  const std::uint64_t m = main_tasklet().id();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0].from, m);
  EXPECT_EQ(calls[0].to, t.id());
  EXPECT_TRUE(calls[0].from_main);
  EXPECT_FALSE(calls[0].to_main);
  EXPECT_EQ(calls[0].to_name, "worker");
  EXPECT_EQ(calls[1].from, t.id());
  EXPECT_EQ(calls[1].to, 0u);
  EXPECT_EQ(calls[1].from_name, "worker");
  EXPECT_EQ(calls[2].from, 0u);
  EXPECT_EQ(calls[2].to, m);
  EXPECT_TRUE(calls[2].to_main);
  for (const seen& x : calls) EXPECT_TRUE(x.locked_ok);
}

// The channel callback fires for each element of send_sequence, each
// iteration step and send_exception, with the caller and the would-block
// decision.
TEST_F(HooksTest, Conventions_ChannelCallbackForSequencesAndIteration) {
  struct call {
    std::uint64_t caller;
    bool sending, will_block;
    bool operator==(const call& o) const {
      return caller == o.caller && sending == o.sending &&
             will_block == o.will_block;
    }
  };
  std::vector<call> calls;
  std::vector<int> got;
  channel<int> c;
  hooks_reset reset;
  tasklet r{[&] {
    for (int v : c) got.push_back(v);
  }};
  r();
  set_channel_callback(
      [&](const channel_ref&, const tasklet& t, bool sending, bool will_block) {
        calls.push_back({t.id(), sending, will_block});
      });
  const std::size_t sent = c.send_sequence(std::vector<int>{1, 2, 3});
  c.send_exception<stop_iteration>();
  set_channel_callback(nullptr);
  const std::uint64_t m = main_tasklet().id();
  const std::uint64_t rid = r.id();
  // main's first send finds nobody and blocks; r's first step finds main
  // and continues (preference -1), its next step blocks; each later send
  // finds r waiting, r runs first and blocks again at its next step.
  EXPECT_EQ(calls, (std::vector<call>{{m, true, true},
                                      {rid, false, false},
                                      {rid, false, true},
                                      {m, true, false},
                                      {rid, false, true},
                                      {m, true, false},
                                      {rid, false, true},
                                      {m, true, false}}));
  EXPECT_EQ(sent, 3u);
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(r.alive());
}

// --- No switch and no channel operation inside a hook ---

// Inside the schedule callback: schedule(), run(), switch_to(), kill() and
// channel operations all throw slp::error; the switch being reported goes
// on unchanged.
TEST_F(HooksTest, InsideAHook_ScheduleCallbackCannotSwitch) {
  trace log;
  std::vector<std::string> errors;
  bool tried = false;
  channel<int> c;
  hooks_reset reset;
  tasklet x{[&] { log.push_back("x"); }};
  tasklet paused{[&] { log.push_back("paused"); }};
  tasklet t{[&] { log.push_back("t"); }};
  paused();
  paused.remove();
  x();
  auto attempt = [&](const char* what, auto&& fn) {
    try {
      fn();
      errors.push_back(std::string(what) + ": no error");
    } catch (const error& e) {
      errors.push_back(std::string(what) + ": " + e.what());
    }
  };
  set_schedule_callback(
      [&](const std::optional<tasklet>&, const std::optional<tasklet>&) {
        if (tried) return;
        tried = true;
        attempt("schedule", [] { schedule(); });
        attempt("schedule_remove", [] { schedule_remove(); });
        attempt("slp::run", [] { (void)run(); });
        attempt("run", [&] { paused.run(); });
        attempt("switch_to", [&] { paused.switch_to(); });
        attempt("kill", [&] { x.kill(); });
        attempt("send", [&] { c.send(1); });
        attempt("receive", [&] { c.receive(); });
      });
  t();
  t.run();  // ring [main, x, t]: the switch main -> t is reported
  set_schedule_callback(nullptr);
  log.push_back("main");
  ASSERT_EQ(errors.size(), 8u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_NE(errors[i].find("inside a hook"), std::string::npos) << errors[i];
  }
  for (std::size_t i = 6; i < 8; ++i) {
    EXPECT_NE(errors[i].find("recursive channel call"), std::string::npos)
        << errors[i];
  }
  EXPECT_EQ(log, (trace{"t", "main"}));
  EXPECT_TRUE(paused.paused());
  EXPECT_TRUE(x.alive());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_EQ(ring(), (std::vector<std::uint64_t>{main_tasklet().id(), x.id()}));
  run();
  EXPECT_EQ(log, (trace{"t", "main", "x"}));
  paused.kill();
}

// Inside the channel callback: the same.
TEST_F(HooksTest, InsideAHook_ChannelCallbackCannotSwitch) {
  trace log;
  std::vector<std::string> errors;
  bool tried = false;
  channel<int> c;
  channel<int> other;
  hooks_reset reset;
  tasklet x{[&] { log.push_back("x"); }};
  tasklet paused{[&] { log.push_back("paused"); }};
  tasklet r{[&] { log.push_back("r got " + std::to_string(c.receive())); }};
  paused();
  paused.remove();
  r();
  r.run();
  x();
  auto attempt = [&](const char* what, auto&& fn) {
    try {
      fn();
      errors.push_back(std::string(what) + ": no error");
    } catch (const error& e) {
      errors.push_back(std::string(what) + ": " + e.what());
    }
  };
  set_channel_callback([&](const channel_ref&, const tasklet&, bool, bool) {
    if (tried) return;
    tried = true;
    attempt("schedule", [] { schedule(); });
    attempt("schedule_remove", [] { schedule_remove(); });
    attempt("slp::run", [] { (void)run(); });
    attempt("run", [&] { paused.run(); });
    attempt("switch_to", [&] { paused.switch_to(); });
    attempt("kill", [&] { x.kill(); });
    attempt("send", [&] { other.send(1); });
    attempt("receive", [&] { c.receive(); });
  });
  c.send(7);  // preference -1: r runs first, then x, then main
  set_channel_callback(nullptr);
  log.push_back("main");
  ASSERT_EQ(errors.size(), 8u);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_NE(errors[i].find("inside a hook"), std::string::npos) << errors[i];
  }
  for (std::size_t i = 6; i < 8; ++i) {
    EXPECT_NE(errors[i].find("recursive channel call"), std::string::npos)
        << errors[i];
  }
  EXPECT_EQ(log, (trace{"r got 7", "x", "main"}));
  EXPECT_EQ(other.balance(), 0);
  EXPECT_EQ(c.balance(), 0);
  EXPECT_TRUE(paused.paused());
  paused.kill();
}

// Inside the fast hook: the same (the hook catches, it must not throw).
struct fast_attempts {
  bool tried = false;
  tasklet* paused = nullptr;
  channel<int>* c = nullptr;
  std::vector<std::string> errors;
};

void fast_try_switches(void* user, tasklet_view, tasklet_view) {
  auto& a = *static_cast<fast_attempts*>(user);
  if (a.tried) return;
  a.tried = true;
  auto attempt = [&](const char* what, auto&& fn) {
    try {
      fn();
      a.errors.push_back(std::string(what) + ": no error");
    } catch (const error& e) {
      a.errors.push_back(std::string(what) + ": " + e.what());
    }
  };
  attempt("schedule", [] { schedule(); });
  attempt("schedule_remove", [] { schedule_remove(); });
  attempt("slp::run", [] { (void)run(); });
  attempt("run", [&] { a.paused->run(); });
  attempt("switch_to", [&] { a.paused->switch_to(); });
  attempt("send", [&] { a.c->send(1); });
  attempt("receive", [&] { a.c->receive(); });
}

TEST_F(HooksTest, InsideAHook_FastHookCannotSwitch) {
  trace log;
  fast_attempts attempts;
  channel<int> c;
  hooks_reset reset;
  tasklet x{[&] { log.push_back("x"); }};
  tasklet paused{[&] { log.push_back("paused"); }};
  tasklet t{[&] { log.push_back("t"); }};
  paused();
  paused.remove();
  x();
  attempts.paused = &paused;
  attempts.c = &c;
  set_schedule_fasthook(&fast_try_switches, &attempts);
  t();
  t.run();
  set_schedule_fasthook(nullptr, nullptr);
  log.push_back("main");
  ASSERT_EQ(attempts.errors.size(), 7u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_NE(attempts.errors[i].find("inside a hook"), std::string::npos)
        << attempts.errors[i];
  }
  for (std::size_t i = 5; i < 7; ++i) {
    EXPECT_NE(attempts.errors[i].find("recursive channel call"),
              std::string::npos)
        << attempts.errors[i];
  }
  EXPECT_EQ(log, (trace{"t", "main"}));
  EXPECT_TRUE(paused.paused());
  run();
  EXPECT_EQ(log, (trace{"t", "main", "x"}));
  paused.kill();
}

// --- Exceptions from hooks ---

// An exception from the channel callback leaves the operation before
// anything changed; the hook stays installed and later operations work.
TEST_F(HooksTest, Exceptions_ChannelCallbackExceptionPropagates) {
  std::string got;
  int calls = 0;
  channel<std::string> c;
  hooks_reset reset;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  tasklet x{[] {}};
  x();
  const auto ring_before = ring();
  set_channel_callback([&](const channel_ref&, const tasklet&, bool, bool) {
    if (++calls == 1) throw std::logic_error("refused by the monitor");
  });
  std::string value = "mine";
  expect_error<std::logic_error>([&] { c.send(std::move(value)); },
                                 "refused by the monitor");
  EXPECT_EQ(value, "mine");
  EXPECT_EQ(c.balance(), -1);
  EXPECT_EQ(c.queue(), r);
  EXPECT_TRUE(r.blocked());
  EXPECT_EQ(ring(), ring_before);
  c.send(std::move(value));
  set_channel_callback(nullptr);
  EXPECT_EQ(got, "mine");
  EXPECT_EQ(calls, 2);
  run();
}

// An exception from the schedule callback for a tasklet's death is
// reported too, and the death completes.
TEST_F(HooksTest, Exceptions_ScheduleCallbackThrowingAtDeath) {
  trace log;
  hooks_reset reset;
  tasklet t{[&] { log.push_back("t"); }};
  t();
  set_schedule_callback(
      [](const std::optional<tasklet>&, const std::optional<tasklet>& to) {
        if (!to) throw std::runtime_error("no next at death");
      });
  testing::internal::CaptureStderr();
  t.run();
  log.push_back("main");
  const std::string err = testing::internal::GetCapturedStderr();
  set_schedule_callback(nullptr);
  EXPECT_EQ(log, (trace{"t", "main"}));
  EXPECT_FALSE(t.alive());
  EXPECT_NE(err.find("no next at death"), std::string::npos) << err;
}

}  // namespace
}  // namespace slp::test
