// SPDX-License-Identifier: MIT
// The echo benchmark's load generator (bench/echo/compare.sh): `c`
// connections to 127.0.0.1:PORT, each sending a 64-byte message and waiting
// for its echo before the next (one request in flight per connection), for
// a bounded time and a bounded count, from one thread with its own epoll
// loop. Prints requests per second and the p50 / p99 round-trip latency.
//
//   $ echo_load PORT CONNECTIONS SECONDS
//   connections=100 requests=812345 rps=406172 p50_us=240.1 p99_us=410.7
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t message = 64;
constexpr long max_requests = 50'000'000;  // a bound besides the time

struct connection {
  int fd = -1;
  std::size_t sent = 0;
  std::size_t received = 0;
  clock_type::time_point began;
};

int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) ==
        0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      ::fcntl(fd, F_SETFL, O_NONBLOCK);
      return fd;
    }
    if (errno != ECONNREFUSED && errno != EAGAIN) break;
    ::usleep(10'000);
  }
  ::close(fd);
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: echo_load PORT CONNECTIONS SECONDS\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const int count = std::atoi(argv[2]);
  const double seconds = std::atof(argv[3]);
  std::vector<connection> conns(static_cast<std::size_t>(count));
  const int ep = ::epoll_create1(0);
  char payload[message];
  std::memset(payload, 'm', sizeof payload);
  for (std::size_t i = 0; i < conns.size(); ++i) {
    conns[i].fd = connect_to(port);
    if (conns[i].fd < 0) {
      std::fprintf(stderr, "echo_load: connect %zu: %s\n", i,
                   std::strerror(errno));
      return 1;
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep, EPOLL_CTL_ADD, conns[i].fd, &ev);
  }
  std::vector<double> latencies;
  latencies.reserve(1 << 20);
  long requests = 0;
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration_cast<clock_type::duration>(
                               std::chrono::duration<double>(seconds));
  for (connection& c : conns) {  // the first request of each
    c.began = clock_type::now();
    if (::send(c.fd, payload, message, MSG_NOSIGNAL) !=
        static_cast<ssize_t>(message))
      return 1;
  }
  epoll_event events[256];
  bool running = true;
  while (running) {
    const int n = ::epoll_wait(ep, events, 256, 100);
    const auto now = clock_type::now();
    if (now >= end || requests >= max_requests) running = false;
    for (int e = 0; e < n; ++e) {
      connection& c = conns[events[e].data.u64];
      char buf[4096];
      const ssize_t got = ::recv(c.fd, buf, sizeof buf, 0);
      if (got <= 0) {
        if (got < 0 && errno == EAGAIN) continue;
        std::fprintf(stderr, "echo_load: the server closed a connection\n");
        return 1;
      }
      c.received += static_cast<std::size_t>(got);
      if (c.received < message) continue;
      c.received -= message;
      ++requests;
      const auto t = clock_type::now();
      latencies.push_back(
          std::chrono::duration<double, std::micro>(t - c.began).count());
      if (!running) continue;
      c.began = t;
      if (::send(c.fd, payload, message, MSG_NOSIGNAL) !=
          static_cast<ssize_t>(message))
        return 1;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  const auto at = [&](double q) {
    return latencies.empty()
               ? 0.0
               : latencies[static_cast<std::size_t>(
                     q * static_cast<double>(latencies.size() - 1))];
  };
  std::printf("connections=%d requests=%ld rps=%.0f p50_us=%.1f p99_us=%.1f\n",
              count, requests, static_cast<double>(requests) / elapsed,
              at(0.50), at(0.99));
  for (connection& c : conns) ::close(c.fd);
  ::close(ep);
  return 0;
}
