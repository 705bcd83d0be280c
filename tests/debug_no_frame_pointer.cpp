// SPDX-License-Identifier: MIT
// A probe of debug_test built without frame pointers (-fomit-frame-pointer,
// tests/CMakeLists.txt), with a large stack frame: a frame that only the
// unwind tables describe, whose caller a frame-pointer walk steps over.
#include "slp/channel.hpp"

namespace probe {

extern volatile int sink;
int marked_leaf(slp::channel<int>* c);  // tests/debug_test.cpp

void* no_frame_pointer_return = nullptr;

// no_frame_pointer: records its return address and parks in marked_leaf
// with 16 KiB of its own below it (a CFA offset of three LEB128 bytes).
[[gnu::noipa]] int no_frame_pointer(slp::channel<int>* c) {
  no_frame_pointer_return = __builtin_return_address(0);
  volatile char scratch[16 * 1024];
  scratch[0] = 1;
  scratch[sizeof scratch - 1] = 2;
  const int r = marked_leaf(c);
  sink = sink + r + scratch[0] + scratch[sizeof scratch - 1];
  return r + 1;
}

}  // namespace probe
