// SPDX-License-Identifier: MIT
// What the C++ workload programs (workloads_slp.cpp, workloads_fiber.cpp)
// share: the command line (`PROGRAM SIZE`), each program's right answer
// computed without any tasklet, the clocks, and the one line the driver
// (bench/workloads.py) reads: the answer, the wall time to it and the
// process's CPU time to it (the figure that another process sharing the
// CPU does not stretch). The Go programs in bench/go/ follow the same
// protocol.
//
//   $ workloads_slp thread-ring 1000
//   answer=498 result_ns=81234 result_cpu_ns=80112
//
// A wrong answer is printed on stderr and the program exits with status 1;
// a bad command line exits with status 2.
#ifndef SLP_BENCH_WORKLOADS_HPP
#define SLP_BENCH_WORKLOADS_HPP

#include <time.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace slp::bench::workloads {

// ring_size: the tasklets of thread-ring (the Computer Language Benchmarks
// Game's figure).
inline constexpr int ring_size = 503;
// tree_fanout: children per inner node of the fan-out/fan-in tree.
inline constexpr std::uint64_t tree_fanout = 10;
// pool_workers: the workers of the worker pool.
inline constexpr int pool_workers = 100;

// thread_ring_answer: the id (1-based) of the tasklet that holds the token
// after `passes` passes, starting at tasklet 1.
inline std::uint64_t thread_ring_answer(std::uint64_t passes) {
  return passes % ring_size + 1;
}

// nth_prime: the `n`th prime (n >= 1) by a sieve of Eratosthenes over a
// bound that doubles until it holds n primes; the 5,000th is 48611.
inline std::uint64_t nth_prime(std::uint64_t n) {
  for (std::uint64_t bound = 64;; bound *= 2) {
    std::vector<bool> composite(bound, false);
    std::uint64_t found = 0;
    for (std::uint64_t i = 2; i < bound; ++i) {
      if (composite[i]) continue;
      if (++found == n) return i;
      for (std::uint64_t j = i * i; j < bound; j += i) composite[j] = true;
    }
  }
}

// tree_answer: the sum of the leaves' values 0 .. leaves-1.
inline std::uint64_t tree_answer(std::uint64_t leaves) {
  return leaves * (leaves - 1) / 2;
}

// is_tree_size: whether `leaves` is a power of the fan-out (1, 10, 100, ...).
inline bool is_tree_size(std::uint64_t leaves) {
  if (leaves == 0) return false;
  while (leaves % tree_fanout == 0) leaves /= tree_fanout;
  return leaves == 1;
}

// pool_job: the work of one job of the worker pool: eight rounds of the
// splitmix64 finaliser over its number, a few dozen nanoseconds of
// arithmetic that no compiler folds away.
inline std::uint64_t pool_job(std::uint64_t x) {
  for (int round = 0; round < 8; ++round) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
  }
  return x;
}

// pool_answer: the sum (mod 2^64) of every job's result, jobs 0 .. jobs-1.
inline std::uint64_t pool_answer(std::uint64_t jobs) {
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < jobs; ++i) sum += pool_job(i);
  return sum;
}

// program: which workload a process runs, and its size.
struct program {
  std::string name;    // thread-ring, prime-sieve, tree, worker-pool
  std::uint64_t size;  // passes, primes, leaves, jobs
};

// parse: `PROGRAM SIZE` from argv; exits with status 2 on anything else.
inline program parse(int argc, char** argv) {
  static constexpr const char* usage =
      "usage: %s thread-ring PASSES | prime-sieve PRIMES | tree LEAVES"
      " (a power of 10) | worker-pool JOBS\n";
  if (argc != 3) {
    std::fprintf(stderr, usage, argv[0]);
    std::exit(2);
  }
  char* end = nullptr;
  const unsigned long long size = std::strtoull(argv[2], &end, 10);
  program p{argv[1], static_cast<std::uint64_t>(size)};
  const bool known = p.name == "thread-ring" || p.name == "prime-sieve" ||
                     p.name == "tree" || p.name == "worker-pool";
  if (!known || *argv[2] == '\0' || *end != '\0' || size == 0 ||
      (p.name == "tree" && !is_tree_size(p.size)) ||
      (p.name == "prime-sieve" && p.size > 100000)) {
    std::fprintf(stderr, usage, argv[0]);
    std::exit(2);
  }
  return p;
}

// expected: the right answer of `p`.
inline std::uint64_t expected(const program& p) {
  if (p.name == "thread-ring") return thread_ring_answer(p.size);
  if (p.name == "prime-sieve") return nth_prime(p.size);
  if (p.name == "tree") return tree_answer(p.size);
  return pool_answer(p.size);
}

// process_cpu_ns: the CPU time of the whole process so far, every thread.
inline long long process_cpu_ns() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

// stopwatch: both clocks, started at construction.
struct stopwatch {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  long long cpu_ns = process_cpu_ns();
};

// report: prints the driver's line, or the mismatch on stderr; the status
// main returns with. Called once the answer is in, before main returns.
inline int report(const program& p, std::uint64_t answer,
                  const stopwatch& since) {
  const long long cpu = process_cpu_ns() - since.cpu_ns;
  const auto elapsed = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now() - since.wall)
                           .count();
  const std::uint64_t want = expected(p);
  if (answer != want) {
    std::fprintf(stderr, "%s %llu: wrong answer %llu, expected %llu\n",
                 p.name.c_str(), static_cast<unsigned long long>(p.size),
                 static_cast<unsigned long long>(answer),
                 static_cast<unsigned long long>(want));
    return 1;
  }
  std::printf("answer=%llu result_ns=%lld result_cpu_ns=%lld\n",
              static_cast<unsigned long long>(answer),
              static_cast<long long>(elapsed), cpu);
  std::fflush(stdout);
  return 0;
}

}  // namespace slp::bench::workloads

#endif  // SLP_BENCH_WORKLOADS_HPP
