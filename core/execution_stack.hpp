// SPDX-License-Identifier: MIT
// slp — an execution stack: a region reserved with mmap, with a guard region
// below it, on which tasklets run. The OS commits its pages as they are
// touched.
//
// At most one tasklet is resident on an execution stack at a time: its
// frames occupy [its saved sp, top()). The stack never moves, so a tasklet
// that always runs on the same execution stack keeps its frame addresses.
#ifndef SLP_CORE_EXECUTION_STACK_HPP
#define SLP_CORE_EXECUTION_STACK_HPP

#include <cstddef>

namespace slp::core {

struct context;

class execution_stack {
 public:
  // execution_stack: reserves `usable_size` bytes (a multiple of the page
  // size) plus the guard region; throws std::bad_alloc when mmap fails.
  explicit execution_stack(std::size_t usable_size);
  ~execution_stack();
  execution_stack(const execution_stack&) = delete;
  execution_stack& operator=(const execution_stack&) = delete;

  // top: one past the highest usable byte (page aligned).
  [[nodiscard]] std::byte* top() const noexcept { return top_; }
  // limit: the lowest usable byte.
  [[nodiscard]] std::byte* limit() const noexcept { return limit_; }
  [[nodiscard]] std::size_t size() const noexcept {
    return static_cast<std::size_t>(top_ - limit_);
  }
  // in_guard: whether a fault at `address` is an overflow of this stack:
  // the guard region or below it (a frame larger than the guard).
  [[nodiscard]] bool in_guard(const void* address) const noexcept;

  // The tasklet whose frames are on this stack now, or nullptr.
  context* resident = nullptr;

  // The guard region's size: a frame smaller than this cannot jump it.
  static constexpr std::size_t guard_size = 64 * 1024;

 private:
  std::byte* base_;   // start of the mapping (the guard region)
  std::byte* limit_;  // base_ + guard_size
  std::byte* top_;
  unsigned valgrind_id_;
};

}  // namespace slp::core

#endif  // SLP_CORE_EXECUTION_STACK_HPP
