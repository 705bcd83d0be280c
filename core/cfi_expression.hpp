// SPDX-License-Identifier: MIT
// slp — the DWARF expressions of a call-frame walk (core/cfi_walk.hpp):
// constants, register values (DW_OP_breg*), loads (DW_OP_deref), the
// stack operators and arithmetic, which glibc's signal trampolines and
// realigned stacks use in their CFI; branches and the rest end the walk.
#ifndef SLP_CORE_CFI_EXPRESSION_HPP
#define SLP_CORE_CFI_EXPRESSION_HPP

#include <cstdint>

#include "core/cfi_walk.hpp"

namespace slp::core::cfi {

// evaluate: the value of the expression at `block` (its uleb length, then
// its operations) in the frame `r`, with `cfa` pushed first when
// `push_cfa` (as register rules have it); false where it uses what the
// walk does not support or reads a word `memory` refuses.
bool evaluate(const std::uint8_t* block, const registers& r,
              const stack_memory& memory, bool push_cfa, word cfa,
              word* result) noexcept;

}  // namespace slp::core::cfi

#endif  // SLP_CORE_CFI_EXPRESSION_HPP
