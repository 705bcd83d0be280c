// SPDX-License-Identifier: MIT
// A TCP echo server: one tasklet per connection on non-blocking sockets,
// slp::wait_readable / slp::wait_writable instead of blocking calls, an
// idle timeout per connection (the wait's timeout), and a clean shutdown
// on SIGINT or SIGTERM through a self-pipe: the signal handler only writes
// a byte; a tasklet waiting on the pipe then closes the listening socket
// and every connection with slp::close, which wakes their tasklets, and
// slp::run() returns once nothing waits any more.
//
//   $ ./echo_server 7007 &            # port (0: any), idle seconds
//   $ printf 'hello\n' | nc -q1 127.0.0.1 7007
//   hello
//   $ kill -INT %1
//
//   $ ./echo_server --self-test       # serves 20 clients of its own, then
//   self-test: 20 clients, 2000 echoes, all equal; shut down cleanly
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <slp/slp.hpp>
#include <string>

namespace {

int self_pipe[2] = {-1, -1};

extern "C" void on_signal(int) {
  const int saved = errno;
  const char byte = 's';
  (void)!::write(self_pipe[1], &byte, 1);  // async-signal-safe
  errno = saved;
}

// write_all: writes `n` bytes of `data`, waiting while the socket is full;
// false once the peer is gone.
bool write_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, data, n, MSG_NOSIGNAL);
    if (w > 0) {
      data += w;
      n -= static_cast<std::size_t>(w);
    } else if (w < 0 && errno == EAGAIN) {
      slp::wait_writable(fd);
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

struct server {
  int listener = -1;
  std::chrono::seconds idle{30};
  std::set<int> connections;
  bool stopping = false;

  // serve: one connection, until the peer closes, the idle timeout, or
  // shutdown (its descriptor closed under it: the read fails with EBADF).
  void serve(int fd) {
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (!write_all(fd, buf, static_cast<std::size_t>(n))) break;
      } else if (n < 0 && errno == EAGAIN) {
        if (!slp::wait_readable(fd, idle)) break;  // idle too long
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else {
        break;  // closed by the peer, or by the shutdown
      }
    }
    if (connections.erase(fd) != 0) slp::close(fd);
  }

  void accept_loop() {
    for (;;) {
      const int fd =
          ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        connections.insert(fd);
        slp::tasklet{[this](int c) { serve(c); }}(fd);
      } else if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED) {
        if (stopping) return;
        slp::wait_readable(listener);
      } else {
        return;  // EBADF: closed by the shutdown
      }
    }
  }

  // watch_signals: the shutdown, once a signal has written the self-pipe.
  void watch_signals() {
    slp::wait_readable(self_pipe[0]);
    shutdown();
  }

  void shutdown() {
    if (stopping) return;
    stopping = true;
    slp::close(listener);  // the accept loop wakes and ends
    std::set<int> open;
    open.swap(connections);
    for (int fd : open) slp::close(fd);  // each connection wakes and ends
    slp::close(self_pipe[0]);
  }
};

int listen_on(int port) {
  const int fd =
      ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd, 1024) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int port_of(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// self_test: clients in tasklets of the same thread, each sending 100
// lines and checking their echo, then a SIGINT to the process itself.
int self_test(server& s) {
  constexpr int clients = 20;
  constexpr int rounds = 100;
  const int port = port_of(s.listener);
  int echoes = 0;
  int mismatches = 0;
  int finished = 0;
  for (int c = 0; c < clients; ++c) {
    slp::tasklet{[&, c] {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
      sockaddr_in address{};
      address.sin_family = AF_INET;
      address.sin_port = htons(static_cast<std::uint16_t>(port));
      address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&address),
                    sizeof address) != 0) {
        slp::wait_writable(fd);  // EINPROGRESS: connected once writable
      }
      for (int r = 0; r < rounds; ++r) {
        const std::string line =
            "client " + std::to_string(c) + " line " + std::to_string(r) + "\n";
        write_all(fd, line.data(), line.size());
        std::string got;
        while (got.size() < line.size()) {
          char buf[256];
          const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
          if (n > 0) {
            got.append(buf, static_cast<std::size_t>(n));
          } else if (n < 0 && errno == EAGAIN) {
            slp::wait_readable(fd);
          } else {
            break;
          }
        }
        if (got == line)
          ++echoes;
        else
          ++mismatches;
      }
      slp::close(fd);
      if (++finished == clients) ::raise(SIGINT);  // the last one stops it
    }}();
  }
  slp::run();
  const bool clean = s.connections.empty() && s.stopping;
  std::printf("self-test: %d clients, %d echoes, %s; %s\n", clients, echoes,
              mismatches == 0 ? "all equal" : "MISMATCHES",
              clean ? "shut down cleanly" : "NOT SHUT DOWN");
  return mismatches == 0 && clean && echoes == clients * rounds ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const bool testing = argc > 1 && std::strcmp(argv[1], "--self-test") == 0;
  const int port = testing ? 0 : (argc > 1 ? std::atoi(argv[1]) : 7007);
  server s;
  if (!testing && argc > 2) s.idle = std::chrono::seconds(std::atoi(argv[2]));
  s.listener = listen_on(port);
  if (s.listener < 0) {
    std::fprintf(stderr, "echo_server: cannot listen on 127.0.0.1:%d: %s\n",
                 port, std::strerror(errno));
    return 1;
  }
  if (::pipe2(self_pipe, O_NONBLOCK | O_CLOEXEC) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  slp::tasklet{[&s] { s.accept_loop(); }}();
  slp::tasklet{[&s] { s.watch_signals(); }}();
  if (testing) return self_test(s);
  std::printf("echo_server: listening on 127.0.0.1:%d\n", port_of(s.listener));
  std::fflush(stdout);
  slp::run();  // until SIGINT / SIGTERM
  std::printf("echo_server: shut down\n");
  ::close(self_pipe[1]);
  return 0;
}
