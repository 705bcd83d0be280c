// SPDX-License-Identifier: MIT
// slp — where every tasklet is (API.md §11): the frames of a tasklet's
// call stack, and a dump of every tasklet of the calling thread.
//
// tasklet::backtrace() (slp/tasklet.hpp) returns the frames; this header
// defines what a frame is and the dump.
//
// Example:
//   for (const slp::frame& f : t.backtrace())
//     std::cout << f.address << ' ' << f.function << '\n';
//   slp::dump_tasklets(std::cerr);
#ifndef SLP_DEBUG_HPP
#define SLP_DEBUG_HPP

#include <iosfwd>
#include <string>

namespace slp {

// frame: one call a tasklet is suspended in. `address` is the instruction
// the frame continues at (the return address, except in the innermost
// frame of the current tasklet); `function` is the demangled name of the
// function containing it when the binary's symbol table has one, else
// empty (a stripped binary, or slp built with SLP_WITH_UNWIND=OFF).
struct frame {
  void* address = nullptr;
  std::string function;
};

// dump_tasklets: writes every live tasklet of the calling thread to `out`,
// one block each: id, name, state (running, runnable, blocked sending or
// receiving on channel N, paused), the bytes of its stack held on the
// heap, and its backtrace. Runs no tasklet and fires no hook.
void dump_tasklets(std::ostream& out);

}  // namespace slp

#endif  // SLP_DEBUG_HPP
