// SPDX-License-Identifier: MIT
// slp — walking a tasklet's call stack where it is (API.md §11): on the
// stack it runs on, resident on its home execution stack, or saved in a
// heap slice, which the walk reads as if it were at its home addresses.
//
// The walk reads and changes nothing but the frames' bytes: it never
// switches, never fires a hook and never copies a slice back. It runs on
// the tasklet's own thread (tasklet::backtrace() checks that), where no
// switch can be half done unless a signal interrupted one (docs/DESIGN.md,
// "Backtraces").
//
// Example:
//   void* pcs[64];
//   std::size_t n = core::walk_frames(t, pcs, 64, nullptr);
//   std::string f = core::function_name(pcs[1], true);
#ifndef SLP_CORE_BACKTRACE_HPP
#define SLP_CORE_BACKTRACE_HPP

#include <cstddef>
#include <string>

namespace slp::core {

struct tasklet_impl;

// walk_frames: writes the addresses of `t`'s frames, innermost first, to
// `out` (at most `max`) and returns how many. `t` must be of the calling
// thread and started. For the running tasklet, the frames start at the
// one whose address is `caller` (the return address into whoever asked),
// or at the walk's own caller when `caller` is null.
std::size_t walk_frames(const tasklet_impl& t, void** out, std::size_t max,
                        void* caller) noexcept;

// function_name: the demangled name of the function containing
// `address`, from the symbol table of the binary it is in; empty when
// there is none or slp was built without names (SLP_WITH_UNWIND=OFF).
// `return_address`: `address` follows a call, and the call's own
// instruction decides the function (a call may end its function).
std::string function_name(void* address, bool return_address);

// with_names: whether function_name() can find names in this build.
bool with_names() noexcept;

}  // namespace slp::core

#endif  // SLP_CORE_BACKTRACE_HPP
