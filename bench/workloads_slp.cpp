// SPDX-License-Identifier: MIT
// The workloads written with slp as a user would write them: the public
// API only, the default configuration, tasklets left blocked when main
// returns (the thread's end kills them). One program per run, chosen on the
// command line (bench/workloads.hpp); bench/workloads.py runs it as a whole
// process and compares it with the same programs in Boost.Fiber
// (workloads_fiber.cpp) and Go (go/workloads.go).
#include <cstdint>
#include <vector>

#include "bench/workloads.hpp"
#include "slp/slp.hpp"

namespace {

namespace wl = slp::bench::workloads;
using u64 = std::uint64_t;

// thread_ring: 503 tasklets in a ring of channels; main hands the token
// (the passes left) to the first, each passes it on with one less, and the
// one that receives 0 sends its id to main.
u64 thread_ring(u64 passes) {
  std::vector<slp::channel<u64>> ring(wl::ring_size);
  slp::channel<u64> done;
  for (int i = 0; i < wl::ring_size; ++i) {
    slp::tasklet{[in = ring[static_cast<std::size_t>(i)],
                  out = ring[static_cast<std::size_t>((i + 1) % wl::ring_size)],
                  done, id = static_cast<u64>(i + 1)]() mutable {
      for (;;) {
        const u64 token = in.receive();
        if (token == 0) {
          done.send(id);
          return;
        }
        out.send(token - 1);
      }
    }}();
  }
  ring[0].send(passes);
  return done.receive();
}

// prime_sieve: a generator sends 2, 3, 4, ...; each prime main receives
// gets a filter tasklet that drops its multiples (examples/prime_sieve.cpp).
u64 prime_sieve(u64 count) {
  slp::channel<u64> numbers;
  slp::tasklet{[numbers]() mutable {
    for (u64 n = 2;; ++n) numbers.send(n);
  }}();
  slp::channel<u64> in = numbers;
  u64 prime = 0;
  for (u64 i = 0; i < count; ++i) {
    prime = in.receive();
    if (i + 1 == count) break;
    slp::channel<u64> out;
    slp::tasklet{[in, out, prime]() mutable {
      for (;;) {
        const u64 n = in.receive();
        if (n % prime != 0) out.send(n);
      }
    }}();
    in = out;
  }
  return prime;
}

// tree_node: a leaf sends its first value; an inner node starts one child
// per tenth of its leaves, adds what they send and sends the sum up.
void tree_node(u64 first, u64 leaves, slp::channel<u64> parent) {
  if (leaves == 1) {
    parent.send(first);
    return;
  }
  slp::channel<u64> children;
  const u64 share = leaves / wl::tree_fanout;
  for (u64 k = 0; k < wl::tree_fanout; ++k) {
    slp::tasklet{&tree_node}(first + k * share, share, children);
  }
  u64 sum = 0;
  for (u64 k = 0; k < wl::tree_fanout; ++k) sum += children.receive();
  parent.send(sum);
}

u64 tree(u64 leaves) {
  slp::channel<u64> root;
  slp::tasklet{&tree_node}(u64{0}, leaves, root);
  return root.receive();
}

// worker_pool: a feeder sends the job numbers on one channel that 100
// workers receive from; each sends its job's result on a second channel,
// which main drains and adds up. The workers are still waiting for jobs
// when main returns.
u64 worker_pool(u64 jobs) {
  slp::channel<u64> work;
  slp::channel<u64> results;
  for (int w = 0; w < wl::pool_workers; ++w) {
    slp::tasklet{[work, results]() mutable {
      for (;;) results.send(wl::pool_job(work.receive()));
    }}();
  }
  slp::tasklet{[work, jobs]() mutable {
    for (u64 i = 0; i < jobs; ++i) work.send(i);
  }}();
  u64 sum = 0;
  for (u64 i = 0; i < jobs; ++i) sum += results.receive();
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const wl::program p = wl::parse(argc, argv);
  const wl::stopwatch start;
  u64 answer = 0;
  if (p.name == "thread-ring") {
    answer = thread_ring(p.size);
  } else if (p.name == "prime-sieve") {
    answer = prime_sieve(p.size);
  } else if (p.name == "tree") {
    answer = tree(p.size);
  } else {
    answer = worker_pool(p.size);
  }
  return wl::report(p, answer, start);
}
