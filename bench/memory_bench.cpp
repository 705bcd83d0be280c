// SPDX-License-Identifier: MIT
// Resident memory per parked tasklet: N tasklets (1 k to 10 M), each
// keeping `live_bytes` on its stack and parked in schedule_remove(), against
// Boost.Context coroutines (callcc) parked the same way on fixed stacks:
// fixedsize_stack (malloc'd) and protected_fixedsize_stack (mmap + guard
// page).
//
// Each case runs in a forked child, so that no memory freed by an earlier
// case is reused and the RSS delta is this case's alone. The child warms
// up (the scheduler, its execution stacks touched as deep as the case
// goes), reads the resident anonymous memory (RssAnon) from
// /proc/self/statm and the heap in use from mallinfo2(), creates and parks
// the N tasklets with their handles in a std::vector, reads both again,
// checks every slice with stack_bytes(), then kills them all and checks
// that each one's destructors ran.
//
// Counters (one iteration; the time column is the creation of all N):
//   bytes_per_tasklet  RssAnon delta / N: everything, handles included
//   heap_per_tasklet   malloc'd bytes in use / N (mallinfo2)
//   slice_bytes        mean stack_bytes(): the live stack saved on the heap
//   slice_capacity     mean capacity of the slice buffers (slp only)
//   object_bytes       sizeof the tasklet object (slp only)
//   create_ns, kill_ns per tasklet
#include <alloca.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/bench_support.hpp"
#include "core/handle_access.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/scheduler.hpp"
#include "slp/tasklet.hpp"

#if SLP_BENCH_BOOST_CONTEXT
#include <boost/context/continuation.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <boost/context/protected_fixedsize_stack.hpp>
#endif

namespace slp::bench {
namespace {

using clock_type = std::chrono::steady_clock;

// What a child reports through its pipe.
struct measurement {
  double rss_bytes = 0;   // resident delta over the N
  double heap_bytes = 0;  // heap-in-use delta over the N
  double slice_sum = 0;   // sum of stack_bytes()
  double capacity_sum = 0;
  double create_seconds = 0;
  double kill_seconds = 0;
  std::size_t smallest_slice = 0;
  std::size_t destroyed = 0;  // RAII guards whose destructor ran
  char error[200] = {};
};

void fail(measurement& m, const std::string& what) {
  std::snprintf(m.error, sizeof m.error, "%s", what.c_str());
}

// heap_in_use: bytes handed out by malloc, small chunks and mmapped ones.
double heap_in_use() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

// available_bytes: MemAvailable from /proc/meminfo (0 if unknown).
double available_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  double kib = 0;
  std::string unit;
  while (meminfo >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  return 0;
}

// in_child: runs `body` in a forked child and returns what it measured.
template <class Body>
measurement in_child(Body&& body) {
  measurement m;
  int fds[2];
  if (pipe(fds) != 0) {
    fail(m, "pipe failed");
    return m;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    fail(m, "fork failed");
    return m;
  }
  if (pid == 0) {
    close(fds[0]);
    measurement child;
    try {
      body(child);
    } catch (const std::exception& e) {
      fail(child, e.what());
    }
    const char* p = reinterpret_cast<const char*>(&child);
    std::size_t left = sizeof child;
    while (left > 0) {
      const ssize_t n = write(fds[1], p, left);
      if (n <= 0) _exit(1);
      p += n;
      left -= static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  char* p = reinterpret_cast<char*>(&m);
  std::size_t got = 0;
  while (got < sizeof m) {
    const ssize_t n = read(fds[0], p + got, sizeof m - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof m) {
    m = measurement();
    if (WIFSIGNALED(status)) {
      fail(m, "the measuring child died of signal " +
                  std::to_string(WTERMSIG(status)));
    } else {
      fail(m, "the measuring child reported nothing");
    }
  }
  return m;
}

// destructor_counter: an RAII object on each parked stack; killing the
// tasklet (or unwinding the coroutine) must run its destructor.
struct destructor_counter {
  std::size_t* destroyed;
  ~destructor_counter() { ++*destroyed; }
};

// fits: whether `count` objects of about `each` bytes fit comfortably (at
// most 60 % of MemAvailable); otherwise the reason for not running.
std::string fits(std::size_t count, double each) {
  const double need = static_cast<double>(count) * each;
  const double available = available_bytes();
  if (available > 0 && need > 0.6 * available) {
    char text[160];
    std::snprintf(text, sizeof text,
                  "%sneeds about %.1f GiB, 60%% of MemAvailable is %.1f GiB",
                  not_run_mark, need / (1 << 30), 0.6 * available / (1 << 30));
    return text;
  }
  return {};
}

// report: the counters of one case; false if it failed.
bool report(benchmark::State& state, const measurement& m, std::size_t count) {
  if (m.error[0] != '\0') {
    state.SkipWithError(m.error);
    return false;
  }
  const auto n = static_cast<double>(count);
  state.SetIterationTime(m.create_seconds);
  state.counters["bytes_per_tasklet"] = m.rss_bytes / n;
  state.counters["heap_per_tasklet"] = m.heap_bytes / n;
  state.counters["slice_bytes"] = m.slice_sum / n;
  state.counters["create_ns"] = m.create_seconds * 1e9 / n;
  state.counters["kill_ns"] = m.kill_seconds * 1e9 / n;
  return true;
}

// --- slp ---------------------------------------------------------------------

// park: a tasklet's body: `live` bytes on its stack and an RAII guard,
// parked until killed.
void park(std::size_t live, std::size_t* destroyed) {
  destructor_counter guard{destroyed};
  auto* block = static_cast<volatile unsigned char*>(alloca(live + 1));
  fill(block, live, 3);
  schedule_remove();
  benchmark::DoNotOptimize(block[0]);
}

void measure_slp(measurement& m, std::size_t count, std::size_t live) {
  configure(config{});  // the library's defaults: what users get
  std::size_t destroyed = 0;
  const std::size_t stacks = current_config().stack_count;
  {  // warm-up: every execution stack mapped and touched this deep
    std::vector<tasklet> warm;
    for (std::size_t i = 0; i < stacks + 1; ++i) {
      warm.emplace_back([live, &destroyed] { park(live, &destroyed); });
      warm.back()();
      warm.back().run();
    }
    for (tasklet& t : warm) t.kill();
  }
  destroyed = 0;
  std::vector<tasklet> parked;
  malloc_trim(0);
  const double rss_before = resident_bytes();
  const double heap_before = heap_in_use();
  parked.reserve(count);  // the handles are part of the bill: 8 B each
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < count; ++i) {
    parked.emplace_back([live, &destroyed] { park(live, &destroyed); });
    parked.back()();
    parked.back().run();
  }
  const auto created = clock_type::now();
  m.rss_bytes = resident_bytes() - rss_before;
  m.heap_bytes = heap_in_use() - heap_before;
  m.create_seconds = std::chrono::duration<double>(created - start).count();
  m.smallest_slice = ~std::size_t{0};
  std::size_t resident = 0;
  for (const tasklet& t : parked) {
    const std::size_t slice = t.stack_bytes();
    if (slice == 0) {
      ++resident;  // the last few stay on their execution stacks
      continue;
    }
    m.slice_sum += static_cast<double>(slice);
    m.capacity_sum +=
        static_cast<double>(core::handle_access::impl(t)->slice.capacity());
    m.smallest_slice = std::min(m.smallest_slice, slice);
    if (!t.paused()) fail(m, "a tasklet was not parked");
  }
  if (resident > stacks) fail(m, "more tasklets resident than stacks");
  if (m.smallest_slice < live) {
    fail(m,
         "a slice read back from stack_bytes() is smaller than the live "
         "block: not measuring what the name says");
  }
  // Tasklets still resident count with the mean slice of the others.
  const double saved = static_cast<double>(count - resident);
  if (saved > 0) {
    m.slice_sum = m.slice_sum / saved * static_cast<double>(count);
    m.capacity_sum = m.capacity_sum / saved * static_cast<double>(count);
  }
  const auto kill_start = clock_type::now();
  for (tasklet& t : parked) t.kill();
  m.kill_seconds =
      std::chrono::duration<double>(clock_type::now() - kill_start).count();
  m.destroyed = destroyed;
  if (destroyed != count && m.error[0] == '\0') {
    fail(m, "killed tasklets did not all run their destructors: " +
                std::to_string(destroyed) + " of " + std::to_string(count));
  }
}

// BM_SlpParkedTasklets: tasklets parked in schedule_remove() with
// `live_bytes` on their stacks, the library's default configuration.
void BM_SlpParkedTasklets(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto live = static_cast<std::size_t>(state.range(1));
  std::string why_not = above_max_tasklets(count);
  if (why_not.empty()) why_not = fits(count, static_cast<double>(live) + 768);
  if (!why_not.empty()) {
    skip(state, why_not);
    return;
  }
  measurement m;
  for (auto _ : state) {
    m = in_child([&](measurement& r) { measure_slp(r, count, live); });
  }
  if (!report(state, m, count)) return;
  const auto n = static_cast<double>(count);
  state.counters["slice_capacity"] = m.capacity_sum / n;
  state.counters["object_bytes"] = sizeof(core::tasklet_impl);
}

// --- Boost.Context -----------------------------------------------------------

#if SLP_BENCH_BOOST_CONTEXT
namespace context = boost::context;

constexpr std::size_t boost_stack_size = 16 * 1024;

// checked_protected_stack: protected_fixedsize_stack, but a stack whose
// guard page cannot be set is an error. Boost ignores mprotect()'s result
// in release builds: past vm.max_map_count (two mappings per stack) it
// hands out stacks without guard pages, which merge into one mapping and
// are then no longer what the baseline claims to measure.
class checked_protected_stack {
 public:
  explicit checked_protected_stack(std::size_t size) : inner_(size) {}

  context::stack_context allocate() {
    context::stack_context sctx = inner_.allocate();
    void* guard = static_cast<char*>(sctx.sp) - sctx.size;
    if (mprotect(guard, static_cast<std::size_t>(sysconf(_SC_PAGESIZE)),
                 PROT_NONE) != 0) {
      inner_.deallocate(sctx);
      throw std::runtime_error("no guard page: mprotect failed");
    }
    return sctx;
  }
  void deallocate(context::stack_context& sctx) noexcept {
    inner_.deallocate(sctx);
  }

 private:
  context::protected_fixedsize_stack inner_;
};

template <class StackAllocator>
void measure_boost(measurement& m, std::size_t count, std::size_t live) {
  std::size_t destroyed = 0;
  auto park_one = [live, &destroyed] {
    return context::callcc(
        std::allocator_arg, StackAllocator(boost_stack_size),
        [live, &destroyed](context::continuation&& caller) {
          destructor_counter guard{&destroyed};
          auto* block = static_cast<volatile unsigned char*>(alloca(live + 1));
          fill(block, live, 3);
          caller = caller.resume();
          benchmark::DoNotOptimize(block[0]);
          return std::move(caller);
        });
  };
  {  // warm-up
    std::vector<context::continuation> warm;
    for (int i = 0; i < 8; ++i) warm.push_back(park_one());
  }
  destroyed = 0;
  std::vector<context::continuation> parked;
  malloc_trim(0);
  const double rss_before = resident_bytes();
  const double heap_before = heap_in_use();
  parked.reserve(count);
  const auto start = clock_type::now();
  try {
    for (std::size_t i = 0; i < count; ++i) parked.push_back(park_one());
  } catch (const std::exception& e) {
    fail(m, std::string(not_run_mark) + "creating stack " +
                std::to_string(parked.size() + 1) + " failed (" + e.what() +
                "; vm.max_map_count limits mmap'd stacks with guard pages)");
    return;
  }
  const auto created = clock_type::now();
  m.rss_bytes = resident_bytes() - rss_before;
  m.heap_bytes = heap_in_use() - heap_before;
  m.create_seconds = std::chrono::duration<double>(created - start).count();
  m.slice_sum = static_cast<double>(live) * static_cast<double>(count);
  const auto kill_start = clock_type::now();
  parked.clear();  // each continuation unwinds its stack (forced_unwind)
  m.kill_seconds =
      std::chrono::duration<double>(clock_type::now() - kill_start).count();
  m.destroyed = destroyed;
  if (destroyed != count) {
    fail(m, "unwound coroutines did not all run their destructors");
  }
}

// boost_case: the Boost.Context baseline with `StackAllocator`.
template <class StackAllocator>
void boost_case(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  const auto live = static_cast<std::size_t>(state.range(1));
  std::string why_not = above_max_tasklets(count);
  if (why_not.empty()) {  // the touched pages of each stack
    why_not = fits(count, static_cast<double>((live + 1024) / 4096 + 1) * 4096);
  }
  if (!why_not.empty()) {
    skip(state, why_not);
    return;
  }
  measurement m;
  for (auto _ : state) {
    m = in_child(
        [&](measurement& r) { measure_boost<StackAllocator>(r, count, live); });
  }
  if (!report(state, m, count)) return;
  state.counters["stack_size"] = boost_stack_size;
}

// BM_BoostFixedsizeParked: callcc on fixedsize_stack(16 KiB): malloc'd.
void BM_BoostFixedsizeParked(benchmark::State& state) {
  boost_case<context::fixedsize_stack>(state);
}

// BM_BoostProtectedParked: callcc on protected_fixedsize_stack(16 KiB):
// mmap'd with a guard page, two mappings per stack (checked).
void BM_BoostProtectedParked(benchmark::State& state) {
  boost_case<checked_protected_stack>(state);
}
#else
void BM_BoostFixedsizeParked(benchmark::State& state) {
  skip(state, boost_context_missing);
}
void BM_BoostProtectedParked(benchmark::State& state) {
  skip(state, boost_context_missing);
}
#endif  // SLP_BENCH_BOOST_CONTEXT

// --- registration ------------------------------------------------------------

// counts_and_slices: every count with every live size; 10 M only for the
// slices where it can fit (about 1 KiB per tasklet or less).
void counts_and_slices(benchmark::internal::Benchmark* b) {
  b->ArgNames({"tasklets", "live_bytes"});
  for (long live : {64, 256, 1024, 4096}) {
    for (long count : {1000, 100000, 1000000}) b->Args({count, live});
  }
  for (long live : {64, 256}) b->Args({10000000, live});
}

// boost_counts: the baselines at the same counts, 1 M included (about
// 4-8 KiB each); 10 M would need 40+ GiB.
void boost_counts(benchmark::internal::Benchmark* b) {
  b->ArgNames({"coroutines", "live_bytes"});
  for (long live : {64, 256, 1024, 4096}) {
    for (long count : {1000, 100000, 1000000}) b->Args({count, live});
  }
}

BENCHMARK(BM_SlpParkedTasklets)
    ->Apply(counts_and_slices)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BoostFixedsizeParked)
    ->Apply(boost_counts)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BoostProtectedParked)
    ->Apply(boost_counts)
    ->Iterations(1)
    ->Repetitions(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace slp::bench
