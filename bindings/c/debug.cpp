// SPDX-License-Identifier: MIT
// The C API of API.md §11 (<slp/slp.h>): slp_tasklet_backtrace and
// slp_dump_tasklets, over tasklet::backtrace() and slp::dump_tasklets().
#include "slp/debug.hpp"

#include <cstddef>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "errors.hpp"
#include "registry.hpp"
#include "slp/slp.h"
#include "slp/tasklet.hpp"

using slp::c_binding::fail;
using slp::c_binding::guarded;
using slp::c_binding::tasklet_of;

extern "C" {

int slp_tasklet_backtrace(slp_tasklet* t, void** addresses, int max) {
  static constexpr const char* op = "slp_tasklet_backtrace";
  return guarded(op, -1, [&] {
    if (max < 0) fail(op, "max is negative");
    if (addresses == nullptr && max > 0) fail(op, "addresses is NULL");
    const slp::tasklet handle = tasklet_of(op, t);
    if (max == 0) return 0;
    const std::vector<slp::frame> frames =
        handle.backtrace(static_cast<std::size_t>(max));
    for (std::size_t i = 0; i < frames.size(); ++i) {
      addresses[i] = frames[i].address;
    }
    return static_cast<int>(frames.size());
  });
}

int slp_dump_tasklets(FILE* out) {
  static constexpr const char* op = "slp_dump_tasklets";
  return guarded(op, -1, [&] {
    if (out == nullptr) fail(op, "out is NULL");
    std::ostringstream text;
    slp::dump_tasklets(text);
    const std::string s = text.str();
    if (std::fwrite(s.data(), 1, s.size(), out) != s.size() ||
        std::fflush(out) != 0) {
      fail(op, "the write failed");
    }
    return 0;
  });
}

}  // extern "C"
