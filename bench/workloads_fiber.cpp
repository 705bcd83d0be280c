// SPDX-License-Identifier: MIT
// The workloads written with Boost.Fiber, the baseline of workloads_slp.cpp:
// the same programs, each fiber on a 16 KiB boost::fibers::fixedsize_stack,
// every hand-off through a boost::fibers::unbuffered_channel, the default
// round_robin scheduler on the main thread. Boost.Fiber's scheduler waits
// at the thread's end for every fiber to finish, so where the slp program
// leaves tasklets blocked, this one closes their channels once the answer
// is in (after the clock has stopped: it counts in the time to exit).
#include <boost/fiber/all.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench/workloads.hpp"

namespace {

namespace wl = slp::bench::workloads;
namespace fibers = boost::fibers;
using u64 = std::uint64_t;
using channel = fibers::unbuffered_channel<u64>;
using channel_ptr = std::shared_ptr<channel>;
constexpr auto ok = fibers::channel_op_status::success;

// start: a detached fiber on a 16 KiB stack.
template <class F>
void start(F&& body) {
  fibers::fiber(std::allocator_arg, fibers::fixedsize_stack(16 * 1024),
                std::forward<F>(body))
      .detach();
}

// thread_ring: 503 fibers in a ring of channels (workloads_slp.cpp).
u64 thread_ring(u64 passes, std::vector<channel_ptr>& to_close) {
  std::vector<channel_ptr> ring;
  for (int i = 0; i < wl::ring_size; ++i)
    ring.push_back(std::make_shared<channel>());
  auto done = std::make_shared<channel>();
  for (int i = 0; i < wl::ring_size; ++i) {
    start([in = ring[static_cast<std::size_t>(i)],
           out = ring[static_cast<std::size_t>((i + 1) % wl::ring_size)], done,
           id = static_cast<u64>(i + 1)] {
      u64 token = 0;
      while (in->pop(token) == ok) {
        if (token == 0) {
          done->push(id);
          return;
        }
        if (out->push(token - 1) != ok) return;
      }
    });
  }
  ring[0]->push(passes);
  u64 winner = 0;
  done->pop(winner);
  to_close = ring;
  return winner;
}

// prime_sieve: generator and one filter fiber per prime. Closing the last
// channel ends them all: a filter whose push or pop fails closes both its
// channels, so the end travels up and down the chain.
u64 prime_sieve(u64 count, std::vector<channel_ptr>& to_close) {
  auto numbers = std::make_shared<channel>();
  start([numbers] {
    for (u64 n = 2; numbers->push(n) == ok; ++n) {
    }
  });
  channel_ptr in = numbers;
  u64 prime = 0;
  for (u64 i = 0; i < count; ++i) {
    in->pop(prime);
    if (i + 1 == count) break;
    auto out = std::make_shared<channel>();
    start([in, out, prime] {
      u64 n = 0;
      while (in->pop(n) == ok) {
        if (n % prime != 0 && out->push(n) != ok) break;
      }
      in->close();
      out->close();
    });
    in = out;
  }
  to_close.push_back(in);
  return prime;
}

// tree_node: as in workloads_slp.cpp; every fiber ends once its sum is
// taken, so nothing needs closing.
void tree_node(u64 first, u64 leaves, const channel_ptr& parent) {
  if (leaves == 1) {
    parent->push(first);
    return;
  }
  auto children = std::make_shared<channel>();
  const u64 share = leaves / wl::tree_fanout;
  for (u64 k = 0; k < wl::tree_fanout; ++k) {
    start([first = first + k * share, share, children] {
      tree_node(first, share, children);
    });
  }
  u64 sum = 0;
  for (u64 k = 0; k < wl::tree_fanout; ++k) {
    u64 v = 0;
    children->pop(v);
    sum += v;
  }
  parent->push(sum);
}

u64 tree(u64 leaves) {
  auto root = std::make_shared<channel>();
  start([leaves, root] { tree_node(0, leaves, root); });
  u64 sum = 0;
  root->pop(sum);
  return sum;
}

// worker_pool: 100 workers on one job channel, results on another.
u64 worker_pool(u64 jobs, std::vector<channel_ptr>& to_close) {
  auto work = std::make_shared<channel>();
  auto results = std::make_shared<channel>();
  for (int w = 0; w < wl::pool_workers; ++w) {
    start([work, results] {
      u64 job = 0;
      while (work->pop(job) == ok) {
        if (results->push(wl::pool_job(job)) != ok) return;
      }
    });
  }
  start([work, jobs] {
    for (u64 i = 0; i < jobs; ++i) work->push(i);
  });
  u64 sum = 0;
  for (u64 i = 0; i < jobs; ++i) {
    u64 v = 0;
    results->pop(v);
    sum += v;
  }
  to_close.push_back(work);
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const wl::program p = wl::parse(argc, argv);
  std::vector<channel_ptr> to_close;
  const wl::stopwatch start_time;
  u64 answer = 0;
  if (p.name == "thread-ring") {
    answer = thread_ring(p.size, to_close);
  } else if (p.name == "prime-sieve") {
    answer = prime_sieve(p.size, to_close);
  } else if (p.name == "tree") {
    answer = tree(p.size);
  } else {
    answer = worker_pool(p.size, to_close);
  }
  const int status = wl::report(p, answer, start_time);
  for (const channel_ptr& ch : to_close) ch->close();
  return status;
}
