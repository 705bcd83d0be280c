// SPDX-License-Identifier: MIT
// Channels through the public API: ping-pong between two tasklets for each
// preference and with schedule_all, send_sequence throughput, and a
// ping-pong between two threads. Baselines in the same binary: Boost.Fiber
// unbuffered_channel and buffered_channel (ping-pong and streams), and a
// std::mutex + std::condition_variable hand-off between two threads.
//
// A ping-pong iteration is a round trip: two messages, one each way; the
// per_msg counter is its half. A stream iteration sends `elements` values
// one way; per_msg is one of them. The cross-thread cases use real time
// (both threads sleep in the kernel part of the time) and run with both
// threads on one CPU, on one CPU each, or unpinned (placement:0/1/2).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_support.hpp"
#include "core/channel_state.hpp"
#include "core/handle_access.hpp"
#include "slp/channel.hpp"
#include "slp/scheduler.hpp"
#include "slp/tasklet.hpp"

namespace slp::bench {
namespace {

constexpr int stop_value = -1;

// --- ping-pong between two tasklets ------------------------------------------

// channel_pingpong: a driver sends i on `ping` and receives it back on
// `pong` from an echo; main waits in slp::run(). Both channels get the same
// preference and schedule_all flag.
void channel_pingpong(benchmark::State& state, int preference,
                      bool schedule_all) {
  in_fresh_thread(state, bench_config(8), [&] {
    channel<int> ping;
    channel<int> pong;
    for (channel<int>* ch : {&ping, &pong}) {
      ch->set_preference(preference);
      ch->set_schedule_all(schedule_all);
    }
    bool wrong = false;
    tasklet echo([&] {
      for (int v = ping.receive(); v != stop_value; v = ping.receive()) {
        pong.send(v);
      }
    });
    tasklet driver([&] {
      int i = 0;
      ping.send(i);  // warm-up
      if (pong.receive() != i) wrong = true;
      start_with_clean_fp_state();
      for (auto _ : state) {
        ++i;
        ping.send(i);
        if (pong.receive() != i) wrong = true;
      }
      ping.send(stop_value);
    });
    echo();
    driver();
    run();
    if (wrong) state.SkipWithError("a value came back wrong");
  });
  count_per(state, "per_msg", 2);
}

// BM_SlpChannelPingPong: preference -1 (receiver first, the default), 0
// (neither: the partner goes to the tail) and +1 (sender first).
void BM_SlpChannelPingPong(benchmark::State& state) {
  channel_pingpong(state, static_cast<int>(state.range(0)), false);
}

// BM_SlpChannelPingPongBesideThreads: the same ping-pong, on channels of
// its own, in a process where two other threads have passed values through
// a channel they share (which then takes its lock) and still run. A channel
// takes a lock only once two threads use it: this should cost what
// BM_SlpChannelPingPong/preference:-1 costs.
void BM_SlpChannelPingPongBesideThreads(benchmark::State& state) {
  (void)run_count();  // main's scheduler exists: the threads' first sends
                      // block without a deadlock
  channel<int> shared;
  std::atomic<bool> done{false};
  std::thread sender([&] {
    for (int i = 0; i < 100; ++i) shared.send(i);
    while (!done.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  std::thread receiver([&] {
    for (int i = 0; i < 100; ++i) {
      if (shared.receive() != i) std::abort();
    }
    while (!done.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (shared.balance() != 0 ||
         !core::handle_access::state(shared)->lock.is_shared()) {
    std::this_thread::yield();
  }
  channel_pingpong(state, -1, false);
  done = true;
  sender.join();
  receiver.join();
}

// BM_SlpChannelPingPongScheduleAll: schedule_all: every hand-off puts both
// at the tail and runs the next runnable.
void BM_SlpChannelPingPongScheduleAll(benchmark::State& state) {
  channel_pingpong(state, 0, true);
}

// --- streams: send_sequence and a send() loop --------------------------------

// check_stream: every iteration sent the values 0 .. elements-1 and the
// consumer added v + 1 for each; any other sum means values were lost.
void check_stream(benchmark::State& state, std::uint64_t received,
                  std::size_t elements) {
  const std::uint64_t expected =
      static_cast<std::uint64_t>(state.iterations()) * elements *
      (elements + 1) / 2;
  if (received != expected) state.SkipWithError("values were lost");
}

// channel_stream: a producer sends `elements` values per iteration, with
// send_sequence or one send() each; a consumer receives and sums them.
void channel_stream(benchmark::State& state, bool sequence) {
  const auto elements = static_cast<std::size_t>(state.range(0));
  in_fresh_thread(state, bench_config(8), [&] {
    channel<int> ch;
    std::vector<int> data(elements);
    std::iota(data.begin(), data.end(), 0);
    std::uint64_t received = 0;
    tasklet consumer([&] {
      for (int v = ch.receive(); v != stop_value; v = ch.receive()) {
        received += static_cast<std::uint64_t>(v) + 1;
      }
    });
    tasklet producer([&] {
      start_with_clean_fp_state();
      for (auto _ : state) {
        if (sequence) {
          ch.send_sequence(data);
        } else {
          for (int v : data) ch.send(v);
        }
      }
      ch.send(stop_value);
    });
    consumer();
    producer();
    run();
    check_stream(state, received, elements);
  });
  count_per(state, "per_msg", static_cast<double>(elements));
}

// BM_SlpChannelSendSequence: send_sequence of a std::vector<int>.
void BM_SlpChannelSendSequence(benchmark::State& state) {
  channel_stream(state, true);
}

// BM_SlpChannelSendLoop: the same values, one send() each.
void BM_SlpChannelSendLoop(benchmark::State& state) {
  channel_stream(state, false);
}

// --- between two threads -----------------------------------------------------

// start_line: a two-thread start line. Each thread creates its scheduler
// first, so that neither sees itself as the only thread alive and calls a
// block a deadlock.
struct start_line {
  std::atomic<int> arrived{0};
  void arrive_and_wait() {
    arrived.fetch_add(1, std::memory_order_acq_rel);
    while (arrived.load(std::memory_order_acquire) < 2)
      std::this_thread::yield();
  }
};

// BM_SlpThreadPingPong: the main tasklets of two threads ping-pong through
// two channels: every message wakes the other thread (API.md §8).
void BM_SlpThreadPingPong(benchmark::State& state) {
  const auto where = static_cast<placement>(state.range(0));
  const cpu_plan plan = plan_cpus(where);
  if (!plan.problem.empty()) {
    skip(state, plan.problem);
    return;
  }
  state.SetLabel(placement_name(where));
  channel<int> ping;
  channel<int> pong;
  start_line line;
  std::string failure;
  std::mutex failure_mutex;
  auto fail = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(failure_mutex);
    if (failure.empty()) failure = what;
  };
  std::thread echo([&] {
    try {
      if (!pin_this_thread(plan.second)) fail("cannot pin the echo thread");
      (void)run_count();  // this thread's scheduler exists from here on
      line.arrive_and_wait();
      for (int v = ping.receive(); v != stop_value; v = ping.receive()) {
        pong.send(v);
      }
    } catch (const std::exception& e) {
      fail(std::string("echo thread: ") + e.what());
    }
  });
  std::thread driver([&] {
    try {
      if (!pin_this_thread(plan.first)) fail("cannot pin the driving thread");
      (void)run_count();
      line.arrive_and_wait();
      start_with_clean_fp_state();
      int i = 0;
      ping.send(i);  // warm-up
      if (pong.receive() != i) fail("a value came back wrong");
      for (auto _ : state) {
        ++i;
        ping.send(i);
        if (pong.receive() != i) fail("a value came back wrong");
      }
      ping.send(stop_value);
    } catch (const std::exception& e) {
      fail(std::string("driving thread: ") + e.what());
    }
  });
  driver.join();
  echo.join();
  if (!failure.empty() && !state.error_occurred()) {
    state.SkipWithError(failure.c_str());
  }
  count_per(state, "per_msg", 2);
}

// BM_MutexCondvarPingPong: the baseline: two threads hand a value back and
// forth under one std::mutex, each waiting on its own
// std::condition_variable, notified after the unlock.
void BM_MutexCondvarPingPong(benchmark::State& state) {
  const auto where = static_cast<placement>(state.range(0));
  const cpu_plan plan = plan_cpus(where);
  if (!plan.problem.empty()) {
    skip(state, plan.problem);
    return;
  }
  state.SetLabel(placement_name(where));
  std::mutex mutex;
  std::condition_variable to_echo;
  std::condition_variable to_driver;
  int value = 0;
  bool echo_turn = false;  // under mutex
  bool pinned = true;
  bool wrong = false;
  std::thread echo([&] {
    if (!pin_this_thread(plan.second)) pinned = false;
    for (;;) {
      std::unique_lock<std::mutex> lock(mutex);
      to_echo.wait(lock, [&] { return echo_turn; });
      echo_turn = false;
      if (value == stop_value) return;
      lock.unlock();
      to_driver.notify_one();
    }
  });
  std::thread driver([&] {
    if (!pin_this_thread(plan.first)) pinned = false;
    start_with_clean_fp_state();
    int i = 0;
    auto round_trip = [&] {
      {
        std::lock_guard<std::mutex> lock(mutex);
        value = i;
        echo_turn = true;
      }
      to_echo.notify_one();
      std::unique_lock<std::mutex> lock(mutex);
      to_driver.wait(lock, [&] { return !echo_turn; });
      if (value != i) wrong = true;
    };
    round_trip();  // warm-up
    for (auto _ : state) {
      ++i;
      round_trip();
    }
    {
      std::lock_guard<std::mutex> lock(mutex);
      value = stop_value;
      echo_turn = true;
    }
    to_echo.notify_one();
  });
  driver.join();
  echo.join();
  if (!pinned) {
    state.SkipWithError("cannot pin the threads");
  } else if (wrong) {
    state.SkipWithError("a value came back wrong");
  }
  count_per(state, "per_msg", 2);
}

// --- Boost.Fiber baselines ---------------------------------------------------

#if SLP_BENCH_BOOST_FIBER
namespace fibers = boost::fibers;

// fiber_pingpong: the thread's fiber sends i on `ping` and receives it back
// on `pong` from an echo fiber (default round_robin scheduler).
template <class Channel, class... Capacity>
void fiber_pingpong(benchmark::State& state, Capacity... capacity) {
  in_fiber_thread([&] {
    Channel ping(capacity...);
    Channel pong(capacity...);
    bool wrong = false;
    fibers::fiber echo([&] {
      int v = 0;
      while (ping.pop(v) == fibers::channel_op_status::success) pong.push(v);
    });
    int i = 0;
    int v = -1;
    ping.push(i);  // warm-up
    pong.pop(v);
    for (auto _ : state) {
      ++i;
      ping.push(i);
      pong.pop(v);
      if (v != i) wrong = true;
    }
    ping.close();
    echo.join();
    if (wrong) state.SkipWithError("a value came back wrong");
  });
  count_per(state, "per_msg", 2);
}

// BM_FiberUnbufferedPingPong: boost::fibers::unbuffered_channel<int>.
void BM_FiberUnbufferedPingPong(benchmark::State& state) {
  fiber_pingpong<fibers::unbuffered_channel<int>>(state);
}

// BM_FiberBufferedPingPong: boost::fibers::buffered_channel<int> of
// capacity 2 (the smallest it accepts).
void BM_FiberBufferedPingPong(benchmark::State& state) {
  fiber_pingpong<fibers::buffered_channel<int>>(state, std::size_t{2});
}

// fiber_stream: a producer fiber pushes `elements` values per iteration; a
// consumer fiber pops and sums them.
template <class Channel, class... Capacity>
void fiber_stream(benchmark::State& state, Capacity... capacity) {
  const auto elements = static_cast<std::size_t>(state.range(0));
  in_fiber_thread([&] {
    Channel ch(capacity...);
    std::uint64_t received = 0;
    fibers::fiber consumer([&] {
      int v = 0;
      while (ch.pop(v) == fibers::channel_op_status::success) {
        received += static_cast<std::uint64_t>(v) + 1;
      }
    });
    std::vector<int> data(elements);
    std::iota(data.begin(), data.end(), 0);
    for (auto _ : state) {
      for (int v : data) ch.push(v);
    }
    ch.close();
    consumer.join();
    check_stream(state, received, elements);
  });
  count_per(state, "per_msg", static_cast<double>(elements));
}

// BM_FiberUnbufferedStream: the send loop through unbuffered_channel<int>.
void BM_FiberUnbufferedStream(benchmark::State& state) {
  fiber_stream<fibers::unbuffered_channel<int>>(state);
}

// BM_FiberBufferedStream: the same through buffered_channel<int> of 64,
// which lets the producer run ahead: fewer switches per value.
void BM_FiberBufferedStream(benchmark::State& state) {
  fiber_stream<fibers::buffered_channel<int>>(state, std::size_t{64});
}
#else
void BM_FiberUnbufferedPingPong(benchmark::State& state) {
  skip(state, boost_fiber_missing);
}
void BM_FiberBufferedPingPong(benchmark::State& state) {
  skip(state, boost_fiber_missing);
}
void BM_FiberUnbufferedStream(benchmark::State& state) {
  skip(state, boost_fiber_missing);
}
void BM_FiberBufferedStream(benchmark::State& state) {
  skip(state, boost_fiber_missing);
}
#endif  // SLP_BENCH_BOOST_FIBER

// BM_FiberYield: two fibers alternating through this_fiber::yield(): the
// switch under Boost.Fiber's channels (per_switch).
void BM_FiberYield(benchmark::State& state) { fiber_yield_pingpong(state); }

// --- registration ------------------------------------------------------------

constexpr int stream_elements = 1024;

BENCHMARK(BM_SlpChannelPingPong)
    ->ArgNames({"preference"})
    ->Arg(-1)
    ->Arg(0)
    ->Arg(1);
BENCHMARK(BM_SlpChannelPingPongBesideThreads);
BENCHMARK(BM_SlpChannelPingPongScheduleAll);
BENCHMARK(BM_FiberUnbufferedPingPong);
BENCHMARK(BM_FiberBufferedPingPong);
BENCHMARK(BM_FiberYield);
BENCHMARK(BM_SlpChannelSendSequence)
    ->ArgNames({"elements"})
    ->Arg(stream_elements);
BENCHMARK(BM_SlpChannelSendLoop)->ArgNames({"elements"})->Arg(stream_elements);
BENCHMARK(BM_FiberUnbufferedStream)
    ->ArgNames({"elements"})
    ->Arg(stream_elements);
BENCHMARK(BM_FiberBufferedStream)->ArgNames({"elements"})->Arg(stream_elements);
BENCHMARK(BM_SlpThreadPingPong)
    ->ArgNames({"placement"})
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();
BENCHMARK(BM_MutexCondvarPingPong)
    ->ArgNames({"placement"})
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime();

}  // namespace
}  // namespace slp::bench
