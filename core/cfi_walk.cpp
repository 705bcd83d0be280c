// SPDX-License-Identifier: MIT
// slp — one step of a DWARF call-frame-information walk (core/cfi_walk.hpp):
// the row the FDE's CFA program gives at the pc, and the caller's registers
// by that row's rules. The FDE comes from core/cfi_tables.hpp, the values
// of expression rules from core/cfi_expression.hpp.
//
// The stack is read only through the caller's stack_memory. No lock, no
// allocation, no system call: everything here is arithmetic on the step's
// own locals.
//
// What it understands (docs/DESIGN.md, "Backtraces"): every DWARF 4 CFA
// instruction, with DW_CFA_GNU_args_size, DW_CFA_GNU_negative_offset_extended
// and AArch64's DW_CFA_AARCH64_negate_ra_state, and up to 4 remembered
// rows; and, on AArch64 and riscv64, the rt_sigreturn trampoline that has
// no FDE under qemu-user. Anything else ends the walk at that frame.
#include "core/cfi_walk.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/cfi_expression.hpp"
#include "core/cfi_tables.hpp"

namespace slp::core::cfi {

namespace {

// --- the CFA program ---------------------------------------------------------

// how: a register's rule in a row. The caller's value of the register is
// the frame's own (same), unknown (undefined), the word at CFA + n
// (at_offset), CFA + n itself (is_offset), the frame's register n
// (in_register), the word at the address an expression computes
// (at_expression), or the expression's value (is_expression).
enum class how : std::uint8_t {
  same,
  undefined,
  at_offset,
  is_offset,
  in_register,
  at_expression,
  is_expression
};

// operand: what a rule needs besides its kind.
union operand {
  std::int64_t number;             // the offset or the register
  const std::uint8_t* expression;  // its uleb length, then its bytes
};

// row: the rules at one pc: how the CFA is computed, and each register's
// (an operand is read only where its rule needs one).
struct row {
  int cfa_register;
  std::int64_t cfa_offset;
  const std::uint8_t* cfa_expression;  // set: the CFA is its value
  bool ra_signed;  // AArch64: the return address carries a PAC
  how kind[register_count];
  operand operands[register_count];

  // clear: no CFA yet, and every register keeps its value.
  void clear() noexcept {
    cfa_register = -1;
    cfa_offset = 0;
    cfa_expression = nullptr;
    ra_signed = false;
    for (how& k : kind) k = how::same;
  }
};

// program: the state of a CFA program: the current row, the row after the
// CIE's instructions (what DW_CFA_restore goes back to), and the rows
// DW_CFA_remember_state keeps. Left uninitialized but for what is read.
struct program {
  row current;
  row initial;
  row remembered[4];
  int depth;

  program() noexcept : depth(0) { current.clear(); }
};

// factored: n times an alignment factor, wrapping (as addresses do)
// rather than overflowing.
std::int64_t factored(std::uint64_t n, std::int64_t factor) noexcept {
  return static_cast<std::int64_t>(n * static_cast<std::uint64_t>(factor));
}

void set_rule(row& r, std::uint64_t n, how kind, std::int64_t number) noexcept {
  if (!tracked(n)) return;
  r.kind[n] = kind;
  r.operands[n].number = number;
}

void set_expression(row& r, std::uint64_t n, how kind,
                    const std::uint8_t* block) noexcept {
  if (!tracked(n)) return;
  r.kind[n] = kind;
  r.operands[n].expression = block;
}

// restore: register n's rule back to the CIE's.
void restore(program& p, std::uint64_t n) noexcept {
  if (!tracked(n)) return;
  p.current.kind[n] = p.initial.kind[n];
  p.current.operands[n] = p.initial.operands[n];
}

// run: executes `code` from location `location` while the rows it
// defines start at or below `target`; the program's current row is then
// the one for `target`. False for an instruction the walk does not know.
bool run(cursor code, const common_entry& info, word location, word target,
         program& p) noexcept {
  row& r = p.current;
  while (code.at < code.end && !code.failed) {
    const std::uint8_t op = code.byte();
    word next = location;
    switch (op >> 6) {
      case 1:  // DW_CFA_advance_loc
        next = location + (op & 0x3fu) * info.code_align;
        if (target < next) return true;
        location = next;
        continue;
      case 2:  // DW_CFA_offset
        set_rule(r, op & 0x3fu, how::at_offset,
                 factored(code.uleb(), info.data_align));
        continue;
      case 3:  // DW_CFA_restore
        restore(p, op & 0x3fu);
        continue;
      default:
        break;
    }
    switch (op) {
      case 0x00:  // DW_CFA_nop
        break;
      case 0x01:  // DW_CFA_set_loc
        if (!read_pointer(code, info.fde_encoding, 0, &next) ||
            next < location) {
          return false;
        }
        if (target < next) return true;
        location = next;
        break;
      case 0x02:    // DW_CFA_advance_loc1
      case 0x03:    // DW_CFA_advance_loc2
      case 0x04: {  // DW_CFA_advance_loc4
        word delta = 0;
        if (op == 0x02) {
          delta = code.byte();
        } else if (op == 0x03) {
          delta = code.fixed<std::uint16_t>();
        } else {
          delta = code.fixed<std::uint32_t>();
        }
        next = location + delta * info.code_align;
        if (target < next) return true;
        location = next;
        break;
      }
      case 0x05: {  // DW_CFA_offset_extended
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::at_offset, factored(code.uleb(), info.data_align));
        break;
      }
      case 0x06: {  // DW_CFA_restore_extended
        const std::uint64_t n = code.uleb();
        restore(p, n);
        break;
      }
      case 0x07:  // DW_CFA_undefined
        set_rule(r, code.uleb(), how::undefined, 0);
        break;
      case 0x08:  // DW_CFA_same_value
        set_rule(r, code.uleb(), how::same, 0);
        break;
      case 0x09: {  // DW_CFA_register
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::in_register,
                 static_cast<std::int64_t>(code.uleb()));
        break;
      }
      case 0x0a:  // DW_CFA_remember_state: the whole row, CFA included
        if (p.depth == 4) return false;
        p.remembered[p.depth++] = r;
        break;
      case 0x0b:  // DW_CFA_restore_state
        if (p.depth == 0) return false;
        r = p.remembered[--p.depth];
        break;
      case 0x0c:  // DW_CFA_def_cfa
        r.cfa_register = static_cast<int>(code.uleb() & 0xffff);
        r.cfa_offset = static_cast<std::int64_t>(code.uleb());
        r.cfa_expression = nullptr;
        break;
      case 0x0d:  // DW_CFA_def_cfa_register
        r.cfa_register = static_cast<int>(code.uleb() & 0xffff);
        r.cfa_expression = nullptr;
        break;
      case 0x0e:  // DW_CFA_def_cfa_offset
        r.cfa_offset = static_cast<std::int64_t>(code.uleb());
        break;
      case 0x0f:  // DW_CFA_def_cfa_expression
        r.cfa_expression = code.skip_block();
        break;
      case 0x10: {  // DW_CFA_expression
        const std::uint64_t n = code.uleb();
        set_expression(r, n, how::at_expression, code.skip_block());
        break;
      }
      case 0x11: {  // DW_CFA_offset_extended_sf
        const std::uint64_t n = code.uleb();
        set_rule(
            r, n, how::at_offset,
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align));
        break;
      }
      case 0x12:  // DW_CFA_def_cfa_sf
        r.cfa_register = static_cast<int>(code.uleb() & 0xffff);
        r.cfa_offset =
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align);
        r.cfa_expression = nullptr;
        break;
      case 0x13:  // DW_CFA_def_cfa_offset_sf
        r.cfa_offset =
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align);
        break;
      case 0x14: {  // DW_CFA_val_offset
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::is_offset, factored(code.uleb(), info.data_align));
        break;
      }
      case 0x15: {  // DW_CFA_val_offset_sf
        const std::uint64_t n = code.uleb();
        set_rule(
            r, n, how::is_offset,
            factored(static_cast<std::uint64_t>(code.sleb()), info.data_align));
        break;
      }
      case 0x16: {  // DW_CFA_val_expression
        const std::uint64_t n = code.uleb();
        set_expression(r, n, how::is_expression, code.skip_block());
        break;
      }
#if defined(__aarch64__)
      case 0x2d:  // DW_CFA_AARCH64_negate_ra_state
        r.ra_signed = !r.ra_signed;
        break;
#endif
      case 0x2e:  // DW_CFA_GNU_args_size: for landing pads only
        code.uleb();
        break;
      case 0x2f: {  // DW_CFA_GNU_negative_offset_extended
        const std::uint64_t n = code.uleb();
        set_rule(r, n, how::at_offset, -factored(code.uleb(), info.data_align));
        break;
      }
      default:  // DW_CFA_GNU_window_save on others, vendor extensions
        return false;
    }
  }
  return !code.failed;
}

// --- the step ----------------------------------------------------------------

// preserved: the registers a call leaves as they were (callee-saved, the
// stack pointer, and the link register, which holds the return address):
// after an ordinary frame, the caller's other registers are unknown.
#if defined(__x86_64__)
constexpr std::uint32_t preserved = 1u << 3 | 1u << 6 | 1u << 7 | 0xfu << 12;
#elif defined(__aarch64__)
constexpr std::uint32_t preserved = 0x1fffu << 19;  // x19-x30, sp
#elif defined(__riscv)
constexpr std::uint32_t preserved =
    1u << 1 | 1u << 2 | 1u << 8 | 1u << 9 | 0x3ffu << 18;
#endif

#if defined(__aarch64__)
// strip_pac: a return address without its pointer authentication code
// (xpaclri: a no-op on a processor without PAC).
word strip_pac(word address) noexcept {
  register word lr asm("x30") = address;
  asm("hint #7" : "+r"(lr));
  return lr;
}
#endif

#if defined(__aarch64__) || defined(__riscv)
// A signal handler returns to the kernel's (or qemu's) rt_sigreturn
// trampoline, which has no FDE where qemu-user provides it. Its two
// instructions identify it, and its stack pointer is the kernel's
// struct rt_sigframe: a siginfo_t (128 bytes), then the ucontext_t, whose
// mcontext starts 176 bytes in (both ABIs' struct ucontext).
constexpr word mcontext = 128 + 176;
#if defined(__aarch64__)
constexpr std::uint32_t sigreturn_code[2] = {0xd2801168,   // mov x8, #139
                                             0xd4000001};  // svc #0
// struct sigcontext: fault_address, x0-x30, sp, pc.
constexpr int first_saved = 0;
constexpr int last_saved = 30;
constexpr word saved_x0 = mcontext + 8;
constexpr word saved_sp = mcontext + 8 + 31 * 8;
constexpr word saved_pc = mcontext + 8 + 32 * 8;
#else
constexpr std::uint32_t sigreturn_code[2] = {0x08b00893,   // li a7, 139
                                             0x00000073};  // ecall
// struct sigcontext: pc, then x1-x31 (x0 is not saved; x_n at 8n).
constexpr int first_saved = 1;
constexpr int last_saved = 31;
constexpr word saved_x0 = mcontext;
constexpr word saved_sp = mcontext + 2 * 8;
constexpr word saved_pc = mcontext;
#endif

// through_sigreturn: the registers a signal interrupted, when `r` is the
// frame of an rt_sigreturn trampoline without unwind data.
bool through_sigreturn(registers& r, const stack_memory& memory) noexcept {
  if (r.pc_exact || r.pc % 4 != 0 || !r.has(sp_column)) return false;
  std::uint32_t code[2];
  std::memcpy(code, reinterpret_cast<const void*>(r.pc), sizeof code);
  if (code[0] != sigreturn_code[0] || code[1] != sigreturn_code[1]) {
    return false;
  }
  const word frame = r.sp();
  registers caller;
  for (int n = first_saved; n <= last_saved; ++n) {
    word v = 0;
    const word slot = frame + saved_x0 + 8 * static_cast<word>(n);
    if (!memory.read(memory.context, slot, &v)) {
      return false;
    }
    caller.set(n, v);
  }
  word sp = 0;
  word pc = 0;
  if (!memory.read(memory.context, frame + saved_sp, &sp) ||
      !memory.read(memory.context, frame + saved_pc, &pc) || pc == 0) {
    return false;
  }
  caller.set(sp_column, sp);
  caller.pc = pc;
  caller.pc_exact = true;  // the interrupted instruction, not a return
  r = caller;
  return true;
}
#endif

// apply: the caller's value of a register by rule `x`, into `caller`
// (unknown where the rule needs what the walk does not know).
bool apply(how kind, operand x, int n, const registers& r,
           const stack_memory& memory, word cfa, registers& caller) noexcept {
  word v = 0;
  switch (kind) {
    case how::same:
      return true;
    case how::undefined:
      caller.known &= ~(std::uint32_t{1} << n);
      return true;
    case how::at_offset:
      if (!memory.read(memory.context, cfa + static_cast<word>(x.number), &v)) {
        return false;
      }
      break;
    case how::is_offset:
      v = cfa + static_cast<word>(x.number);
      break;
    case how::in_register:
      if (!tracked(static_cast<std::uint64_t>(x.number)) ||
          !r.has(static_cast<int>(x.number))) {
        caller.known &= ~(std::uint32_t{1} << n);
        return true;
      }
      v = r.value[x.number];
      break;
    case how::at_expression:
      if (!evaluate(x.expression, r, memory, true, cfa, &v) ||
          !memory.read(memory.context, v, &v)) {
        return false;
      }
      break;
    case how::is_expression:
      if (!evaluate(x.expression, r, memory, true, cfa, &v)) return false;
      break;
  }
  caller.set(n, v);
  return true;
}

}  // namespace

bool step(registers& r, const stack_memory& memory) noexcept {
  // A return address may be just past its function (after a call that
  // does not return): the call itself, one byte before, is in it.
  const word pc = r.pc_exact ? r.pc : r.pc - 1;
  fde f;
  if (!find_fde(pc, &f)) {
#if defined(__aarch64__) || defined(__riscv)
    return through_sigreturn(r, memory);
#else
    return false;
#endif
  }
  program p;
  if (!run(f.cie.instructions, f.cie, 0, ~word{0}, p)) return false;
  p.initial = p.current;
  if (!run(f.instructions, f.cie, f.begin, pc, p)) return false;
  const row& now = p.current;

  word cfa = 0;
  if (now.cfa_expression != nullptr) {
    if (!evaluate(now.cfa_expression, r, memory, false, 0, &cfa)) return false;
  } else {
    if (now.cfa_register < 0 || now.cfa_register >= register_count ||
        !r.has(now.cfa_register)) {
      return false;
    }
    cfa = r.value[now.cfa_register] + static_cast<word>(now.cfa_offset);
  }

  registers caller = r;
  for (int n = 0; n < register_count; ++n) {
    if (now.kind[n] == how::same) continue;
    if (!apply(now.kind[n], now.operands[n], n, r, memory, cfa, caller)) {
      return false;
    }
  }
  if (now.kind[sp_column] == how::same) caller.set(sp_column, cfa);
  if (!f.cie.signal_frame) {
    // A signal frame restores every register; a call only some.
    caller.known &= preserved | (std::uint32_t{1} << f.cie.return_column);
  }

  // The caller continues at the return address; undefined: the stack's
  // first frame.
  const int ra = f.cie.return_column;
  if (now.kind[ra] == how::undefined || !caller.has(ra)) return false;
  word return_address = caller.value[ra];
#if defined(__aarch64__)
  if (now.ra_signed) return_address = strip_pac(return_address);
#endif
  if (return_address == 0) return false;

  // The stack grows down: an ordinary caller's frame is above. A frame a
  // signal interrupted may have none (a leaf), and a signal frame may be
  // on another stack (sigaltstack).
  const word sp = caller.sp();
  if (!caller.has(sp_column)) return false;
  if (!f.cie.signal_frame &&
      (sp < r.sp() || (sp == r.sp() && !r.pc_exact) || !r.has(sp_column))) {
    return false;
  }
  caller.pc = return_address;
  caller.pc_exact = f.cie.signal_frame;
  r = caller;
  return true;
}

}  // namespace slp::core::cfi
