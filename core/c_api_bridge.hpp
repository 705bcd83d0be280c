// SPDX-License-Identifier: MIT
// slp — what the C API's other files (core/c_api_io.cpp) share with
// core/c_api.cpp: the wrapper every C entry point runs its body in (a C++
// exception becomes -1 and the thread's last error, a success clears it),
// the void* channel behind an slp_channel, and the killed-C-tasklet check.
//
// Example:
//   int slp_x(int a) {
//     return c_bridge::call("slp_x", [](void* p) { ...; return 0; }, &a);
//   }
#ifndef SLP_CORE_C_API_BRIDGE_HPP
#define SLP_CORE_C_API_BRIDGE_HPP

#include "slp/channel.hpp"
#include "slp/slp.h"

namespace slp::core::c_bridge {

// call: body(context)'s result, or -1 with the last error set if it threw.
int call(const char* operation, int (*body)(void*), void* context) noexcept;
// pointer_channel: the channel<void*> of `ch` (slp::error if `ch` is not a
// live channel made by slp_channel_new).
slp::channel<void*> pointer_channel(const char* operation,
                                    const slp_channel* ch);
// check_not_killed: throws tasklet_exit in a C tasklet already killed.
void check_not_killed();

}  // namespace slp::core::c_bridge

#endif  // SLP_CORE_C_API_BRIDGE_HPP
