// SPDX-License-Identifier: MIT
// Runs one command as a child process and reports, after the child's own
// output, the wall time from just before it started to its exit, the CPU
// time it used (user + system, every thread) and its peak resident set
// (wait4's rusage):
//
//   $ workload_launch ./workloads_slp tree 1000
//   answer=499500 result_ns=705610 result_cpu_ns=700213
//   launch: status=0 exit_ns=2112345 exit_cpu_ns=2001234 peak_rss_kib=4144
//
// bench/workloads.py starts every workload through this small process
// rather than directly: Linux carries a process's peak RSS across fork and
// exec, so a child of the Python interpreter would report at least the
// interpreter's own. The exit status is the child's (128 + signal number
// when a signal ended it), 127 when it could not be started.
#include <spawn.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

extern char** environ;

namespace {

long long ns_of(const timeval& t) {
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_usec * 1000LL;
}

long long now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1000000000LL + t.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
    return 2;
  }
  std::fflush(stdout);
  const long long start = now_ns();
  pid_t child = 0;
  const int failed =
      posix_spawnp(&child, argv[1], nullptr, nullptr, argv + 1, environ);
  if (failed != 0) {
    std::fprintf(stderr, "%s: cannot start %s: %s\n", argv[0], argv[1],
                 std::strerror(failed));
    return 127;
  }
  int status = 0;
  rusage usage{};
  while (wait4(child, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "%s: wait4: %s\n", argv[0], std::strerror(errno));
      return 127;
    }
  }
  const long long exit_ns = now_ns() - start;
  const int code =
      WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::printf(
      "launch: status=%d exit_ns=%lld exit_cpu_ns=%lld peak_rss_kib=%ld\n",
      code, exit_ns, ns_of(usage.ru_utime) + ns_of(usage.ru_stime),
      usage.ru_maxrss);
  return code;
}
