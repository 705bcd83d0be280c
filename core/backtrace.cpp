// SPDX-License-Identifier: MIT
// slp — walking a tasklet's call stack where it is (core/backtrace.hpp).
//
// A suspended tasklet's walk starts from the frame its switch pushed at
// its saved sp (arch/README.md: the callee-saved registers and the return
// address into the code that switched), with the stack pointer just above
// that frame. Its bytes are read through a view that puts the heap slice,
// if the tasklet is evicted, at its home addresses [sp, home top); below
// sp on the home stack is another tasklet's, and is never read.
//
// The walk is slp's own DWARF unwind by the binary's .eh_frame
// (core/cfi_walk.hpp), whose stack reads are that view, in every build.
// With libunwind (SLP_WITH_UNWIND), names come from the binary's symbol
// table (docs/DESIGN.md, "Backtraces").
#include "core/backtrace.hpp"

#include <cxxabi.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/cfi_walk.hpp"
#include "core/execution_stack.hpp"
#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#if defined(__riscv)
#include "arch/switch.h"  // SLP_FRAME_*: where a riscv64 walk starts
#endif

#if defined(SLP_WITH_UNWIND)
#include <libunwind.h>
#endif

namespace slp::core {

namespace {

using word = std::uintptr_t;

// start_regs: where a walk starts: the registers of the innermost frame
// that the unwind rules may need (the callee-saved ones, the stack pointer
// and the program counter), by their DWARF numbers.
using start_regs = cfi::registers;

// stack_view: the bytes of the walked tasklet's frames, [lo, hi). When
// `slice` is set they are read from it (the tasklet is evicted) and the
// rest of its home stack, [home_lo, lo), belongs to another tasklet.
struct stack_view {
  word lo = 0;
  word hi = 0;
  word home_lo = 0;
  const std::byte* slice = nullptr;
  std::size_t slice_size = 0;  // hi - lo, as the slice keeps it
};

// read_direct: a word where it is. Not instrumented: the word may be on
// another execution stack, whose poisoning ASan keeps for its own frames.
__attribute__((no_sanitize("address"))) word read_direct(word address) {
  return *reinterpret_cast<const volatile word*>(address);
}

// read_word: the word at `address` as the tasklet sees it; false where
// the view has no such word for the tasklet.
bool read_word(const stack_view& v, word address, word* value) noexcept {
  if (address % sizeof(word) != 0) return false;
  if (v.slice != nullptr) {
    if (address >= v.lo && address < v.hi) {
      if (address - v.lo + sizeof(word) > v.slice_size) return false;
      std::memcpy(value, v.slice + (address - v.lo), sizeof(word));
      return true;
    }
    if (address >= v.home_lo && address < v.lo) return false;
  }
  if (address == 0) return false;
  *value = read_direct(address);
  return true;
}

// read_stack: read_word as the CFI walk calls it.
bool read_stack(const void* view, word address, word* value) noexcept {
  return read_word(*static_cast<const stack_view*>(view), address, value);
}

// view_of: the view of a suspended or running tasklet whose frames start
// at `sp`.
stack_view view_of(const context& c, word sp) noexcept {
  stack_view v;
  v.lo = sp;
  v.hi = ~word{0};  // the thread's own stack (main): read where it is
  if (c.home != nullptr) {
    v.hi = reinterpret_cast<word>(c.home->top());
    v.home_lo = reinterpret_cast<word>(c.home->limit());
    if (c.state == context::status::suspended && c.home->resident != &c) {
      v.slice = c.slice.data();
      v.slice_size = c.slice.size();
    }
  }
  return v;
}

// suspended_regs: the registers of a suspended context, from the frame
// its switch pushed at its saved sp (the layout of arch/*.S). Its pc is
// the return address into the code that switched.
bool suspended_regs(const stack_view& v, word sp, start_regs* r) noexcept {
  // load: the word at sp + offset into DWARF register `column`.
  const auto load = [&](word offset, int column) {
    word value = 0;
    if (!read_word(v, sp + offset, &value)) return false;
    r->set(column, value);
    return true;
  };
#if defined(__x86_64__)
  // +8 r15, +16 r14, +24 r13, +32 r12, +40 rbx, +48 rbp, +56 return
  r->set(7, sp + 64);
  if (!load(8, 15) || !load(16, 14) || !load(24, 13) || !load(32, 12) ||
      !load(40, 3) || !load(48, 6)) {
    return false;
  }
  return read_word(v, sp + 56, &r->pc);
#elif defined(__aarch64__)
  // +0..+72 x19-x28, +80 x29, +88 x30 (PAC-signed), +176 the caller's
  r->set(31, sp + 176);
  for (int i = 0; i <= 10; ++i) {
    if (!load(8 * static_cast<word>(i), 19 + i)) return false;
  }
  word lr = 0;
  if (!read_word(v, sp + 88, &lr)) return false;
  // Strip the pointer authentication code (xpaclri: a no-op without PAC).
  register word x30 asm("x30") = lr;
  asm("hint #7" : "+r"(x30));
  const word stripped = x30;  // before a call changes x30
  r->set(30, stripped);
  r->pc = stripped;
  return true;
#elif defined(__riscv) && __riscv_xlen == 64
  // s0 (x8), s1 (x9), s2-s11 (x18-x27), ra (x1)
  r->set(2, sp + SLP_FRAME_SIZE);
  if (!load(SLP_FRAME_S0, 8) || !load(SLP_FRAME_S1, 9)) return false;
  for (int i = 2; i <= 11; ++i) {
    if (!load(SLP_FRAME_S2 + 8 * static_cast<word>(i - 2), 16 + i)) {
      return false;
    }
  }
  if (!load(SLP_FRAME_RA, 1)) return false;
  r->pc = r->value[1];
  return true;
#endif
}

// CAPTURE_HERE(r): the registers at this point of the calling function,
// whose frame stays live while the walk runs; its pc is exact.
#define SLP_SLOT(n) (offsetof(start_regs, value) + (n) * sizeof(word))
#if defined(__x86_64__)
#define CAPTURE_HERE(r)                                                       \
  asm volatile(                                                               \
      "leaq 1f(%%rip), %%rax\n\t"                                             \
      "movq %%rax, %c[pc](%0)\n\t"                                            \
      "movq %%rsp, %c[sp](%0)\n\t"                                            \
      "movq %%rbp, %c[fp](%0)\n\t"                                            \
      "movq %%rbx, %c[rbx](%0)\n\t"                                           \
      "movq %%r12, %c[r12](%0)\n\t"                                           \
      "movq %%r13, %c[r13](%0)\n\t"                                           \
      "movq %%r14, %c[r14](%0)\n\t"                                           \
      "movq %%r15, %c[r15](%0)\n"                                             \
      "1:"                                                                    \
      :                                                                       \
      : "r"(&(r)), [pc] "i"(offsetof(start_regs, pc)), [sp] "i"(SLP_SLOT(7)), \
        [fp] "i"(SLP_SLOT(6)), [rbx] "i"(SLP_SLOT(3)),                        \
        [r12] "i"(SLP_SLOT(12)), [r13] "i"(SLP_SLOT(13)),                     \
        [r14] "i"(SLP_SLOT(14)), [r15] "i"(SLP_SLOT(15))                      \
      : "rax", "memory");                                                     \
  (r).known = 1u << 3 | 1u << 6 | 1u << 7 | 0xfu << 12
#elif defined(__aarch64__)
#define CAPTURE_HERE(r)                                                        \
  asm volatile(                                                                \
      "adr x9, 1f\n\t"                                                         \
      "str x9, [%0, %c[pc]]\n\t"                                               \
      "mov x9, sp\n\t"                                                         \
      "str x9, [%0, %c[sp]]\n\t"                                               \
      "stp x19, x20, [%0, %c[x19]]\n\t"                                        \
      "stp x21, x22, [%0, %c[x19] + 16]\n\t"                                   \
      "stp x23, x24, [%0, %c[x19] + 32]\n\t"                                   \
      "stp x25, x26, [%0, %c[x19] + 48]\n\t"                                   \
      "stp x27, x28, [%0, %c[x19] + 64]\n\t"                                   \
      "stp x29, x30, [%0, %c[x19] + 80]\n"                                     \
      "1:"                                                                     \
      :                                                                        \
      : "r"(&(r)), [pc] "i"(offsetof(start_regs, pc)), [sp] "i"(SLP_SLOT(31)), \
        [x19] "i"(SLP_SLOT(19))                                                \
      : "x9", "memory");                                                       \
  (r).known = 0x1fffu << 19
#elif defined(__riscv) && __riscv_xlen == 64
#define CAPTURE_HERE(r)                                                       \
  asm volatile(                                                               \
      "lla t0, 1f\n\t"                                                        \
      "sd t0, %c[pc](%0)\n\t"                                                 \
      "sd ra, %c[ra](%0)\n\t"                                                 \
      "sd sp, %c[sp](%0)\n\t"                                                 \
      "sd s0, %c[s0](%0)\n\t"                                                 \
      "sd s1, %c[s1](%0)\n\t"                                                 \
      "sd s2, %c[s2](%0)\n\t"                                                 \
      "sd s3, %c[s2] + 8(%0)\n\t"                                             \
      "sd s4, %c[s2] + 16(%0)\n\t"                                            \
      "sd s5, %c[s2] + 24(%0)\n\t"                                            \
      "sd s6, %c[s2] + 32(%0)\n\t"                                            \
      "sd s7, %c[s2] + 40(%0)\n\t"                                            \
      "sd s8, %c[s2] + 48(%0)\n\t"                                            \
      "sd s9, %c[s2] + 56(%0)\n\t"                                            \
      "sd s10, %c[s2] + 64(%0)\n\t"                                           \
      "sd s11, %c[s2] + 72(%0)\n"                                             \
      "1:"                                                                    \
      :                                                                       \
      : "r"(&(r)), [pc] "i"(offsetof(start_regs, pc)), [ra] "i"(SLP_SLOT(1)), \
        [sp] "i"(SLP_SLOT(2)), [s0] "i"(SLP_SLOT(8)), [s1] "i"(SLP_SLOT(9)),  \
        [s2] "i"(SLP_SLOT(18))                                                \
      : "t0", "memory");                                                      \
  (r).known = 1u << 1 | 1u << 2 | 1u << 8 | 1u << 9 | 0x3ffu << 18
#endif

// walk_state: one walk: its view, its start, and where its frames go.
struct walk_state {
  stack_view view;
  start_regs regs;
  void** out = nullptr;
  std::size_t max = 0;
  // Frames before the one at `from` are not written (the current
  // tasklet's walk starts inside slp); null: all are.
  word from = 0;
};

// keep: records the frame at `pc`; false once the walk is to stop.
bool keep(walk_state& w, std::size_t& n, word pc) noexcept {
  if (w.from != 0) {
    if (pc != w.from) return true;
    w.from = 0;
  }
  w.out[n++] = reinterpret_cast<void*>(pc);
  return n < w.max;
}

// walk: the frames from the start, one CFI step each, until the first
// frame of the stack or one that cannot be unwound.
std::size_t walk(walk_state& w) noexcept {
  if (w.max == 0) return 0;
  const cfi::stack_memory memory{&read_stack, &w.view};
  std::size_t n = 0;
  // Bounded, in case a corrupt frame makes the unwind go round.
  for (std::size_t steps = 0; steps < w.max + 256; ++steps) {
    if (w.regs.pc == 0 || !keep(w, n, w.regs.pc)) break;
    if (!cfi::step(w.regs, memory)) break;
  }
  return n;
}

// walk_current: the walk of the running tasklet, from inside this
// function, whose frame stays where it is until the walk is over.
[[gnu::noinline]] std::size_t walk_current(const context& c, void** out,
                                           std::size_t max,
                                           void* caller) noexcept {
  walk_state w;
  CAPTURE_HERE(w.regs);
  w.regs.pc_exact = true;
  w.view = view_of(c, w.regs.sp());
  w.out = out;
  w.max = max;
  w.from = reinterpret_cast<word>(caller);
  return walk(w);
}

}  // namespace

std::size_t walk_frames(const tasklet_impl& t, void** out, std::size_t max,
                        void* caller) noexcept {
  if (caller == nullptr) caller = __builtin_return_address(0);
  if (t.state == context::status::running) {
    return walk_current(t, out, max, caller);
  }
  if (t.state != context::status::suspended || t.sp == nullptr) return 0;
  walk_state w;
  const word sp = reinterpret_cast<word>(t.sp);
  w.view = view_of(t, sp);
  if (!suspended_regs(w.view, sp, &w.regs)) return 0;
  w.out = out;
  w.max = max;
  return walk(w);
}

bool with_names() noexcept {
#if defined(SLP_WITH_UNWIND)
  return true;
#else
  return false;
#endif
}

std::string function_name(void* address, bool return_address) {
#if defined(SLP_WITH_UNWIND)
  const word pc = reinterpret_cast<word>(address) - (return_address ? 1 : 0);
  // Reading the symbol table is slow (libunwind maps the binary each
  // time): names are kept by address, which a program has finitely many.
  static std::mutex lock;
  static std::unordered_map<word, std::string>* known =
      new std::unordered_map<word, std::string>();  // never destroyed:
                                                    // used at thread end
  {
    std::lock_guard<std::mutex> hold(lock);
    auto it = known->find(pc);
    if (it != known->end()) return it->second;
  }
  std::string name;
  char buffer[1024];
  unw_word_t offset = 0;
  unw_accessors_t* acc = unw_get_accessors(unw_local_addr_space);
  const int r = acc->get_proc_name(unw_local_addr_space, pc, buffer,
                                   sizeof buffer, &offset, nullptr);
  // The symbol found is the nearest one at or below pc, whatever its
  // size: in a stripped binary that is some exported function before the
  // one containing pc. It names pc only if it starts within pc's function
  // as the unwind tables delimit it.
  unw_proc_info_t function{};
  if ((r == 0 || r == -UNW_ENOMEM) &&
      unw_get_proc_info_by_ip(unw_local_addr_space, pc, &function, nullptr) ==
          0 &&
      pc - offset < function.start_ip) {
    buffer[0] = '\0';
  }
  if ((r == 0 || r == -UNW_ENOMEM) && buffer[0] != '\0') {
    buffer[sizeof buffer - 1] = '\0';
    int status = -1;
    char* demangled = abi::__cxa_demangle(buffer, nullptr, nullptr, &status);
    name = status == 0 && demangled != nullptr ? demangled : buffer;
    std::free(demangled);
  }
  std::lock_guard<std::mutex> hold(lock);
  known->emplace(pc, name);
  return name;
#else
  (void)address;
  (void)return_address;
  return {};
#endif
}

}  // namespace slp::core
