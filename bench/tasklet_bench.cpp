// SPDX-License-Identifier: MIT
// Tasklets and the scheduler through the public API: schedule() ping-pong
// with resident stacks and on one execution stack (every switch copies),
// a tasklet's whole life, the schedule hooks, tick(), and round-robins of
// 1 k to 1 M tasklets. Baselines in the same binary: Boost.Context
// jump_fcontext, Boost.Fiber yield and create+join, and a plain
// thread-local counter for tick().
//
// Every slp benchmark runs in a fresh thread configured first (see
// in_fresh_thread), so its stack count is its own and its tasklets die with
// the thread. Counters: per_switch (one one-way switch), per_life (one
// tasklet created, set up, run, finished and destroyed), per_tick; the
// slicing cases read both slices back from stack_bytes() and report the
// smaller as slice_bytes. BM_SlpScheduleHook reports its own pairs
// (hooked_ns, plain_ns, added_ns, aa_ns).
#include <alloca.h>
#include <time.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "slp/hooks.hpp"
#include "slp/scheduler.hpp"
#include "slp/tasklet.hpp"

namespace slp::bench {
namespace {

// --- schedule() ping-pong ----------------------------------------------------

// pingpong: a driver tasklet running the benchmark loop and an echo, both
// calling schedule(); main waits in slp::run(). Each keeps `live` bytes on
// its stack; with one execution stack each switch saves one slice and
// restores the other.
struct pingpong {
  benchmark::State& state;
  std::size_t live;
  tasklet driver;
  tasklet echo;
  bool stop = false;
  bool lost = false;             // a live block changed across switches
  std::size_t driver_slice = 0;  // read by the echo while the driver is out
  std::size_t echo_slice = 0;    // read by the driver while the echo is out
};

// drive: the driver's body: the live block, a warm-up round trip, the
// echo's slice read back, then the timed round trips.
void drive(pingpong& game) {
  benchmark::State& state = game.state;
  const std::size_t n = game.live;
  auto* block = static_cast<volatile unsigned char*>(alloca(n + 1));
  fill(block, n, 1);
  schedule();  // warm-up: the echo starts and comes back
  game.echo_slice = game.echo.stack_bytes();
  start_with_clean_fp_state();
  for (auto _ : state) schedule();
  game.stop = true;
  if (!intact(block, n, 1)) game.lost = true;
}

// echo_back: the echo's body: its live block, the driver's slice read
// back (the driver was just evicted if they share one stack), then
// schedule() until told to stop.
void echo_back(pingpong& game) {
  const std::size_t n = game.live;
  auto* block = static_cast<volatile unsigned char*>(alloca(n + 1));
  fill(block, n, 2);
  game.driver_slice = game.driver.stack_bytes();  // evicted if one stack
  while (!game.stop) schedule();
  if (!intact(block, n, 2)) game.lost = true;
}

// BM_SlpSchedulePingPong: two tasklets alternate through schedule(). With
// stacks:2 both stay resident (no copying); with stacks:1 they share one
// execution stack and every switch saves one slice and restores the other.
// Checks the claims: the slices (one stack: both non-empty and holding the
// live block; resident: both empty) and the live blocks.
void BM_SlpSchedulePingPong(benchmark::State& state) {
  const auto stacks = static_cast<std::size_t>(state.range(0));
  const auto live = static_cast<std::size_t>(state.range(1));
  in_fresh_thread(state, bench_config(stacks), [&] {
    pingpong game{state, live, tasklet(), tasklet()};
    game.driver.bind([&game] { drive(game); });
    game.echo.bind([&game] { echo_back(game); });
    game.driver();
    game.echo();
    run();
    const std::size_t smaller = std::min(game.driver_slice, game.echo_slice);
    if (stacks == 1 && (smaller == 0 || smaller < live)) {
      state.SkipWithError(
          "slice read back from stack_bytes() is smaller than the live "
          "block: not measuring what the name says");
    } else if (stacks > 1 &&
               std::max(game.driver_slice, game.echo_slice) != 0) {
      state.SkipWithError("a resident tasklet had a slice on the heap");
    } else if (game.lost) {
      state.SkipWithError("live stack data changed across switches");
    }
    state.counters["slice_bytes"] = static_cast<double>(smaller);
  });
  count_per(state, "per_switch", 2);
}

// --- the schedule hooks: paired with the same ping-pong ----------------------

// What BM_SlpScheduleHook installs.
enum class hook_mode {
  fast,      // set_schedule_fasthook: a counter behind a function pointer
  callback,  // set_schedule_callback: the same counter in a std::function
};

// count_switch: the fast hook: counts the switches it sees.
void count_switch(void* user, tasklet_view, tasklet_view) {
  ++*static_cast<std::uint64_t*>(user);
}

// install: the hook of `mode`, counting into `counter`.
void install(hook_mode mode, std::uint64_t* counter) {
  if (mode == hook_mode::fast) {
    set_schedule_fasthook(&count_switch, counter);
  } else {
    set_schedule_callback(
        [counter](const std::optional<tasklet>&,
                  const std::optional<tasklet>&) { ++*counter; });
  }
}

// uninstall: no hook at all again (hooks are process-wide).
void uninstall() {
  set_schedule_fasthook(nullptr, nullptr);
  set_schedule_callback(nullptr);
}

// thread_cpu_seconds: the CPU time of the calling thread.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) +
         static_cast<double>(now.tv_nsec) * 1e-9;
}

// BM_SlpScheduleHook: what a hook adds to a switch, measured in pairs.
// The resident ping-pong's cost moves with the load on the other CPU far more
// than a hook adds to it (docs/PERFORMANCE.md, "Noise"), so each iteration
// times the same two tasklets three times: 10 000 round trips without a hook,
// 10 000 with one, 10 000 without again. The time column is the phase with the
// hook (manual time); the counters: hooked_ns and plain_ns (ns per switch with
// and without, the two plain phases averaged), added_ns (their difference),
// aa_ns (second plain phase minus first: the noise floor of the pairing).
// Every iteration installs and removes the hook, which allocates: hooks
// keep their old sets until the process ends (core/hooks.cpp).
void BM_SlpScheduleHook(benchmark::State& state) {
  const auto mode = static_cast<hook_mode>(state.range(0));
  constexpr int round_trips = 10000;
  std::uint64_t hook_calls = 0;
  double plain = 0;
  double hooked = 0;
  double aa = 0;
  in_fresh_thread(state, bench_config(2), [&] {
    bool stop = false;
    tasklet driver([&] {
      schedule();  // warm-up: the echo starts
      auto phase = [] {
        const double start = thread_cpu_seconds();
        for (int i = 0; i < round_trips; ++i) schedule();
        return thread_cpu_seconds() - start;
      };
      for (auto _ : state) {
        const double before = phase();
        install(mode, &hook_calls);
        const double with_hook = phase();
        uninstall();
        const double after = phase();
        state.SetIterationTime(with_hook);
        plain += (before + after) / 2;
        hooked += with_hook;
        aa += after - before;
      }
      stop = true;
    });
    tasklet echo([&] {
      while (!stop) schedule();
    });
    driver();
    echo();
    run();
  });
  uninstall();
  const double switches =
      2.0 * round_trips * static_cast<double>(state.iterations());
  if (hook_calls <
          2 * round_trips * static_cast<std::uint64_t>(state.iterations()) &&
      !state.error_occurred()) {
    state.SkipWithError("the installed hook did not see every switch");
  }
  state.counters["hooked_ns"] = hooked / switches * 1e9;
  state.counters["plain_ns"] = plain / switches * 1e9;
  state.counters["added_ns"] = (hooked - plain) / switches * 1e9;
  state.counters["aa_ns"] = aa / switches * 1e9;
}

// --- a tasklet's life --------------------------------------------------------

// BM_SlpTaskletLife: create, bind, set up, run to completion (the caller
// stays runnable and continues when it finishes) and destroy.
void BM_SlpTaskletLife(benchmark::State& state) {
  in_fresh_thread(state, bench_config(2), [&] {
    std::uint64_t ran = 0;
    for (auto _ : state) {
      tasklet t([&ran] { ++ran; });
      t();
      t.run();
    }
    if (ran != static_cast<std::uint64_t>(state.iterations())) {
      state.SkipWithError("a tasklet did not run");
    }
  });
  count_per(state, "per_life", 1);
}

// BM_SlpTaskletUnrun: create, bind, set up, remove from the runnables and
// destroy, never run: the allocation and bookkeeping part of
// BM_SlpTaskletLife, without its two switches. (A tasklet that is set up
// stays in the runnables when its last handle goes, and runs later: hence
// the remove().)
void BM_SlpTaskletUnrun(benchmark::State& state) {
  in_fresh_thread(state, bench_config(2), [&] {
    for (auto _ : state) {
      tasklet t([] {});
      t();
      t.remove();
    }
    if (run_count() != 1) state.SkipWithError("a tasklet stayed runnable");
  });
  count_per(state, "per_life", 1);
}

// --- tick() ------------------------------------------------------------------

constexpr int ticks_per_iteration = 16;

// tick_loop: the timed loop: 16 ticks per iteration, each followed by a
// compiler barrier so that the ticks are not merged into one addition.
void tick_loop(benchmark::State& state) {
  for (auto _ : state) {
    for (int i = 0; i < ticks_per_iteration; ++i) {
      tick();
      benchmark::ClobberMemory();
    }
  }
}

// BM_SlpTick: tick() with no watchdog active.
void BM_SlpTick(benchmark::State& state) {
  in_fresh_thread(state, bench_config(2), [&] { tick_loop(state); });
  count_per(state, "per_tick", ticks_per_iteration);
}

// BM_SlpTickWatchdog: tick() in a tasklet under slp::run() with a tick
// budget (timeout, per tasklet) far beyond what the loop spends, or a
// wall-clock budget of an hour (time_budget:1), which makes every tick look
// at the clock.
void BM_SlpTickWatchdog(benchmark::State& state) {
  const bool wall_clock = state.range(0) != 0;
  in_fresh_thread(state, bench_config(2), [&] {
    bool ran = false;
    tasklet loop([&] {
      tick_loop(state);
      ran = true;
    });
    loop();
    run_options options;
    if (wall_clock) {
      options.time_budget = std::chrono::hours(1);
    } else {
      options.timeout = std::uint64_t{1} << 62;
    }
    if (run(options).has_value()) {
      state.SkipWithError("the watchdog interrupted the loop");
    } else if (!ran) {
      state.SkipWithError("the loop did not finish");
    }
  });
  count_per(state, "per_tick", ticks_per_iteration);
}

// BM_ThreadLocalCounter: the baseline for tick(): a thread-local counter
// incremented with the same barrier, no comparison.
thread_local std::uint64_t plain_counter = 0;
void BM_ThreadLocalCounter(benchmark::State& state) {
  for (auto _ : state) {
    for (int i = 0; i < ticks_per_iteration; ++i) {
      ++plain_counter;
      benchmark::ClobberMemory();
    }
  }
  count_per(state, "per_tick", ticks_per_iteration);
}

// --- many tasklets round-robin -----------------------------------------------

// round_robin: `count` tasklets plus a driver, all calling schedule() in
// one ring on `stacks` execution stacks; one iteration is one full round
// (count + 1 switches). Past the stack count every switch evicts a slice
// and restores another: the
// working set is the slices and tasklet objects of the whole ring. With
// shuffled:0 the ring visits them in the order they were allocated, which
// hardware prefetchers follow; with shuffled:1 the ring order is a random
// permutation of the allocation order, as in a program whose tasklets
// wake in no particular order.
void round_robin(benchmark::State& state, std::size_t count, bool shuffled,
                 std::size_t stacks) {
  if (const std::string why_not = above_max_tasklets(count); !why_not.empty()) {
    skip(state, why_not);
    return;
  }
  in_fresh_thread(state, bench_config(stacks), [&] {
    bool stop = false;
    std::vector<tasklet> ring;
    ring.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      ring.emplace_back([&stop] {
        while (!stop) schedule();
      });
    }
    std::vector<std::size_t> order(count);
    std::iota(order.begin(), order.end(), std::size_t{0});
    if (shuffled) std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
    for (std::size_t i : order) ring[i]();  // set up: the ring's order
    std::size_t slice = 0;
    tasklet driver([&] {
      schedule();  // warm-up: every tasklet starts and parks in schedule()
      slice = ring.front().stack_bytes();
      start_with_clean_fp_state();
      for (auto _ : state) schedule();
      stop = true;
    });
    driver();
    run();
    state.counters["slice_bytes"] = static_cast<double>(slice);
  });
  count_per(state, "per_switch", static_cast<double>(count + 1));
}

// BM_SlpRoundRobin: 1 k to 1 M tasklets on 8 stacks (the default count).
void BM_SlpRoundRobin(benchmark::State& state) {
  round_robin(state, static_cast<std::size_t>(state.range(0)),
              state.range(1) != 0, 8);
}

// BM_SlpStackCount: the measurement behind config::stack_count's default:
// a round-robin of a few tasklets (plus the driver) on 1 to 16 execution
// stacks. While tasklets + 1 <= stacks every tasklet stays resident and a
// switch copies nothing; one more, and every switch saves and restores a
// slice. docs/PERFORMANCE.md, "The default configuration", has the figures
// and the choice.
void BM_SlpStackCount(benchmark::State& state) {
  round_robin(state, static_cast<std::size_t>(state.range(0)), false,
              static_cast<std::size_t>(state.range(1)));
}

// --- baselines ---------------------------------------------------------------

// BM_BoostJumpFcontext: Boost.Context's primitive (bench_support.hpp).
void BM_BoostJumpFcontext(benchmark::State& state) {
  jump_fcontext_pingpong(state);
}

#if SLP_BENCH_BOOST_FIBER
namespace fibers = boost::fibers;

// BM_FiberYield: two fibers alternating through this_fiber::yield().
void BM_FiberYield(benchmark::State& state) { fiber_yield_pingpong(state); }

// BM_FiberCreateJoin: a fiber created with the default stack allocator,
// run to completion by join(), destroyed.
void BM_FiberCreateJoin(benchmark::State& state) {
  in_fiber_thread([&] {
    std::uint64_t ran = 0;
    for (auto _ : state) {
      fibers::fiber f([&ran] { ++ran; });
      f.join();
    }
    benchmark::DoNotOptimize(ran);
  });
  count_per(state, "per_life", 1);
}

// BM_FiberRoundRobin: `fibers` fibers on 16 KiB malloc'd stacks plus the
// thread's own, all yielding; one iteration is one round.
void BM_FiberRoundRobin(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const std::size_t cap = std::min(max_fiber_baseline, max_tasklets);
  if (count > cap) {
    skip(state, std::string(not_run_mark) + "above " + std::to_string(cap) +
                    " fibers (16 KiB stacks, ~4 KiB resident each)");
    return;
  }
  in_fiber_thread([&] {
    bool stop = false;
    std::vector<fibers::fiber> ring;
    ring.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      ring.emplace_back(std::allocator_arg, fibers::fixedsize_stack(16 * 1024),
                        [&stop] {
                          while (!stop) boost::this_fiber::yield();
                        });
    }
    boost::this_fiber::yield();  // warm-up: every fiber starts
    for (auto _ : state) boost::this_fiber::yield();
    stop = true;
    for (fibers::fiber& f : ring) f.join();
  });
  count_per(state, "per_switch", static_cast<double>(count + 1));
}
#else
void BM_FiberYield(benchmark::State& state) { fiber_yield_pingpong(state); }
void BM_FiberCreateJoin(benchmark::State& state) {
  skip(state, boost_fiber_missing);
}
void BM_FiberRoundRobin(benchmark::State& state) {
  skip(state, boost_fiber_missing);
}
#endif  // SLP_BENCH_BOOST_FIBER

// --- registration ------------------------------------------------------------

BENCHMARK(BM_SlpSchedulePingPong)
    ->ArgNames({"stacks", "live_bytes"})
    ->Args({2, 0})
    ->Args({1, 0})
    ->Args({1, 64})
    ->Args({1, 256})
    ->Args({1, 1024})
    ->Args({1, 4096});
BENCHMARK(BM_BoostJumpFcontext);
BENCHMARK(BM_FiberYield);
BENCHMARK(BM_SlpScheduleHook)
    ->ArgNames({"callback"})
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime();
BENCHMARK(BM_SlpTaskletLife);
BENCHMARK(BM_SlpTaskletUnrun);
BENCHMARK(BM_FiberCreateJoin);
BENCHMARK(BM_SlpTick);
BENCHMARK(BM_SlpTickWatchdog)->ArgNames({"time_budget"})->Arg(0)->Arg(1);
BENCHMARK(BM_ThreadLocalCounter);
BENCHMARK(BM_SlpRoundRobin)
    ->ArgNames({"tasklets", "shuffled"})
    ->ArgsProduct({{1000, 100000, 1000000}, {0, 1}});
BENCHMARK(BM_SlpStackCount)
    ->ArgNames({"tasklets", "stacks"})
    ->ArgsProduct({{1, 3, 7, 15}, {1, 2, 4, 8, 16}});
BENCHMARK(BM_FiberRoundRobin)
    ->ArgNames({"fibers"})
    ->Arg(1000)
    ->Arg(100000)
    ->Arg(1000000);

}  // namespace
}  // namespace slp::bench
