// SPDX-License-Identifier: MIT
// slp_scale: parks N tasklets, each with a small live stack slice, wakes
// them all in turn (round robin), then kills them all, and reports the
// resident bytes per parked tasklet and the switches per second. Not a
// timed test: a program to run by hand at 10,000,000 tasklets; CI runs it
// at 100,000 to check that it works and that nothing is lost.
//
//   slp_scale [tasklets=10000000] [live_bytes=64] [rounds=2]
#include <alloca.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <slp/slp.hpp>
#include <string>
#include <vector>

namespace {

std::size_t resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long pages = 0, resident = 0;
  const int n = std::fscanf(f, "%lu %lu", &pages, &resident);
  std::fclose(f);
  return n == 2 ? resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE))
                : 0;
}

long woken = 0;
long unwound = 0;

struct counts_unwinding {
  ~counts_unwinding() { ++unwound; }
};

// body: keeps `live` bytes on its stack while parked, `rounds` times.
void body(std::size_t live, int rounds) {
  counts_unwinding guard;
  auto* slice = static_cast<volatile char*>(alloca(live + 1));
  for (std::size_t i = 0; i < live; i += 64) slice[i] = 1;
  for (int r = 0; r < rounds; ++r) {
    slp::schedule_remove();  // parked until main inserts it again
    ++woken;
  }
  slp::schedule_remove();  // parked for good: killed at the end
}

}  // namespace

int main(int argc, char** argv) {
  const long count = argc > 1 ? std::atol(argv[1]) : 10000000;
  const std::size_t live = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 64;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 2;
  if (count <= 0 || live > 4096 || rounds < 0) {
    std::fprintf(
        stderr,
        "usage: slp_scale [tasklets>0] [live_bytes<=4096] [rounds>=0]\n");
    return 2;
  }
  using clock = std::chrono::steady_clock;
  const std::size_t rss_before = resident_bytes();
  std::vector<slp::tasklet> parked;
  parked.reserve(static_cast<std::size_t>(count));
  const auto t0 = clock::now();
  for (long i = 0; i < count; ++i) {
    parked.emplace_back([live, rounds] { body(live, rounds); });
    parked.back()();
    parked.back().run();  // runs until it parks
  }
  const auto t1 = clock::now();
  const std::size_t rss_parked = resident_bytes();
  std::size_t slices = 0;
  for (const slp::tasklet& t : parked) slices += t.stack_bytes();
  for (int r = 0; r < rounds; ++r) {
    for (slp::tasklet& t : parked) t.insert();
    slp::run();  // each runs once and parks again
  }
  const auto t2 = clock::now();
  for (slp::tasklet& t : parked) t.kill();
  const auto t3 = clock::now();
  parked.clear();

  const double per_tasklet =
      static_cast<double>(rss_parked - rss_before) / static_cast<double>(count);
  const double rr_seconds = std::chrono::duration<double>(t2 - t1).count();
  const double switches = 2.0 * static_cast<double>(count) * rounds;
  std::printf("tasklets %ld, live bytes %zu, rounds %d\n", count, live, rounds);
  std::printf(
      "parked: %.0f resident bytes per tasklet (slice %.0f B on the heap), "
      "%.1f s to create\n",
      per_tasklet, static_cast<double>(slices) / static_cast<double>(count),
      std::chrono::duration<double>(t1 - t0).count());
  std::printf("round robin: %.2f M switches per second\n",
              rr_seconds > 0 ? switches / rr_seconds / 1e6 : 0.0);
  std::printf("kill all: %.1f s\n",
              std::chrono::duration<double>(t3 - t2).count());
  const bool ok =
      woken == static_cast<long>(count) * rounds && unwound == count;
  std::printf("woken %ld of %ld, unwound %ld of %ld: %s\n", woken,
              static_cast<long>(count) * rounds, unwound, count,
              ok ? "ok" : "LOST");
  return ok ? 0 : 1;
}
