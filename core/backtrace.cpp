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
// With libunwind (SLP_WITH_UNWIND), the walk is a DWARF unwind (the
// binary's .eh_frame) in an address space of our own whose memory
// accessor is that view, and names come from the binary's symbol table.
// Without it, the walk follows the frame-pointer chain, bounded to the
// tasklet's frames: exact for code built with frame pointers, cut short
// where a function omits them (docs/DESIGN.md, "Backtraces").
#include "core/backtrace.hpp"

#include <cxxabi.h>
#include <pthread.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/execution_stack.hpp"
#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#if defined(__riscv)
#include "arch/switch.h"  // SLP_FRAME_*: where a riscv64 walk starts
#endif

#if defined(SLP_WITH_UNWIND)
#if defined(__riscv)
#error "no riscv64 register map for libunwind: use -DSLP_WITH_UNWIND=OFF"
#endif
#include <libunwind.h>
#endif

namespace slp::core {

namespace {

using word = std::uintptr_t;

// start_regs: where a walk starts: the registers of the innermost frame
// that the unwind rules may need (the callee-saved ones, the stack pointer
// and the program counter).
struct start_regs {
  word pc = 0;
  word sp = 0;
  word fp = 0;  // rbp / x29 / s0
#if defined(__x86_64__)
  word rbx = 0, r12 = 0, r13 = 0, r14 = 0, r15 = 0;
#elif defined(__aarch64__)
  word x[10] = {};  // x19-x28
  word lr = 0;      // x30
#endif
};

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

// view_of: the view of a suspended or running tasklet whose frames start
// at `sp`.
stack_view view_of(const context& c, word sp) noexcept {
  stack_view v;
  v.lo = sp;
  if (c.home != nullptr) {
    v.hi = reinterpret_cast<word>(c.home->top());
    v.home_lo = reinterpret_cast<word>(c.home->limit());
    if (c.state == context::status::suspended && c.home->resident != &c) {
      v.slice = c.slice.data();
      v.slice_size = c.slice.size();
    }
  } else {
    // The thread's own stack (main): its top, from the thread's
    // attributes, only bounds the frame-pointer walk.
    v.hi = ~word{0};
    pthread_attr_t attr;
    if (pthread_getattr_np(pthread_self(), &attr) == 0) {
      void* base = nullptr;
      std::size_t size = 0;
      if (pthread_attr_getstack(&attr, &base, &size) == 0) {
        v.hi = reinterpret_cast<word>(base) + size;
      }
      pthread_attr_destroy(&attr);
    }
  }
  return v;
}

// suspended_regs: the registers of a suspended context, from the frame
// its switch pushed at its saved sp (the layout of arch/*.S).
bool suspended_regs(const stack_view& v, word sp, start_regs* r) noexcept {
#if defined(__x86_64__)
  // +8 r15, +16 r14, +24 r13, +32 r12, +40 rbx, +48 rbp, +56 return
  r->sp = sp + 64;
  return read_word(v, sp + 8, &r->r15) && read_word(v, sp + 16, &r->r14) &&
         read_word(v, sp + 24, &r->r13) && read_word(v, sp + 32, &r->r12) &&
         read_word(v, sp + 40, &r->rbx) && read_word(v, sp + 48, &r->fp) &&
         read_word(v, sp + 56, &r->pc);
#elif defined(__aarch64__)
  // +0..+72 x19-x28, +80 x29, +88 x30 (PAC-signed), +176 the caller's
  r->sp = sp + 176;
  for (int i = 0; i < 10; ++i) {
    if (!read_word(v, sp + 8 * static_cast<word>(i), &r->x[i])) return false;
  }
  if (!read_word(v, sp + 80, &r->fp) || !read_word(v, sp + 88, &r->lr)) {
    return false;
  }
  // Strip the pointer authentication code (xpaclri: a no-op without PAC).
  register word lr asm("x30") = r->lr;
  asm("hint #7" : "+r"(lr));
  r->lr = lr;
  r->pc = lr;
  return true;
#elif defined(__riscv) && __riscv_xlen == 64
  r->sp = sp + SLP_FRAME_SIZE;
  return read_word(v, sp + SLP_FRAME_S0, &r->fp) &&
         read_word(v, sp + SLP_FRAME_RA, &r->pc);
#endif
}

// CAPTURE_HERE(r): the registers at this point of the calling function,
// whose frame stays live while the walk runs.
#if defined(__x86_64__)
#define CAPTURE_HERE(r)                                \
  asm volatile(                                        \
      "leaq 1f(%%rip), %%rax\n\t"                      \
      "movq %%rax, %c[pc](%0)\n\t"                     \
      "movq %%rsp, %c[sp](%0)\n\t"                     \
      "movq %%rbp, %c[fp](%0)\n\t"                     \
      "movq %%rbx, %c[rbx](%0)\n\t"                    \
      "movq %%r12, %c[r12](%0)\n\t"                    \
      "movq %%r13, %c[r13](%0)\n\t"                    \
      "movq %%r14, %c[r14](%0)\n\t"                    \
      "movq %%r15, %c[r15](%0)\n"                      \
      "1:"                                             \
      :                                                \
      : "r"(&(r)), [pc] "i"(offsetof(start_regs, pc)), \
        [sp] "i"(offsetof(start_regs, sp)),            \
        [fp] "i"(offsetof(start_regs, fp)),            \
        [rbx] "i"(offsetof(start_regs, rbx)),          \
        [r12] "i"(offsetof(start_regs, r12)),          \
        [r13] "i"(offsetof(start_regs, r13)),          \
        [r14] "i"(offsetof(start_regs, r14)),          \
        [r15] "i"(offsetof(start_regs, r15))           \
      : "rax", "memory")
#elif defined(__aarch64__)
#define CAPTURE_HERE(r)                                                      \
  asm volatile(                                                              \
      "adr x9, 1f\n\t"                                                       \
      "str x9, [%0, %c[pc]]\n\t"                                             \
      "mov x9, sp\n\t"                                                       \
      "str x9, [%0, %c[sp]]\n\t"                                             \
      "str x29, [%0, %c[fp]]\n\t"                                            \
      "str x30, [%0, %c[lr]]\n\t"                                            \
      "stp x19, x20, [%0, %c[x]]\n\t"                                        \
      "stp x21, x22, [%0, %c[x] + 16]\n\t"                                   \
      "stp x23, x24, [%0, %c[x] + 32]\n\t"                                   \
      "stp x25, x26, [%0, %c[x] + 48]\n\t"                                   \
      "stp x27, x28, [%0, %c[x] + 64]\n"                                     \
      "1:"                                                                   \
      :                                                                      \
      : "r"(&(r)), [pc] "i"(offsetof(start_regs, pc)),                       \
        [sp] "i"(offsetof(start_regs, sp)),                                  \
        [fp] "i"(offsetof(start_regs, fp)),                                  \
        [lr] "i"(offsetof(start_regs, lr)), [x] "i"(offsetof(start_regs, x)) \
      : "x9", "memory")
#elif defined(__riscv) && __riscv_xlen == 64
#define CAPTURE_HERE(r)                                                        \
  asm volatile(                                                                \
      "lla t0, 1f\n\t"                                                         \
      "sd t0, %c[pc](%0)\n\t"                                                  \
      "sd sp, %c[sp](%0)\n\t"                                                  \
      "sd s0, %c[fp](%0)\n"                                                    \
      "1:"                                                                     \
      :                                                                        \
      : "r"(&(r)), [pc] "i"(offsetof(start_regs, pc)),                         \
        [sp] "i"(offsetof(start_regs, sp)), [fp] "i"(offsetof(start_regs, fp)) \
      : "t0", "memory")
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

#if defined(SLP_WITH_UNWIND)

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "access_mem joins two words as a little-endian machine does");

// access_mem: a word as the tasklet sees it. The AArch64 unwinder reads
// the two instructions at a program counter (its signal-frame and PLT
// checks) as one word at an address aligned to 4 only; such a word is
// joined from the two aligned words it straddles. Refusing it would make
// the unwinder take the start's x30 for its program counter, which is
// wrong where the walk starts inside a function (the current tasklet's).
int access_mem(unw_addr_space_t, unw_word_t address, unw_word_t* value,
               int write, void* arg) {
  if (write != 0) return -UNW_EREADONLYREG;
  const auto& w = *static_cast<const walk_state*>(arg);
  const word offset = address % sizeof(word);
  word low = 0;
  if (!read_word(w.view, address - offset, &low)) return -UNW_EINVAL;
  if (offset != 0) {
    word high = 0;
    if (!read_word(w.view, address - offset + sizeof(word), &high)) {
      return -UNW_EINVAL;
    }
    low = (low >> (8 * offset)) | (high << (8 * (sizeof(word) - offset)));
  }
  *value = low;
  return 0;
}

int access_reg(unw_addr_space_t, unw_regnum_t reg, unw_word_t* value, int write,
               void* arg) {
  if (write != 0) return -UNW_EREADONLYREG;
  const start_regs& r = static_cast<const walk_state*>(arg)->regs;
  switch (reg) {
#if defined(__x86_64__)
    case UNW_X86_64_RIP:
      *value = r.pc;
      return 0;
    case UNW_X86_64_RSP:
      *value = r.sp;
      return 0;
    case UNW_X86_64_RBP:
      *value = r.fp;
      return 0;
    case UNW_X86_64_RBX:
      *value = r.rbx;
      return 0;
    case UNW_X86_64_R12:
      *value = r.r12;
      return 0;
    case UNW_X86_64_R13:
      *value = r.r13;
      return 0;
    case UNW_X86_64_R14:
      *value = r.r14;
      return 0;
    case UNW_X86_64_R15:
      *value = r.r15;
      return 0;
#elif defined(__aarch64__)
    case UNW_AARCH64_PC:
      *value = r.pc;
      return 0;
    case UNW_AARCH64_SP:
      *value = r.sp;
      return 0;
    case UNW_AARCH64_X29:
      *value = r.fp;
      return 0;
    case UNW_AARCH64_X30:
      *value = r.lr;
      return 0;
#endif
    default:
#if defined(__aarch64__)
      if (reg >= UNW_AARCH64_X19 && reg <= UNW_AARCH64_X28) {
        *value = r.x[reg - UNW_AARCH64_X19];
        return 0;
      }
#endif
      *value = 0;  // caller-saved: not known, and no unwind rule needs it
      return 0;
  }
}

int access_fpreg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) {
  return -UNW_EBADREG;
}

int resume(unw_addr_space_t, unw_cursor_t*, void*) { return -UNW_EINVAL; }

// frame_space: libunwind's local accessors (the binary's unwind tables,
// its symbol table), with our memory and registers.
unw_addr_space_t frame_space() {
  static const unw_addr_space_t space = [] {
    unw_accessors_t acc = *unw_get_accessors(unw_local_addr_space);
    acc.access_mem = &access_mem;
    acc.access_reg = &access_reg;
    acc.access_fpreg = &access_fpreg;
    acc.resume = &resume;
    unw_addr_space_t s = unw_create_addr_space(&acc, 0);
    if (s != nullptr) unw_set_caching_policy(s, UNW_CACHE_GLOBAL);
    return s;
  }();
  return space;
}

std::size_t walk(walk_state& w) noexcept {
  unw_addr_space_t space = frame_space();
  if (space == nullptr || w.max == 0) return 0;
  unw_cursor_t cursor;
  if (unw_init_remote(&cursor, space, &w) < 0) return 0;
  std::size_t n = 0;
  // Bounded, in case a corrupt frame makes the unwind go round.
  for (std::size_t steps = 0; steps < w.max + 256; ++steps) {
    unw_word_t pc = 0;
    if (unw_get_reg(&cursor, UNW_REG_IP, &pc) < 0 || pc == 0) break;
    if (!keep(w, n, static_cast<word>(pc))) break;
    if (unw_step(&cursor) <= 0) break;
  }
  return n;
}

#else  // !SLP_WITH_UNWIND

// record_below_fp: where a frame record, [previous frame pointer, return
// address], lies relative to the frame pointer: at it on x86-64 and
// AArch64, just below it on riscv64 (whose frame pointer is the frame's
// canonical frame address).
#if defined(__riscv)
constexpr word record_below_fp = 2 * sizeof(word);
#else
constexpr word record_below_fp = 0;
#endif

// walk: the frame-pointer chain, within the tasklet's frames. The first
// frame's return address is the start's program counter.
std::size_t walk(walk_state& w) noexcept {
  if (w.max == 0) return 0;
  std::size_t n = 0;
  if (!keep(w, n, w.regs.pc)) return n;
  word fp = w.regs.fp;
  for (std::size_t steps = 0; steps < w.max + 256; ++steps) {
    if (fp < w.view.lo + record_below_fp) break;
    const word record = fp - record_below_fp;
    if (record >= w.view.hi || w.view.hi - record < 16) break;
    word previous = 0;
    word ret = 0;
    if (!read_word(w.view, record, &previous) ||
        !read_word(w.view, record + sizeof(word), &ret) || ret == 0) {
      break;
    }
    if (!keep(w, n, ret)) break;
    if (previous <= fp) break;  // the chain only goes up
    fp = previous;
  }
  return n;
}

#endif  // SLP_WITH_UNWIND

// walk_current: the walk of the running tasklet, from inside this
// function, whose frame stays where it is until the walk is over.
[[gnu::noinline]] std::size_t walk_current(const context& c, void** out,
                                           std::size_t max,
                                           void* caller) noexcept {
  walk_state w;
  CAPTURE_HERE(w.regs);
  w.view = view_of(c, w.regs.sp);
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
