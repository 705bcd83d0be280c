// SPDX-License-Identifier: MIT
// The slp_channel_* entry points of <slp/slp.h>: channels of void* made in
// C, and the queries and setters of any channel that reached C.
#include <exception>
#include <utility>

#include "c_functions.hpp"
#include "errors.hpp"
#include "registry.hpp"
#include "slp/channel.hpp"
#include "slp/slp.h"

using slp::c_binding::adopt;
using slp::c_binding::adopt_new;
using slp::c_binding::as_int;
using slp::c_binding::channel_of;
using slp::c_binding::check_not_killed;
using slp::c_binding::exception_of;
using slp::c_binding::guarded;
using slp::c_binding::guarded_status;
using slp::c_binding::pointer_channel_of;

extern "C" {

slp_channel* slp_channel_new(void) {
  static constexpr const char* op = "slp_channel_new";
  return guarded(op, static_cast<slp_channel*>(nullptr),
                 [&] { return adopt_new(slp::channel<void*>()); });
}

int slp_channel_send(slp_channel* ch, void* value) {
  static constexpr const char* op = "slp_channel_send";
  return guarded_status(op, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    check_not_killed();
    c.send(value);
  });
}

int slp_channel_send_nice(slp_channel* ch, void* value) {
  return slp_channel_send(ch, value);
}

int slp_channel_receive(slp_channel* ch, void** value) {
  static constexpr const char* op = "slp_channel_receive";
  return guarded_status(op, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    check_not_killed();
    void* received = c.receive();
    if (value != nullptr) *value = received;
  });
}

int slp_channel_receive_nice(slp_channel* ch, void** value) {
  return slp_channel_receive(ch, value);
}

int slp_channel_send_exception(slp_channel* ch, int kind, const char* message) {
  static constexpr const char* op = "slp_channel_send_exception";
  return guarded_status(op, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    std::exception_ptr e = exception_of(op, kind, message);
    check_not_killed();
    c.send_exception(std::move(e));
  });
}

slp_tasklet* slp_channel_queue(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_queue";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(channel_of(op, ch).queue()); });
}

int slp_channel_close(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_close";
  return guarded_status(op, [&] { channel_of(op, ch).close(); });
}

int slp_channel_open(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_open";
  return guarded_status(op, [&] { channel_of(op, ch).open(); });
}

int slp_channel_get_closing(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_closing";
  return guarded(op, -1, [&] { return as_int(channel_of(op, ch).closing()); });
}

int slp_channel_get_closed(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_closed";
  return guarded(op, -1, [&] { return as_int(channel_of(op, ch).closed()); });
}

int slp_channel_get_preference(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_preference";
  return guarded(op, SLP_ERROR_VALUE,
                 [&] { return channel_of(op, ch).preference(); });
}

int slp_channel_set_preference(slp_channel* ch, int preference) {
  static constexpr const char* op = "slp_channel_set_preference";
  return guarded_status(op,
                        [&] { channel_of(op, ch).set_preference(preference); });
}

int slp_channel_get_schedule_all(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_schedule_all";
  return guarded(op, -1,
                 [&] { return as_int(channel_of(op, ch).schedule_all()); });
}

int slp_channel_set_schedule_all(slp_channel* ch, int flag) {
  static constexpr const char* op = "slp_channel_set_schedule_all";
  return guarded_status(
      op, [&] { channel_of(op, ch).set_schedule_all(flag != 0); });
}

int slp_channel_get_balance(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_balance";
  return guarded(op, SLP_ERROR_VALUE,
                 [&] { return channel_of(op, ch).balance(); });
}
}  // extern "C"
