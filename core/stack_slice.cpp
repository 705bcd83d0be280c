// SPDX-License-Identifier: MIT
#include "core/stack_slice.hpp"

#include <cstdlib>

#include "arch/copy.h"
#include "core/sanitizer.hpp"

namespace slp::core {

namespace {
void* system_allocate(std::size_t bytes) noexcept { return std::malloc(bytes); }
}  // namespace

void stack_slice::copy(std::byte* to, const std::byte* from,
                       std::size_t size) noexcept {
  slp_copy_stack(to, from, size);
}

bool stack_slice::wide_moves() noexcept { return slp_wide_moves() != 0; }

void* (*stack_slice::allocate)(std::size_t) noexcept = &system_allocate;

stack_slice::~stack_slice() { release(); }

bool stack_slice::reserve(std::size_t size) noexcept {
  if (size > capacity_ || capacity_ - size > slack_limit(size)) {
    const std::size_t fitted = (size + granule - 1) / granule * granule;
    auto* fresh = static_cast<std::byte*>(allocate(fitted));
    if (fresh == nullptr) return false;
    std::free(data_);
    data_ = fresh;
    capacity_ = fitted;
  }
  return true;
}

bool stack_slice::save(const std::byte* from, std::size_t size) noexcept {
  if (!reserve(size)) return false;
  // The slice holds frames that are not running; under ASan their redzones
  // are still poisoned.
  sanitizer::unpoison(from, size);
  copy(data_, from, size);
  size_ = size;
  return true;
}

void stack_slice::restore(std::byte* to) noexcept {
  if (size_ == 0) return;
  sanitizer::unpoison(to, size_);
  copy(to, data_, size_);
  size_ = 0;
}

void stack_slice::release() noexcept {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

}  // namespace slp::core
