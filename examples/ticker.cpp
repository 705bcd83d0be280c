// SPDX-License-Identifier: MIT
// Periodic work with slp::sleep_until: two tickers share one thread, each
// keeping its own period without drift (the next deadline is the last one
// plus the period, not "now" plus the period), while a third tasklet does
// slow work in steps and lets them run between steps.
//
//   $ ./ticker
//   fast tick 1 ... slow tick 1 ... fast tick 5
//   fast: 5 ticks, slow: 2 ticks, work: 10 steps, none early
#include <chrono>
#include <cstdio>
#include <slp/slp.hpp>
#include <thread>

int main() {
  using namespace std::chrono_literals;
  using clock = std::chrono::steady_clock;
  const clock::time_point start = clock::now();
  bool early = false;

  // ticker: runs `ticks` times, every `period`, on exact deadlines.
  auto ticker = [&](const char* name, std::chrono::milliseconds period,
                    int ticks) {
    clock::time_point next = start;
    for (int i = 1; i <= ticks; ++i) {
      next += period;
      slp::sleep_until(next);
      if (clock::now() < next) early = true;  // never: a wake-up is never early
      std::printf("%s tick %d\n", name, i);
    }
  };
  int fast_ticks = 5;
  int slow_ticks = 2;
  slp::tasklet{ticker}("fast", 20ms, fast_ticks);
  slp::tasklet{ticker}("slow", 45ms, slow_ticks);

  // Slow work in steps: each step blocks the thread briefly (a stand-in for
  // computation), then lets the tickers run if they are due.
  int steps = 0;
  slp::tasklet{[&steps] {
    for (; steps < 10; ++steps) {
      std::this_thread::sleep_for(2ms);
      slp::schedule();
    }
  }}();

  slp::run();  // returns once nothing runs and nothing sleeps
  std::printf("fast: %d ticks, slow: %d ticks, work: %d steps, %s\n",
              fast_ticks, slow_ticks, steps, early ? "EARLY" : "none early");
  return early ? 1 : 0;
}
