// SPDX-License-Identifier: MIT
// The C API of time and I/O (API.md §10, <slp/slp.h>): slp_sleep_for,
// slp_wait_fd, slp_close_fd and slp_channel_receive_for, over
// <slp/io.hpp> and channel<T>::receive_for().
#include "slp/io.hpp"

#include <chrono>
#include <optional>

#include "c_functions.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "slp/channel.hpp"
#include "slp/slp.h"

using slp::c_binding::check_not_killed;
using slp::c_binding::fail;
using slp::c_binding::guarded;
using slp::c_binding::guarded_status;
using slp::c_binding::pointer_channel_of;

extern "C" {

int slp_sleep_for(long long ns) {
  return guarded_status("slp_sleep_for", [&] {
    check_not_killed();
    slp::sleep_for(std::chrono::nanoseconds(ns));
  });
}

int slp_wait_fd(int fd, int events, long long timeout_ns) {
  static constexpr const char* op = "slp_wait_fd";
  return guarded(op, -1, [&] {
    if (events != SLP_WAIT_READ && events != SLP_WAIT_WRITE) {
      fail(op, "events must be SLP_WAIT_READ or SLP_WAIT_WRITE");
    }
    check_not_killed();
    const std::chrono::nanoseconds timeout(timeout_ns);
    const bool ready = events == SLP_WAIT_READ
                           ? slp::wait_readable(fd, timeout)
                           : slp::wait_writable(fd, timeout);
    return ready ? 1 : 0;
  });
}

int slp_close_fd(int fd) {
  return guarded_status("slp_close_fd", [&] { slp::close(fd); });
}

int slp_channel_receive_for(slp_channel* ch, void** value,
                            long long timeout_ns) {
  static constexpr const char* op = "slp_channel_receive_for";
  return guarded(op, -1, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    check_not_killed();
    const std::optional<void*> got =
        c.receive_for(std::chrono::nanoseconds(timeout_ns));
    if (!got) return 1;
    if (value != nullptr) *value = *got;
    return 0;
  });
}

}  // extern "C"
