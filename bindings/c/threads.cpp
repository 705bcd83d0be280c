// SPDX-License-Identifier: MIT
// The threads of <slp/slp.h>: slp_thread_start and slp_thread_join, an
// slp::thread (include/slp/thread.hpp) behind an opaque pointer.
#include <thread>
#include <utility>

#include "errors.hpp"
#include "slp/slp.h"
#include "slp/thread.hpp"

using slp::c_binding::fail;
using slp::c_binding::guarded;
using slp::c_binding::guarded_status;

struct slp_thread {
  slp::thread thread;
};

extern "C" {

slp_thread* slp_thread_start(slp_function fn, void* arg) {
  static constexpr const char* op = "slp_thread_start";
  return guarded(op, static_cast<slp_thread*>(nullptr), [&] {
    if (fn == nullptr) fail(op, "the thread function is NULL");
    return new slp_thread{slp::thread(fn, arg)};
  });
}

int slp_thread_join(slp_thread* t) {
  static constexpr const char* op = "slp_thread_join";
  return guarded_status(op, [&] {
    if (t == nullptr) fail(op, "the thread is NULL");
    if (t->thread.get_id() == std::this_thread::get_id()) {
      fail(op, "a thread cannot join itself");
    }
    t->thread.join();
    delete t;
  });
}

}  // extern "C"
