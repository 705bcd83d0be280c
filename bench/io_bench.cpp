// SPDX-License-Identifier: MIT
// The costs of time and I/O (API.md §10), each with its baseline in the
// same binary:
// * a timer set and cancelled (slp's heap, with 0 or 10,000 other timers
//   pending) against std::multimap insert + erase, the obvious ordered
//   container with the same (deadline, order) semantics;
// * schedule() ping-pong in a thread that never used §10, in one whose
//   reactor exists with nothing waiting, and in one with a tasklet asleep
//   (the no-starvation check's cost while something waits);
// * sleep_for(100 µs) lateness (p50, p99) against the same sleep of the
//   whole thread (std::this_thread::sleep_for);
// * waking pipe waiters: a byte written to one of 1,000 pipes, each
//   watched by its own tasklet, until its tasklet runs (per wake-up);
// * resident bytes per waiting tasklet: 1,000,000 sleepers, each until its
//   own deadline, and 9,000 tasklets each waiting on its own pipe (the
//   reactor's and the timers' share included; the pipes' kernel memory is
//   not in the process's resident set).
#include <fcntl.h>
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <fstream>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "core/timers.hpp"
#include "slp/slp.hpp"

namespace slp::bench {
namespace {

using clock_type = std::chrono::steady_clock;

// --- a timer set and cancelled ---

// filler_deadlines: `n` pending deadlines spread over the next second.
std::vector<clock_type::time_point> filler_deadlines(std::size_t n) {
  std::mt19937 random(10);
  std::uniform_int_distribution<int> us(0, 1'000'000);
  std::vector<clock_type::time_point> d;
  const auto base = clock_type::now();
  for (std::size_t i = 0; i < n; ++i) {
    d.push_back(base + std::chrono::microseconds(us(random)));
  }
  return d;
}

// BM_TimerHeapSetCancel: a wait's timer that never fires (the common case
// of a timeout): push, then remove.
void BM_TimerHeapSetCancel(benchmark::State& state) {
  const auto others = static_cast<std::size_t>(state.range(0));
  core::timer_heap heap;
  std::vector<core::timer_node> pending(others);
  const auto deadlines = filler_deadlines(others);
  for (std::size_t i = 0; i < others; ++i) heap.push(pending[i], deadlines[i]);
  core::timer_node mine;
  auto at = clock_type::now() + std::chrono::milliseconds(500);
  for (auto _ : state) {
    heap.push(mine, at);
    benchmark::DoNotOptimize(heap.size());
    heap.remove(mine);
    at += std::chrono::nanoseconds(1);
  }
  count_per(state, "per_set_cancel", 1);
}

// BM_MultimapSetCancel: the same with std::multimap<deadline, node*>
// (insertion order among equal keys is kept, as the heap's sequence keeps it).
void BM_MultimapSetCancel(benchmark::State& state) {
  const auto others = static_cast<std::size_t>(state.range(0));
  std::multimap<clock_type::time_point, core::timer_node*> timers;
  std::vector<core::timer_node> pending(others);
  const auto deadlines = filler_deadlines(others);
  for (std::size_t i = 0; i < others; ++i)
    timers.emplace(deadlines[i], &pending[i]);
  core::timer_node mine;
  auto at = clock_type::now() + std::chrono::milliseconds(500);
  for (auto _ : state) {
    auto it = timers.emplace(at, &mine);
    benchmark::DoNotOptimize(timers.size());
    timers.erase(it);
    at += std::chrono::nanoseconds(1);
  }
  count_per(state, "per_set_cancel", 1);
}

// --- schedule() with and without §10 in the thread ---

enum class io_use { never, reactor_idle, one_sleeper };

void BM_SchedulePingPongIo(benchmark::State& state) {
  const auto use = static_cast<io_use>(state.range(0));
  in_fresh_thread(state, bench_config(2), [&] {
    if (use != io_use::never)
      sleep_for(std::chrono::nanoseconds(1));  // makes the reactor
    tasklet sleeper;
    if (use == io_use::one_sleeper) {
      sleeper = tasklet{[] { sleep_for(std::chrono::hours(1)); }};
      sleeper();
      schedule();  // it begins to sleep
    }
    bool done = false;
    tasklet{[&] {
      for (auto _ : state) schedule();
      done = true;
      // run() returns only once nothing sleeps.
      if (use == io_use::one_sleeper) sleeper.kill();
    }}();
    tasklet{[&] {
      while (!done) schedule();
    }}();
    run();
  });
  count_per(state, "per_switch", 2);
}

// --- sleep accuracy ---

// lateness: p50 and p99 of how late each of `samples` sleeps of `d` woke.
template <class Sleep>
void report_lateness(benchmark::State& state, Sleep&& sleep) {
  constexpr auto d = std::chrono::microseconds(100);
  std::vector<double> late;
  for (auto _ : state) {
    const auto start = clock_type::now();
    sleep(d);
    late.push_back(static_cast<double>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() -
                                                             start - d)
            .count()));
  }
  std::sort(late.begin(), late.end());
  state.counters["late_p50_ns"] = late[late.size() / 2];
  state.counters["late_p99_ns"] = late[late.size() * 99 / 100];
}

void BM_SlpSleepForLateness(benchmark::State& state) {
  in_fresh_thread(state, bench_config(1), [&] {
    report_lateness(state, [](std::chrono::microseconds d) { sleep_for(d); });
  });
}

void BM_ThreadSleepForLateness(benchmark::State& state) {
  report_lateness(state, [](std::chrono::microseconds d) {
    std::this_thread::sleep_for(d);
  });
}

// --- waking descriptor waiters ---

// BM_WakePipeWaiters: 1,000 tasklets each wait on their own pipe; each
// iteration writes one byte to a random pipe and waits on a channel, so
// that the thread goes idle in epoll_wait, until that pipe's tasklet has
// read it and said so on the channel (a hand-off included in the figure).
void BM_WakePipeWaiters(benchmark::State& state) {
  constexpr int waiters = 1000;
  in_fresh_thread(state, bench_config(1), [&] {
    std::vector<int> fds(2 * waiters);
    for (int i = 0; i < waiters; ++i) {
      if (::pipe2(&fds[static_cast<std::size_t>(2 * i)], O_NONBLOCK) != 0) {
        throw error("pipe2 failed");
      }
    }
    bool stop = false;
    channel<int> ack;
    for (int i = 0; i < waiters; ++i) {
      const int fd = fds[static_cast<std::size_t>(2 * i)];
      tasklet{[&, fd] {
        char c;
        while (!stop && wait_readable(fd) && !stop) {
          while (::read(fd, &c, 1) == 1) ack.send(1);
        }
      }}();
    }
    while (run_count() > 1) schedule();  // all wait now
    std::mt19937 random(1);
    std::uniform_int_distribution<int> pick(0, waiters - 1);
    for (auto _ : state) {
      const int i = pick(random);
      const char c = 'x';
      (void)!::write(fds[static_cast<std::size_t>(2 * i + 1)], &c, 1);
      benchmark::DoNotOptimize(ack.receive());
    }
    stop = true;
    for (int i = 0; i < waiters; ++i) {
      slp::close(fds[static_cast<std::size_t>(2 * i)]);  // wakes its tasklet
    }
    run();
    for (int i = 0; i < waiters; ++i)
      ::close(fds[static_cast<std::size_t>(2 * i + 1)]);
  });
  count_per(state, "per_wake", 1);
}

// --- resident bytes per waiting tasklet ---

// in_child: `body` (returning bytes per tasklet, or < 0 on failure) in a
// forked child, so that no memory an earlier case freed is reused.
template <class Body>
double in_child(Body&& body) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  const pid_t pid = ::fork();
  if (pid == 0) {
    double result = -1;
    try {
      result = body();
    } catch (...) {
    }
    (void)!::write(fds[1], &result, sizeof result);
    ::_exit(0);
  }
  double result = -1;
  (void)!::read(fds[0], &result, sizeof result);
  ::waitpid(pid, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  return result;
}

// waiting_bytes: RSS delta per tasklet once `count` tasklets wait as
// `wait(i)` says; they are then woken (slp::close / their deadline) and end.
template <class Setup, class Wait, class Finish>
double waiting_bytes(std::size_t count, Setup&& setup, Wait&& wait,
                     Finish&& finish) {
  configure(config{});
  sleep_for(std::chrono::nanoseconds(1));  // the reactor exists
  tasklet{[] { sleep_for(std::chrono::nanoseconds(1)); }}();
  run();  // an execution stack touched
  setup();
  malloc_trim(0);
  const double before = resident_bytes();
  for (std::size_t i = 0; i < count; ++i) tasklet{[&wait, i] { wait(i); }}();
  while (run_count() > 1) schedule();
  const double per = (resident_bytes() - before) / static_cast<double>(count);
  finish();
  run();
  return per;
}

void BM_SleepersResidentBytes(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  if (!above_max_tasklets(count).empty()) {
    skip(state, above_max_tasklets(count));
    return;
  }
  double per = 0;
  for (auto _ : state) {
    per = in_child([count] {
      const auto base = clock_type::now() + std::chrono::seconds(5);
      return waiting_bytes(
          count, [] {},
          [base](std::size_t i) {
            sleep_until(base + std::chrono::microseconds(i % 100'000));
          },
          [] {});
    });
  }
  if (per < 0) state.SkipWithError("the child failed");
  state.counters["bytes_per_tasklet"] = per;
}

void BM_PipeWaitersResidentBytes(benchmark::State& state) {
  const auto count = static_cast<std::size_t>(state.range(0));
  double per = 0;
  for (auto _ : state) {
    per = in_child([count] {
      std::vector<int> fds(2 * count);
      return waiting_bytes(
          count,
          [&] {
            for (std::size_t i = 0; i < count; ++i) {
              if (::pipe2(&fds[2 * i], O_NONBLOCK) != 0) throw error("pipe2");
            }
          },
          [&](std::size_t i) { (void)wait_readable(fds[2 * i]); },
          [&] {
            for (std::size_t i = 0; i < count; ++i) {
              slp::close(fds[2 * i]);
              ::close(fds[2 * i + 1]);
            }
          });
    });
  }
  if (per < 0) state.SkipWithError("the child failed (descriptor limit?)");
  state.counters["bytes_per_tasklet"] = per;
}

BENCHMARK(BM_TimerHeapSetCancel)->ArgName("others")->Arg(0)->Arg(10000);
BENCHMARK(BM_MultimapSetCancel)->ArgName("others")->Arg(0)->Arg(10000);
BENCHMARK(BM_SchedulePingPongIo)
    ->ArgName("io")  // 0: never used, 1: reactor, nothing waits, 2: a sleeper
    ->Arg(0)
    ->Arg(1)
    ->Arg(2);
BENCHMARK(BM_SlpSleepForLateness)->Iterations(2000);
BENCHMARK(BM_ThreadSleepForLateness)->Iterations(2000);
BENCHMARK(BM_WakePipeWaiters);
BENCHMARK(BM_SleepersResidentBytes)->Arg(1'000'000)->Iterations(1);
BENCHMARK(BM_PipeWaitersResidentBytes)->Arg(9'000)->Iterations(1);

}  // namespace
}  // namespace slp::bench
