// SPDX-License-Identifier: MIT
// The slp_tasklet_* entry points of <slp/slp.h>: each one slp::tasklet call
// behind the wall of errors.hpp.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <thread>
#include <utility>

#include "c_functions.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "slp/slp.h"
#include "slp/tasklet.hpp"

using slp::c_binding::adopt;
using slp::c_binding::as_int;
using slp::c_binding::c_body;
using slp::c_binding::check_not_killed;
using slp::c_binding::exception_of;
using slp::c_binding::fail;
using slp::c_binding::guarded;
using slp::c_binding::guarded_status;
using slp::c_binding::tasklet_of;

namespace {

// stack_info: where the frames of `t`, a tasklet of this thread, are.
slp_stack_info stack_info(const char* operation, const slp_tasklet* t) {
  slp::tasklet h = tasklet_of(operation, t);
  if (h.thread_id() != std::this_thread::get_id()) {
    fail(operation, "the tasklet belongs to another thread");
  }
  slp_stack_info info{nullptr, nullptr, 0, 0};
  const slp::stack_range range = h.stack_range();
  if (range.top == nullptr) return info;
  const auto* top = static_cast<const std::byte*>(range.top);
  const auto* sp = static_cast<const std::byte*>(range.pointer);
  if (h.is_current()) {  // running: about where its caller's frame is
    sp = static_cast<const std::byte*>(__builtin_frame_address(0));
  }
  info.stack_top = top;
  info.stack_pointer = sp;
  info.depth = static_cast<std::size_t>(top - sp);
  info.heap_bytes = h.stack_bytes();
  return info;
}

}  // namespace

extern "C" {

slp_tasklet* slp_tasklet_new(slp_function fn) {
  static constexpr const char* op = "slp_tasklet_new";
  return guarded(op, static_cast<slp_tasklet*>(nullptr), [&] {
    if (fn == nullptr) fail(op, "the tasklet function is NULL");
    return adopt(slp::tasklet(c_body(fn)));
  });
}

int slp_tasklet_bind(slp_tasklet* t, slp_function fn) {
  static constexpr const char* op = "slp_tasklet_bind";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    if (fn == nullptr) fail(op, "the tasklet function is NULL");
    if (h.alive()) fail(op, "the tasklet is alive");
    h.bind(c_body(fn));
  });
}

int slp_tasklet_setup(slp_tasklet* t, void* arg) {
  static constexpr const char* op = "slp_tasklet_setup";
  return guarded_status(op, [&] { tasklet_of(op, t).setup(arg); });
}

int slp_tasklet_run(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_run";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    check_not_killed();
    h.run();
  });
}

int slp_tasklet_run_nice(slp_tasklet* t) { return slp_tasklet_run(t); }

int slp_tasklet_switch(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_switch";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    check_not_killed();
    h.switch_to();
  });
}

int slp_tasklet_remove(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_remove";
  return guarded_status(op, [&] { tasklet_of(op, t).remove(); });
}

int slp_tasklet_insert(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_insert";
  return guarded_status(op, [&] { tasklet_of(op, t).insert(); });
}

int slp_tasklet_become(slp_tasklet* t, void* retval) {
  static constexpr const char* op = "slp_tasklet_become";
  (void)retval;
  return guarded_status(op, [&] {
    tasklet_of(op, t);
    fail(op,
         "not provided: deprecated since Stackless 2.5, and a C frame cannot "
         "become a tasklet");
  });
}

int slp_tasklet_capture(slp_tasklet* t, void* retval) {
  static constexpr const char* op = "slp_tasklet_capture";
  (void)retval;
  return guarded_status(op, [&] {
    tasklet_of(op, t);
    fail(op,
         "not provided: deprecated since Stackless 2.5, and a C frame cannot "
         "be captured into a tasklet");
  });
}

int slp_tasklet_throw(slp_tasklet* t, int pending, int kind,
                      const char* message) {
  static constexpr const char* op = "slp_tasklet_throw";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    std::exception_ptr e = exception_of(op, kind, message);
    if (pending == 0 && !h.is_current()) check_not_killed();
    h.throw_exception(std::move(e), pending != 0);
  });
}

int slp_tasklet_raise_exception(slp_tasklet* t, int kind, const char* message) {
  static constexpr const char* op = "slp_tasklet_raise_exception";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    std::exception_ptr e = exception_of(op, kind, message);
    if (!h.is_current()) check_not_killed();
    h.throw_exception(std::move(e), false);
  });
}

int slp_tasklet_kill(slp_tasklet* t, int pending) {
  static constexpr const char* op = "slp_tasklet_kill";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    if (pending == 0 && h.alive() && !h.is_current()) check_not_killed();
    h.kill(pending != 0);
  });
}

int slp_tasklet_get_atomic(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_atomic";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).atomic()); });
}

int slp_tasklet_set_atomic(slp_tasklet* t, int flag) {
  static constexpr const char* op = "slp_tasklet_set_atomic";
  return guarded(
      op, -1, [&] { return as_int(tasklet_of(op, t).set_atomic(flag != 0)); });
}

int slp_tasklet_get_ignore_nesting(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_ignore_nesting";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).ignore_nesting()); });
}

int slp_tasklet_set_ignore_nesting(slp_tasklet* t, int flag) {
  static constexpr const char* op = "slp_tasklet_set_ignore_nesting";
  return guarded(op, -1, [&] {
    return as_int(tasklet_of(op, t).set_ignore_nesting(flag != 0));
  });
}

int slp_tasklet_get_block_trap(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_block_trap";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).block_trap()); });
}

int slp_tasklet_set_block_trap(slp_tasklet* t, int flag) {
  static constexpr const char* op = "slp_tasklet_set_block_trap";
  return guarded(op, -1, [&] {
    slp::tasklet h = tasklet_of(op, t);
    const bool old = h.block_trap();
    h.set_block_trap(flag != 0);
    return as_int(old);
  });
}

int slp_tasklet_get_stack_info(slp_tasklet* t, slp_stack_info* info) {
  static constexpr const char* op = "slp_tasklet_get_stack_info";
  return guarded_status(op, [&] {
    if (info == nullptr) fail(op, "info is NULL");
    *info = stack_info(op, t);
  });
}

long slp_tasklet_get_stack_depth(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_stack_depth";
  return guarded(op, -1L,
                 [&] { return static_cast<long>(stack_info(op, t).depth); });
}

int slp_tasklet_get_nesting_level(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_nesting_level";
  return guarded(op, -1, [&] { return tasklet_of(op, t).nesting_level(); });
}

int slp_tasklet_is_main(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_is_main";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).is_main()); });
}

int slp_tasklet_is_current(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_is_current";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).is_current()); });
}

int slp_tasklet_alive(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_alive";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).alive()); });
}

int slp_tasklet_paused(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_paused";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).paused()); });
}

int slp_tasklet_scheduled(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_scheduled";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).scheduled()); });
}

int slp_tasklet_blocked(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_blocked";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).blocked()); });
}

int slp_tasklet_restorable(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_restorable";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).restorable()); });
}

uint64_t slp_tasklet_id(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_id";
  return guarded(op, std::uint64_t{0}, [&] { return tasklet_of(op, t).id(); });
}

const char* slp_tasklet_get_name(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_name";
  return guarded(op, static_cast<const char*>(nullptr), [&] {
    // The handle is a copy; the name lives in the tasklet object, which
    // the caller's reference keeps.
    return tasklet_of(op, t).name().c_str();
  });
}

int slp_tasklet_set_name(slp_tasklet* t, const char* name) {
  static constexpr const char* op = "slp_tasklet_set_name";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    if (name == nullptr) fail(op, "the name is NULL");
    h.set_name(name);
  });
}

slp_tasklet* slp_tasklet_next(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_next";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(tasklet_of(op, t).next()); });
}

slp_tasklet* slp_tasklet_prev(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_prev";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(tasklet_of(op, t).prev()); });
}
}  // extern "C"
