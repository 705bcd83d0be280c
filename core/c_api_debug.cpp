// SPDX-License-Identifier: MIT
// slp — the C API of API.md §11: slp_tasklet_backtrace and
// slp_dump_tasklets (include/slp/slp.h).
//
// It reaches the C++ tasklet behind an slp_tasklet* through the C API's
// object, whose definition below must stay the one of the C API's own
// file (the same tokens: the One Definition Rule allows a class defined
// alike in several files). Failures return -1 without setting
// slp_last_error(), whose storage is private to that file.
#include <cstdio>
#include <cstring>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

#include "core/backtrace.hpp"
#include "core/debug.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/slp.h"
#include "slp/tasklet.hpp"

struct slp_tasklet {
  explicit slp_tasklet(slp::tasklet t) : handle(std::move(t)) {}
  slp::tasklet handle;
  std::size_t refs = 1;
};

extern "C" {

[[gnu::noinline]] int slp_tasklet_backtrace(slp_tasklet* t, void** addresses,
                                            int max) {
  void* caller = __builtin_return_address(0);
  if (t == nullptr || max < 0 || (addresses == nullptr && max > 0)) return -1;
  slp::core::tasklet_impl* impl = t->handle.impl();
  if (impl == nullptr) return 0;
  try {
    slp::core::check_own_thread(*impl, "slp_tasklet_backtrace");
  } catch (const std::exception&) {
    return -1;
  }
  if (max == 0 || !impl->set_up || !impl->started() ||
      impl->owner.load(std::memory_order_relaxed) == nullptr) {
    return 0;
  }
  return static_cast<int>(slp::core::walk_frames(
      *impl, addresses, static_cast<std::size_t>(max), caller));
}

[[gnu::noinline]] int slp_dump_tasklets(FILE* out) {
  void* caller = __builtin_return_address(0);
  if (out == nullptr) return -1;
  try {
    std::ostringstream text;
    slp::core::dump(text, caller);
    const std::string s = text.str();
    if (std::fwrite(s.data(), 1, s.size(), out) != s.size()) return -1;
    return std::fflush(out) == 0 ? 0 : -1;
  } catch (...) {
    return -1;
  }
}

}  // extern "C"
