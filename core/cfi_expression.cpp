// SPDX-License-Identifier: MIT
// slp — evaluating a DWARF expression of a call-frame walk
// (core/cfi_expression.hpp).
#include "core/cfi_expression.hpp"

#include <cstdint>

#include "core/cfi_tables.hpp"

namespace slp::core::cfi {

namespace {

// binary: the result of a DWARF binary operator on `a` (the second entry
// of the stack) and `b` (its top); false for any other operator.
bool binary(std::uint8_t op, word a, word b, word* v) noexcept {
  const auto sa = static_cast<std::intptr_t>(a);
  const auto sb = static_cast<std::intptr_t>(b);
  switch (op) {
    case 0x1a:  // DW_OP_and
      *v = a & b;
      return true;
    case 0x1c:  // DW_OP_minus
      *v = a - b;
      return true;
    case 0x21:  // DW_OP_or
      *v = a | b;
      return true;
    case 0x22:  // DW_OP_plus
      *v = a + b;
      return true;
    case 0x24:  // DW_OP_shl
      *v = b < 64 ? a << b : 0;
      return true;
    case 0x25:  // DW_OP_shr
      *v = b < 64 ? a >> b : 0;
      return true;
    case 0x26:  // DW_OP_shra
      *v = static_cast<word>(b < 64 ? sa >> b : (sa < 0 ? -1 : 0));
      return true;
    case 0x27:  // DW_OP_xor
      *v = a ^ b;
      return true;
    case 0x29:  // DW_OP_eq
      *v = sa == sb;
      return true;
    case 0x2a:  // DW_OP_ge
      *v = sa >= sb;
      return true;
    case 0x2b:  // DW_OP_gt
      *v = sa > sb;
      return true;
    case 0x2c:  // DW_OP_le
      *v = sa <= sb;
      return true;
    case 0x2d:  // DW_OP_lt
      *v = sa < sb;
      return true;
    case 0x2e:  // DW_OP_ne
      *v = sa != sb;
      return true;
    default:
      return false;
  }
}

}  // namespace

bool evaluate(const std::uint8_t* block, const registers& r,
              const stack_memory& memory, bool push_cfa, word cfa,
              word* result) noexcept {
  cursor c{block, block + 10, false};
  const std::uint64_t length = c.uleb();
  if (c.failed) return false;
  c.end = c.at + length;  // within its FDE: the program skipped over it
  word stack[16];
  int depth = 0;
  if (push_cfa) stack[depth++] = cfa;
  while (c.at < c.end) {
    const std::uint8_t op = c.byte();
    word v = 0;
    bool pushes = true;              // most operators push one value
    if (op >= 0x30 && op <= 0x4f) {  // DW_OP_lit0-31
      v = op - 0x30u;
    } else if (op >= 0x70 && op <= 0x8f) {  // DW_OP_breg0-31
      const int n = op - 0x70;
      const word offset = static_cast<word>(c.sleb());
      if (n >= register_count || !r.has(n)) return false;
      v = r.value[n] + offset;
    } else {
      switch (op) {
        case 0x03:  // DW_OP_addr
          v = c.fixed<word>();
          break;
        case 0x08:  // DW_OP_const1u
          v = c.byte();
          break;
        case 0x09:  // DW_OP_const1s
          v = static_cast<word>(std::intptr_t{c.fixed<std::int8_t>()});
          break;
        case 0x0a:  // DW_OP_const2u
          v = c.fixed<std::uint16_t>();
          break;
        case 0x0b:  // DW_OP_const2s
          v = static_cast<word>(std::intptr_t{c.fixed<std::int16_t>()});
          break;
        case 0x0c:  // DW_OP_const4u
          v = c.fixed<std::uint32_t>();
          break;
        case 0x0d:  // DW_OP_const4s
          v = static_cast<word>(std::intptr_t{c.fixed<std::int32_t>()});
          break;
        case 0x0e:  // DW_OP_const8u
        case 0x0f:  // DW_OP_const8s
          v = static_cast<word>(c.fixed<std::uint64_t>());
          break;
        case 0x10:  // DW_OP_constu
          v = static_cast<word>(c.uleb());
          break;
        case 0x11:  // DW_OP_consts
          v = static_cast<word>(c.sleb());
          break;
        case 0x92: {  // DW_OP_bregx
          const std::uint64_t n = c.uleb();
          const word offset = static_cast<word>(c.sleb());
          if (!tracked(n) || !r.has(static_cast<int>(n))) return false;
          v = r.value[n] + offset;
          break;
        }
        case 0x96:  // DW_OP_nop
          pushes = false;
          break;
        case 0x12:  // DW_OP_dup
        case 0x14:  // DW_OP_over
          if (depth < (op == 0x12 ? 1 : 2)) return false;
          v = stack[depth - (op == 0x12 ? 1 : 2)];
          break;
        default: {
          // The rest work on the stack in place.
          pushes = false;
          if (depth == 0) return false;
          word& top = stack[depth - 1];
          if (op == 0x06) {  // DW_OP_deref
            if (!memory.read(memory.context, top, &top)) return false;
          } else if (op == 0x13) {  // DW_OP_drop
            --depth;
          } else if (op == 0x16) {  // DW_OP_swap
            if (depth < 2) return false;
            const word second = stack[depth - 2];
            stack[depth - 2] = top;
            top = second;
          } else if (op == 0x1f) {  // DW_OP_neg
            top = 0 - top;
          } else if (op == 0x20) {  // DW_OP_not
            top = ~top;
          } else if (op == 0x23) {  // DW_OP_plus_uconst
            top += static_cast<word>(c.uleb());
          } else {
            if (depth < 2 || !binary(op, stack[depth - 2], top, &v)) {
              return false;
            }
            stack[--depth - 1] = v;
          }
        }
      }
    }
    if (c.failed) return false;
    if (pushes) {
      if (depth == 16) return false;
      stack[depth++] = v;
    }
  }
  if (depth == 0) return false;
  *result = stack[depth - 1];
  return true;
}

}  // namespace slp::core::cfi
