// SPDX-License-Identifier: MIT
// slp — time and I/O (API.md §10): a tasklet waits for a moment in time or
// for a file descriptor without blocking its thread. The thread's other
// tasklets run meanwhile; when none can, the thread sleeps in the kernel
// (one epoll instance per thread, made on first use) until a deadline
// passes, a descriptor is ready, or another thread gives it work.
//
// Example (an echo loop on a non-blocking socket):
//   char buf[512];
//   for (;;) {
//     ssize_t n = ::read(fd, buf, sizeof buf);
//     if (n > 0) { /* write it back, waiting with slp::wait_writable */ }
//     else if (n < 0 && errno == EAGAIN) {
//       if (!slp::wait_readable(fd, std::chrono::seconds(30))) break;  // idle
//     } else break;
//   }
//   slp::close(fd);
#ifndef SLP_IO_HPP
#define SLP_IO_HPP

#include <chrono>

namespace slp {

// sleep_for: the caller waits at least `d`, then becomes runnable at the
// tail of the runnables; `d <= 0` behaves as schedule().
void sleep_for(std::chrono::nanoseconds d);
// sleep_until: the same, until `t` (a time already past: as schedule()).
void sleep_until(std::chrono::steady_clock::time_point t);

// wait_readable / wait_writable: wait until `fd` is readable (writable),
// hung up or in error (the next read or write says which): true; false
// when a `timeout >= 0` passed first; a negative timeout waits without
// limit. slp::error (nothing changed) for a descriptor epoll cannot watch
// (not open, a regular file) or when another tasklet of this thread
// already waits for the same; block_trap_error, switch_trap_error and a
// hook as for a channel operation.
bool wait_readable(
    int fd, std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1));
bool wait_writable(
    int fd, std::chrono::nanoseconds timeout = std::chrono::nanoseconds(-1));

// close: wakes every tasklet of this thread waiting on `fd` (their wait
// returns true; their next read or write fails with EBADF), stops watching
// it, then closes it. slp::error if `fd` is not open (nothing changed).
void close(int fd);

}  // namespace slp

#endif  // SLP_IO_HPP
