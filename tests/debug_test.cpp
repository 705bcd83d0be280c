// SPDX-License-Identifier: MIT
// Tests for where every tasklet is (API.md §11): tasklet::backtrace() of
// the current tasklet, of a suspended one resident on its stack and of one
// whose slice is on the heap, with the function names of known frames;
// that taking one changes nothing; the refusal for another thread's
// tasklet; backtraces inside a hook and a signal handler; dump_tasklets();
// the deadlock_error message; the C counterparts. Checks by return address
// (what the probes saw themselves) run in every build, with names or not:
// a frame without a frame pointer and a signal frame, which only a walk by
// the unwind tables crosses.
//
// The probes are functions with external linkage that are never inlined
// or cloned (noipa: an -O3 build clones them for constant arguments) and
// do work after their calls (no tail calls), so that each is a frame with
// a name of its own in the symbol table.
#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstdio>
#include <future>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/backtrace.hpp"
#include "core/handle_access.hpp"
#include "core/sanitizer.hpp"
#include "slp/slp.h"
#include "slp/slp.hpp"
#include "test_support.hpp"

namespace probe {

volatile int sink = 0;

[[gnu::noipa]] int park_here(slp::channel<int>* c) {
  const int v = c != nullptr ? c->receive() : (slp::schedule(), 0);
  sink = sink + v;
  return v + 1;
}

[[gnu::noipa]] int recurse(int depth, slp::channel<int>* c) {
  const int r = depth == 0 ? park_here(c) : recurse(depth - 1, c);
  sink = sink + r;
  return r + 1;
}

[[gnu::noipa]] int big_argument(std::array<char, 20000> data,
                                slp::channel<int>* c) {
  const int r = park_here(c);
  sink = sink + data[0] + data[19999];
  return r + data[100];
}

[[gnu::noipa]] std::vector<slp::frame> take_here() {
  std::vector<slp::frame> f = slp::current().backtrace();
  sink = sink + 1;
  return f;
}

// marked_leaf and marked: each records its own return address, which
// the backtrace of the tasklet parked in marked_leaf must show (a check
// that needs no names).
void* leaf_return = nullptr;
void* marked_return = nullptr;

[[gnu::noipa]] int marked_leaf(slp::channel<int>* c) {
  leaf_return = __builtin_return_address(0);
  const int v = c->receive();
  sink = sink + v;
  return v + 1;
}

[[gnu::noipa]] int marked(slp::channel<int>* c) {
  marked_return = __builtin_return_address(0);
  const int r = marked_leaf(c);
  sink = sink + r;
  return r + 1;
}

// above_no_frame_pointer calls no_frame_pointer, built without a frame
// pointer (tests/debug_no_frame_pointer.cpp), which calls marked_leaf.
int no_frame_pointer(slp::channel<int>* c);
extern void* no_frame_pointer_return;
void* above_return = nullptr;

[[gnu::noipa]] int above_no_frame_pointer(slp::channel<int>* c) {
  above_return = __builtin_return_address(0);
  const int r = no_frame_pointer(c);
  sink = sink + r;
  return r + 1;
}

void* current_return = nullptr;

[[gnu::noipa]] std::vector<slp::frame> marked_current() {
  current_return = __builtin_return_address(0);
  std::vector<slp::frame> f = slp::current().backtrace();
  sink = sink + 1;
  return f;
}

std::vector<slp::frame> in_handler;  // set by on_signal
[[gnu::noipa]] void on_signal(int) { in_handler = take_here(); }

[[gnu::noipa]] int raise_signal() {
  std::raise(SIGUSR1);
  sink = sink + 1;
  return sink;
}

// on_signal_walk and raise_marked: the handler walks the tasklet
// `walked` (the one the signal interrupted) into `walk`, allocating
// nothing; both record their return addresses.
slp::core::tasklet_impl* walked = nullptr;
void* walk[64];
std::size_t walk_size = 0;
void* handler_return = nullptr;
void* raiser_return = nullptr;

[[gnu::noipa]] void on_signal_walk(int) {
  handler_return = __builtin_return_address(0);
  walk_size = slp::core::walk_frames(*walked, walk, 64, nullptr);
}

[[gnu::noipa]] int raise_marked() {
  raiser_return = __builtin_return_address(0);
  std::raise(SIGUSR1);
  sink = sink + 1;
  return sink;
}

}  // namespace probe

// The first frame of every tasklet (arch/switch_*.S; hidden in libslp.a).
extern "C" void slp_tasklet_trampoline();

namespace slp::test {
namespace {

std::vector<std::string> names_of(const std::vector<frame>& frames) {
  std::vector<std::string> names;
  for (const frame& f : frames) names.push_back(f.function);
  return names;
}

std::string listing(const std::vector<frame>& frames) {
  std::ostringstream out;
  for (const frame& f : frames) out << f.address << ' ' << f.function << '\n';
  return out.str();
}

// index_of: the index of the frame at `address`, or -1.
int index_of(const std::vector<frame>& frames, void* address) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].address == address) return static_cast<int>(i);
  }
  return -1;
}

// in_trampoline: whether `address` is where a tasklet's function returns
// to in slp_tasklet_trampoline: after its landing pad, two register moves
// and the call (arch/switch_*.S), within its first 32 bytes.
bool in_trampoline(void* address) {
  const auto start = reinterpret_cast<std::uintptr_t>(&slp_tasklet_trampoline);
  const auto at = reinterpret_cast<std::uintptr_t>(address);
  return at > start && at - start <= 32;
}

// position: the index of the first frame named `name` at or after `from`,
// or -1.
int position(const std::vector<std::string>& names, const std::string& name,
             int from = 0) {
  for (int i = from; i < static_cast<int>(names.size()); ++i) {
    if (names[static_cast<std::size_t>(i)] == name) return i;
  }
  return -1;
}

// count_run: how many frames in a row from `at` are named `name`.
int count_run(const std::vector<std::string>& names, int at,
              const std::string& name) {
  int n = 0;
  while (at >= 0 && at + n < static_cast<int>(names.size()) &&
         names[static_cast<std::size_t>(at + n)] == name) {
    ++n;
  }
  return n;
}

const std::string park_here = "probe::park_here(slp::channel<int>*)";
const std::string recurse = "probe::recurse(int, slp::channel<int>*)";

// expect_parked_in_recursion: `frames` are those of a tasklet parked in
// park_here under recurse(depth): park_here first among the probes, then
// exactly depth + 1 recurse frames, then the tasklet's function.
void expect_parked_in_recursion(const std::vector<frame>& frames, int depth) {
  const std::vector<std::string> names = names_of(frames);
  const int park = position(names, park_here);
  ASSERT_GE(park, 0) << listing(frames);
  EXPECT_EQ(position(names, recurse), park + 1) << listing(frames);
  EXPECT_EQ(count_run(names, park + 1, recurse), depth + 1) << listing(frames);
  // The walk ends at the tasklet's first frame.
  EXPECT_EQ(frames.back().function, "slp_tasklet_trampoline")
      << listing(frames);
}

// in_thread: runs `f` in a new thread with `stack_count` execution stacks.
template <class F>
void in_thread(std::size_t stack_count, F f) {
  std::thread([&] {
    config cfg;
    cfg.stack_count = stack_count;
    configure(cfg);
    f();
  }).join();
}

class DebugTest : public SlpTest {};

// Built with SLP_WITH_UNWIND=OFF, frames have addresses only.
#define SKIP_WITHOUT_NAMES() \
  if (!core::with_names()) GTEST_SKIP() << "slp built without names"

// marked_frames: a tasklet parked in probe::marked_leaf, with
// `stack_count` stacks and, if `evict`, another tasklet parked after it on
// the same stack; its frames hold the return addresses the probes saw.
void marked_frames(bool evict) {
  channel<int> c;
  channel<int> other;
  tasklet t{[&] { probe::marked(&c); }};
  t();
  run();
  tasklet e{[&] { probe::park_here(&other); }};
  if (evict) {
    e();
    run();
  }
  EXPECT_EQ(t.stack_bytes() > 0, evict);
  const std::vector<frame> frames = t.backtrace();
  int leaf = -1;
  for (int i = 0; i < static_cast<int>(frames.size()); ++i) {
    if (frames[static_cast<std::size_t>(i)].address == probe::leaf_return) {
      leaf = i;
    }
  }
  ASSERT_GE(leaf, 0) << listing(frames);
  ASSERT_LT(leaf + 1, static_cast<int>(frames.size())) << listing(frames);
  EXPECT_EQ(frames[static_cast<std::size_t>(leaf + 1)].address,
            probe::marked_return)
      << listing(frames);
  c.send(1);
  if (evict) other.send(1);
}

// no_frame_pointer_frames: a tasklet parked in probe::marked_leaf under
// probe::no_frame_pointer, a frame without a frame pointer, resident or
// (with `evict`) in a slice. Its walk has the return addresses into
// no_frame_pointer, above_no_frame_pointer and their caller in a row; a
// frame-pointer walk would miss the middle one, and stop short.
void no_frame_pointer_frames(bool evict) {
  channel<int> c;
  channel<int> other;
  tasklet t{[&] { probe::above_no_frame_pointer(&c); }};
  t();
  run();
  tasklet e{[&] { probe::park_here(&other); }};
  if (evict) {
    e();
    run();
    EXPECT_GT(t.stack_bytes(), 16u * 1024) << "the large frame is saved";
  } else {
    EXPECT_EQ(t.stack_bytes(), 0u);
  }
  const std::vector<frame> frames = t.backtrace();
  const int leaf = index_of(frames, probe::leaf_return);
  ASSERT_GE(leaf, 0) << listing(frames);
  ASSERT_LT(leaf + 2, static_cast<int>(frames.size())) << listing(frames);
  const auto at = [&](int i) { return frames[static_cast<std::size_t>(i)]; };
  EXPECT_EQ(at(leaf + 1).address, probe::no_frame_pointer_return)
      << listing(frames);
  EXPECT_EQ(at(leaf + 2).address, probe::above_return) << listing(frames);
  EXPECT_TRUE(in_trampoline(frames.back().address)) << listing(frames);
  if (core::with_names()) {
    EXPECT_EQ(at(leaf).function, "probe::no_frame_pointer(slp::channel<int>*)")
        << listing(frames);
    EXPECT_EQ(at(leaf + 1).function,
              "probe::above_no_frame_pointer(slp::channel<int>*)")
        << listing(frames);
  }
  c.send(1);
  if (evict) other.send(1);
}

TEST_F(DebugTest, FrameWithoutFramePointerOfAResidentTasklet) {
  in_thread(8, [] { no_frame_pointer_frames(false); });
}

TEST_F(DebugTest, FrameWithoutFramePointerOfAnEvictedTasklet) {
  in_thread(1, [] { no_frame_pointer_frames(true); });
}

TEST_F(DebugTest, CurrentTaskletStartsWhereBacktraceWasCalled) {
  SKIP_WITHOUT_NAMES();
  std::vector<frame> frames;
  tasklet{[&] { frames = probe::take_here(); }}();
  run();
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames[0].function, "probe::take_here()") << listing(frames);
  EXPECT_EQ(frames.back().function, "slp_tasklet_trampoline")
      << listing(frames);
}

TEST_F(DebugTest, MainTaskletWalksToTheThreadsStart) {
  SKIP_WITHOUT_NAMES();
  const std::vector<frame> frames = probe::take_here();
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames[0].function, "probe::take_here()") << listing(frames);
  EXPECT_EQ(frames[1].function,
            "slp::test::(anonymous namespace)::"
            "DebugTest_MainTaskletWalksToTheThreadsStart_Test::TestBody()")
      << listing(frames);
}

// parked_recursions: tasklets parked at depths 0..count-1 in recurse(),
// each on a channel of its own; checks them resident or evicted as
// `evicted` says, then lets them finish.
void parked_recursions(int count, bool evicted) {
  std::vector<channel<int>> channels(static_cast<std::size_t>(count));
  std::vector<tasklet> tasklets;
  for (int i = 0; i < count; ++i) {
    channel<int>* c = &channels[static_cast<std::size_t>(i)];
    tasklets.emplace_back([i, c] { probe::recurse(i, c); });
    tasklets.back()();
  }
  run();
  for (int i = 0; i < count; ++i) {
    const tasklet& t = tasklets[static_cast<std::size_t>(i)];
    ASSERT_TRUE(t.blocked());
    if (evicted && i + 1 < count) {  // the last to park stays resident
      EXPECT_GT(t.stack_bytes(), 0u) << "tasklet " << i << " is resident";
    } else if (evicted) {
      EXPECT_EQ(t.stack_bytes(), 0u) << "the last tasklet is evicted";
    } else {
      EXPECT_EQ(t.stack_bytes(), 0u) << "tasklet " << i << " is evicted";
    }
    SCOPED_TRACE("tasklet " + std::to_string(i));
    expect_parked_in_recursion(t.backtrace(), i);
  }
  for (auto& c : channels) c.send(1);
  for (const tasklet& t : tasklets) EXPECT_FALSE(t.alive());
}

TEST_F(DebugTest, ResidentSuspendedTaskletsWithEightStacks) {
  SKIP_WITHOUT_NAMES();
  in_thread(8, [] { parked_recursions(6, false); });
}

TEST_F(DebugTest, EvictedTaskletsWithOneStack) {
  SKIP_WITHOUT_NAMES();
  // Each tasklet is evicted by the next one.
  in_thread(1, [] { parked_recursions(5, true); });
}

TEST_F(DebugTest, EvictedTaskletsWithEightStacks) {
  SKIP_WITHOUT_NAMES();
  // 20 tasklets on 8 stacks: the first 12 were evicted by later ones.
  in_thread(8, [] {
    std::vector<channel<int>> channels(20);
    std::vector<tasklet> tasklets;
    for (int i = 0; i < 20; ++i) {
      channel<int>* c = &channels[static_cast<std::size_t>(i)];
      tasklets.emplace_back([i, c] { probe::recurse(i % 4, c); })();
    }
    run();
    int evicted = 0;
    for (int i = 0; i < 20; ++i) {
      const tasklet& t = tasklets[static_cast<std::size_t>(i)];
      if (t.stack_bytes() > 0) ++evicted;
      SCOPED_TRACE("tasklet " + std::to_string(i));
      expect_parked_in_recursion(t.backtrace(), i % 4);
    }
    EXPECT_EQ(evicted, 12);
    for (auto& c : channels) c.send(1);
  });
}

TEST_F(DebugTest, ReturnAddressesOfTheCurrentTasklet) {
  std::vector<frame> frames;
  tasklet{[&] { frames = probe::marked_current(); }}();
  run();
  // Frame 0 is in marked_current, after its call of backtrace(); frame 1
  // is where marked_current returns to.
  ASSERT_GE(frames.size(), 2u);
  EXPECT_EQ(frames[1].address, probe::current_return) << listing(frames);
  const std::vector<frame> of_main = probe::marked_current();
  ASSERT_GE(of_main.size(), 2u);
  EXPECT_EQ(of_main[1].address, probe::current_return) << listing(of_main);
}

TEST_F(DebugTest, ReturnAddressesOfAResidentTasklet) {
  in_thread(8, [] { marked_frames(false); });
}

TEST_F(DebugTest, ReturnAddressesOfAnEvictedTasklet) {
  in_thread(1, [] { marked_frames(true); });
}

TEST_F(DebugTest, LambdaFrameIsNamedAsTheLambda) {
  SKIP_WITHOUT_NAMES();
  in_thread(1, [] {
    channel<int> c;
    tasklet a{[&] {
      const int v = c.receive();
      probe::sink = probe::sink + v;
    }};
    a();
    tasklet b{[&] { probe::park_here(&c); }};
    b();
    run();
    ASSERT_GT(a.stack_bytes(), 0u);  // b evicted it
    const std::vector<frame> frames = a.backtrace();
    const std::vector<std::string> names = names_of(frames);
    // The frame after the channel's receive is the lambda's operator().
    int lambda = -1;
    for (int i = 0; i < static_cast<int>(names.size()); ++i) {
      if (names[static_cast<std::size_t>(i)].find("{lambda()#1}::operator()") !=
              std::string::npos &&
          names[static_cast<std::size_t>(i)].find("LambdaFrameIsNamed") !=
              std::string::npos) {
        lambda = i;
        break;
      }
    }
    EXPECT_GE(lambda, 0) << listing(frames);
    EXPECT_EQ(position(names, park_here), -1) << listing(frames);
    c.send(1);
    c.send(2);
  });
}

TEST_F(DebugTest, LargeArgumentFrameOnTheHeap) {
  SKIP_WITHOUT_NAMES();
  in_thread(1, [] {
    channel<int> c1;
    channel<int> c2;
    tasklet a{[&] {
      std::array<char, 20000> data{};
      data[0] = 1;
      probe::big_argument(data, &c1);
    }};
    a();
    tasklet b{[&] { probe::recurse(2, &c2); }};
    b();
    run();
    EXPECT_GT(a.stack_bytes(), 20000u);  // the argument is in its slice
    const std::vector<std::string> names = names_of(a.backtrace());
    const int park = position(names, park_here);
    ASSERT_GE(park, 0);
    EXPECT_EQ(names[static_cast<std::size_t>(park + 1)],
              "probe::big_argument(std::array<char, 20000ul>, "
              "slp::channel<int>*)");
    expect_parked_in_recursion(b.backtrace(), 2);
    c1.send(1);
    c2.send(1);
  });
}

TEST_F(DebugTest, TakingABacktraceChangesNothing) {
  in_thread(1, [] {
    channel<int> c1;
    channel<int> c2;
    tasklet a{[&] { probe::recurse(3, &c1); }};
    tasklet b{[&] { probe::recurse(1, &c2); }};
    tasklet r{[] { probe::park_here(nullptr); }};  // stays runnable
    a();
    b();
    run();
    r();
    int hooks = 0;
    set_schedule_callback([&](const auto&, const auto&) { ++hooks; });
    set_channel_callback(
        [&](const auto&, const auto&, bool, bool) { ++hooks; });
    const std::size_t a_bytes = a.stack_bytes();
    const std::size_t b_bytes = b.stack_bytes();
    const std::size_t runnable = run_count();
    ASSERT_GT(a_bytes, 0u);
    ASSERT_EQ(b_bytes, 0u);  // resident on the one stack
    for (int i = 0; i < 3; ++i) {
      EXPECT_FALSE(a.backtrace().empty());
      EXPECT_FALSE(b.backtrace().empty());
      EXPECT_TRUE(r.backtrace().empty());  // set up, not started
    }
    std::ostringstream dump;
    dump_tasklets(dump);
    EXPECT_EQ(hooks, 0);
    EXPECT_EQ(a.stack_bytes(), a_bytes);
    EXPECT_EQ(b.stack_bytes(), b_bytes);
    EXPECT_EQ(run_count(), runnable);
    EXPECT_EQ(c1.balance(), -1);
    EXPECT_EQ(c2.balance(), -1);
    EXPECT_TRUE(a.blocked());
    EXPECT_TRUE(b.blocked());
    set_schedule_callback(nullptr);
    set_channel_callback(nullptr);
    run();  // r runs and parks in schedule(), then ends
    c1.send(1);
    c2.send(1);
    EXPECT_FALSE(a.alive());
    EXPECT_FALSE(b.alive());
    EXPECT_FALSE(r.alive());
  });
}

TEST_F(DebugTest, NotStartedAndDeadTaskletsHaveNoFrames) {
  tasklet fresh{[] {}};
  EXPECT_TRUE(fresh.backtrace().empty());
  fresh();
  EXPECT_TRUE(fresh.backtrace().empty());  // set up, not started
  run();
  EXPECT_FALSE(fresh.alive());
  EXPECT_TRUE(fresh.backtrace().empty());      // dead
  EXPECT_TRUE(tasklet().backtrace().empty());  // unbound
}

TEST_F(DebugTest, MaxFramesLimitsTheFrames) {
  channel<int> c;
  tasklet t{[&] { probe::recurse(10, &c); }};
  t();
  run();
  const std::vector<frame> all = t.backtrace();
  const std::vector<frame> three = t.backtrace(3);
  ASSERT_EQ(three.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(three[i].address, all[i].address);
  }
  EXPECT_TRUE(t.backtrace(0).empty());
  c.send(1);
}

TEST_F(DebugTest, TaskletOfAnotherThreadIsRefusedNamingTheThread) {
  std::promise<tasklet> made;
  std::promise<void> done;
  std::thread::id other;
  std::thread worker([&] {
    tasklet t{[] {}};
    t.set_name("far");
    made.set_value(t);
    done.get_future().wait();
  });
  tasklet t = made.get_future().get();
  other = t.thread_id();
  std::ostringstream expected;
  expected << "slp::tasklet::backtrace: tasklet " << t.id()
           << " 'far' belongs to thread " << other
           << ", not to the calling thread " << std::this_thread::get_id();
  try {
    (void)t.backtrace();
    ADD_FAILURE() << "no error";
  } catch (const slp::error& e) {
    EXPECT_EQ(std::string(e.what()), expected.str());
  }
  done.set_value();
  worker.join();
}

TEST_F(DebugTest, BacktraceInsideAScheduleHookWorks) {
  SKIP_WITHOUT_NAMES();
  channel<int> c;
  tasklet a{[&] { probe::recurse(2, &c); }};
  a();
  run();
  std::vector<frame> of_target;
  std::vector<frame> of_hook;
  set_schedule_callback([&](const std::optional<tasklet>& from,
                            const std::optional<tasklet>& to) {
    if (from && to && *to == a && of_target.empty()) {
      of_target = a.backtrace();
      of_hook = probe::take_here();
    }
  });
  c.send(1);  // switches to a, firing the hook
  set_schedule_callback(nullptr);
  expect_parked_in_recursion(of_target, 2);
  ASSERT_FALSE(of_hook.empty());
  EXPECT_EQ(of_hook[0].function, "probe::take_here()");
}

TEST_F(DebugTest, BacktraceInsideASignalHandlerWorks) {
  SKIP_WITHOUT_NAMES();
#if defined(SLP_TSAN)
  // ThreadSanitizer reports the allocations in the handler: backtrace() is
  // not async-signal-safe (docs/DESIGN.md), which this case does not claim.
  GTEST_SKIP() << "allocates in a signal handler, as TSan reports";
#endif
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = &probe::on_signal;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  probe::in_handler.clear();
  tasklet{[] { probe::raise_signal(); }}();
  run();
  ASSERT_EQ(sigaction(SIGUSR1, &old, nullptr), 0);
  const std::vector<std::string> names = names_of(probe::in_handler);
  const int handler = position(names, "probe::on_signal(int)");
  const int raiser = position(names, "probe::raise_signal()");
  EXPECT_EQ(position(names, "probe::take_here()"), 0)
      << listing(probe::in_handler);
  EXPECT_EQ(handler, 1) << listing(probe::in_handler);
  EXPECT_GT(raiser, handler) << listing(probe::in_handler);
  EXPECT_EQ(names.back(), "slp_tasklet_trampoline");
}

TEST_F(DebugTest, WalkInsideASignalHandlerCrossesTheSignalFrame) {
  // The walk alone, which allocates nothing: from the handler, through
  // the frame the kernel pushed for the signal, to the tasklet's first.
  struct sigaction action {};
  struct sigaction old {};
  action.sa_handler = &probe::on_signal_walk;
  sigemptyset(&action.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &action, &old), 0);
  probe::walk_size = 0;
  tasklet t{[] {
    probe::walked = core::handle_access::impl(current());
    probe::raise_marked();
  }};
  t();
  run();
  ASSERT_EQ(sigaction(SIGUSR1, &old, nullptr), 0);
  std::vector<frame> frames(probe::walk_size);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    frames[i].address = probe::walk[i];
  }
  // Frame 0 is in the handler, after its call of the walk; frame 1 is
  // where the handler returns to, the signal's return trampoline.
  EXPECT_EQ(index_of(frames, probe::handler_return), 1) << listing(frames);
  EXPECT_GT(index_of(frames, probe::raiser_return), 2) << listing(frames);
  ASSERT_FALSE(frames.empty());
  EXPECT_TRUE(in_trampoline(frames.back().address)) << listing(frames);
}

TEST_F(DebugTest, ThousandTasklets) {
  SKIP_WITHOUT_NAMES();
  in_thread(8, [] {
    constexpr int n = 1000;
    std::vector<channel<int>> channels(n);
    std::vector<tasklet> tasklets;
    for (int i = 0; i < n; ++i) {
      channel<int>* c = &channels[static_cast<std::size_t>(i)];
      tasklets.emplace_back([i, c] { probe::recurse(i % 7, c); })();
    }
    run();
    for (int i = 0; i < n; ++i) {
      SCOPED_TRACE("tasklet " + std::to_string(i));
      expect_parked_in_recursion(
          tasklets[static_cast<std::size_t>(i)].backtrace(), i % 7);
    }
    std::ostringstream dump;
    dump_tasklets(dump);
    const std::string text = dump.str();
    std::size_t blocks = 0;
    for (std::size_t at = text.find("\ntasklet "); at != std::string::npos;
         at = text.find("\ntasklet ", at + 1)) {
      ++blocks;
    }
    EXPECT_EQ(blocks, static_cast<std::size_t>(n + 1));  // and main
    for (auto& c : channels) c.send(1);
  });
}

TEST_F(DebugTest, DumpNamesStatesChannelsAndFrames) {
  SKIP_WITHOUT_NAMES();
  channel<int> c;
  tasklet a{[&] { probe::recurse(1, &c); }};
  a.set_name("reader");
  a();
  run();
  tasklet r{[] {}};
  r();
  tasklet p{[] {}};
  p.bind([](int) {}, 0);
  std::ostringstream dump;
  dump_tasklets(dump);
  const std::string text = dump.str();
  EXPECT_NE(text.find("tasklet " + std::to_string(a.id()) +
                      " 'reader': blocked receiving on channel " +
                      std::to_string(c.id()) + "; 0 bytes saved on the heap\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tasklet " + std::to_string(current().id()) +
                      " (main): running;"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("tasklet " + std::to_string(r.id()) + ": runnable;"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(" " + recurse + "\n"), std::string::npos) << text;
  r.remove();
  c.send(1);
}

TEST_F(DebugTest, DeadlockMessageNamesTheBlockedTasklets) {
  channel<int> in;
  channel<int> out;
  tasklet a{[&] { in.receive(); }};
  a.set_name("consumer");
  tasklet b{[&] { out.send(5); }};
  a();
  b();
  run();
  const std::string expected =
      "slp::channel::receive: Deadlock: the last runnable tasklet cannot be "
      "blocked. Blocked: tasklet " +
      std::to_string(a.id()) + " 'consumer' receiving on channel " +
      std::to_string(in.id()) + "; tasklet " + std::to_string(b.id()) +
      " sending on channel " + std::to_string(out.id()) + ".";
  channel<int> never;
  try {
    never.receive();
    ADD_FAILURE() << "no deadlock";
  } catch (const deadlock_error& e) {
    EXPECT_EQ(std::string(e.what()), expected);
  }
  in.send(1);
  EXPECT_EQ(out.receive(), 5);
  run();
  EXPECT_FALSE(a.alive());
  EXPECT_FALSE(b.alive());
}

TEST_F(DebugTest, CApiBacktraceMatchesTheCppOne) {
  SKIP_WITHOUT_NAMES();
  channel<int> c;
  tasklet t{[&] { probe::recurse(3, &c); }};
  t();
  run();
  // A tasklet of the C API, paused in slp_schedule(1).
  slp_tasklet* ct = slp_tasklet_new([](void*) { slp_schedule(1); });
  ASSERT_NE(ct, nullptr);
  ASSERT_EQ(slp_tasklet_setup(ct, nullptr), 0);
  run();
  void* pcs[64];
  const int n = slp_tasklet_backtrace(ct, pcs, 64);
  ASSERT_GT(n, 2);
  EXPECT_EQ(core::function_name(pcs[n - 1], true), "slp_tasklet_trampoline");
  bool saw_schedule = false;
  for (int i = 0; i < n; ++i) {
    if (core::function_name(pcs[i], true) == "slp_schedule")
      saw_schedule = true;
  }
  EXPECT_TRUE(saw_schedule);
  EXPECT_EQ(slp_tasklet_backtrace(ct, pcs, 2), 2);
  EXPECT_EQ(slp_tasklet_backtrace(ct, nullptr, 0), 0);
  EXPECT_EQ(slp_tasklet_backtrace(ct, nullptr, 4), -1);
  EXPECT_EQ(slp_tasklet_backtrace(ct, pcs, -1), -1);
  EXPECT_EQ(slp_dump_tasklets(nullptr), -1);
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(slp_dump_tasklets(f), 0);
  std::rewind(f);
  std::string text;
  char buffer[4096];
  for (std::size_t k; (k = std::fread(buffer, 1, sizeof buffer, f)) > 0;) {
    text.append(buffer, k);
  }
  std::fclose(f);
  EXPECT_NE(text.find(" " + recurse + "\n"), std::string::npos) << text;
  EXPECT_NE(text.find(" slp_schedule\n"), std::string::npos) << text;
  ASSERT_EQ(slp_tasklet_insert(ct), 0);
  run();
  EXPECT_EQ(slp_tasklet_decref(ct), 0);
  c.send(1);
}

}  // namespace
}  // namespace slp::test
