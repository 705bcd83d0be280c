// SPDX-License-Identifier: MIT
// The cost of a backtrace (API.md §11; issue targets: a suspended tasklet's
// 10 frames in <= 2 us as addresses, <= 20 us with names). A tasklet is
// parked 24 calls deep and its innermost 10 frames are taken, resident
// on its stack (arg 0) or evicted to a heap slice (arg 1). Baseline in the
// same binary: glibc's backtrace() of 10 frames of the running thread
// (libgcc's unwinder, the same DWARF tables), and backtrace_symbols() for
// the names. Counter: per_trace.
#include <execinfo.h>

#include <cstdlib>
#include <vector>

#include "bench/bench_support.hpp"
#include "core/backtrace.hpp"
#include "core/handle_access.hpp"
#include "slp/channel.hpp"
#include "slp/scheduler.hpp"
#include "slp/tasklet.hpp"

namespace slp::bench {
namespace {

constexpr int frames_taken = 10;
constexpr int depth = 24;

volatile int sink = 0;

[[gnu::noinline]] int descend(int n, channel<int>& c) {
  const int r = n == 0 ? c.receive() : descend(n - 1, c);
  sink = sink + r;
  return r + 1;
}

// with_parked: a tasklet parked `depth` calls deep, evicted if asked (one
// execution stack and a second tasklet parked after it), then `body(t)`.
template <class Body>
void with_parked(benchmark::State& state, Body body) {
  const bool evicted = state.range(0) != 0;
  in_fresh_thread(state, bench_config(evicted ? 1 : 8), [&] {
    channel<int> c;
    channel<int> other;
    tasklet t{[&] { descend(depth, c); }};
    tasklet e{[&] { descend(0, other); }};
    t();
    e();
    run();
    if ((t.stack_bytes() > 0) != evicted) {
      state.SkipWithError("the tasklet is not where the case wants it");
    } else {
      body(t);
    }
    c.send(1);
    other.send(1);
  });
}

void BM_BacktraceAddresses(benchmark::State& state) {
  with_parked(state, [&](const tasklet& t) {
    void* pcs[frames_taken];
    for (auto _ : state) {
      const std::size_t n = core::walk_frames(*core::handle_access::impl(t),
                                              pcs, frames_taken, nullptr);
      benchmark::DoNotOptimize(n);
      if (n != frames_taken) state.SkipWithError("short walk");
    }
    count_per(state, "per_trace", 1);
  });
}

void BM_BacktraceNames(benchmark::State& state) {
  with_parked(state, [&](const tasklet& t) {
    for (auto _ : state) {
      std::vector<frame> f = t.backtrace(frames_taken);
      benchmark::DoNotOptimize(f.data());
      if (f.size() != frames_taken) state.SkipWithError("short walk");
    }
    count_per(state, "per_trace", 1);
  });
}

// The baseline: the running thread's own 10 frames, from as deep.
[[gnu::noinline]] int at_depth(int n, benchmark::State& state, bool names) {
  if (n > 0) {
    const int r = at_depth(n - 1, state, names);
    sink = sink + r;
    return r + 1;
  }
  void* pcs[frames_taken];
  for (auto _ : state) {
    const int got = ::backtrace(pcs, frames_taken);
    benchmark::DoNotOptimize(got);
    if (names) {
      char** symbols = ::backtrace_symbols(pcs, got);
      benchmark::DoNotOptimize(symbols);
      std::free(symbols);
    }
  }
  return 0;
}

void BM_GlibcBacktrace(benchmark::State& state) {
  void* first[1];
  ::backtrace(first, 1);  // loads libgcc_s once, outside the timing
  at_depth(depth, state, state.range(0) != 0);
  count_per(state, "per_trace", 1);
}

}  // namespace

BENCHMARK(BM_BacktraceAddresses)->Arg(0)->Arg(1);
BENCHMARK(BM_BacktraceNames)->Arg(0)->Arg(1);
BENCHMARK(BM_GlibcBacktrace)->Arg(0)->Arg(1);  // 1: with backtrace_symbols

}  // namespace slp::bench
