// SPDX-License-Identifier: MIT
// What slp's benchmark binaries share: per-unit counters, a clean FP state,
// live stack blocks that are written and checked, malloc'd stacks, fresh
// threads configured before their first tasklet, CPU placement for the
// cross-thread benchmarks, and a Boost.Context jump_fcontext ping-pong that
// every binary measuring switches registers as its own baseline.
#ifndef SLP_BENCH_BENCH_SUPPORT_HPP
#define SLP_BENCH_BENCH_SUPPORT_HPP

#include <benchmark/benchmark.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <thread>
#include <utility>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#ifndef SLP_BENCH_BOOST_CONTEXT
#define SLP_BENCH_BOOST_CONTEXT 0
#endif
#ifndef SLP_BENCH_BOOST_FIBER
#define SLP_BENCH_BOOST_FIBER 0
#endif
#if SLP_BENCH_BOOST_CONTEXT
#include <boost/context/detail/fcontext.hpp>
#endif
#if SLP_BENCH_BOOST_FIBER
#include <boost/fiber/all.hpp>
#endif

#include "slp/config.hpp"

namespace slp::bench {

// The marks report.py looks for in an error message: a baseline that was
// not built is reported as missing, a benchmark that cannot run here (too
// few CPUs, too little memory) as not run; neither counts as a failure.
inline constexpr const char* boost_context_missing =
    "Boost.Context missing at build time (libboost-context-dev): no baseline";
inline constexpr const char* boost_fiber_missing =
    "Boost.Fiber missing at build time (libboost-fiber-dev): no baseline";
inline constexpr const char* not_run_mark = "not run here: ";

// resident_bytes: the process's resident anonymous memory (RssAnon), from
// /proc/self/statm: resident minus file-backed and shared pages. A forked
// child faults in its code pages lazily as it first runs them; those are
// file-backed, shared with the parent, and not the tasklets' cost.
inline double resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  double total = 0;
  double resident = 0;
  double shared = 0;
  statm >> total >> resident >> shared;
  return (resident - shared) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// max_tasklets: the most tasklets (or coroutines) one benchmark may create;
// larger cases report "not run here". bench_main.cpp sets it from
// --slp_max_tasklets=N (ci/bench.sh: 1000 for --smoke, 10000000 for --huge).
inline std::size_t max_tasklets = 1000000;
// above_max_tasklets: why a case of `count` tasklets is not run here, or an
// empty string when --slp_max_tasklets allows it.
inline std::string above_max_tasklets(std::size_t count) {
  if (count <= max_tasklets) return {};
  return std::string(not_run_mark) +
         "above --slp_max_tasklets=" + std::to_string(max_tasklets);
}
// max_fiber_baseline: the most fibers of a Boost.Fiber round-robin: 16 KiB
// malloc'd stacks, about 4 KiB of them resident each.
inline std::size_t max_fiber_baseline = 100000;

// skip: ends a benchmark with `message` as its error, iterating nothing.
inline void skip(benchmark::State& state, const std::string& message) {
  state.SkipWithError(message.c_str());
  for (auto _ : state) {
  }
}

// count_per: adds a counter `name` holding the seconds of one unit when an
// iteration is `units` of them (the console prints it in ns): per_switch,
// per_msg, per_tick, ...
inline void count_per(benchmark::State& state, const char* name, double units) {
  state.counters[name] =
      benchmark::Counter(units, benchmark::Counter::kIsIterationInvariantRate |
                                    benchmark::Counter::kInvert);
}

// start_with_clean_fp_state: MXCSR = 0x1f80, so that no flag raised by
// earlier code reaches a timed loop (perf-anchors.md §4.1).
inline void start_with_clean_fp_state() noexcept {
#if defined(__x86_64__)
  _mm_setcsr(0x1f80);
#endif
}

// fill: writes a pattern into `n` bytes kept live on a stack (volatile, so
// that the compiler keeps the block and the slice really holds it).
inline void fill(volatile unsigned char* bytes, std::size_t n,
                 unsigned char seed) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    bytes[i] = static_cast<unsigned char>((i * 131 + seed) & 0xff);
  }
}

// intact: whether the pattern written by fill() is still there.
inline bool intact(const volatile unsigned char* bytes, std::size_t n,
                   unsigned char seed) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    if (bytes[i] != static_cast<unsigned char>((i * 131 + seed) & 0xff)) {
      return false;
    }
  }
  return true;
}

// heap_stack: a malloc'd stack, for the baselines.
struct heap_stack {
  explicit heap_stack(std::size_t bytes)
      : size(bytes), memory(std::malloc(bytes)) {}
  ~heap_stack() { std::free(memory); }
  heap_stack(const heap_stack&) = delete;
  heap_stack& operator=(const heap_stack&) = delete;
  [[nodiscard]] void* top() const noexcept {
    return static_cast<std::byte*>(memory) + size;
  }
  std::size_t size;
  void* memory;
};

// bench_config: an slp configuration with `stack_count` execution stacks
// of 256 KiB, enough for every live block here.
inline config bench_config(std::size_t stack_count) {
  config cfg;
  cfg.stack_size = 256 * 1024;
  cfg.stack_count = stack_count;
  return cfg;
}

// in_fresh_thread: runs `body` in a new thread whose scheduler is
// configured with `cfg` before anything else (slp::configure works only
// before a thread's first tasklet runs), so that every benchmark starts
// from an empty scheduler and its tasklets die with the thread. The timed
// loop runs in that thread: Google Benchmark's CPU timer reads the clock
// of the thread that iterates. An exception becomes the benchmark's error.
template <class Body>
void in_fresh_thread(benchmark::State& state, const config& cfg, Body&& body) {
  std::string failure;
  std::thread worker([&] {
    try {
      configure(cfg);
      start_with_clean_fp_state();
      body();
    } catch (const std::exception& e) {
      failure = e.what();
    } catch (...) {
      failure = "unknown exception";
    }
  });
  worker.join();
  if (!failure.empty() && !state.error_occurred()) {
    state.SkipWithError(failure.c_str());
  }
}

// --- CPU placement of two threads (the cross-thread benchmarks) --------------

// placement: where the two threads of a cross-thread ping-pong run.
enum class placement : int {
  same_cpu = 0,  // both pinned to the CPU the process started on
  split = 1,     // one CPU each: the process's CPU and another one
  free = 2,      // both allowed on every online CPU: the OS decides
};

inline const char* placement_name(placement p) {
  switch (p) {
    case placement::same_cpu:
      return "both threads on one CPU";
    case placement::split:
      return "one CPU per thread";
    case placement::free:
      return "unpinned, all CPUs";
  }
  return "?";
}

// cpu_plan: the CPUs for the two threads, decided once from the affinity
// the process started with (ci/bench.sh: taskset -c 1).
struct cpu_plan {
  cpu_set_t first{};    // the driving thread
  cpu_set_t second{};   // the echoing thread
  std::string problem;  // why this placement cannot be had here
};

inline cpu_plan plan_cpus(placement p) {
  static const cpu_set_t started_on = [] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) CPU_SET(0u, &set);
    return set;
  }();
  std::size_t home = 0;
  while (home + 1 < CPU_SETSIZE && !CPU_ISSET(home, &started_on)) ++home;
  const long online_cpus = sysconf(_SC_NPROCESSORS_ONLN);
  const std::size_t online =
      online_cpus > 0 ? static_cast<std::size_t>(online_cpus) : 1;
  cpu_plan plan;
  CPU_ZERO(&plan.first);
  CPU_ZERO(&plan.second);
  if (p == placement::same_cpu) {
    CPU_SET(home, &plan.first);
    CPU_SET(home, &plan.second);
    return plan;
  }
  if (online < 2) {
    plan.problem = std::string(not_run_mark) + "needs 2 online CPUs";
    return plan;
  }
  if (p == placement::split) {
    const std::size_t other = home == 0 ? 1 : 0;
    CPU_SET(home, &plan.first);
    CPU_SET(other, &plan.second);
    return plan;
  }
  for (std::size_t c = 0; c < online && c < CPU_SETSIZE; ++c) {
    CPU_SET(c, &plan.first);
    CPU_SET(c, &plan.second);
  }
  return plan;
}

// pin_this_thread: applies one side of a plan; false when the OS refused.
inline bool pin_this_thread(const cpu_set_t& cpus) {
  return pthread_setaffinity_np(pthread_self(), sizeof cpus, &cpus) == 0;
}

// --- the Boost.Context baseline ----------------------------------------------

#if SLP_BENCH_BOOST_CONTEXT
namespace fcontext = boost::context::detail;

// fcontext_echo: jumps straight back to whoever jumped to it, forever. The
// benchmark abandons it with its stack: nothing on it needs destroying.
inline void fcontext_echo(fcontext::transfer_t from) {
  for (;;) from = fcontext::jump_fcontext(from.fctx, nullptr);
}
#endif

// jump_fcontext_pingpong: Boost.Context's own primitive between the
// thread's context and an echo on a malloc'd stack; one iteration is a
// round trip, per_switch its half.
inline void jump_fcontext_pingpong(benchmark::State& state) {
#if SLP_BENCH_BOOST_CONTEXT
  start_with_clean_fp_state();
  heap_stack stack(256 * 1024);
  fcontext::fcontext_t echo =
      fcontext::make_fcontext(stack.top(), stack.size, &fcontext_echo);
  echo = fcontext::jump_fcontext(echo, nullptr).fctx;  // warm-up
  for (auto _ : state) echo = fcontext::jump_fcontext(echo, nullptr).fctx;
  count_per(state, "per_switch", 2);
#else
  skip(state, boost_context_missing);
#endif
}

// --- the Boost.Fiber baselines -----------------------------------------------

#if SLP_BENCH_BOOST_FIBER
// in_fiber_thread: Boost.Fiber's scheduler is per thread: each baseline
// gets a fresh thread, as the slp benchmarks do, and the timed loop runs
// there.
template <class Body>
void in_fiber_thread(Body&& body) {
  std::thread worker([&] {
    start_with_clean_fp_state();
    body();
  });
  worker.join();
}
#endif

// fiber_yield_pingpong: two fibers (the thread's own and one more)
// alternate through boost::this_fiber::yield() under the default
// round_robin; one iteration is two switches.
inline void fiber_yield_pingpong(benchmark::State& state) {
#if SLP_BENCH_BOOST_FIBER
  in_fiber_thread([&] {
    bool stop = false;
    boost::fibers::fiber echo([&stop] {
      while (!stop) boost::this_fiber::yield();
    });
    boost::this_fiber::yield();  // warm-up
    for (auto _ : state) boost::this_fiber::yield();
    stop = true;
    echo.join();
  });
  count_per(state, "per_switch", 2);
#else
  skip(state, boost_fiber_missing);
#endif
}

}  // namespace slp::bench

#endif  // SLP_BENCH_BENCH_SUPPORT_HPP
