// SPDX-License-Identifier: MIT
// The assembly switch: callee-saved registers, FP control modes, stack
// alignment and exceptions on a fresh stack, the trap of a returning entry.
#include <gtest/gtest.h>

#include <cfenv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "arch/switch.h"
#include "fiber_harness.hpp"
#include "slp/config.hpp"

extern "C" unsigned slp_test_sentinel_call(void (*fn)(void*), void* arg,
                                           std::uint64_t seed);

namespace slp::test {
namespace {

config small_stacks(std::size_t count) {
  config cfg;
  cfg.stack_size = 128 * 1024;
  cfg.stack_count = count;
  return cfg;
}

// A baton passes main -> f0 -> f1 -> ... -> main, `rounds` times, while every
// participant holds its own sentinels in all callee-saved registers.
struct baton_ring {
  core::stack_engine engine;
  core::context main;
  std::vector<std::unique_ptr<fiber>> fibers;
  std::vector<unsigned> changed;
  int rounds;

  baton_ring(std::size_t stack_count, int n, int rounds_)
      : engine(small_stacks(stack_count), fiber::body),
        changed(static_cast<std::size_t>(n), 99u),
        rounds(rounds_) {
    make_running(main);
    for (int i = 0; i < n; ++i) {
      fibers.push_back(
          std::make_unique<fiber>(engine, main, [this, i](fiber& self) {
            struct hop_state {
              baton_ring* ring;
              fiber* self;
              int i;
            } st{this, &self, i};
            changed[static_cast<std::size_t>(i)] = slp_test_sentinel_call(
                [](void* p) {
                  auto& s = *static_cast<hop_state*>(p);
                  for (int r = 0; r < s.ring->rounds; ++r)
                    s.self->switch_to(s.ring->next_after(s.i));
                },
                &st, 0x1000u + static_cast<std::uint64_t>(i));
          }));
    }
    // A finished fiber hands the baton on to the next one.
    for (int i = 0; i + 1 < n; ++i)
      fibers[static_cast<std::size_t>(i)]->after =
          fibers[static_cast<std::size_t>(i) + 1].get();
  }

  core::context& next_after(int i) {
    return static_cast<std::size_t>(i) + 1 < fibers.size()
               ? static_cast<core::context&>(
                     *fibers[static_cast<std::size_t>(i) + 1])
               : main;
  }
};

void run_ring(baton_ring& ring) {
  unsigned main_changed = slp_test_sentinel_call(
      [](void* p) {
        auto& r = *static_cast<baton_ring*>(p);
        for (int k = 0; k <= r.rounds; ++k)
          r.engine.transfer(r.main, *r.fibers[0]);
      },
      &ring, 0xfeedu);
  EXPECT_EQ(main_changed, 0u) << "main's callee-saved registers";
  for (std::size_t i = 0; i < ring.changed.size(); ++i) {
    EXPECT_EQ(ring.changed[i], 0u)
        << "fiber " << i << "'s callee-saved registers";
    EXPECT_EQ(ring.fibers[i]->state, core::context::status::finished);
  }
}

TEST(ArchSwitchTest, CalleeSavedRegistersSurviveResidentSwitches) {
  baton_ring ring(8, 4, 200);  // every fiber keeps its own stack: no copies
  run_ring(ring);
}

TEST(ArchSwitchTest, CalleeSavedRegistersSurviveSlicingSwitches) {
  baton_ring ring(1, 5, 200);  // one stack: every switch copies slices
  run_ring(ring);
}

// The rounding mode is per context: each one set its own and finds it again
// after every switch, in the control word and in the arithmetic. With one
// stack every switch goes through slp_switch's slices; with four, through
// slp_swap.
void check_rounding_modes_stay_per_context(std::size_t stack_count) {
  core::stack_engine engine(small_stacks(stack_count), fiber::body);
  core::context main;
  make_running(main);
  const int modes[] = {FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
  std::vector<std::unique_ptr<fiber>> fibers;
  std::vector<int> mismatches(3, -1);
  const int main_mode = std::fegetround();
  for (std::size_t i = 0; i < 3; ++i) {
    fibers.push_back(std::make_unique<fiber>(engine, main, [&, i](fiber& self) {
      std::fesetround(modes[i]);
      int bad = 0;
      for (int r = 0; r < 50; ++r) {
        self.switch_to(main);
        volatile double one = 1.0;
        volatile double three = 3.0;
        const double third = one / three;
        const double expected_third = (modes[i] == FE_UPWARD)
                                          ? 0x1.5555555555556p-2
                                          : 0x1.5555555555555p-2;
        if (std::fegetround() != modes[i] || third != expected_third) ++bad;
      }
      mismatches[i] = bad;
    }));
  }
  for (int r = 0; r <= 50; ++r) {
    for (auto& f : fibers) {
      engine.transfer(main, *f);
      ASSERT_EQ(std::fegetround(), main_mode)
          << "main's mode leaked into round " << r;
    }
  }
  EXPECT_EQ(mismatches, (std::vector<int>{0, 0, 0}));
}

TEST(ArchSwitchTest, FpRoundingModeStaysPerContextWhenSlicing) {
  check_rounding_modes_stay_per_context(1);
}

TEST(ArchSwitchTest, FpRoundingModeStaysPerContextWhenResident) {
  check_rounding_modes_stay_per_context(4);
}

// A fresh context inherits the control modes of the one that started it.
TEST(ArchSwitchTest, FreshContextInheritsCreatorsRoundingMode) {
  core::stack_engine engine(small_stacks(2), fiber::body);
  core::context main;
  make_running(main);
  int seen = -1;
  fiber f(engine, main, [&](fiber&) { seen = std::fegetround(); });
  const int old = std::fegetround();
  std::fesetround(FE_DOWNWARD);
  engine.transfer(main, f);
  std::fesetround(old);
  EXPECT_EQ(seen, FE_DOWNWARD);
}

__attribute__((noinline)) std::uintptr_t aligned_local_address() {
  alignas(16) volatile unsigned char probe[16] = {};
  probe[0] = 1;
  return reinterpret_cast<std::uintptr_t>(&probe[0]);
}

TEST(ArchSwitchTest, FreshStackIsAbiAlignedForPrintfAndAlignedLocals) {
  core::stack_engine engine(small_stacks(1), fiber::body);
  core::context main;
  make_running(main);
  std::uintptr_t address16 = 1;
  std::uintptr_t address32 = 1;
  char text[64] = {};
  fiber f(engine, main, [&](fiber&) {
    address16 = aligned_local_address();
    alignas(32) volatile double wide[4] = {1.0, 2.0, 3.0, 4.0};
    address32 = reinterpret_cast<std::uintptr_t>(&wide[0]);
    std::snprintf(text, sizeof text, "%f %.3e", 3.25, wide[3] / 3.0);
  });
  engine.transfer(main, f);
  EXPECT_EQ(address16 % 16, 0u);
  EXPECT_EQ(address32 % 32, 0u);
  EXPECT_STREQ(text, "3.250000 1.333e+00");
}

TEST(ArchSwitchTest, ExceptionThrownAndCaughtInsideSwitchedContext) {
  core::stack_engine engine(small_stacks(1), fiber::body);
  core::context main;
  make_running(main);
  std::vector<std::string> trace;
  fiber a(engine, main, [&](fiber& self) {
    try {
      trace.push_back("a:try");
      self.switch_to(main);
      throw std::runtime_error("from a");
    } catch (const std::runtime_error& e) {
      trace.push_back(std::string("a:caught ") + e.what());
      self.switch_to(main);  // suspended inside the catch block
      trace.push_back("a:after catch");
    }
  });
  engine.transfer(main, a);
  trace.push_back("main");
  engine.transfer(main, a);
  try {
    throw std::logic_error("from main");
  } catch (const std::logic_error& e) {
    trace.push_back(std::string("main:caught ") + e.what());
  }
  engine.transfer(main, a);
  EXPECT_EQ(trace, (std::vector<std::string>{"a:try", "main", "a:caught from a",
                                             "main:caught from main",
                                             "a:after catch"}));
}

TEST(ArchSwitchTest, TransferHandsValuesBothWays) {
  core::stack_engine engine(small_stacks(2), fiber::body);
  core::context main;
  make_running(main);
  int first = 0, second = 0;
  int reply = 7;
  void* got_back = nullptr;
  fiber f(engine, main, [&](fiber& self) {
    first = 1;
    got_back = self.switch_to(main, &reply);
    second = *static_cast<int*>(got_back);
  });
  int sent = 42;
  void* r = engine.transfer(main, f, nullptr);
  EXPECT_EQ(r, &reply);
  EXPECT_EQ(first, 1);
  engine.transfer(main, f, &sent);
  EXPECT_EQ(second, 42);
}

void entry_that_returns(void*, void*) {}

TEST(ArchSwitchDeathTest, EntryThatReturnsTrapsWithMessage) {
  EXPECT_DEATH(
      {
        static std::vector<unsigned char> stack(64 * 1024);
        static void* target = slp_init_frame(stack.data() + stack.size(),
                                             &entry_that_returns, nullptr);
        slp_switch(
            [](void*, int op, void* sp) -> void* {
              return op == SLP_SWITCH_SAVE ? target : sp;
            },
            nullptr);
      },
      "a tasklet entry function returned through its first frame");
}

// The protocol's short cut: a SAVE step that returns its sp with
// SLP_SWITCH_NO_RESTORE set gets no RESTORE step, and slp_switch returns
// the context it was given. Two raw contexts ping-pong this way.
struct no_restore_game {
  void* main_sp = nullptr;
  void* other_sp = nullptr;
  void** save_to = nullptr;
  void* resume_at = nullptr;
  int saves = 0;
  int restores = 0;
  std::vector<void*> results;  // what slp_switch returned, on either side
};

void* no_restore_step(void* ctx, int op, void* sp) {
  auto& g = *static_cast<no_restore_game*>(ctx);
  if (op != SLP_SWITCH_SAVE) {
    ++g.restores;
    return nullptr;
  }
  ++g.saves;
  *g.save_to = sp;
  return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(g.resume_at) |
                                 SLP_SWITCH_NO_RESTORE);
}

void no_restore_hop(no_restore_game& g, void** save_to, void* resume_at) {
  g.save_to = save_to;
  g.resume_at = resume_at;
  g.results.push_back(slp_switch(&no_restore_step, &g));
}

[[noreturn]] void no_restore_echo(void* ctx, void*) {
  auto& g = *static_cast<no_restore_game*>(ctx);
  for (;;) no_restore_hop(g, &g.other_sp, g.main_sp);
}

TEST(ArchSwitchTest, SaveStepCanSkipTheRestoreStep) {
  alignas(16) static unsigned char stack[64 * 1024];
  no_restore_game g;
  g.other_sp = slp_init_frame(stack + sizeof stack, &no_restore_echo, &g);
  // The first hop starts a fresh frame: it needs no RESTORE step either.
  for (int i = 0; i < 3; ++i) no_restore_hop(g, &g.main_sp, g.other_sp);
  EXPECT_EQ(g.saves, 6);  // three round trips
  EXPECT_EQ(g.restores, 0);
  // Each side's slp_switch returned the context: echo's twice (its first
  // hop was entered, not returned to), main's three times.
  EXPECT_EQ(g.results, std::vector<void*>(5, &g));
}

// slp_swap and slp_switch push the same frame: each resumes the other's,
// and the value handed over arrives whichever pushed the frame.
struct mixed_game {
  void* main_sp = nullptr;
  void* other_sp = nullptr;
  int tokens[5] = {};
  std::vector<void*> other_got;  // what the other side's switches returned
};

void* save_to_main(void* ctx, int op, void* sp) {
  auto& g = *static_cast<mixed_game*>(ctx);
  if (op == SLP_SWITCH_SAVE) {
    g.other_sp = sp;
    return g.main_sp;
  }
  return &g.tokens[1];  // the RESTORE step's result: main receives it
}

[[noreturn]] void mixed_other(void* ctx, void* first) {
  auto& g = *static_cast<mixed_game*>(ctx);
  g.other_got.push_back(first);
  g.other_got.push_back(slp_switch(&save_to_main, &g));
  g.other_got.push_back(slp_swap(&g.other_sp, g.main_sp, &g.tokens[3]));
  for (;;) slp_swap(&g.other_sp, g.main_sp, nullptr);
}

TEST(ArchSwitchTest, SwapAndSwitchResumeEachOthersFrames) {
  alignas(16) static unsigned char stack[64 * 1024];
  mixed_game g;
  g.other_sp = slp_init_frame(stack + sizeof stack, &mixed_other, &g);
  // slp_swap starts a fresh frame: entry(arg, value).
  void* r1 = slp_swap(&g.main_sp, g.other_sp, &g.tokens[0]);
  // slp_switch (with a RESTORE step) resumed main's slp_swap frame.
  EXPECT_EQ(r1, &g.tokens[1]);
  // slp_swap resumes other's slp_switch frame, which returns the value.
  void* r2 = slp_swap(&g.main_sp, g.other_sp, &g.tokens[2]);
  EXPECT_EQ(r2, &g.tokens[3]);
  EXPECT_EQ(g.other_got, (std::vector<void*>{&g.tokens[0], &g.tokens[2]}));
  slp_swap(&g.main_sp, g.other_sp, &g.tokens[4]);
  EXPECT_EQ(g.other_got,
            (std::vector<void*>{&g.tokens[0], &g.tokens[2], &g.tokens[4]}));
}

// slp_swap_sliced: two contexts, a and b, share one stack and take turns
// on it. Each switch between them copies the outgoing frames out to that
// context's buffer and the incoming ones back in; each side keeps a block
// of its own on the stack and checks it after every turn. With `wide`, the
// x86-64 copies use AVX.
struct sliced_game {
  static constexpr std::size_t room = 4096;
  std::unique_ptr<unsigned char[]> stack{new unsigned char[64 * 1024]};
  unsigned char* top = nullptr;
  std::size_t wide = 0;
  void* main_sp = nullptr;
  void* sp[2] = {};  // a's, b's
  std::vector<unsigned char> buffer[2]{std::vector<unsigned char>(room),
                                       std::vector<unsigned char>(room)};
  std::size_t saved[2] = {};
  int tokens[11] = {};  // the value handed over at turn i
  std::vector<std::string> trace;
  std::vector<std::string> faults;
  // b's refused switch: what it returned, the size it reported, the sp
  // and a's buffer after it.
  bool refusal_returned_slices = false;
  std::size_t refused_size = 0;
  void* sp_after_refusal = &sp;
  bool buffer_kept = false;

  // request: the slices for a switch from `me` to the other side. Under
  // ASan, where the other side's frames go must be unpoisoned first, as the
  // engine does: our frames' redzones are there.
  slp_slices request(int me) {
    auto* other_sp = static_cast<unsigned char*>(sp[1 - me]);
    core::sanitizer::unpoison(other_sp,
                              static_cast<std::size_t>(top - other_sp));
    slp_slices s{};
    s.top = top;
    s.save_buffer = buffer[me].data();
    s.save_min = 0;
    s.save_max = room;
    s.saved_size = &saved[me];
    s.restore_buffer = buffer[1 - me].data();
    s.wide = wide;
    return s;
  }

  // resumed: `me` got `value` at turn `turn`; checks it, and that the
  // other side's saved size is its frames' size.
  void resumed(int me, void* value, int turn) {
    const std::string who(1, static_cast<char>('a' + me));
    if (value != &tokens[turn]) faults.push_back(who + " got a wrong value");
    const auto* other_sp = static_cast<unsigned char*>(sp[1 - me]);
    if (saved[1 - me] != static_cast<std::size_t>(top - other_sp)) {
      faults.push_back(who + ": the saved size is not the frames' size");
    }
  }
};

template <int Me>
[[noreturn]] void sliced_side(void* arg, void*) {
  auto& g = *static_cast<sliced_game*>(arg);
  const std::string me(1, static_cast<char>('a' + Me));
  volatile unsigned char block[Me == 0 ? 200 : 300];
  for (auto& b : block) b = static_cast<unsigned char>(0xa0 + Me);
  const auto check = [&] {
    for (auto& b : block) {
      if (b != 0xa0 + Me) {
        g.faults.push_back(me + "'s block changed");
        return;
      }
    }
  };
  int turn = 1;
  if (Me == 0) {
    // Back to main, which evicts a by hand and starts b; b's first turn
    // resumes a.
    g.resumed(Me, slp_swap(&g.sp[0], g.main_sp, nullptr), 1);
    turn = 2;
  } else {
    // A refused switch first: b's frames do not fit; nothing happens.
    const std::vector<unsigned char> before = g.buffer[1];
    slp_slices too_small = g.request(1);
    too_small.save_max = 32;
    g.refusal_returned_slices =
        slp_swap_sliced(&g.sp[1], g.sp[0], nullptr, &too_small) == &too_small;
    g.refused_size = g.saved[1];
    g.sp_after_refusal = g.sp[1];
    g.buffer_kept = g.buffer[1] == before;
  }
  for (; turn <= 9; turn += 2) {
    check();
    g.trace.push_back(me + std::to_string(turn));
    slp_slices s = g.request(Me);
    g.resumed(Me, slp_swap_sliced(&g.sp[Me], g.sp[1 - Me], &g.tokens[turn], &s),
              turn + 1);
  }
  check();
  slp_swap(&g.sp[Me], g.main_sp, nullptr);  // a, after turn 9
  std::abort();                             // never resumed
}

void play_sliced(std::size_t wide) {
  sliced_game g;
  g.wide = wide;
  g.top = g.stack.get() + 64 * 1024;
  // a runs first and comes back; main evicts its frames as the engine
  // would, and scribbles where they were.
  slp_swap(&g.main_sp, slp_init_frame(g.top, &sliced_side<0>, &g), nullptr);
  auto* a_sp = static_cast<unsigned char*>(g.sp[0]);
  const auto a_size = static_cast<std::size_t>(g.top - a_sp);
  core::sanitizer::unpoison(a_sp, a_size);  // a's redzones, under ASan
  std::memcpy(g.buffer[0].data(), a_sp, a_size);
  std::memset(a_sp, 0xee, a_size);
  // b starts on the same stack; a comes back here after turn 9.
  slp_swap(&g.main_sp, slp_init_frame(g.top, &sliced_side<1>, &g), nullptr);

  EXPECT_TRUE(g.refusal_returned_slices);
  EXPECT_EQ(g.sp_after_refusal, nullptr) << "the refusal stored an sp";
  EXPECT_TRUE(g.buffer_kept) << "the refusal wrote b's buffer";
  // What it reported: b's frames, its block and a switch frame at least.
  EXPECT_GE(g.refused_size, 300u + SLP_FRAME_SIZE);
  EXPECT_LT(g.refused_size, sliced_game::room);
  EXPECT_EQ(g.refused_size % SLP_STACK_ALIGN, 0u);
  EXPECT_EQ(g.trace, (std::vector<std::string>{"b1", "a2", "b3", "a4", "b5",
                                               "a6", "b7", "a8", "b9"}));
  EXPECT_EQ(g.faults, std::vector<std::string>{});
}

TEST(ArchSwitchTest, SwapSlicedCopiesBothSlices) { play_sliced(0); }

#if defined(__x86_64__)
TEST(ArchSwitchTest, SwapSlicedCopiesBothSlicesWithAvx) {
  if (__builtin_cpu_supports("avx") == 0) GTEST_SKIP() << "no AVX here";
  play_sliced(1);
}
#endif

TEST(ArchSwitchTest, InitFrameIsAlignedAndBelowTop) {
  alignas(16) static unsigned char stack[4096];
  unsigned char* top = stack + sizeof stack - 8;  // deliberately misaligned
  auto* sp = static_cast<unsigned char*>(
      slp_init_frame(top, &entry_that_returns, nullptr));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(sp) % SLP_STACK_ALIGN, 0u);
  EXPECT_EQ(sp, stack + sizeof stack - 16 - SLP_FRAME_SIZE);
}

// Each thread switches its own contexts; a broken cross sysroot hangs here.
TEST(ArchSwitchTest, ThreadsSwitchIndependently) {
  std::vector<int> results(2, 0);
  auto work = [&](std::size_t slot) {
    core::stack_engine engine(small_stacks(1), fiber::body);
    core::context main;
    make_running(main);
    int count = 0;
    fiber a(engine, main, [&](fiber& self) {
      for (int i = 0; i < 1000; ++i) {
        ++count;
        self.switch_to(main);
      }
    });
    for (int i = 0; i <= 1000; ++i) engine.transfer(main, a);
    results[slot] = count;
  };
  std::thread t1(work, 0);
  std::thread t2(work, 1);
  t1.join();
  t2.join();
  EXPECT_EQ(results, (std::vector<int>{1000, 1000}));
}

}  // namespace
}  // namespace slp::test
