// SPDX-License-Identifier: MIT
// slp — the C API of time and I/O (API.md §10, <slp/slp.h>): each call
// wraps its C++ counterpart (include/slp/io.hpp) the way every C entry
// point does (core/c_api_bridge.hpp).
#include <chrono>
#include <optional>

#include "core/c_api_bridge.hpp"
#include "slp/io.hpp"
#include "slp/slp.h"

namespace {

namespace bridge = slp::core::c_bridge;

struct fd_wait {
  int fd;
  int events;
  long long timeout_ns;
};

struct timed_receive {
  slp_channel* ch;
  void** value;
  long long timeout_ns;
};

}  // namespace

extern "C" {

int slp_sleep_for(long long ns) {
  return bridge::call(
      "slp_sleep_for",
      [](void* p) {
        bridge::check_not_killed();
        slp::sleep_for(std::chrono::nanoseconds(*static_cast<long long*>(p)));
        return 0;
      },
      &ns);
}

int slp_wait_fd(int fd, int events, long long timeout_ns) {
  fd_wait w{fd, events, timeout_ns};
  return bridge::call(
      "slp_wait_fd",
      [](void* p) {
        const fd_wait& a = *static_cast<fd_wait*>(p);
        if (a.events != SLP_WAIT_READ && a.events != SLP_WAIT_WRITE) {
          throw slp::error(
              "slp_wait_fd: events must be SLP_WAIT_READ or SLP_WAIT_WRITE");
        }
        bridge::check_not_killed();
        const std::chrono::nanoseconds timeout(a.timeout_ns);
        const bool ready = a.events == SLP_WAIT_READ
                               ? slp::wait_readable(a.fd, timeout)
                               : slp::wait_writable(a.fd, timeout);
        return ready ? 1 : 0;
      },
      &w);
}

int slp_close_fd(int fd) {
  return bridge::call(
      "slp_close_fd",
      [](void* p) {
        slp::close(*static_cast<int*>(p));
        return 0;
      },
      &fd);
}

int slp_channel_receive_for(slp_channel* ch, void** value,
                            long long timeout_ns) {
  timed_receive r{ch, value, timeout_ns};
  return bridge::call(
      "slp_channel_receive_for",
      [](void* p) {
        const timed_receive& a = *static_cast<timed_receive*>(p);
        slp::channel<void*> c =
            bridge::pointer_channel("slp_channel_receive_for", a.ch);
        bridge::check_not_killed();
        std::optional<void*> got =
            c.receive_for(std::chrono::nanoseconds(a.timeout_ns));
        if (!got) return 1;
        if (a.value != nullptr) *a.value = *got;
        return 0;
      },
      &r);
}

}  // extern "C"
