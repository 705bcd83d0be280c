// SPDX-License-Identifier: MIT
// Stack slicing: live stack data survives eviction and restore, the slice
// held on the heap is exactly the used part of the stack, buffers are
// reused, signals during switching are harmless, an overflow names its
// tasklet, and configuration errors change nothing.
#include "core/stack_slice.hpp"

#include <alloca.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "core/scheduler.hpp"
#include "fiber_harness.hpp"
#include "slp/config.hpp"
#include "slp/errors.hpp"
#include "slp/tasklet.hpp"

namespace slp::test {
namespace {

config stacks(std::size_t count, std::size_t size = 512 * 1024) {
  config cfg;
  cfg.stack_size = size;
  cfg.stack_count = count;
  return cfg;
}

std::uint64_t mix(std::uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}

// Fills `words` with a pattern from `seed` and returns its checksum.
std::uint64_t fill(volatile std::uint64_t* words, std::size_t n,
                   std::uint64_t seed) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    words[i] = mix(seed + i);
    sum += words[i] * (i + 1);
  }
  return sum;
}

std::uint64_t checksum(const volatile std::uint64_t* words, std::size_t n) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += words[i] * (i + 1);
  return sum;
}

struct live_data_param {
  std::size_t stack_count;
  int fibers;
  std::size_t base_kib = 64;  // fiber i keeps base + step * (i % 4) KiB
  std::size_t step_kib = 48;
};

// PrintTo: how GoogleTest names a parameter (by default it dumps the raw
// bytes, padding included, which valgrind rightly calls uninitialised).
void PrintTo(const live_data_param& p, std::ostream* out) {
  *out << p.stack_count << " stacks, " << p.fibers << " fibers, " << p.base_kib
       << "+" << p.step_kib << " KiB";
}

class LiveStackDataTest : public ::testing::TestWithParam<live_data_param> {};

// Each fiber keeps 64-208 KiB of checksummed data live on its stack while
// the fibers round-robin; with fewer stacks than fibers every switch saves
// one slice and restores another. (The small variant, 2-17 KiB, has slices
// on both sides of the sizes core/stack_slice.cpp copies with vectors.)
TEST_P(LiveStackDataTest, SurvivesThousandsOfSwitches) {
  const auto param = GetParam();
  core::stack_engine engine(stacks(param.stack_count), fiber::body);
  core::context main;
  make_running(main);
  constexpr int rounds = 400;
  std::vector<int> failures(static_cast<std::size_t>(param.fibers), -1);
  std::vector<std::unique_ptr<fiber>> fibers;
  for (int i = 0; i < param.fibers; ++i) {
    fibers.push_back(std::make_unique<fiber>(engine, main, [&, i](fiber& self) {
      const std::size_t bytes =
          (param.base_kib + param.step_kib * static_cast<std::size_t>(i % 4)) *
          1024;
      const std::size_t n = bytes / sizeof(std::uint64_t);
      auto* words = static_cast<volatile std::uint64_t*>(alloca(bytes));
      const std::uint64_t expected =
          fill(words, n, static_cast<std::uint64_t>(i) << 32);
      int bad = 0;
      for (int r = 0; r < rounds; ++r) {
        self.switch_to(main);
        // Cheap probes every time, the whole checksum now and then.
        if (words[0] != mix(static_cast<std::uint64_t>(i) << 32) ||
            words[n - 1] != mix((static_cast<std::uint64_t>(i) << 32) + n - 1))
          ++bad;
        if (r % 40 == 0 && checksum(words, n) != expected) ++bad;
      }
      if (checksum(words, n) != expected) ++bad;
      failures[static_cast<std::size_t>(i)] = bad;
    }));
  }
  std::size_t evicted_bytes_min = SIZE_MAX;
  for (int r = 0; r <= rounds; ++r) {
    for (auto& f : fibers) engine.transfer(main, *f);
    if (r == rounds / 2) {
      // More fibers than stacks: some are evicted, each with its whole data.
      int evicted = 0;
      for (auto& f : fibers) {
        if (f->stack_bytes() == 0) continue;
        ++evicted;
        evicted_bytes_min = std::min(evicted_bytes_min, f->stack_bytes());
      }
      EXPECT_GE(evicted, param.fibers - static_cast<int>(param.stack_count));
    }
  }
  EXPECT_GE(evicted_bytes_min, param.base_kib * 1024)
      << "an evicted slice holds the fiber's live data";
  EXPECT_EQ(failures,
            std::vector<int>(static_cast<std::size_t>(param.fibers), 0));
  EXPECT_LE(engine.stacks_mapped(), param.stack_count);
}

INSTANTIATE_TEST_SUITE_P(
    StackCounts, LiveStackDataTest,
    ::testing::Values(live_data_param{1, 5}, live_data_param{2, 5},
                      live_data_param{4, 6}, live_data_param{1, 5, 2, 5}),
    [](const auto& test_info) {
      return "stacks" + std::to_string(test_info.param.stack_count) +
             "_fibers" + std::to_string(test_info.param.fibers) + "_from" +
             std::to_string(test_info.param.base_kib) + "KiB";
    });

// stack_slice::copy moves exactly `size` bytes at every size a slice can
// have up to 20 KiB (multiples of 16), and at every size near the ends of
// the vector loop's window and below 130 (any size must work), and touches
// nothing around them.
TEST(StackSliceTest, CopyMovesExactlyTheBytesAtEverySize) {
  constexpr std::size_t max_size = 20 * 1024;
  constexpr std::size_t guard = 64;
  std::vector<std::byte> from(max_size);
  for (std::size_t i = 0; i < max_size; ++i) {
    from[i] = static_cast<std::byte>(mix(i));
  }
  std::vector<std::byte> to(max_size + 2 * guard);
  int wrong_sizes = 0;
  std::vector<std::size_t> sizes;
  for (std::size_t size = 16; size <= max_size; size += 16) {
    sizes.push_back(size);
  }
  for (std::size_t size = 1; size < 130; ++size) sizes.push_back(size);
  for (const std::size_t edge : {std::size_t{3 * 1024}, std::size_t{16384}}) {
    for (std::size_t size = edge - 70; size <= edge + 70; ++size) {
      sizes.push_back(size);
    }
  }
  for (const std::size_t size : sizes) {
    std::fill(to.begin(), to.end(), std::byte{0xee});
    core::stack_slice::copy(to.data() + guard, from.data(), size);
    const bool bytes_right =
        std::memcmp(to.data() + guard, from.data(), size) == 0;
    const bool around_untouched =
        std::all_of(to.begin(), to.begin() + guard,
                    [](std::byte b) { return b == std::byte{0xee}; }) &&
        std::all_of(to.begin() + static_cast<std::ptrdiff_t>(guard + size),
                    to.end(), [](std::byte b) { return b == std::byte{0xee}; });
    if (!bytes_right || !around_untouched) {
      ADD_FAILURE() << "copy of " << size
                    << " bytes: " << (bytes_right ? "" : "wrong bytes ")
                    << (around_untouched ? "" : "wrote outside");
      if (++wrong_sizes > 5) break;
    }
  }
}

// The slice on the heap is the used part of the stack: [saved sp, top).
TEST(StackSliceTest, StackBytesEqualsTheLiveSlice) {
  core::stack_engine engine(stacks(1), fiber::body);
  core::context main;
  make_running(main);
  constexpr std::size_t live = 3000;
  const volatile unsigned char* seen_buffer = nullptr;
  fiber a(engine, main, [&](fiber& self) {
    auto* buffer = static_cast<volatile unsigned char*>(alloca(live));
    for (std::size_t i = 0; i < live; ++i)
      buffer[i] = static_cast<unsigned char>(i);
    seen_buffer = buffer;
    self.switch_to(main);
  });
  fiber b(engine, main, [&](fiber& self) { self.switch_to(main); });
  EXPECT_EQ(a.stack_bytes(), 0u) << "not started";
  engine.transfer(main, a);
  EXPECT_EQ(a.stack_bytes(), 0u) << "suspended but still resident";
  engine.transfer(main, b);  // b needs the only stack: a is saved
  const auto top = reinterpret_cast<std::uintptr_t>(a.home->top());
  const auto sp = reinterpret_cast<std::uintptr_t>(a.sp);
  EXPECT_EQ(a.stack_bytes(), top - sp);
  EXPECT_GE(a.stack_bytes(), live);
#if defined(__SANITIZE_ADDRESS__)
  constexpr std::size_t frames = 4096;  // ASan pads every frame with redzones
#else
  constexpr std::size_t frames = 1024;
#endif
  EXPECT_LT(a.stack_bytes(), live + frames)
      << "only the used bytes, bounded slack";
  EXPECT_GE(reinterpret_cast<std::uintptr_t>(seen_buffer), sp);
  EXPECT_LE(a.slice.capacity(),
            a.stack_bytes() + core::stack_slice::slack_limit(a.stack_bytes()));
  EXPECT_EQ(b.stack_bytes(), 0u);
  engine.transfer(main, a);  // a back: b saved, a restored
  EXPECT_EQ(a.stack_bytes(), 0u);
  EXPECT_GT(b.stack_bytes(), 0u);
  engine.transfer(main, b);
  EXPECT_EQ(a.state, core::context::status::finished);
  EXPECT_EQ(b.state, core::context::status::finished);
}

// A steady ping-pong on one stack reuses each slice buffer: no allocation.
TEST(StackSliceTest, SteadyPingPongReusesSliceBuffers) {
  core::stack_engine engine(stacks(1), fiber::body);
  core::context main;
  make_running(main);
  auto body = [&](fiber& self) {
    for (int i = 0; i < 100; ++i) self.switch_to(main);
  };
  fiber a(engine, main, body);
  fiber b(engine, main, body);
  engine.transfer(main, a);
  engine.transfer(main, b);
  engine.transfer(main, a);
  const std::byte* a_buffer = a.slice.data();
  const std::byte* b_buffer = b.slice.data();
  ASSERT_NE(a_buffer, nullptr);
  ASSERT_NE(b_buffer, nullptr);
  for (int i = 0; i < 50; ++i) {
    engine.transfer(main, b);
    engine.transfer(main, a);
    ASSERT_EQ(a.slice.data(), a_buffer);
    ASSERT_EQ(b.slice.data(), b_buffer);
  }
}

// The same between two fibers that switch to each other: every switch
// copies both slices in assembly (switch_in_place), into the same buffers.
TEST(StackSliceTest, SteadyPingPongBetweenFibersReusesSliceBuffers) {
  core::stack_engine engine(stacks(1), fiber::body);
  core::context main;
  make_running(main);
  fiber* peer[2] = {};
  const std::byte* buffers[2] = {};
  int changed = 0;
  auto body = [&](int me) {
    return [&, me](fiber& self) {
      for (int i = 0; i < 100; ++i) {
        if (i == 3) buffers[1 - me] = peer[1 - me]->slice.data();
        if (i > 3 && peer[1 - me]->slice.data() != buffers[1 - me]) ++changed;
        self.switch_to(*peer[1 - me]);
      }
    };
  };
  fiber a(engine, main, body(0));
  fiber b(engine, main, body(1));
  peer[0] = &a;
  peer[1] = &b;
  a.after = &main;
  b.after = &main;
  engine.transfer(main, a);
  ASSERT_NE(buffers[0], nullptr);
  ASSERT_NE(buffers[1], nullptr);
  EXPECT_EQ(changed, 0);
}

// smallest_kept is the least size save() copies into the buffer it has.
TEST(StackSliceTest, SmallestKeptIsTheLeastSizeThatKeepsTheBuffer) {
  std::vector<std::byte> bytes(8 * 1024, std::byte{1});
  for (std::size_t capacity = 16; capacity <= bytes.size(); capacity += 16) {
    core::stack_slice slice;
    ASSERT_TRUE(slice.save(bytes.data(), capacity));
    ASSERT_EQ(slice.capacity(), capacity);
    const std::size_t least = slice.smallest_kept();
    const auto kept = [&](std::size_t size) {
      return capacity - size <= core::stack_slice::slack_limit(size);
    };
    ASSERT_TRUE(kept(least)) << capacity;
    if (least > 0) {
      ASSERT_FALSE(kept(least - 1)) << capacity;
    }
    // and save() agrees, on both sides of it
    slice.restore(bytes.data());
    ASSERT_TRUE(slice.save(bytes.data(), least));
    EXPECT_EQ(slice.capacity(), capacity) << capacity;
    if (least >= 16) {
      core::stack_slice other;
      ASSERT_TRUE(other.save(bytes.data(), capacity));
      ASSERT_TRUE(other.save(bytes.data(), least - 16));
      EXPECT_NE(other.capacity(), capacity) << capacity;
    }
  }
}

// A saved buffer much larger than the slice is given back: bounded slack.
TEST(StackSliceTest, ShrinksAfterADeepExcursion) {
  core::stack_slice slice;
  std::vector<std::byte> bytes(64 * 1024, std::byte{7});
  ASSERT_TRUE(slice.save(bytes.data(), bytes.size()));
  EXPECT_EQ(slice.capacity(), bytes.size());
  ASSERT_TRUE(slice.save(bytes.data(), 500));
  EXPECT_EQ(slice.size(), 500u);
  EXPECT_LE(slice.capacity(), 500 + core::stack_slice::slack_limit(500));
  std::vector<std::byte> out(500);
  slice.restore(out.data());
  EXPECT_EQ(out, std::vector<std::byte>(500, std::byte{7}));
  EXPECT_EQ(slice.size(), 0u);
}

std::atomic<int> signals_seen{0};

void noisy_handler(int) {
  volatile unsigned char scratch[2048];  // the handler uses the stack too
  for (std::size_t i = 0; i < sizeof scratch; ++i)
    scratch[i] = static_cast<unsigned char>(i);
  unsigned sum = 0;
  for (std::size_t i = 0; i < sizeof scratch; ++i) sum += scratch[i];
  if (sum == 261120u) signals_seen.fetch_add(1, std::memory_order_relaxed);
}

std::atomic<bool> storm_over{false};

__attribute__((noinline)) std::uint64_t deep(fiber& self, core::context& main,
                                             int depth, std::uint64_t seed,
                                             int& bad) {
  volatile std::uint64_t frame[64];
  const std::uint64_t expected =
      fill(frame, 64, seed + static_cast<std::uint64_t>(depth));
  if (depth > 0) {
    deep(self, main, depth - 1, seed, bad);
  } else {
    while (!storm_over.load()) {
      self.switch_to(main);
      for (volatile int spin = 0; spin < 2000; spin = spin + 1) {
      }
    }
  }
  if (checksum(frame, 64) != expected) ++bad;
  return expected;
}

// setitimer fires every 100 us while fibers with ~40 KiB of frames each
// switch on one stack, until 100 handlers have run; every handler runs on
// whatever stack is live at that instant, often mid-switch.
TEST(StackSliceTest, SignalStormDuringDeepSwitchingLeavesChecksumsIntact) {
  core::stack_engine engine(stacks(1), fiber::body);
  core::context main;
  make_running(main);
  struct sigaction sa {};
  struct sigaction old_sa {};
  sa.sa_handler = &noisy_handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGALRM, &sa, &old_sa), 0);
  itimerval storm{};
  storm.it_interval.tv_usec = 100;
  storm.it_value.tv_usec = 100;
  signals_seen = 0;
  storm_over = false;
  ASSERT_EQ(setitimer(ITIMER_REAL, &storm, nullptr), 0);
  std::vector<int> bad(3, -1);
  std::vector<std::unique_ptr<fiber>> fibers;
  for (std::size_t i = 0; i < 3; ++i) {
    fibers.push_back(std::make_unique<fiber>(engine, main, [&, i](fiber& self) {
      int b = 0;
      deep(self, main, 80, 1000 * i, b);
      bad[i] = b;
    }));
  }
  int rounds = 0;
  for (; rounds < 20000 && (rounds < 300 || signals_seen.load() < 100);
       ++rounds) {
    for (auto& f : fibers) engine.transfer(main, *f);
  }
  storm_over = true;
  for (auto& f : fibers) engine.transfer(main, *f);
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
  struct sigaction ignore {};  // a signal still in flight must not kill us
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGALRM, &ignore, nullptr);
  sigaction(SIGALRM, &old_sa, nullptr);
  EXPECT_EQ(bad, (std::vector<int>{0, 0, 0}));
  EXPECT_GE(signals_seen.load(), 100)
      << "the storm must really have happened (" << rounds << " rounds)";
  for (auto& f : fibers) EXPECT_EQ(f->state, core::context::status::finished);
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Winfinite-recursion"
__attribute__((noinline)) int recurse_forever(int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  return recurse_forever(depth + 1) + frame[0];
}
#pragma GCC diagnostic pop

TEST(StackSliceDeathTest, OverflowStopsWithMessageNamingTheTasklet) {
  EXPECT_DEATH(
      {
        core::stack_engine engine(stacks(1, 64 * 1024), fiber::body);
        core::context main;
        make_running(main);
        fiber f(
            engine, main, [](fiber&) { recurse_forever(0); }, 42, "deep-diver");
        engine.transfer(main, f);
      },
      "stack overflow in tasklet #42 \"deep-diver\" \\(execution stack of "
      "65536 bytes");
}

TEST(ConfigTest, RejectsTinyStacksAndZeroCountChangingNothing) {
  std::thread([] {
    const config before = current_config();
    config tiny;
    tiny.stack_size = 100;
    try {
      configure(tiny);
      ADD_FAILURE() << "no error for a 100-byte stack";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find("stack_size 100 is below one page"),
                std::string::npos)
          << e.what();
    }
    config none;
    none.stack_count = 0;
    try {
      configure(none);
      ADD_FAILURE() << "no error for stack_count 0";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find("stack_count must be at least 1"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(current_config().stack_size, before.stack_size);
    EXPECT_EQ(current_config().stack_count, before.stack_count);
  }).join();
}

TEST(ConfigTest, AppliesBeforeTheFirstTaskletAndNotAfter) {
  std::thread([] {
    config cfg = stacks(3, 100 * 1024 + 1);
    configure(cfg);
    EXPECT_EQ(current_config().stack_count, 3u);
    auto& engine = core::scheduler::of_this_thread().engine();
    EXPECT_EQ(engine.configuration().stack_size %
                  static_cast<std::size_t>(sysconf(_SC_PAGESIZE)),
              0u)
        << "rounded up to whole pages";
    EXPECT_GE(engine.configuration().stack_size, cfg.stack_size);
    bool ran = false;
    tasklet first([&ran] { ran = true; });
    first();
    first.run();  // the thread's first tasklet has run
    EXPECT_TRUE(ran);
    try {
      configure(stacks(5));
      ADD_FAILURE() << "configure after the first tasklet did not throw";
    } catch (const error& e) {
      EXPECT_NE(std::string(e.what()).find("already started"),
                std::string::npos)
          << e.what();
    }
    EXPECT_EQ(current_config().stack_count, 3u);
    EXPECT_EQ(&core::scheduler::of_this_thread().engine(), &engine)
        << "the engine was not replaced";
  }).join();
}

}  // namespace
}  // namespace slp::test
