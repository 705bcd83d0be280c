// SPDX-License-Identifier: MIT
#include "core/execution_stack.hpp"

#include <sys/mman.h>

#include <cstdint>
#include <new>

#include "core/sanitizer.hpp"

namespace slp::core {

execution_stack::execution_stack(std::size_t usable_size) {
  const std::size_t total = usable_size + guard_size;
  void* p =
      ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  base_ = static_cast<std::byte*>(p);
  if (::mprotect(base_, guard_size, PROT_NONE) != 0) {
    ::munmap(base_, total);
    throw std::bad_alloc();
  }
  limit_ = base_ + guard_size;
  top_ = base_ + total;
  // A new mapping may reuse addresses whose ASan shadow still describes the
  // frames of an older one.
  sanitizer::unpoison(limit_, size());
  valgrind_id_ = sanitizer::register_stack(limit_, top_);
}

execution_stack::~execution_stack() {
  sanitizer::deregister_stack(valgrind_id_);
  sanitizer::unpoison(limit_, size());
  ::munmap(base_, static_cast<std::size_t>(top_ - base_));
}

bool execution_stack::in_guard(const void* address) const noexcept {
  const auto a = reinterpret_cast<std::uintptr_t>(address);
  const auto limit = reinterpret_cast<std::uintptr_t>(limit_);
  // A frame may step past the guard region by at most its own size: count
  // one more guard's worth below the mapping as ours too.
  return a < limit && limit - a <= 2 * guard_size;
}

}  // namespace slp::core
