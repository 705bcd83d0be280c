// SPDX-License-Identifier: MIT
// slp — one step of a stack walk by the DWARF call frame information
// (.eh_frame): from a frame's registers to its caller's, by the rules the
// compiler wrote for the code at the frame's program counter.
//
// The step finds the unwind table of the pc with glibc's _dl_find_object,
// binary-searches its .eh_frame_hdr index, runs the CIE's and the FDE's
// CFA program up to the pc and applies the rules. It takes no lock,
// allocates nothing and makes no system call, so it is async-signal-safe
// in practice (docs/DESIGN.md, "Backtraces", says what it supports). It
// reads the stack only through the `stack_memory` it is given, so the
// caller decides what a stack address means (core/backtrace.cpp maps an
// evicted tasklet's home addresses onto its heap slice).
//
// Example:
//   cfi::registers r = ...;  // pc, sp and the callee-saved registers
//   while (cfi::step(r, memory)) record(r.pc);
#ifndef SLP_CORE_CFI_WALK_HPP
#define SLP_CORE_CFI_WALK_HPP

#include <cstdint>

namespace slp::core::cfi {

using word = std::uintptr_t;

// The DWARF register numbers a walk tracks (the psABIs' numbering), the
// stack pointer's and the return-address column's.
#if defined(__x86_64__)
// 0-15: rax, rdx, rcx, rbx, rsi, rdi, rbp, rsp, r8-r15; 16: the return
// address (rip).
constexpr int register_count = 17;
constexpr int sp_column = 7;
constexpr int ra_column = 16;
#elif defined(__aarch64__)
// 0-30: x0-x30 (x29 the frame pointer, x30 the link register); 31: sp.
constexpr int register_count = 32;
constexpr int sp_column = 31;
constexpr int ra_column = 30;
#elif defined(__riscv) && __riscv_xlen == 64
// 0-31: x0-x31 (ra = 1, sp = 2, s0 = 8, s1 = 9, s2-s11 = 18-27).
constexpr int register_count = 32;
constexpr int sp_column = 2;
constexpr int ra_column = 1;
#else
#error "cfi_walk.hpp: no DWARF register map for this architecture"
#endif

// tracked: whether a walk keeps DWARF register n; rules of the others
// (floating point and vector registers) are read and ignored.
constexpr bool tracked(std::uint64_t n) noexcept {
  return n < static_cast<std::uint64_t>(register_count);
}

// registers: a frame's registers as far as the walk knows them.
struct registers {
  word value[register_count] = {};
  std::uint32_t known = 0;  // bit n: value[n] is the frame's register n
  word pc = 0;
  // pc_exact: pc is the next instruction to run (where a walk started
  // from inside a function, or a frame a signal interrupted) rather than
  // a return address, which follows a call and may be past its function.
  bool pc_exact = false;

  void set(int column, word v) noexcept {
    value[column] = v;
    known |= std::uint32_t{1} << column;
  }
  bool has(int column) const noexcept { return (known >> column & 1u) != 0; }
  word sp() const noexcept { return value[sp_column]; }
};

// stack_memory: how a step reads a word of the stack: `read(context,
// address, &value)`, false where there is no such word.
struct stack_memory {
  bool (*read)(const void* context, word address, word* value) noexcept;
  const void* context;
};

// step: replaces `r`, a frame's registers, with those of its caller.
// False at the end of the stack (the return address is undefined or 0)
// and where the frame cannot be unwound: no unwind table covers its pc,
// a rule is one the walk does not support, a word cannot be read, or the
// caller's stack pointer is not above the frame's. `r` is then unchanged.
bool step(registers& r, const stack_memory& memory) noexcept;

}  // namespace slp::core::cfi

#endif  // SLP_CORE_CFI_WALK_HPP
